"""指导员年度考核 (issue 15): each instructor of an area scored for a year by the scheme valid that year.

The scheme is data (EvaluationScheme with its EvaluationItems, versioned by ``valid_from`` / ``valid_to``; the
default 《党建指导员考核细则》 comes from migration 0011). An item is either entered by staff (:func:`enter_points`)
or computed from the records by the rule it names (:data:`RULES`):

``quarterly_visits``  at least one visit per assigned firm per quarter. A firm-quarter is owed when one of the
    instructor's assignments to the firm covers any day of the quarter up to the end of the evaluation (31 December,
    or today for the current year; quarters starting later are not owed yet); it is met by a visit of the instructor
    to the firm dated in that quarter. Points = max × met / owed.
``requests_closed_30d``  the share of the requests the instructor handled, received in the year, closed within 30
    days of receipt (closed on day 30 counts, day 31 does not). A request still open within its 30 days is not
    counted yet. Points = max × on time / counted.
``firm_organized``  a firm assigned to the instructor gained a party organisation during the year (an organisation
    link starting that year, up to the end of the evaluation, when the firm had none the day before), the
    instructor being assigned to it that day or until that day: full points if at least one, else 0.
``tasks_on_time``  the share of the tasks due in the year (members.duties) done on or before their due date. A
    task not done and not yet due is not counted yet.

A share with nothing owed (no firm assigned, no request, no task) scores full points: nothing was missed. Points
are rounded half-up to one decimal (registry.numbers.rounded, Decimal); the score is the sum of the rounded points
(so it has one decimal too) and maps to a grade by the scheme's thresholds (优秀 ≥ 90, 称职 ≥ 75, 基本称职 ≥ 60,
else 不称职; members.choices.Grade). Entered points are whole numbers from 0 to the item's maximum; an item with
nothing entered scores 0.

Who is evaluated (:func:`instructors_of`): every instructor serving on some day of the year (not 离任 before
1 January) who is based in the area's subtree or was assigned during the year to a firm in it. An instructor is
scored on all its work (firms outside the area included), as it is one person's year.

:func:`evaluate` reads a fixed number of queries (nine) however many instructors there are.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from orgs.models import OrganizationLink
from registry.models import Area, Enterprise
from registry.numbers import rounded
from registry.periods import Quarter
from registry.querysets import pinyin_order
from registry.services import apply_fields, save_changed, save_new

from .choices import EvaluationSource, Grade
from .duties import recipient_rows, serving_q
from .models import (
    EnterpriseRequest,
    EvaluationEntry,
    EvaluationItem,
    EvaluationScheme,
    Instructor,
    InstructorAssignment,
    InstructorVisit,
)

ONE_DECIMAL = Decimal("0.1")
REQUEST_DAYS = 30  # a request closed within this many days of its receipt is on time
EARLIEST_YEAR, LATEST_YEAR = 1900, 9999

# What an item's evidence lists (the records behind its points).
VISIT, REQUEST, ENTERPRISE, TASK, ENTRY = "visit", "request", "enterprise", "task", "entry"


@dataclass(frozen=True)
class ItemScore:
    """One item of one instructor's evaluation. ``numerator`` / ``denominator``: what a share was computed from
    (None for the organised item and entered items); ``evidence``: ids of the ``evidence_kind`` records behind it
    (visits, requests, firms, tasks, or the entry)."""

    item_id: int
    code: str
    title: str
    source: str
    points: Decimal
    max_points: int
    evidence_kind: str
    evidence: tuple[int, ...] = ()
    numerator: int | None = None
    denominator: int | None = None

    @property
    def evidence_count(self) -> int:
        return len(self.evidence)


@dataclass(frozen=True)
class Evaluation:
    """One instructor's year: the score (Decimal, one decimal), its grade (a :class:`Grade` value) and each item."""

    instructor: Instructor
    year: int
    score: Decimal
    grade: str
    items: tuple[ItemScore, ...]

    @property
    def grade_label(self) -> str:
        return str(Grade(self.grade).label)

    def item(self, code: str) -> ItemScore | None:
        return next((i for i in self.items if i.code == code), None)


# --- the year and its scheme -------------------------------------------------------------------------------------


def year_error(message: str) -> ValidationError:
    return ValidationError({"year": [message]})


def parse_year(text, *, today: dt.date | None = None) -> int:
    """A year from a query string: this year when empty; a ValidationError on ``year`` (a 400) otherwise when it
    is not a whole year or lies ahead."""
    today = today or timezone.localdate()
    if text is None or str(text).strip() == "":
        return today.year
    text = str(text).strip()
    if not text.isdigit() or not EARLIEST_YEAR <= int(text) <= LATEST_YEAR:
        raise year_error(_("年度应为四位数的年份，收到“%(text)s”。") % {"text": text[:20]})
    year = int(text)
    if year > today.year:
        raise year_error(_("%(year)s 年度尚未开始，不能考核。") % {"year": year})
    return year


def scheme_for(year: int) -> EvaluationScheme:
    """The scheme valid for ``year``, with its items in order (``scheme.items.all()``); a ValidationError on
    ``year`` when no scheme covers it."""
    scheme = (
        EvaluationScheme.objects.filter(valid_from__lte=year)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=year))
        .order_by("-valid_from", "-pk")
        .prefetch_related(Prefetch("items", queryset=EvaluationItem.objects.order_by("position", "pk")))
        .first()
    )
    if scheme is None:
        raise year_error(_("%(year)s 年度没有适用的指导员考核细则。") % {"year": year})
    return scheme


def period_end(year: int, today: dt.date) -> dt.date:
    """The last day the evaluation of ``year`` looks at: 31 December, or today for the current year."""
    return min(dt.date(year, 12, 31), today)


def grade_for(score: Decimal, scheme: EvaluationScheme) -> str:
    if score >= scheme.excellent_from:
        return Grade.EXCELLENT
    if score >= scheme.competent_from:
        return Grade.COMPETENT
    if score >= scheme.basic_from:
        return Grade.BASIC
    return Grade.INCOMPETENT


def share_points(max_points: int, numerator: int, denominator: int) -> Decimal:
    """``max_points × numerator / denominator`` half-up to 0.1; full points when nothing was owed."""
    if not denominator:
        return Decimal(max_points).quantize(ONE_DECIMAL)
    return rounded(max_points * numerator, denominator, 1)


# --- who is evaluated --------------------------------------------------------------------------------------------


def instructors_of(area: Area, year: int, *, today: dt.date | None = None) -> QuerySet[Instructor]:
    """The instructors evaluated in ``area`` for ``year`` (see the module's docstring)."""
    today = today or timezone.localdate()
    first, end = dt.date(year, 1, 1), period_end(year, today)
    assigned = InstructorAssignment.objects.filter(
        instructor=OuterRef("pk"), enterprise__area__path__startswith=area.path, start__lte=end
    ).filter(Q(end__isnull=True) | Q(end__gt=first))
    return Instructor.objects.filter(serving_q(first)).filter(
        Q(area__path__startswith=area.path) | Exists(assigned)
    )


# --- the records a year is scored from --------------------------------------------------------------------------


@dataclass
class Facts:
    """Everything the rules read, per instructor id, loaded in one query per kind of record."""

    year: int
    end: dt.date
    today: dt.date
    assignments: dict[int, list[tuple[int, dt.date, dt.date | None]]] = field(default_factory=dict)
    visits: dict[int, list[tuple[int, int, dt.date]]] = field(default_factory=dict)
    requests: dict[int, list[tuple[int, dt.date, dt.date | None]]] = field(default_factory=dict)
    gains: dict[int, list[dt.date]] = field(default_factory=dict)  # firm id → days it gained an organisation
    tasks: dict[int, list[tuple[int, dt.date, dt.date | None]]] = field(default_factory=dict)
    entries: dict[tuple[int, int], tuple[int, int]] = field(
        default_factory=dict
    )  # (instructor, item) → pk, points

    @classmethod
    def load(cls, ids: QuerySet, *, year: int, scheme: EvaluationScheme, today: dt.date) -> Facts:
        """``ids``: a ``values("pk")`` queryset of the instructors (a subquery: no list of ids is sent)."""
        first, end = dt.date(year, 1, 1), period_end(year, today)
        facts = cls(year=year, end=end, today=today)
        # Ending on 1 January (held until that day) still counts for a firm organised that day.
        assignments = InstructorAssignment.objects.filter(instructor_id__in=ids, start__lte=end).filter(
            Q(end__isnull=True) | Q(end__gte=first)
        )
        for instructor_id, firm, start, stop in assignments.values_list(
            "instructor_id", "enterprise_id", "start", "end"
        ):
            facts.assignments.setdefault(instructor_id, []).append((firm, start, stop))
        visits = InstructorVisit.objects.filter(
            instructor_id__in=ids, visited_on__gte=first, visited_on__lte=end
        )
        for pk, instructor_id, firm, on in visits.values_list(
            "pk", "instructor_id", "enterprise_id", "visited_on"
        ):
            facts.visits.setdefault(instructor_id, []).append((pk, firm, on))
        requests = EnterpriseRequest.objects.filter(
            instructor_id__in=ids, received_on__gte=first, received_on__lte=end
        )
        for pk, instructor_id, received, closed in requests.values_list(
            "pk", "instructor_id", "received_on", "closed_on"
        ):
            facts.requests.setdefault(instructor_id, []).append((pk, received, closed))
        # Every link of the assigned firms that got a link in the year: enough to tell a firm's first organisation
        # from a change of organisation (a link starting the day another one of the firm ends).
        started = OrganizationLink.objects.filter(
            enterprise_id__in=assignments.values("enterprise_id"), start__gte=first, start__lte=end
        )
        links: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
        for firm, start, stop in (
            OrganizationLink.objects.filter(enterprise_id__in=started.values("enterprise_id"))
            .order_by()
            .values_list("enterprise_id", "start", "end")
        ):
            links[firm].append((start, stop))
        for firm, rows in links.items():
            for start, _stop in rows:
                before = start - dt.timedelta(days=1)
                if first <= start <= end and not any(
                    s <= before and (e is None or before < e) for s, e in rows
                ):
                    facts.gains.setdefault(firm, []).append(start)
        tasks = (
            recipient_rows()
            .filter(instructor_id__in=ids, task__due_on__gte=first, task__due_on__lte=dt.date(year, 12, 31))
            .order_by()
        )
        for task_id, instructor_id, due, done in tasks.values_list(
            "task_id", "instructor_id", "task__due_on", "done_on"
        ):
            facts.tasks.setdefault(instructor_id, []).append((task_id, due, done))
        entries = EvaluationEntry.objects.filter(instructor_id__in=ids, year=year, item__scheme=scheme)
        for pk, instructor_id, item_id, points in entries.values_list(
            "pk", "instructor_id", "item_id", "points"
        ):
            facts.entries[(instructor_id, item_id)] = (pk, points)
        return facts

    def quarters(self) -> list[tuple[Quarter, dt.date, dt.date]]:
        """The quarters of the year owed so far, each with its first day and its last day up to the end."""
        out = []
        for number in range(1, 5):
            quarter = Quarter(self.year, number)
            if quarter.first_day <= self.end:
                out.append((quarter, quarter.first_day, min(quarter.last_day, self.end)))
        return out


# --- the rules ----------------------------------------------------------------------------------------------------


Rule = Callable[[EvaluationItem, int, Facts], ItemScore]


def _score(item: EvaluationItem, kind: str, points: Decimal, evidence: Iterable[int], **extra) -> ItemScore:
    return ItemScore(
        item_id=item.pk,
        code=item.code,
        title=item.title,
        source=item.source,
        points=points,
        max_points=item.max_points,
        evidence_kind=kind,
        evidence=tuple(sorted(evidence)),
        **extra,
    )


def quarterly_visits(item: EvaluationItem, instructor_id: int, facts: Facts) -> ItemScore:
    owed: set[tuple[int, Quarter]] = set()
    for firm, start, stop in facts.assignments.get(instructor_id, ()):
        for quarter, first, last in facts.quarters():
            if start <= last and (stop is None or stop > first):
                owed.add((firm, quarter))
    met: set[tuple[int, Quarter]] = set()
    evidence = []
    for pk, firm, on in facts.visits.get(instructor_id, ()):
        key = (firm, Quarter.containing(on))
        if key in owed:
            met.add(key)
            evidence.append(pk)
    points = share_points(item.max_points, len(met), len(owed))
    return _score(item, VISIT, points, evidence, numerator=len(met), denominator=len(owed))


def requests_closed_30d(item: EvaluationItem, instructor_id: int, facts: Facts) -> ItemScore:
    window = dt.timedelta(days=REQUEST_DAYS)
    counted, on_time = [], 0
    for pk, received, closed in facts.requests.get(instructor_id, ()):
        if closed is None and received + window >= facts.today:
            continue  # still within its 30 days
        counted.append(pk)
        if closed is not None and closed <= received + window:
            on_time += 1
    points = share_points(item.max_points, on_time, len(counted))
    return _score(item, REQUEST, points, counted, numerator=on_time, denominator=len(counted))


def firm_organized(item: EvaluationItem, instructor_id: int, facts: Facts) -> ItemScore:
    firms = {
        firm
        for firm, start, stop in facts.assignments.get(instructor_id, ())
        for day in facts.gains.get(firm, ())
        if start <= day and (stop is None or stop >= day)  # assigned that day, or until that day
    }
    points = Decimal(item.max_points if firms else 0).quantize(ONE_DECIMAL)
    return _score(item, ENTERPRISE, points, firms)


def tasks_on_time(item: EvaluationItem, instructor_id: int, facts: Facts) -> ItemScore:
    counted, on_time = [], 0
    for task_id, due, done in facts.tasks.get(instructor_id, ()):
        if done is None and due >= facts.today:
            continue  # not due yet
        counted.append(task_id)
        if done is not None and done <= due:
            on_time += 1
    points = share_points(item.max_points, on_time, len(counted))
    return _score(item, TASK, points, counted, numerator=on_time, denominator=len(counted))


RULES: dict[str, Rule] = {
    "quarterly_visits": quarterly_visits,
    "requests_closed_30d": requests_closed_30d,
    "firm_organized": firm_organized,
    "tasks_on_time": tasks_on_time,
}


def entered(item: EvaluationItem, instructor_id: int, facts: Facts) -> ItemScore:
    pk, points = facts.entries.get((instructor_id, item.pk), (None, 0))
    value = Decimal(min(points, item.max_points)).quantize(ONE_DECIMAL)
    return _score(item, ENTRY, value, [pk] if pk else [])


def score_item(item: EvaluationItem, instructor_id: int, facts: Facts) -> ItemScore:
    if item.source == EvaluationSource.ENTERED:
        return entered(item, instructor_id, facts)
    rule = RULES.get(item.rule)
    if rule is None:  # a scheme naming a rule this code does not know scores nothing rather than failing
        return _score(item, "", Decimal(0).quantize(ONE_DECIMAL), ())
    return rule(item, instructor_id, facts)


# --- the evaluation -----------------------------------------------------------------------------------------------


def evaluate(
    area: Area,
    year: int,
    *,
    today: dt.date | None = None,
    instructors: QuerySet[Instructor] | None = None,
) -> list[Evaluation]:
    """One :class:`Evaluation` per instructor of ``area`` for ``year`` (:func:`instructors_of`, or the given
    ``instructors`` queryset), ordered by name (pinyin). ValidationError on ``year`` when no scheme covers it.
    A fixed number of queries, however many instructors."""
    today = today or timezone.localdate()
    scheme = scheme_for(year)
    items = list(scheme.items.all())
    people = instructors_of(area, year, today=today) if instructors is None else instructors
    listed = list(people.select_related("area").order_by(*pinyin_order()))
    facts = Facts.load(people.values("pk"), year=year, scheme=scheme, today=today)
    out = []
    for instructor in listed:
        scores = tuple(score_item(item, instructor.pk, facts) for item in items)
        total = sum((s.points for s in scores), Decimal(0)).quantize(ONE_DECIMAL)
        out.append(
            Evaluation(
                instructor=instructor,
                year=year,
                score=total,
                grade=grade_for(total, scheme),
                items=scores,
            )
        )
    return out


def evidence_records(evaluation: Evaluation, score: ItemScore) -> QuerySet:
    """The records behind an item's points, for the drill-through page: visits, requests, firms (with the day
    each gained its organisation), tasks (with the instructor's completion day) or the entry."""
    ids = list(score.evidence)
    if score.evidence_kind == VISIT:
        return (
            InstructorVisit.objects.filter(pk__in=ids)
            .select_related("enterprise")
            .order_by("visited_on", "pk")
        )
    if score.evidence_kind == REQUEST:
        return (
            EnterpriseRequest.objects.filter(pk__in=ids)
            .select_related("enterprise")
            .order_by("received_on", "pk")
        )
    if score.evidence_kind == ENTERPRISE:
        first = dt.date(evaluation.year, 1, 1)
        return (
            Enterprise.objects.filter(pk__in=ids)
            .select_related("area")
            .annotate(
                organized_on=Min(
                    "org_links__start",
                    filter=Q(
                        org_links__start__gte=first, org_links__start__lte=dt.date(evaluation.year, 12, 31)
                    ),
                )
            )
            .order_by("name", "pk")
        )
    if score.evidence_kind == TASK:
        return (
            recipient_rows()
            .filter(instructor=evaluation.instructor, task_id__in=ids)
            .select_related("task")
            .order_by("task__due_on", "task_id")
        )
    if score.evidence_kind == ENTRY:
        return EvaluationEntry.objects.filter(pk__in=ids).select_related("item", "entered_by")
    return EvaluationEntry.objects.none()


# --- entered points -----------------------------------------------------------------------------------------------


@transaction.atomic
def enter_points(
    *,
    instructor: Instructor,
    year: int,
    item: EvaluationItem,
    points: int,
    note: str = "",
    entered_by=None,
    today: dt.date | None = None,
) -> EvaluationEntry:
    """Set the points of an entered item for an instructor and a year (one entry each; entering again replaces
    it). Refused (ValidationError keyed by field, nothing saved): a year ahead or without a scheme, an item that is
    computed or belongs to another year's scheme, points below 0 or above the item's maximum."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    scheme = None
    if year > today.year:
        errors["year"] = [_("%(year)s 年度尚未开始，不能录入考核分。") % {"year": year}]
    else:
        try:
            scheme = scheme_for(year)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if item.source != EvaluationSource.ENTERED:
        errors["item"] = [_("“%(title)s”按记录自动计算，不能录入。") % {"title": item.title}]
    elif scheme is not None and item.scheme_id != scheme.pk:
        errors["item"] = [
            _("“%(title)s”不属于 %(year)s 年度适用的《%(name)s》。")
            % {"title": item.title, "year": year, "name": scheme.name}
        ]
    if points is None or points < 0:
        errors["points"] = [_("得分不能为负数。")]
    elif points > item.max_points:
        errors["points"] = [
            _("得分不能超过该项目的分值 %(max)s 分（录入 %(points)s 分）。")
            % {"max": item.max_points, "points": points}
        ]
    if errors:
        raise ValidationError(errors)
    entry = (
        EvaluationEntry.objects.select_for_update()
        .filter(instructor=instructor, year=year, item=item)
        .first()
    )
    if entry is None:
        entry = EvaluationEntry(
            instructor=instructor, year=year, item=item, points=points, note=note, entered_by=entered_by
        )
        entry.full_clean(validate_unique=False)
        save_new(entry)
        return entry
    changed = apply_fields(entry, {"points": points, "note": note, "entered_by": entered_by})
    save_changed(entry, changed)
    return entry
