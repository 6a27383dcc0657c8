"""发展党员 figures: the year's plan against admissions, the pipeline by stage, and areas behind their plan.

One function per figure, shared by the API (``development/``), the dashboard, the quarterly report and the work
queue. Applicants are counted where the organisation training them is; a plan counts the admissions of its area's
whole subtree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from members.choices import Stage
from members.models import Applicant, DevelopmentPlan, stage_on_q
from members.pipeline import trained_since  # the one rule for "trained a year or more"
from registry.models import Area
from registry.numbers import percent
from registry.periods import Quarter

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
        """The report's sentence: "本年度计划发展党员 N 名，已发展 M 名，完成 P%。" (the year is the report's)."""
        if self.planned is None:
            return _("本年度未下达发展党员指导性计划，已发展党员 %(m)s 名。") % {"m": self.admitted}
        if not self.planned:  # a plan of 0: nothing to complete, no percentage
            return _("本年度计划发展党员 0 名，已发展 %(m)s 名。") % {"m": self.admitted}
        return _("本年度计划发展党员 %(n)s 名，已发展 %(m)s 名，完成 %(p)s%%。") % {
            "n": self.planned,
            "m": self.admitted,
            "p": self.percent,
        }

    @property
    def stage_sentence(self) -> str:
        """People in the pipeline on ``as_of``: "截至…，有入党申请人 a 名、入党积极分子 b 名、发展对象 c 名。"."""
        return _("截至%(d)s，有入党申请人 %(a)s 名、入党积极分子 %(b)s 名、发展对象 %(c)s 名。") % {
            "d": f"{self.as_of.year}年{self.as_of.month}月{self.as_of.day}日",
            "a": self.applicants,
            "b": self.activists,
            "c": self.candidates,
        }


def development_figures(area: Area, year: int, today: dt.date | None = None) -> DevelopmentFigures:
    """The area's subtree in ``year``: plan, admissions dated in the year up to the day counted (``year_as_of``:
    a quarter's report does not grow when later admissions are entered), people at each stage (two queries)."""
    on = year_as_of(year, today)
    plans = DevelopmentPlan.objects.filter(area__path__startswith=area.path, year=year).aggregate(
        n=Count("pk"), planned=Sum("planned")
    )
    counts = Applicant.objects.in_area(area).aggregate(
        admitted=Count("pk", filter=Q(admitted_on__year=year, admitted_on__lte=on)),
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


def quarter_development(area: Area, period: Quarter) -> DevelopmentFigures:
    """The figures of ``period``'s year as at the quarter's end (or today, while the quarter runs): the dashboard's
    and the quarterly report's 发展党员 figures."""
    return development_figures(area, period.year, today=min(period.last_day, timezone.localdate()))


def _admitted_in_subtree(year: int) -> Subquery:
    """A correlated count of admissions dated in ``year`` in the outer area's subtree (where the training
    organisation is)."""
    counted = (
        Applicant.objects.filter(
            organization__area__path__startswith=OuterRef("path"), admitted_on__year=year
        )
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        .values("n")
    )
    return Subquery(counted, output_field=IntegerField())


def plan_rows(area: Area, on: dt.date) -> QuerySet:
    """Areas of the subtree with a plan for the last complete year before ``on``'s year, each carrying
    ``year_before``/``planned_before``/``admitted_before`` (two years back) and the same ``…_last`` (last year):
    the rows the work queue's "behind plan" rule filters (:data:`BEHIND_PLAN_TWO_YEARS`). ``planned_before`` is
    None when the area had no plan that year."""
    annotations = {}
    for label, year in (("before", on.year - 2), ("last", on.year - 1)):
        plan = DevelopmentPlan.objects.filter(area=OuterRef("pk"), year=year).values("planned")[:1]
        annotations |= {
            f"year_{label}": Value(year, output_field=IntegerField()),
            f"planned_{label}": Subquery(plan, output_field=IntegerField()),
            f"admitted_{label}": _admitted_in_subtree(year),
        }
    return (
        Area.objects.filter(path__startswith=area.path, development_plans__year=on.year - 1)
        .annotate(**annotations)
        .order_by("path")
    )


# Missed the plan (fewer admitted than planned; no plan: nothing missed) in each of the two years.
BEHIND_PLAN_TWO_YEARS = Q(planned_before__gt=F("admitted_before")) & Q(planned_last__gt=F("admitted_last"))


def behind_plan_two_years(area: Area, on: dt.date) -> dict[int, dict[int, tuple[int, int]]]:
    """Areas in the subtree that missed their plan in each of the last two complete years before ``on``'s year
    ("连续两年未完成发展党员指导性计划"): area id → year → (planned, admitted). The work queue lists the same rows."""
    return {
        row.pk: {
            row.year_before: (row.planned_before, row.admitted_before),
            row.year_last: (row.planned_last, row.admitted_last),
        }
        for row in plan_rows(area, on).filter(BEHIND_PLAN_TWO_YEARS)
    }


def ready_for_candidacy_q(on: dt.date, prefix: str = "") -> Q:
    """入党积极分子 on ``on`` trained for a year or more: the work queue's condition over applicant rows."""
    return stage_on_q(Stage.ACTIVIST, on, prefix) & Q(**{f"{prefix}activist_on__lte": trained_since(on)})


def activists_ready(area: Area, on: dt.date):
    """入党积极分子 trained for a year or more on ``on``: ready to be considered as 发展对象."""
    return Applicant.objects.in_area(area).filter(ready_for_candidacy_q(on))
