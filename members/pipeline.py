"""发展党员 work: where each applicant stands on a day and what is due next, for the pages (applicant list and
detail, the pipeline of an organisation or an area) and the plan against admissions of an area and a year.

What is due is decided here once, as a Python function for rows in memory (:func:`due_next`) and as a Q for
queries (:func:`due_q`); both read the same cut-off dates (:class:`Cutoffs`), so a page's badge and a count agree.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _g

from registry.dating import add_years
from registry.models import Area
from registry.numbers import percent

from .choices import STAGE_DATE, STAGE_ORDER, Stage
from .models import Applicant, DevelopmentPlan, stage_on_q
from .rules import CANDIDATE_AFTER_YEARS

# 入党申请人 not chosen as 入党积极分子 within half a year: the branch should talk to them and decide.
APPLICANT_STALE_MONTHS = 6
# 发展对象 not admitted this long after being chosen: the file is stuck (review, training or 公示 not done).
PIPELINE_STALE_MONTHS = 6

# The stages a person is "in the pipeline" at, in order (admitted and withdrawn are done).
PIPELINE = (Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier; a day the month lacks becomes its last day."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def full_months(since: dt.date, on: dt.date) -> int:
    """Whole calendar months from ``since`` to ``on`` (0 when ``on`` is earlier)."""
    months = (on.year - since.year) * 12 + on.month - since.month - (1 if on.day < since.day else 0)
    return max(months, 0)


def trained_since(on: dt.date) -> dt.date:
    """The latest 入党积极分子 date that makes someone ready for 发展对象 on ``on``: a year back, except that one
    made activist on 29 February is ready on the 28th (rules.advance_errors allows add_years(activist_on, 1))."""
    since = add_years(on, -CANDIDATE_AFTER_YEARS)
    if (on.month, on.day) == (2, 28):
        try:
            return since.replace(day=29)
        except ValueError:
            pass
    return since


@dataclass(frozen=True)
class Cutoffs:
    """On ``today``: a stage dated on or before its cut-off has something due."""

    today: dt.date
    applied_by: dt.date  # applied half a year ago or earlier
    activist_by: (
        dt.date
    )  # activist for a year or more: may be listed as 发展对象 (rules.CANDIDATE_AFTER_YEARS)
    candidate_by: dt.date  # candidate for PIPELINE_STALE_MONTHS or more without admission

    @classmethod
    def on(cls, today: dt.date) -> Cutoffs:
        return cls(
            today=today,
            applied_by=months_before(today, APPLICANT_STALE_MONTHS),
            activist_by=trained_since(today),
            candidate_by=months_before(today, PIPELINE_STALE_MONTHS),
        )


@dataclass(frozen=True)
class Due:
    """Something due for one applicant: ``kind`` (applicant_stale / activist_ready / candidate_stale) and the
    Chinese sentence a page shows."""

    kind: str
    message: str


def stage_on(applicant: Applicant, on: dt.date) -> str | None:
    """Where ``applicant`` stood on ``on`` (the Python twin of members.models.stage_on_q; withdrawn counts from
    its date); None before the application."""
    if applicant.withdrawn_on and applicant.withdrawn_on <= on:
        return Stage.WITHDRAWN
    reached = [stage for stage in STAGE_ORDER if (d := applicant.stage_date(stage)) and d <= on]
    return reached[-1] if reached else None


def next_stage(applicant: Applicant) -> str | None:
    """The stage ``applicant`` moves to next (入党积极分子, 发展对象, 预备党员); None once admitted or withdrawn."""
    current = applicant.stage
    if current in (Stage.ADMITTED, Stage.WITHDRAWN):
        return None
    return STAGE_ORDER[STAGE_ORDER.index(current) + 1]


def due_next(applicant: Applicant, today: dt.date, cutoffs: Cutoffs | None = None) -> Due | None:
    """What is due for ``applicant`` on ``today``, or None:

    - 入党申请人 who applied on or before ``today`` − APPLICANT_STALE_MONTHS: 申请已满半年，尚未确定为积极分子;
    - 入党积极分子 since ``today`` − 1 year or earlier: 积极分子已满一年，可列为发展对象;
    - 发展对象 since ``today`` − PIPELINE_STALE_MONTHS or earlier: 发展对象已 N 个月未接收.
    """
    cutoffs = cutoffs or Cutoffs.on(today)
    stage = stage_on(applicant, today)
    if stage == Stage.APPLICANT and applicant.applied_on <= cutoffs.applied_by:
        return Due("applicant_stale", _g("申请已满半年，尚未确定为积极分子"))
    if stage == Stage.ACTIVIST and applicant.activist_on <= cutoffs.activist_by:
        return Due("activist_ready", _g("积极分子已满一年，可列为发展对象"))
    if stage == Stage.CANDIDATE and applicant.candidate_on <= cutoffs.candidate_by:
        months = full_months(applicant.candidate_on, today)
        return Due("candidate_stale", _g("发展对象已 %(n)s 个月未接收") % {"n": months})
    return None


def due_q(today: dt.date, prefix: str = "") -> Q:
    """Applicants with something due on ``today`` (the query twin of :func:`due_next`)."""
    cutoffs = Cutoffs.on(today)
    return (
        (stage_on_q(Stage.APPLICANT, today, prefix) & Q(**{f"{prefix}applied_on__lte": cutoffs.applied_by}))
        | (
            stage_on_q(Stage.ACTIVIST, today, prefix)
            & Q(**{f"{prefix}activist_on__lte": cutoffs.activist_by})
        )
        | (
            stage_on_q(Stage.CANDIDATE, today, prefix)
            & Q(**{f"{prefix}candidate_on__lte": cutoffs.candidate_by})
        )
    )


def earliest_on(applicant: Applicant, stage: str) -> dt.date | None:
    """The earliest date ``applicant`` may reach ``stage`` under the rules (the form's default and hint)."""
    before = STAGE_ORDER[STAGE_ORDER.index(stage) - 1]
    previous = applicant.stage_date(before)
    if previous is None:
        return None
    if stage == Stage.CANDIDATE:
        return add_years(previous, CANDIDATE_AFTER_YEARS)
    return previous


def annotate_due(rows, today: dt.date) -> list:
    """Materialise ``rows`` (applicants) for a template, setting on each ``stage_label``, ``due`` (a :class:`Due`
    or None), ``next_stage`` and ``next_on`` (the earliest date of the next stage)."""
    cutoffs = Cutoffs.on(today)
    rows = list(rows)
    for row in rows:
        row.stage_label = Stage(row.stage).label
        row.due = due_next(row, today, cutoffs)
        row.next_stage = next_stage(row)
        row.next_on = earliest_on(row, row.next_stage) if row.next_stage else None
    return rows


@dataclass
class StageGroup:
    stage: str
    label: str
    count: int
    due_count: int
    rows: list = field(
        default_factory=list
    )  # the first ``cap``, oldest stage date first (the due ones first)

    @property
    def capped(self) -> bool:
        return self.count > len(self.rows)


def pipeline(applicants, today: dt.date, cap: int = 100) -> list[StageGroup]:
    """``applicants`` (scoped and narrowed by the caller) by stage on ``today``: counts, how many have something
    due, and the first ``cap`` of each stage with what is due. One query for the counts, one per stage."""
    counts = applicants.aggregate(
        **{stage: Count("pk", filter=stage_on_q(stage, today)) for stage in PIPELINE},
        **{f"{stage}_due": Count("pk", filter=stage_on_q(stage, today) & due_q(today)) for stage in PIPELINE},
    )
    groups = []
    for stage in PIPELINE:
        date = STAGE_DATE[stage]
        rows = (
            applicants.at_stage_on(stage, today).select_related("organization").order_by(date, "name", "pk")
        )
        groups.append(
            StageGroup(
                stage=stage,
                label=str(Stage(stage).label),
                count=counts[stage],
                due_count=counts[f"{stage}_due"],
                rows=annotate_due(rows[:cap], today) if counts[stage] else [],
            )
        )
    return groups


@dataclass(frozen=True)
class PlanFigures:
    """发展党员指导性计划 of a year against admissions dated in that year, over an area's subtree (or everything
    the user sees when ``area`` is None). ``planned`` is None when no plan was set there for the year."""

    year: int
    planned: int | None
    admitted: int

    @property
    def percent(self):
        return percent(self.admitted, self.planned) if self.planned else None


def plan_figures(*, year: int, today: dt.date, access, area: Area | None = None) -> PlanFigures:
    """The plans of ``area``'s subtree for ``year`` summed, and the admissions there dated in ``year`` up to
    ``today`` (as reports.engine.development counts them), within what ``access`` sees. Two queries."""
    plans = DevelopmentPlan.objects.restrict(access).filter(year=year)
    admitted = Applicant.objects.restrict(access).admitted_in(year).filter(admitted_on__lte=today)
    if area is not None:
        plans = plans.filter(area__path__startswith=area.path)
        admitted = admitted.in_area(area)
    totals = plans.aggregate(n=Count("pk"), planned=Sum("planned"))
    return PlanFigures(
        year=year, planned=totals["planned"] if totals["n"] else None, admitted=admitted.count()
    )
