"""The coverage engine: enterprise states and area figures as of a date, computed set-based.

Every figure the department reports comes from here — the recompute that stores snapshots, the as-of answers of the
API, the drill-through lists and the quarterly report all call these functions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Sum, Value, When
from django.db.models.functions import ExtractYear

from members.choices import COLLEGE_OR_ABOVE, MAJORITY_ETHNICITY
from members.models import Employment, Membership, Mobility, full_on_q, probation_overdue_q
from orgs.models import OrganizationLink
from registry.choices import Category
from registry.models import Area, Enterprise
from registry.numbers import percent, rounded

from ..choices import Population
from .effective import effective_units

STATES = ("single", "joint", "work", "none")


@dataclass
class Breakdown:
    """How many enterprises of a population are in each coverage state (and, per state, how many of them are
    effectively covered: ``effective``)."""

    single: int = 0
    joint: int = 0
    work: int = 0
    none: int = 0
    effective: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    def add(self, state: str, n: int, effective: int = 0) -> None:
        setattr(self, state, getattr(self, state) + n)
        if effective:
            self.effective[state] = self.effective.get(state, 0) + effective

    def merge(self, other: Breakdown) -> None:
        for state in STATES:
            self.add(state, getattr(other, state), other.effective.get(state, 0))

    def fraction(self, indicator) -> tuple[int, int, Breakdown]:
        """``indicator``'s (numerator, denominator, breakdown of the denominator's units) from these counts: an
        effective indicator counts only the units of its states, its numerator only the effective ones."""
        base = indicator.denominator_states
        if base is None:
            return self.count(indicator.states), self.total, self
        shown = Breakdown(**{state: getattr(self, state) for state in base})
        shown.effective = {state: self.effective.get(state, 0) for state in base}
        return sum(shown.effective.values()), shown.total, shown

    @property
    def total(self) -> int:
        return self.single + self.joint + self.work + self.none

    def count(self, states: Iterable[str]) -> int:
        return sum(getattr(self, s) for s in states)

    def as_dict(self) -> dict[str, int]:
        return {s: getattr(self, s) for s in STATES}


def populations_of(category: str, above_scale: bool) -> tuple[str, ...]:
    """The populations an operating enterprise belongs to (the denominator sets)."""
    if category == Category.ENTERPRISE:
        return (
            (Population.ALL, Population.ENTERPRISE, Population.ABOVE_SCALE)
            if above_scale
            else (
                Population.ALL,
                Population.ENTERPRISE,
            )
        )
    return (Population.ALL, Population.SOCIAL_ORG)


def population_q(population: str, *, above_scale_field: str = "above_scale") -> Q:
    """Filter for rows carrying ``category`` and an ``above_scale`` flag (EnterpriseState, annotated querysets)."""
    if population == Population.ABOVE_SCALE:
        return Q(category=Category.ENTERPRISE, **{above_scale_field: True})
    if population == Population.ENTERPRISE:
        return Q(category=Category.ENTERPRISE)
    if population == Population.SOCIAL_ORG:
        return Q(category=Category.SOCIAL_ORG)
    return Q()


def enterprise_states_on(on: dt.date, enterprises=None) -> list[tuple[int, int, str, bool, str, bool]]:
    """Rows (pk, area_id, category, is_above_scale, coverage, effective) of the enterprises operating on ``on``
    (``effective``: 有效覆盖, reports.engine.effective), in a fixed handful of queries."""
    qs = enterprises if enterprises is not None else Enterprise.objects.all()
    rows = list(
        qs.operating_on(on)
        .with_coverage(on)
        .with_above_scale(on)
        .values_list("pk", "area_id", "category", "is_above_scale", "coverage")
    )
    effective = effective_units(on, [(row[0], row[4]) for row in rows])
    return [(*row, row[0] in effective) for row in rows]


# --- rolling figures up the area tree ---------------------------------------------------------------------------


class AreaTree:
    """The area tree in memory (areas are few): ancestors of each area, from the materialised paths."""

    def __init__(self, areas: Iterable[tuple[int, str, str]] | None = None):
        rows = list(areas if areas is not None else Area.objects.values_list("pk", "code", "path"))
        self.id_by_code = {code: pk for pk, code, _ in rows}
        self.path_by_id = {pk: path for pk, _, path in rows}
        self._ancestors: dict[int, tuple[int, ...]] = {}

    def ids(self) -> list[int]:
        return list(self.path_by_id)

    def self_and_ancestors(self, area_id: int) -> tuple[int, ...]:
        if area_id not in self._ancestors:
            codes = self.path_by_id[area_id].strip("/").split("/")
            self._ancestors[area_id] = tuple(self.id_by_code[c] for c in codes if c in self.id_by_code)
        return self._ancestors[area_id]

    def subtree_ids(self, area_ids: Iterable[int]) -> set[int]:
        prefixes = tuple(self.path_by_id[a] for a in area_ids)
        return {pk for pk, path in self.path_by_id.items() if path.startswith(prefixes)}

    def with_ancestors(self, area_ids: Iterable[int]) -> set[int]:
        return {a for area_id in area_ids for a in self.self_and_ancestors(area_id)}


def roll_up_states(
    rows: Iterable[tuple[int, str, bool, str, bool, int]], tree: AreaTree, only: set[int] | None = None
) -> dict[int, dict[str, Breakdown]]:
    """From (area_id, category, above_scale, state, effective, n) rows to area → population → Breakdown over each
    subtree (only for the areas in ``only`` when given)."""
    # Sum per (target area, category, above_scale, state) first: a quarter has a few thousand rows but only a few
    # dozen such groups per area, so the populations are applied per group rather than per row.
    targets_of: dict[int, tuple[int, ...]] = {}
    sums: dict[tuple[int, str, bool, str], list[int]] = defaultdict(lambda: [0, 0])
    for area_id, category, above_scale, state, effective, n in rows:
        targets = targets_of.get(area_id)
        if targets is None:
            targets = tree.self_and_ancestors(area_id)
            if only is not None:
                targets = tuple(t for t in targets if t in only)
            targets_of[area_id] = targets
        for target in targets:
            counts = sums[target, category, above_scale, state]
            counts[0] += n
            if effective:
                counts[1] += n
    out: dict[int, dict[str, Breakdown]] = defaultdict(lambda: defaultdict(Breakdown))
    for (target, category, above_scale, state), (n, effective) in sums.items():
        for population in populations_of(category, above_scale):
            out[target][population].add(state, n, effective)
    return out


# --- member figures ---------------------------------------------------------------------------------------------


def _years_ago(on: dt.date, years: int) -> dt.date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def member_aggregates(on: dt.date) -> dict:
    """Aggregate expressions over the memberships held on ``on``, one per member: the figures of party
    statistics, each member in the category and mobility they had that day."""
    birthday_not_yet = Case(
        When(
            Q(member__birth_date__month__gt=on.month)
            | Q(member__birth_date__month=on.month, member__birth_date__day__gt=on.day),
            then=Value(1),
        ),
        default=Value(0),
        output_field=IntegerField(),
    )
    full = full_on_q(on, prefix="member__")
    away = Exists(Mobility.objects.active_on(on).filter(member=OuterRef("member_id")))
    return {
        "total": Count("pk"),
        "full": Count("pk", filter=full),
        "probationary": Count("pk", filter=~full),
        "female": Count("pk", filter=Q(member__gender="F")),
        "minority": Count("pk", filter=~Q(member__ethnicity=MAJORITY_ETHNICITY) & ~Q(member__ethnicity="")),
        "college_or_above": Count("pk", filter=Q(member__education__in=COLLEGE_OR_ABOVE)),
        "under_35": Count("pk", filter=Q(member__birth_date__gt=_years_ago(on, 35))),
        "mobile": Count("pk", filter=away),
        "retired": Count("pk", filter=Q(member__retired=True)),
        "age_sum": Sum(
            Value(on.year) - ExtractYear("member__birth_date") - birthday_not_yet, output_field=IntegerField()
        ),
    }


MEMBER_FIGURES = tuple(member_aggregates(dt.date(2000, 1, 1)))


@dataclass
class MemberFigures:
    total: int = 0
    full: int = 0
    probationary: int = 0
    female: int = 0
    minority: int = 0
    college_or_above: int = 0
    under_35: int = 0
    mobile: int = 0
    retired: int = 0
    age_sum: int = 0

    def merge(self, values: dict) -> None:
        for name in MEMBER_FIGURES:
            setattr(self, name, getattr(self, name) + (values.get(name) or 0))

    @property
    def average_age(self):
        return rounded(self.age_sum, self.total, 1)

    def share(self, name: str, decimals: int = 1):
        return percent(getattr(self, name), self.total, decimals)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in MEMBER_FIGURES}


def member_figures_by_organization(on: dt.date, area_ids: Iterable[int] | None = None) -> dict[int, dict]:
    """Organisation → its ``area_id``, the figures of its active members and ``overdue_probation`` (members whose
    probation was over with no decision: a work item), in one grouped query.

    The recompute keeps the per-organisation counts (the work queue's "members held") and sums the rest per area.
    """
    memberships = Membership.objects.active_on(on)
    if area_ids is not None:
        memberships = memberships.filter(organization__area_id__in=list(area_ids))
    rows = (
        memberships.values("organization_id", "organization__area_id")
        .annotate(
            **member_aggregates(on),
            overdue_probation=Count("pk", filter=probation_overdue_q(on, prefix="member__")),
        )
        .order_by()
    )
    return {row.pop("organization_id"): row for row in rows}


def member_figures_direct(by_organization: dict[int, dict]) -> dict[int, dict]:
    """Area → member figures of the organisations sitting directly in it, from the per-organisation figures."""
    out: dict[int, dict] = {}
    for figures in by_organization.values():
        area = out.setdefault(figures["organization__area_id"], dict.fromkeys(MEMBER_FIGURES, 0))
        for name in MEMBER_FIGURES:
            area[name] += figures[name] or 0
    return out


def employed_member_counts(
    on: dt.date, enterprise_ids: list[int] | None = None
) -> dict[int, tuple[int, int]]:
    """Enterprise → (party members, full members) employed there on ``on``: the stored twin of
    ``EnterpriseQuerySet.with_member_counts`` (one grouped query)."""
    employments = Employment.objects.counted_on(on)
    if enterprise_ids is not None:
        employments = employments.filter(enterprise_id__in=enterprise_ids)
    rows = (
        employments.values_list("enterprise_id")
        .annotate(n=Count("pk"), full=Count("pk", filter=full_on_q(on, prefix="member__")))
        .order_by()
    )
    return {pk: (n, full) for pk, n, full in rows}


def unit_counts(on: dt.date, organizations=None) -> dict[int, int]:
    """Organisation → units it covers on ``on``: the stored twin of ``unit_count`` in ``with_counts``."""
    links = OrganizationLink.objects.active_on(on)
    if organizations is not None:
        links = links.filter(organization__in=organizations)
    return dict(links.values_list("organization_id").annotate(n=Count("pk")).order_by())


def roll_up_members(direct: dict[int, dict], tree: AreaTree) -> dict[int, MemberFigures]:
    """Area → member figures of its whole subtree, from the direct figures of every area."""
    out: dict[int, MemberFigures] = defaultdict(MemberFigures)
    for area_id, figures in direct.items():
        for target in tree.self_and_ancestors(area_id):
            out[target].merge(figures)
    return out


# --- as-of answers for one area -----------------------------------------------------------------------------------


def coverage_on(area: Area, on: dt.date) -> dict[str, Breakdown]:
    """Population → Breakdown for ``area``'s subtree on any date, computed live (the as-of answer)."""
    out: dict[str, Breakdown] = {p: Breakdown() for p in Population.values}
    for _pk, _area_id, category, above_scale, state, effective in enterprise_states_on(
        on, Enterprise.objects.in_area(area)
    ):
        for population in populations_of(category, above_scale):
            out[population].add(state, 1, int(effective))
    return out


def members_on(area: Area, on: dt.date) -> MemberFigures:
    figures = MemberFigures()
    held = Membership.objects.active_on(on).filter(organization__area__path__startswith=area.path)
    figures.merge(held.aggregate(**member_aggregates(on)))
    return figures
