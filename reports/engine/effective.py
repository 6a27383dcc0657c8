"""有效覆盖 (effective coverage): which covered units meet the conditions that make their coverage effective on a
date, and which conditions the others fail.

A unit covered by a party organisation (state ``single`` or ``joint``) is effectively covered when one of the
organisations giving it that state (links holding that day, organisation of that setup, active) meets every
condition that day:

- a secretary is in post: ``PartyOrganization.secretary`` is set and that member holds a membership of that
  organisation on the day (members' dated Membership rows: a secretary transferred out is no longer in post);
- a 单独组建 organisation has at least 3 full members on the day (联合组建: no minimum);
- no 换届 is overdue: ``term_ends_on`` is empty or not before the day.

A unit with only an instructor (state ``work``) is effectively covered when an instructor (any) visited it in the
quarter of the day, up to the day (members.InstructorVisit): at a quarter's end, the whole quarter.

The conditions are read in SQL once (:func:`checked_links`: one flag per condition and organisation link, and
:func:`visits_counted`), and a unit is effective exactly when it has no unmet condition
(:func:`unmet_conditions`): the flag the recompute stores and the live answers give (:func:`effective_units`) and
the reasons shown on the drill-through pages come from the same rows. Set-based: the units asked about are read
by id (a park: one link query and one visit query), or, for a large part of the province, every link in one scan.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from members.models import InstructorVisit, Membership
from orgs.choices import Setup
from orgs.models import OrganizationLink
from registry.choices import CoverageState
from registry.dating import active_q
from registry.periods import Quarter
from registry.rules import OWN_ORG_MIN_FULL_MEMBERS

ORG_STATES = (CoverageState.SINGLE, CoverageState.JOINT)
BATCH = 1000  # units read by id per query (a page is one batch)
ONE_SCAN = 10 * BATCH  # past this many units, every link (or visit) of the quarter is read in one query


def checked_links(on: dt.date):
    """Organisation links holding on ``on`` (their organisation active that day), each annotated with its
    organisation's conditions that day: ``secretary_in_post``, ``enough_members`` (联合组建, or at least 3 full
    members) and ``term_in_time`` (换届 not overdue).

    Correlated EXISTS only, so a park's links cost a few index probes each: "at least 3 full members" asks for the
    third one (OFFSET 2) instead of counting them all."""
    memberships = Membership.objects.active_on(on)
    third_full = (
        memberships.full_on(on)
        .filter(organization=OuterRef("organization_id"))
        .order_by()[OWN_ORG_MIN_FULL_MEMBERS - 1 : OWN_ORG_MIN_FULL_MEMBERS]
    )
    in_post = memberships.filter(
        member=OuterRef("organization__secretary_id"), organization=OuterRef("organization_id")
    )
    return OrganizationLink.objects.filter(
        active_q(on), active_q(on, start="founded_on", end="dissolved_on", prefix="organization__")
    ).annotate(
        secretary_in_post=Exists(in_post),
        enough_members=ExpressionWrapper(
            Q(organization__setup=Setup.JOINT) | Q(Exists(third_full)), output_field=BooleanField()
        ),
        term_in_time=ExpressionWrapper(
            Q(organization__term_ends_on__isnull=True) | Q(organization__term_ends_on__gte=on),
            output_field=BooleanField(),
        ),
    )


def full_member_count(on: dt.date):
    """Full members of the link's organisation on ``on`` (for the reasons shown; the rule asks
    :func:`checked_links`' ``enough_members``)."""
    full = (
        Membership.objects.active_on(on)
        .full_on(on)
        .filter(organization=OuterRef("organization_id"))
        .order_by()
        .values("organization")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(full, output_field=IntegerField()), 0)


def visit_window(on: dt.date) -> tuple[dt.date, dt.date]:
    """The days a visit counts for ``on``: from the first day of its quarter to ``on`` itself."""
    return Quarter.containing(on).first_day, on


def visits_counted(on: dt.date):
    """Instructor visits that count for ``on`` (any instructor, any kind of visit)."""
    first, last = visit_window(on)
    return InstructorVisit.objects.filter(visited_on__gte=first, visited_on__lte=last)


# Unmet conditions, as codes (the rule) and their Chinese wording (the reasons shown).
NO_SECRETARY, SECRETARY_AWAY, FEW_MEMBERS, TERM_OVERDUE = "no_secretary", "secretary_away", "few", "overdue"
NOT_VISITED, NO_ORGANIZATION = "not_visited", "no_organization"


def _link_unmet(row: dict) -> list[str]:
    """The condition codes one checked link's organisation fails, from its annotations."""
    unmet = []
    if not row["secretary_in_post"]:
        unmet.append(NO_SECRETARY if row["organization__secretary_id"] is None else SECRETARY_AWAY)
    if not row["enough_members"]:
        unmet.append(FEW_MEMBERS)
    if not row["term_in_time"]:
        unmet.append(TERM_OVERDUE)
    return unmet


def _wording(code: str, row: dict | None) -> str:
    if code == NO_SECRETARY:
        return _("未配备书记")
    if code == SECRETARY_AWAY:
        return _("书记不在本组织（组织关系已转出）")
    if code == FEW_MEMBERS:
        return _("正式党员不足%(min)s名（现有%(n)s名）") % {
            "min": OWN_ORG_MIN_FULL_MEMBERS,
            "n": row["full_members"],
        }
    if code == TERM_OVERDUE:
        return _("换届逾期（届满日期 %(d)s）") % {"d": row["organization__term_ends_on"].isoformat()}
    if code == NOT_VISITED:
        return _("本季度未走访")
    return _("统计日无所属党组织")  # NO_ORGANIZATION: a stored state older than the records


LINK_FIELDS = (
    "enterprise_id",
    "organization_id",
    "organization__setup",
    "organization__secretary_id",
    "organization__term_ends_on",
    "secretary_in_post",
    "enough_members",
    "term_in_time",
)


def _by_id(units: list[int], query):
    """``query(ids)`` rows for ``units``: by id in batches, or, past ``ONE_SCAN`` units, every row in one query
    (``query(None)``: reading the province's rows once costs less than many batches of probes)."""
    if len(units) > ONE_SCAN:
        yield from query(None)
        return
    for start in range(0, len(units), BATCH):
        yield from query(units[start : start + BATCH])


def _unmet(on: dt.date, units: Iterable[tuple[int, str]], *, wording: bool) -> dict[int, list]:
    """Unit → its unmet condition codes (``wording``: (code, link row) pairs, the row of the organisation that
    speaks for it), for the (id, coverage state) pairs given; uncovered units are left out."""
    states = dict(units)
    org_units = [pk for pk, state in states.items() if state in ORG_STATES]
    work_units = [pk for pk, state in states.items() if state == CoverageState.WORK]
    out: dict[int, list] = {}

    def links(ids):
        rows = checked_links(on)
        if ids is not None:
            rows = rows.filter(enterprise_id__in=ids)
        if wording:
            rows = rows.annotate(full_members=full_member_count(on))
        return rows.values(*LINK_FIELDS, *(("full_members",) if wording else ())).order_by("organization_id")

    for row in _by_id(org_units, links):
        pk = row["enterprise_id"]
        if states.get(pk) != row["organization__setup"]:
            continue  # another unit's link, or an organisation not giving the unit its state (a joint one)
        unmet = [(code, row) if wording else code for code in _link_unmet(row)]
        # Of several organisations giving the unit its state, the one failing fewest conditions speaks for it.
        if pk not in out or len(unmet) < len(out[pk]):
            out[pk] = unmet
    for pk in org_units:
        out.setdefault(pk, [(NO_ORGANIZATION, None) if wording else NO_ORGANIZATION])

    def visits(ids):
        rows = visits_counted(on)
        if ids is not None:
            rows = rows.filter(enterprise_id__in=ids)
        return rows.values_list("enterprise_id", flat=True).distinct()

    visited = set(_by_id(work_units, visits))
    for pk in work_units:
        out[pk] = [] if pk in visited else [(NOT_VISITED, None) if wording else NOT_VISITED]
    return out


def effective_units(on: dt.date, units: Iterable[tuple[int, str]]) -> set[int]:
    """The ids, among the ``(id, coverage state)`` pairs given, of the units effectively covered on ``on``: those
    with no unmet condition (:func:`unmet_conditions`)."""
    return {pk for pk, unmet in _unmet(on, units, wording=False).items() if not unmet}


def unmet_conditions(on: dt.date, units: Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    """Unit id → the conditions of effective coverage it fails on ``on`` (Chinese; empty: effectively covered),
    for the ``(id, coverage state)`` pairs given. Uncovered units are left out (no indicator counts them).

    Of several organisations giving a unit its state, the one failing fewest conditions speaks for it. Two queries
    per 1,000 units (three with the full-member counts the wording shows), whatever else the area holds."""
    return {
        pk: [_wording(code, row) for code, row in unmet]
        for pk, unmet in _unmet(on, units, wording=True).items()
    }


def with_unmet(rows: Iterable, on: dt.date) -> list:
    """Drill-through rows (Enterprise objects carrying a stored ``state`` and ``effective``, or a live
    ``coverage``) as a list, each given ``unmet``: the conditions it fails on ``on`` (:func:`unmet_conditions`;
    empty when it is effective or not in a state an effective indicator counts), and ``effective`` if it had
    none. Two or three queries whatever the number of rows up to 1,000."""
    rows = list(rows)
    # A row flagged effective (stored) meets every condition: only the others are looked up.
    found = unmet_conditions(on, [(e.pk, _state_of(e)) for e in rows if not getattr(e, "effective", False)])
    for e in rows:
        e.unmet = found.get(e.pk, [])
        if not hasattr(e, "effective"):  # a live row: effective when in a counted state with nothing unmet
            e.effective = e.pk in found and not e.unmet
    return rows


def _state_of(enterprise) -> str | None:
    state = getattr(enterprise, "state", None)
    return state if state is not None else getattr(enterprise, "coverage", None)


def covered_areas(on: dt.date, organization_area_ids: Iterable[int]) -> set[int]:
    """The areas of the units covered on ``on`` by organisations sitting in ``organization_area_ids``: a change of
    members or of an organisation there can move those units' effective coverage, wherever they sit."""
    return set(
        OrganizationLink.objects.active_on(on)
        .filter(organization__area_id__in=list(organization_area_ids))
        .values_list("enterprise__area_id", flat=True)
        .distinct()
    )
