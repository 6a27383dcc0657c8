"""Reading figures: stored snapshots for quarters, live answers for any other date. Pages, API and reports share it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import caches
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from registry.generations import SharedGeneration
from registry.models import Area
from registry.numbers import percent
from registry.periods import Quarter

from ..models import Indicator, MemberSnapshot, PeriodLock, Snapshot
from .coverage import Breakdown, MemberFigures, coverage_on, members_on


class FigureNotFound(LookupError):
    """No such indicator, or no stored figure yet for that area and quarter."""


@dataclass
class Figure:
    """One indicator for one area at one date: always with its numerator and denominator."""

    area: Area
    indicator: Indicator
    as_of: dt.date
    period: Quarter | None
    numerator: int
    denominator: int
    breakdown: Breakdown
    members: MemberFigures
    computed_at: dt.datetime | None = None
    frozen: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def percent(self) -> Decimal | None:
        return percent(self.numerator, self.denominator, self.indicator.decimals)


def headline_indicator() -> Indicator:
    indicator = Indicator.objects.filter(is_headline=True).order_by("position").first()
    if indicator is None:
        raise FigureNotFound(_("没有设置首要指标。"))
    return indicator


def get_indicator(code: str | None) -> Indicator:
    if not code:
        return headline_indicator()
    try:
        return Indicator.objects.get(code=code)
    except Indicator.DoesNotExist:
        raise FigureNotFound(_("未知的指标代码“%(code)s”。") % {"code": code}) from None


def stored_figure(area: Area, period: Quarter, indicator: Indicator) -> Figure:
    """The stored snapshot of a quarter (never recomputed on read)."""
    snapshot = (
        Snapshot.objects.filter(area=area, period=period, indicator=indicator)
        .annotate(frozen=Exists(PeriodLock.objects.filter(period=OuterRef("period"))))
        .first()
    )
    if snapshot is None:
        raise FigureNotFound(
            _("%(area)s %(period)s 的“%(indicator)s”尚未计算。")
            % {"area": area.name, "period": period, "indicator": indicator.name}
        )
    member_row = MemberSnapshot.objects.filter(area=area, period=period).first()
    members = MemberFigures()
    if member_row:
        members.merge({name: getattr(member_row, name) for name in MemberSnapshot.FIGURES})
    return Figure(
        area=area,
        indicator=indicator,
        as_of=snapshot.as_of,
        period=period,
        numerator=snapshot.numerator,
        denominator=snapshot.denominator,
        breakdown=Breakdown(snapshot.single, snapshot.joint, snapshot.work, snapshot.none),
        members=members,
        computed_at=snapshot.computed_at,
        frozen=snapshot.frozen,
    )


# Cached figures are retired by a shared generation number that every recompute bumps (registry.generations): a
# recompute run elsewhere is served everywhere within a second; the process that bumps sees it at once.
GENERATION = SharedGeneration("figures-generation")


def figures_generation() -> int:
    """The current "figures generation": cached figures are stored with it, so bumping it retires them all."""
    return GENERATION.current()


def cached_figure(key: str) -> tuple[int, object | None]:
    """The current figures generation and what ``cache_figure`` stored under ``key`` for it (None if nothing, or
    if stored under an older generation)."""
    generation = figures_generation()
    entry = caches["local"].get(key)
    if entry is None or entry[0] != generation:
        return generation, None
    return generation, entry[1]


def cache_figure(key: str, generation: int, value, timeout: int) -> None:
    """Store ``value`` under ``key`` for ``generation``, the one read before the figure was read."""
    caches["local"].set(key, (generation, value), timeout)


def figures_changed() -> None:
    """Stored figures or period locks were written: retire every cached figure (now and again after commit)."""
    GENERATION.bump_now_and_after_commit()


def live_figure(area: Area, on: dt.date, indicator: Indicator) -> Figure:
    """An as-of answer for any date, computed from the records with the same engine."""
    numerator, denominator, breakdown = coverage_on(area, on)[indicator.population].fraction(indicator)
    return Figure(
        area=area,
        indicator=indicator,
        as_of=on,
        period=None,
        numerator=numerator,
        denominator=denominator,
        breakdown=breakdown,
        members=members_on(area, on),
    )


def series(area: Area, indicator: Indicator, *, last: Quarter | None = None, count: int = 12) -> list[dict]:
    """The stored figures of the quarters up to ``last``, oldest first (quarters not computed are left out)."""
    rows = Snapshot.objects.filter(area=area, indicator=indicator).order_by("period")
    if last is not None:
        rows = rows.filter(period__lte=last)
    rows = list(rows)[-count:]
    return [
        {
            "period": row.period,
            "as_of": row.as_of,
            "numerator": row.numerator,
            "denominator": row.denominator,
            "percent": percent(row.numerator, row.denominator, indicator.decimals),
        }
        for row in rows
    ]


def by_child_area(area: Area, period: Quarter, indicator: Indicator) -> list[dict]:
    """The figure for each direct child of ``area`` (coverage by sub-area)."""
    rows = (
        Snapshot.objects.filter(period=period, indicator=indicator, area__parent=area)
        .select_related("area")
        .order_by("area__path")
    )
    return [
        {
            "area": row.area,
            "numerator": row.numerator,
            "denominator": row.denominator,
            "percent": percent(row.numerator, row.denominator, indicator.decimals),
            "breakdown": Breakdown(row.single, row.joint, row.work, row.none),
        }
        for row in rows
    ]


def indicators_for(population: str | None = None):
    qs = Indicator.objects.all()
    return qs.filter(Q(population=population)) if population else qs
