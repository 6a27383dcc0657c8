"""Explanations: who is behind a figure (drill-through) and what changed since the previous quarter, and why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.utils.translation import gettext as _

from members.models import InstructorAssignment
from orgs.models import OrganizationLink
from registry.choices import CoverageState
from registry.models import AboveScalePeriod, Area, Enterprise
from registry.periods import Quarter

from ..models import EnterpriseState, Indicator, is_computed
from .coverage import population_q
from .effective import effective_units

NUMERATOR, DENOMINATOR = "numerator", "denominator"


def drill_states(area: Area, period: Quarter, indicator: Indicator, part: str = NUMERATOR):
    """EnterpriseState rows behind a stored figure: the denominator, or its numerator part."""
    rows = (
        EnterpriseState.objects.filter(period=period, area__path__startswith=area.path)
        .filter(population_q(indicator.population))
        .filter(indicator.denominator_q())
    )
    if part == NUMERATOR:
        rows = rows.filter(indicator.numerator_q())
    return rows


def drill_enterprises(area: Area, period: Quarter, indicator: Indicator, part: str = NUMERATOR):
    """The enterprises in a quarter's figure, annotated with their stored ``state`` and ``effective`` (有效覆盖)
    at the quarter's end."""
    states = drill_states(area, period, indicator, part)
    stored = EnterpriseState.objects.filter(period=period, enterprise=OuterRef("pk"))
    return (
        Enterprise.objects.filter(pk__in=states.values("enterprise_id"))
        .select_related("area")
        .annotate(
            state=Subquery(stored.values("state")[:1]), effective=Subquery(stored.values("effective")[:1])
        )
    )


def drill_live(area: Area, on: dt.date, indicator: Indicator, part: str = NUMERATOR):
    """The same drill-through for any date, computed live (units annotated with their ``coverage``)."""
    qs = (
        Enterprise.objects.in_area(area)
        .operating_on(on)
        .with_above_scale(on)
        .with_coverage(on)
        .filter(population_q(indicator.population, above_scale_field="is_above_scale"))
        .select_related("area")
    )
    if indicator.effective_only:
        qs = qs.filter(indicator.denominator_q(state="coverage"))
        if part == NUMERATOR:  # the units of the denominator with no unmet condition
            qs = qs.filter(pk__in=sorted(effective_units(on, qs.values_list("pk", "coverage"))))
    elif part == NUMERATOR:
        qs = qs.filter(indicator.numerator_q(state="coverage"))
    return qs


@dataclass
class Change:
    """An enterprise whose state (or presence in the population) differs between two quarters."""

    enterprise: Enterprise
    before: str | None  # None: not operating then
    after: str | None
    above_scale_before: bool = False
    above_scale_after: bool = False
    reasons: list[str] = field(default_factory=list)

    @property
    def before_label(self) -> str:
        return CoverageState(self.before).label if self.before else _("不在统计范围")

    @property
    def after_label(self) -> str:
        return CoverageState(self.after).label if self.after else _("不在统计范围")


def changes(area: Area, period: Quarter, *, since: Quarter | None = None) -> list[Change]:
    """Enterprises in ``area`` that entered or left a state (or 规上) between ``since`` (default: previous quarter)
    and ``period``, each with the dated events that explain it."""
    since = since or period.previous()
    if not is_computed(since):
        return []  # that quarter was never computed: there is nothing to compare with
    area_ids = area.subtree_ids()
    before = _differing(area_ids, since, period)
    after = _differing(area_ids, period, since)
    changed = before.keys() | after.keys()
    if not changed:
        return []
    start, end = since.last_day, period.last_day  # events dated in (start, end]
    in_window = window_q(start, end)
    enterprises = (
        Enterprise.objects.filter(pk__in=changed)
        .select_related("area")
        .prefetch_related(
            Prefetch(
                "org_links",
                queryset=OrganizationLink.objects.filter(link_window_q(start, end)).select_related(
                    "organization"
                ),
                to_attr="window_links",
            ),
            Prefetch(
                "instructor_assignments",
                queryset=InstructorAssignment.objects.filter(in_window).select_related("instructor"),
                to_attr="window_assignments",
            ),
            Prefetch(
                "above_scale_periods",
                queryset=AboveScalePeriod.objects.filter(in_window),
                to_attr="window_above_scale",
            ),
        )
        .order_by("name")
    )
    out = []
    for enterprise in enterprises:
        b, a = before.get(enterprise.pk), after.get(enterprise.pk)
        out.append(
            Change(
                enterprise=enterprise,
                before=b[0] if b else None,
                after=a[0] if a else None,
                above_scale_before=bool(b and b[1]),
                above_scale_after=bool(a and a[1]),
                reasons=_reasons(enterprise, start, end),
            )
        )
    return out


def window_q(start: dt.date, end: dt.date) -> Q:
    """Dated rows (``start``/``end``) that begin or end in the window (start, end]: between two quarter ends, the
    events that can move a unit from one state to another (a row's ``end`` is exclusive, so one ending on the
    quarter's last day no longer holds on it)."""
    return Q(start__gt=start, start__lte=end) | Q(end__gt=start, end__lte=end)


def link_window_q(start: dt.date, end: dt.date) -> Q:
    """Organisation links with an event in the window (start, end]: the link begins or ends, or its organisation
    is founded or dissolved (which moves every unit it covers)."""
    return (
        window_q(start, end)
        | Q(organization__founded_on__gt=start, organization__founded_on__lte=end)
        | Q(organization__dissolved_on__gt=start, organization__dissolved_on__lte=end)
    )


def _differing(area_ids: list[int], period: Quarter, other: Quarter) -> dict[int, tuple[str, bool]]:
    """Enterprise → (state, above_scale) of the area's rows in ``period`` that ``other`` does not have in the area
    in the same state (a unit that moved in or out of the area changes its figures too).

    The comparison runs in the database (one index probe a row), so only the few changed rows travel.
    """
    same = EnterpriseState.objects.filter(
        period=other,
        area_id__in=area_ids,
        enterprise=OuterRef("enterprise"),
        state=OuterRef("state"),
        above_scale=OuterRef("above_scale"),
    )
    rows = EnterpriseState.objects.filter(period=period, area_id__in=area_ids).exclude(Exists(same))
    return {e: (s, a) for e, s, a in rows.values_list("enterprise_id", "state", "above_scale")}


def _within(day: dt.date | None, start: dt.date, end: dt.date) -> bool:
    return day is not None and start < day <= end


def _reasons(enterprise: Enterprise, start: dt.date, end: dt.date) -> list[str]:
    reasons = []
    if _within(enterprise.established_on, start, end):
        reasons.append(_("%(d)s 新成立/迁入") % {"d": enterprise.established_on})
    if _within(enterprise.deregistered_on, start, end):
        reasons.append(_("%(d)s 注销/迁出") % {"d": enterprise.deregistered_on})
    for period in enterprise.window_above_scale:
        if _within(period.start, start, end):
            reasons.append(_("%(d)s 起列为规模以上") % {"d": period.start})
        if _within(period.end, start, end):
            reasons.append(_("%(d)s 起不再是规模以上") % {"d": period.end})
    for link in enterprise.window_links:
        org = link.organization
        if _within(org.founded_on, start, end):
            reasons.append(_("%(d)s 成立党组织“%(org)s”") % {"d": org.founded_on, "org": org.name})
        elif _within(link.start, start, end):
            reasons.append(_("%(d)s 纳入“%(org)s”覆盖") % {"d": link.start, "org": org.name})
        if _within(org.dissolved_on, start, end):
            reasons.append(_("%(d)s 党组织“%(org)s”撤销") % {"d": org.dissolved_on, "org": org.name})
        elif _within(link.end, start, end):
            reasons.append(_("%(d)s 不再由“%(org)s”覆盖") % {"d": link.end, "org": org.name})
    for assignment in enterprise.window_assignments:
        name = assignment.instructor.name
        if _within(assignment.start, start, end):
            reasons.append(_("%(d)s 选派党建指导员%(name)s") % {"d": assignment.start, "name": name})
        if _within(assignment.end, start, end):
            reasons.append(_("%(d)s 党建指导员%(name)s撤出") % {"d": assignment.end, "name": name})
    return reasons
