"""发展党员 figures: the year's plan against admissions, the pipeline by stage, and areas behind their plan.

One function per figure, shared by the API (``development/``), the dashboard, the quarterly report and the work
queue. Applicants are counted where the organisation training them is; a plan counts the admissions of its area's
whole subtree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from members.choices import Stage
from members.models import Applicant, DevelopmentPlan, stage_on_q
from registry.models import Area
from registry.numbers import percent

PIPELINE = (Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE)


def year_as_of(year: int, today: dt.date | None = None) -> dt.date:
    """The day a year's stage counts are taken: its last day, or today while the year runs."""
    today = today or timezone.localdate()
    return min(dt.date(year, 12, 31), today) if year >= today.year else dt.date(year, 12, 31)


@dataclass(frozen=True)
class DevelopmentFigures:
    area: Area
    year: int
    as_of: dt.date
    planned: int | None  # None: no plan anywhere in the subtree
    admitted: int
    applicants: int
    activists: int
    candidates: int

    @property
    def percent(self) -> Decimal | None:
        return percent(self.admitted, self.planned) if self.planned else None

    @property
    def sentence(self) -> str:
        """The report's sentence: "本年度计划发展党员 N 名，已发展 M 名，完成 P%"."""
        from django.utils.translation import gettext as _

        if self.planned is None:
            return _("%(year)s年度未下达发展党员指导性计划，已发展党员 %(m)s 名。") % {
                "year": self.year,
                "m": self.admitted,
            }
        return _("%(year)s年度计划发展党员 %(n)s 名，已发展 %(m)s 名，完成 %(p)s%%。") % {
            "year": self.year,
            "n": self.planned,
            "m": self.admitted,
            "p": self.percent,
        }


def development_figures(area: Area, year: int, today: dt.date | None = None) -> DevelopmentFigures:
    """The area's subtree in ``year``: plan, admissions dated in the year, people at each stage (two queries)."""
    on = year_as_of(year, today)
    plans = DevelopmentPlan.objects.filter(area__path__startswith=area.path, year=year).aggregate(
        n=Count("pk"), planned=Sum("planned")
    )
    counts = Applicant.objects.in_area(area).aggregate(
        admitted=Count("pk", filter=Q(admitted_on__year=year)),
        **{stage: Count("pk", filter=stage_on_q(stage, on)) for stage in PIPELINE},
    )
    return DevelopmentFigures(
        area=area,
        year=year,
        as_of=on,
        planned=plans["planned"] if plans["n"] else None,
        admitted=counts["admitted"],
        applicants=counts[Stage.APPLICANT],
        activists=counts[Stage.ACTIVIST],
        candidates=counts[Stage.CANDIDATE],
    )


def plan_shortfalls(area: Area, years: list[int]) -> dict[int, dict[int, tuple[int, int]]]:
    """Area id → year → (planned, admitted) for every plan in ``area``'s subtree in ``years`` that was not met."""
    plans = list(
        DevelopmentPlan.objects.filter(area__path__startswith=area.path, year__in=years).values_list(
            "area_id", "area__path", "year", "planned"
        )
    )
    # Admissions grouped per area and year (a few rows), then summed into each planned area's subtree.
    admissions = list(
        Applicant.objects.in_area(area)
        .filter(admitted_on__year__in=years)
        .values_list("organization__area__path", "admitted_on__year")
        .annotate(n=Count("pk"))
        .order_by()
    )
    out: dict[int, dict[int, tuple[int, int]]] = {}
    for area_id, path, year, planned in plans:
        admitted = sum(n for p, y, n in admissions if y == year and p.startswith(path))
        if admitted < planned:
            out.setdefault(area_id, {})[year] = (planned, admitted)
    return out


def behind_plan_two_years(area: Area, on: dt.date) -> dict[int, dict[int, tuple[int, int]]]:
    """Areas in the subtree that missed their plan in each of the last two complete years before ``on``'s year
    ("连续两年未完成发展党员指导性计划")."""
    years = [on.year - 2, on.year - 1]
    return {
        area_id: missed
        for area_id, missed in plan_shortfalls(area, years).items()
        if all(year in missed for year in years)
    }


def activists_ready(area: Area, on: dt.date):
    """入党积极分子 trained for a year or more on ``on``: ready to be considered as 发展对象."""
    from members.rules import CANDIDATE_AFTER_YEARS
    from registry.dating import add_years

    return (
        Applicant.objects.in_area(area)
        .at_stage_on(Stage.ACTIVIST, on)
        .filter(activist_on__lte=add_years(on, -CANDIDATE_AFTER_YEARS))
    )
