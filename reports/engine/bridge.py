"""The quarter bridge (数字衔接): from last quarter's closing figure to this quarter's, line by line.

For an area, quarter and indicator: the previous quarter's closing numerator and denominator (the opening), what
entered and what left each, grouped by reason, and this quarter's closing figures, so that

    opening + Σ entered − Σ left == closing        (numerator and denominator separately)

always holds, and every line names its enterprises (drill-through).

Everything is read from the stored EnterpriseState rows of the two quarter ends (the rows behind every stored
figure), so the opening is the previous quarter's stored figure and the closing this quarter's. Each enterprise
contributes 0 or 1 to a numerator and to a denominator at each end; between the two ends its two deltas never
have opposite signs (a unit counted in the numerator is always in the denominator), so it sits on exactly one
line, under the most specific reason that explains it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import models
from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import InstructorAssignment
from orgs.models import OrganizationLink
from registry.choices import Category, CoverageState
from registry.dating import holds_on
from registry.models import AboveScalePeriod, Area, Enterprise
from registry.periods import Quarter

from ..choices import Population
from ..models import EnterpriseState, Indicator, is_computed
from .coverage import population_q
from .explain import link_window_q, window_q
from .figures import FigureNotFound
from .recompute import first_period

ENTERED, LEFT = "entered", "left"
SIDES = (ENTERED, LEFT)


class Reason(models.TextChoices):
    """Why an enterprise entered or left a figure between two quarter ends: a stable code and its Chinese label.

    Denominator reasons (the unit entered or left the counted population) come before numerator reasons (the unit
    stayed counted but its coverage changed); ``other`` is what no dated record explains, such as a corrected
    record of a quarter that was closed before the correction."""

    NEW = "new", gettext_lazy("新成立或新迁入登记范围")
    MOVED_IN = "moved_in", gettext_lazy("由其他区域调入")
    ABOVE_SCALE = "above_scale", gettext_lazy("新列为规模以上")
    DEREGISTERED = "deregistered", gettext_lazy("注销或迁出登记范围")
    MOVED_OUT = "moved_out", gettext_lazy("调往其他区域")
    BELOW_SCALE = "below_scale", gettext_lazy("不再是规模以上")
    ORG_FOUNDED = "org_founded", gettext_lazy("新成立党组织")
    ORG_DISSOLVED = "org_dissolved", gettext_lazy("党组织撤销")
    LINK_CHANGED = "link_changed", gettext_lazy("党组织覆盖关系变化")
    INSTRUCTOR_ASSIGNED = "instructor_assigned", gettext_lazy("选派党建指导员")
    INSTRUCTOR_ENDED = "instructor_ended", gettext_lazy("党建指导员撤出")
    # 有效覆盖 only: the unit kept its coverage state but now meets (or no longer meets) every condition.
    EFFECTIVE_MET = "effective_met", gettext_lazy("达到有效覆盖条件")
    EFFECTIVE_LOST = "effective_lost", gettext_lazy("不再满足有效覆盖条件")
    OTHER = "other", gettext_lazy("其他（如更正登记信息）")


# The order lines are listed in: denominator reasons first, then numerator reasons, "other" last.
LINE_ORDER = {
    ENTERED: (
        Reason.NEW,
        Reason.MOVED_IN,
        Reason.ABOVE_SCALE,
        Reason.ORG_FOUNDED,
        Reason.LINK_CHANGED,
        Reason.INSTRUCTOR_ASSIGNED,
        Reason.EFFECTIVE_MET,
        Reason.OTHER,
    ),
    LEFT: (
        Reason.DEREGISTERED,
        Reason.MOVED_OUT,
        Reason.BELOW_SCALE,
        Reason.ORG_DISSOLVED,
        Reason.LINK_CHANGED,
        Reason.INSTRUCTOR_ENDED,
        Reason.EFFECTIVE_LOST,
        Reason.OTHER,
    ),
}
ORG_STATES = (CoverageState.SINGLE, CoverageState.JOINT)  # states given by an organisation (its ``setup``)


class Ratio(NamedTuple):
    """A numerator and a denominator (compares equal to the plain tuple ``(numerator, denominator)``)."""

    numerator: int
    denominator: int


@dataclass
class BridgeLine:
    """One reason on one side: how many units it adds to (entered) or takes from (left) the numerator and the
    denominator (both counts ≥ 0), and which units, in id order."""

    reason: str
    label: str
    numerator: int
    denominator: int
    enterprise_ids: list[int] = field(default_factory=list)


@dataclass
class Bridge:
    """The bridge of ``indicator`` for ``area``'s subtree from the end of ``previous`` to the end of ``period``.

    ``comparable`` is False when the previous quarter was never computed (or precedes the first reporting
    quarter): the opening is then 0/0 and every counted unit enters as ``new``."""

    area: Area
    period: Quarter
    previous: Quarter
    indicator: Indicator
    opening: Ratio
    closing: Ratio
    entered: list[BridgeLine]
    left: list[BridgeLine]
    comparable: bool = True

    def line(self, side: str, reason: str) -> BridgeLine | None:
        """The line of ``reason`` on ``side`` (``entered`` / ``left``), or None when no unit is on it."""
        lines = self.entered if side == ENTERED else self.left if side == LEFT else []
        return next((line for line in lines if line.reason == reason), None)

    @property
    def balances(self) -> bool:
        """opening + entered − left == closing, for the numerator and the denominator."""
        n = (
            self.opening.numerator
            + sum(x.numerator for x in self.entered)
            - sum(x.numerator for x in self.left)
        )
        d = (
            self.opening.denominator
            + sum(x.denominator for x in self.entered)
            - sum(x.denominator for x in self.left)
        )
        return (n, d) == self.closing


def is_comparable(previous: Quarter) -> bool:
    """Whether a quarter can open a bridge: a reporting quarter whose figures were computed."""
    return previous >= first_period() and is_computed(previous)


def bridge(area: Area, period: Quarter, indicator: Indicator) -> Bridge:
    """The bridge from the previous quarter's closing figure to ``period``'s for ``area``'s subtree.

    Promises: ``opening`` is the previous quarter's stored figure (0/0 when it was never computed), ``closing`` is
    ``period``'s stored figure, every unit whose contribution differs between the two ends is on exactly one line,
    lines with no unit are left out, and opening + Σ entered − Σ left == closing. Raises FigureNotFound when
    ``period`` itself was never computed. A fixed handful of queries whatever the number of units.
    """
    if not is_computed(period):
        raise FigureNotFound(
            _("%(area)s %(period)s 的“%(indicator)s”尚未计算。")
            % {"area": area.name, "period": period, "indicator": indicator.name}
        )
    previous = period.previous()
    area_ids = area.subtree_ids()
    comparable = is_comparable(previous)
    totals = _totals(area_ids, [previous, period] if comparable else [period], indicator)
    opening = totals.get(previous, Ratio(0, 0)) if comparable else Ratio(0, 0)
    closing = totals.get(period, Ratio(0, 0))
    if not comparable:
        # Nothing to compare with: every unit counted at the end enters as new.
        counted = (
            _counted(area_ids, period, indicator)
            .values_list("enterprise_id", "state", "effective")
            .order_by("enterprise_id")
        )
        ids, numerator = [], 0
        for pk, state, effective in counted:
            ids.append(pk)
            numerator += indicator.counts(state, effective)[0]
        entered = [_line(Reason.NEW, numerator, len(ids), ids)] if ids else []
        return Bridge(area, period, previous, indicator, opening, closing, entered, [], comparable=False)

    placed = _place(
        _changed(area_ids, previous, period, indicator), set(area_ids), previous, period, indicator
    )
    grouped: dict[tuple[str, str], list[tuple[int, int, int]]] = defaultdict(list)
    for pk, side, reason, dn, dd in placed:
        grouped[side, reason].append((pk, dn, dd))
    lines: dict[str, list[BridgeLine]] = {ENTERED: [], LEFT: []}
    for side in SIDES:
        for reason in LINE_ORDER[side]:
            units = sorted(grouped.get((side, reason), []))
            if units:  # a line with no unit is left out
                n, d = sum(u[1] for u in units), sum(u[2] for u in units)
                lines[side].append(_line(reason, n, d, [u[0] for u in units]))
    return Bridge(area, period, previous, indicator, opening, closing, lines[ENTERED], lines[LEFT])


def line_enterprises(area: Area, period: Quarter, indicator: Indicator, side: str, reason: str):
    """The enterprises on one line of ``bridge(area, period, indicator)`` (none when the line is empty), as
    :func:`enterprises_on_line` gives them."""
    return enterprises_on_line(bridge(area, period, indicator), side, reason)


def enterprises_on_line(b: Bridge, side: str, reason: str):
    """The enterprises on one line of a computed bridge, as a queryset with their area and their stored state at
    the opening (``state_before``) and at the closing (``state_after``) in any area, None where they had no row
    (not operating then). Unordered: the caller orders it."""
    line = b.line(side, reason)
    if line is None:
        enterprises = Enterprise.objects.none()
    elif not b.comparable:
        # Possibly every unit of a district: a subquery rather than a list of ids in the SQL.
        enterprises = Enterprise.objects.filter(
            pk__in=_counted(b.area.subtree_ids(), b.period, b.indicator).values("enterprise_id")
        )
    else:
        enterprises = Enterprise.objects.filter(pk__in=line.enterprise_ids)

    def stored_state(period: Quarter):
        return Subquery(
            EnterpriseState.objects.filter(period=period, enterprise=OuterRef("pk")).values("state")[:1]
        )

    return enterprises.select_related("area").annotate(
        state_before=stored_state(b.previous), state_after=stored_state(b.period)
    )


# --- the parts -----------------------------------------------------------------------------------------------------


def _line(reason: str, numerator: int, denominator: int, ids: list[int]) -> BridgeLine:
    reason = Reason(reason)
    return BridgeLine(reason.value, str(reason.label), numerator, denominator, ids)


def _counted(area_ids: list[int], period: Quarter, indicator: Indicator):
    """The stored rows of ``period`` in the area's subtree that an indicator's denominator counts."""
    return (
        EnterpriseState.objects.filter(period=period, area_id__in=area_ids)
        .filter(population_q(indicator.population))
        .filter(indicator.denominator_q())
    )


def _totals(area_ids: list[int], periods: list[Quarter], indicator: Indicator) -> dict[Quarter, Ratio]:
    """Quarter → (numerator, denominator) counted from the stored rows, both quarters in one grouped query: the
    same counts the recompute stored as snapshots."""
    rows = (
        EnterpriseState.objects.filter(period__in=periods, area_id__in=area_ids)
        .filter(population_q(indicator.population))
        .filter(indicator.denominator_q())
        .values_list("period")
        .annotate(d=Count("pk"), n=Count("pk", filter=indicator.numerator_q()))
        .order_by()
    )
    return {period: Ratio(n, d) for period, d, n in rows}


def _changed(area_ids: list[int], previous: Quarter, period: Quarter, indicator: Indicator):
    """Ids of the units whose (numerator, denominator) contribution to the subtree differs between the two ends.

    A unit counts at an end only if it has a counted row in the subtree then, so a changed unit has a counted row
    at one end with no row of the same contribution (numerator or not) at the other: found in the database, one
    index probe a row, so only the few changed ids travel (one query, both directions in a UNION)."""
    counted = indicator.numerator_q()

    def one_way(this: Quarter, other: Quarter):
        there = _counted(area_ids, other, indicator).filter(enterprise=OuterRef("enterprise_id"))
        same_in = Exists(there.filter(counted))
        same_out = Exists(there.exclude(counted))
        return (
            _counted(area_ids, this, indicator)
            .filter((counted & ~same_in) | (~counted & ~same_out))
            .values_list("enterprise_id", flat=True)
            .order_by()
        )

    return sorted(set(one_way(previous, period).union(one_way(period, previous))))


class _Row(NamedTuple):
    area_id: int
    category: str
    above_scale: bool
    state: str
    effective: bool = False


def _place(
    ids: list[int], subtree: set[int], previous: Quarter, period: Quarter, indicator: Indicator
) -> list[tuple[int, str, str, int, int]]:
    """Each changed unit as (id, side, reason, numerator delta, denominator delta), deltas ≥ 0 on their side.

    Reads both ends' rows of the units in any area (a unit that moved across the subtree's border has its other
    row elsewhere) with their registration dates, then only the dated records a reason needs: 规上 periods for
    units whose 规上 flag changed, organisation links and instructor assignments for units whose coverage
    changed. At most four queries."""
    if not ids:
        return []
    start, end = previous.last_day, period.last_day  # events dated in (start, end] moved the unit
    rows: dict[int, dict[Quarter, _Row]] = defaultdict(dict)
    dates: dict[int, tuple[dt.date | None, dt.date | None]] = {}
    for pk, quarter, area_id, category, above_scale, state, effective, established, deregistered in (
        EnterpriseState.objects.filter(period__in=[previous, period], enterprise_id__in=ids)
        .values_list(
            "enterprise_id",
            "period",
            "area_id",
            "category",
            "above_scale",
            "state",
            "effective",
            "enterprise__established_on",
            "enterprise__deregistered_on",
        )
        .order_by()
    ):
        rows[pk][quarter] = _Row(area_id, category, above_scale, state, effective)
        dates[pk] = (established, deregistered)

    population, states = indicator.population, indicator.states

    def counted(row: _Row | None) -> bool:
        return row is not None and row.area_id in subtree and _in_population(row, population)

    def counts(row: _Row | None) -> tuple[int, int]:
        return indicator.counts(row.state, row.effective) if counted(row) else (0, 0)

    moves = []  # (id, before, after, n delta, d delta, whether the coverage moved it)
    for pk in ids:
        before, after = rows[pk].get(previous), rows[pk].get(period)
        (n0, d0), (n1, d1) = counts(before), counts(after)
        if (n0, d0) != (n1, d1):
            # In the population at both ends: its coverage moved it (for an effective indicator, whose
            # denominator counts some states only, possibly in or out of the denominator too).
            by_coverage = not (d1 - d0) or (counted(before) and counted(after))
            moves.append((pk, before, after, n1 - n0, d1 - d0, by_coverage))

    # Dated records, only for the units a reason needs them for.
    scale_ids = [
        pk for pk, b, a, _dn, dd, c in moves if dd and not c and b and a and _both_inside(b, a, subtree)
    ]
    coverage_ids = [pk for pk, _b, _a, _dn, _dd, by_coverage in moves if by_coverage]
    scale_events = _above_scale_events(scale_ids, start, end)
    links = _links(coverage_ids, start, end)
    assignments = _assignments(coverage_ids, start, end)

    placed = []
    for pk, before, after, dn, dd, by_coverage in moves:
        side = ENTERED if dn > 0 or dd > 0 else LEFT
        if not by_coverage:
            reason = _denominator_reason(
                side, before, after, subtree, dates[pk], scale_events[pk], start, end
            )
        else:
            reason = _numerator_reason(side, before, after, links[pk], assignments[pk], states, start, end)
        placed.append((pk, side, reason, abs(dn), abs(dd)))
    return placed


def _in_population(row: _Row, population: str) -> bool:
    """The Python twin of ``population_q`` for one stored row."""
    if population == Population.ABOVE_SCALE:
        return row.category == Category.ENTERPRISE and row.above_scale
    if population == Population.ENTERPRISE:
        return row.category == Category.ENTERPRISE
    if population == Population.SOCIAL_ORG:
        return row.category == Category.SOCIAL_ORG
    return True


def _both_inside(before: _Row, after: _Row, subtree: set[int]) -> bool:
    return before.area_id in subtree and after.area_id in subtree


def _within(day: dt.date | None, start: dt.date, end: dt.date) -> bool:
    return day is not None and start < day <= end


def _denominator_reason(side, before, after, subtree, dates, scale_events, start, end) -> str:
    """Why a unit entered or left the population counted in the subtree: it is new or gone from the register,
    it moved across the subtree's border, or its 规上 status changed; ``other`` when no dated record says so."""
    established, deregistered = dates
    if side == ENTERED:
        if before is None:  # no row anywhere at the opening: not operating then
            return Reason.NEW if _within(established, start, end) else Reason.OTHER
        if before.area_id not in subtree:
            return Reason.MOVED_IN
        if before.category == after.category and not before.above_scale and after.above_scale:
            return (
                Reason.ABOVE_SCALE if any(_within(s, start, end) for s, _e in scale_events) else Reason.OTHER
            )
        return Reason.OTHER  # e.g. the category was corrected
    if after is None:  # no row anywhere at the closing: no longer operating
        return Reason.DEREGISTERED if _within(deregistered, start, end) else Reason.OTHER
    if after.area_id not in subtree:
        return Reason.MOVED_OUT
    if before.category == after.category and before.above_scale and not after.above_scale:
        return Reason.BELOW_SCALE if any(_within(e, start, end) for _s, e in scale_events) else Reason.OTHER
    return Reason.OTHER


def _numerator_reason(side, before, after, links, assignments, states, start, end) -> str:
    """Why a unit counted at both ends entered or left the numerator (or an effective indicator's denominator):
    the organisation or link that gives its new state (entered) or gave its old one (left), the instructor
    assignment when that state is 工作覆盖, or, in the same state, the conditions of 有效覆盖."""
    if before.state == after.state and before.effective != after.effective:
        return Reason.EFFECTIVE_MET if after.effective else Reason.EFFECTIVE_LOST
    if side == ENTERED:
        state, on = after.state, end
    else:
        state, on = before.state, start
    if state in ORG_STATES:
        # The links of an organisation whose setup counts here that held at the end the state is read at.
        held = [
            link
            for link in links
            if link[4] in states and holds_on(on, link[0], link[1]) and holds_on(on, link[2], link[3])
        ]
        if side == ENTERED:
            if any(_within(founded, start, end) for _s, _e, founded, _d, _setup in held):
                return Reason.ORG_FOUNDED
            if any(_within(s, start, end) for s, _e, _f, _d, _setup in held):
                return Reason.LINK_CHANGED
        else:
            if any(_within(dissolved, start, end) for _s, _e, _f, dissolved, _setup in held):
                return Reason.ORG_DISSOLVED
            if any(_within(e, start, end) for _s, e, _f, _d, _setup in held):
                return Reason.LINK_CHANGED
    elif state == CoverageState.WORK:
        held = [(s, e) for s, e in assignments if holds_on(on, s, e)]
        if side == ENTERED and any(_within(s, start, end) for s, _e in held):
            return Reason.INSTRUCTOR_ASSIGNED
        if side == LEFT and any(_within(e, start, end) for _s, e in held):
            return Reason.INSTRUCTOR_ENDED
    return Reason.OTHER


def _above_scale_events(ids: list[int], start: dt.date, end: dt.date) -> dict[int, list[tuple]]:
    """Unit → its 规上 periods beginning or ending in the window, as (start, end)."""
    out: dict[int, list[tuple]] = defaultdict(list)
    if ids:
        for pk, s, e in AboveScalePeriod.objects.filter(
            window_q(start, end), enterprise_id__in=ids
        ).values_list("enterprise_id", "start", "end"):
            out[pk].append((s, e))
    return out


def _links(ids: list[int], start: dt.date, end: dt.date) -> dict[int, list[tuple]]:
    """Unit → its organisation links with an event in the window, as (start, end, founded_on, dissolved_on,
    setup)."""
    out: dict[int, list[tuple]] = defaultdict(list)
    if ids:
        rows = OrganizationLink.objects.filter(link_window_q(start, end), enterprise_id__in=ids).values_list(
            "enterprise_id",
            "start",
            "end",
            "organization__founded_on",
            "organization__dissolved_on",
            "organization__setup",
        )
        for pk, *link in rows:
            out[pk].append(tuple(link))
    return out


def _assignments(ids: list[int], start: dt.date, end: dt.date) -> dict[int, list[tuple]]:
    """Unit → its instructor assignments beginning or ending in the window, as (start, end)."""
    out: dict[int, list[tuple]] = defaultdict(list)
    if ids:
        for pk, s, e in InstructorAssignment.objects.filter(
            window_q(start, end), enterprise_id__in=ids
        ).values_list("enterprise_id", "start", "end"):
            out[pk].append((s, e))
    return out
