"""Instructors' work (issue 15): visits to firms (走访/指导记录) and the firms' requests (企业诉求), and 办结率.

The rules are plain functions giving Chinese messages keyed by field; the services below are the only writers,
and pages, the API and tasks all call them. Neither record is ever deleted (both are audited by django-auditlog).

Who may write (:func:`may_record_work`): staff and administrators, for any firm in their area; an instructor's own
account (role ``instructor``), for its own instructor and the firms assigned to it today. Park committees and
readers only read. A record a user cannot see is 404 (callers look records up through ``restrict(access)``); one
it sees but may not change is 403 (:func:`check_may_change`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.access import Access
from registry.dating import count_of, holds_on
from registry.models import Area, Enterprise
from registry.numbers import percent
from registry.periods import Quarter
from registry.querysets import pinyin_order
from registry.rules import check_not_future
from registry.services import apply_fields, locked, mirror, save_changed, save_new

from .models import EnterpriseRequest, Instructor, InstructorAssignment, InstructorVisit

VISIT_FIELDS = ("instructor", "enterprise", "visited_on", "kind", "content", "problems")
REQUEST_FIELDS = ("enterprise", "instructor", "received_on", "category", "content", "closed_on", "result")

OWN_ONLY = gettext_lazy("只能登记本人的走访记录和企业诉求。")
NOT_IN_SCOPE = gettext_lazy("所选单位不存在或不在您的管辖范围内，请重新选择。")
READ_ONLY = gettext_lazy("当前账号只能查看，不能登记或修改走访记录和企业诉求。")
NO_LONGER_ASSIGNED = gettext_lazy("该单位今天已不是您的联系单位：记录仍可查看，不能再修改。")
# The model constraint's message: forms show one text whether the form or the service finds it.
CLOSED_BEFORE_RECEIVED = gettext_lazy("办结日期不能早于受理日期。")


# --- who may write ---------------------------------------------------------------------------------------------


def may_record_work(access: Access) -> bool:
    """Staff and administrators, and an instructor's own account, record visits and requests; nobody else."""
    return access.can_write or access.is_instructor


def assigned_today(access: Access, enterprise_id: int | None, *, today: dt.date | None = None) -> bool:
    """Whether the instructor of ``access`` (an instructor's account) is assigned to the firm today."""
    if not access.is_instructor or enterprise_id is None:
        return False
    today = today or timezone.localdate()
    return Enterprise.objects.assigned_to(access.instructor_id, today).filter(pk=enterprise_id).exists()


def check_may_change(access: Access, record: InstructorVisit | EnterpriseRequest) -> None:
    """PermissionDenied when ``access`` sees ``record`` but may not change it: a read-only role, or an instructor's
    account whose firm is no longer assigned to it today. Records it cannot see are the caller's 404."""
    if not may_record_work(access):
        raise PermissionDenied(str(READ_ONLY))
    if access.is_instructor:
        if record.instructor_id != access.instructor_id or not assigned_today(access, record.enterprise_id):
            raise PermissionDenied(str(NO_LONGER_ASSIGNED))
    elif not access.covers(record.enterprise.area):
        # Callers look records up in the user's area; a service handed one from elsewhere still refuses it.
        raise PermissionDenied(str(NOT_IN_SCOPE))


def check_may_record(access: Access, *, instructor: Instructor | None, enterprise: Enterprise | None) -> None:
    """The instructor and firm a write by ``access`` records: ValidationError keyed by field for values it may not
    choose (an instructor's account: another instructor, or a firm not assigned to it today; others: a firm outside
    their area). PermissionDenied for roles that may not write at all."""
    if not may_record_work(access):
        raise PermissionDenied(str(READ_ONLY))
    errors = {}
    if access.is_instructor:
        if instructor is None or instructor.pk != access.instructor_id:
            errors["instructor"] = str(OWN_ONLY)
        if enterprise is not None and not assigned_today(access, enterprise.pk):
            errors["enterprise"] = str(NOT_IN_SCOPE)
    elif enterprise is not None and not access.covers(enterprise.area):
        errors["enterprise"] = str(NOT_IN_SCOPE)
    if errors:
        raise ValidationError(errors)


def recording_instructor(access: Access, given: Instructor | None) -> Instructor | None:
    """The instructor a write by ``access`` records: an instructor's account always its own (none given: its own;
    another given: a ValidationError on ``instructor``); other roles the one given."""
    if not access.is_instructor:
        return given
    if given is not None and given.pk != access.instructor_id:
        raise ValidationError({"instructor": str(OWN_ONLY)})
    return given or Instructor.objects.get(pk=access.instructor_id)


def instructor_choices(access: Access):
    """Instructors ``access`` may pick or filter by: an instructor's account its own; others those based in their
    area or ever assigned to a firm there (an instructor of the district works in the parks)."""
    if access.is_instructor:
        return Instructor.objects.filter(pk=access.instructor_id)
    assigned_here = InstructorAssignment.objects.filter(
        instructor=OuterRef("pk"), enterprise__in=Enterprise.objects.restrict(access)
    )
    return Instructor.objects.filter(Q(access.path_q("area__path")) | Exists(assigned_here))


def enterprise_choices(access: Access):
    """Firms ``access`` may filter records by: an instructor's account those ever assigned to it (its records of a
    firm stay readable after the assignment ends); others the firms of their area."""
    if access.is_instructor:
        return Enterprise.objects.filter(
            Exists(
                InstructorAssignment.objects.filter(
                    enterprise=OuterRef("pk"), instructor_id=access.instructor_id
                )
            )
        )
    return Enterprise.objects.restrict(access)


# --- rules ------------------------------------------------------------------------------------------------------


def _span_text(start: dt.date, end: dt.date | None) -> str:
    if end is None:
        return _("%(start)s 起至今") % {"start": start.isoformat()}
    # ``end`` is exclusive (registry.dating): the last day of the assignment is the day before.
    return _("%(start)s 至 %(last)s") % {
        "start": start.isoformat(),
        "last": (end - dt.timedelta(days=1)).isoformat(),
    }


def visit_errors(
    *,
    instructor: Instructor | None,
    enterprise: Enterprise | None,
    visited_on: dt.date | None,
    today: dt.date | None = None,
) -> dict[str, str]:
    """Why a visit cannot be recorded, by field: a day after today, or a day the instructor was not assigned to the
    firm (an assignment holds on ``start <= d < end``)."""
    errors: dict[str, str] = {}
    if not isinstance(visited_on, dt.date):
        return errors  # missing: the model's own check says so
    try:
        check_not_future(visited_on, today=today)
    except ValidationError as exc:
        errors["visited_on"] = exc.messages[0]
    if instructor is None or enterprise is None:
        return errors
    spans = list(
        InstructorAssignment.objects.filter(instructor=instructor, enterprise=enterprise)
        .order_by("start")
        .values_list("start", "end")
    )
    names = {"who": instructor.name, "firm": enterprise.name}
    if not spans:
        errors["enterprise"] = _("“%(who)s”没有联系过“%(firm)s”，不能登记走访。") % names
    elif "visited_on" not in errors and not any(holds_on(visited_on, start, end) for start, end in spans):
        errors["visited_on"] = _(
            "%(day)s “%(who)s”没有联系“%(firm)s”（联系期间：%(spans)s），不能登记这一天的走访。"
        ) % {**names, "day": visited_on.isoformat(), "spans": "；".join(_span_text(*s) for s in spans)}
    return errors


def request_errors(
    *,
    received_on: dt.date | None,
    closed_on: dt.date | None,
    result: str = "",
    today: dt.date | None = None,
) -> dict[str, str]:
    """Why a request cannot be saved so, by field: received or closed after today, closed before it was received,
    or closed without a result (办结 means there is one to record)."""
    errors: dict[str, str] = {}
    for name, value in (("received_on", received_on), ("closed_on", closed_on)):
        if isinstance(value, dt.date):
            try:
                check_not_future(value, today=today)
            except ValidationError as exc:
                errors[name] = exc.messages[0]
    if isinstance(received_on, dt.date) and isinstance(closed_on, dt.date) and closed_on < received_on:
        errors.setdefault("closed_on", str(CLOSED_BEFORE_RECEIVED))
    if closed_on is not None and not (result or "").strip():
        errors["result"] = _("办结时请填写办理结果。")
    return errors


def _validate(instance, rule_errors: dict[str, str]) -> None:
    """The model's checks and the rules' together, one ValidationError keyed by field; a table constraint that
    repeats a rule's error (办结日期 before 受理日期) is not checked twice."""
    errors: dict[str, list[str]] = {name: [message] for name, message in rule_errors.items()}
    try:
        instance.full_clean(validate_constraints=not errors)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))
    if errors:
        raise ValidationError(errors)


def _check_fields(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")


# --- visits -----------------------------------------------------------------------------------------------------


@transaction.atomic
def create_visit(
    *,
    instructor: Instructor,
    enterprise: Enterprise,
    visited_on: dt.date,
    kind: str,
    content: str,
    problems: str = "",
    access: Access | None = None,
) -> InstructorVisit:
    """Record a visit. Refused (ValidationError by field) on a day after today or a day the instructor was not
    assigned to the firm; with ``access`` (the caller's), also for an instructor or firm it may not record."""
    if access is not None:
        check_may_record(access, instructor=instructor, enterprise=enterprise)
    visit = InstructorVisit(
        instructor=instructor,
        enterprise=enterprise,
        visited_on=visited_on,
        kind=kind,
        content=content,
        problems=problems,
    )
    _validate(visit, visit_errors(instructor=instructor, enterprise=enterprise, visited_on=visited_on))
    save_new(visit)
    return visit


@transaction.atomic
def update_visit(*, visit: InstructorVisit, access: Access | None = None, **fields: Any) -> InstructorVisit:
    """Change the given fields of a visit (others stay as stored) and return it, re-read under a lock. A change of
    instructor, firm or day is checked as a new visit is; with ``access``, a record it may not change is
    PermissionDenied."""
    _check_fields(fields, VISIT_FIELDS)
    current = locked(InstructorVisit.objects.select_related("instructor", "enterprise__area"), visit.pk)
    if access is not None:
        check_may_change(access, current)
    changed = apply_fields(current, fields)
    rule_errors: dict[str, str] = {}
    if {"instructor", "enterprise", "visited_on"} & set(changed):
        if access is not None:
            check_may_record(access, instructor=current.instructor, enterprise=current.enterprise)
        rule_errors = visit_errors(
            instructor=current.instructor, enterprise=current.enterprise, visited_on=current.visited_on
        )
    _validate(current, rule_errors)
    save_changed(current, changed)
    mirror(visit, current, changed)
    return current


# --- requests ---------------------------------------------------------------------------------------------------


@transaction.atomic
def create_request(
    *,
    enterprise: Enterprise,
    received_on: dt.date,
    category: str,
    content: str,
    instructor: Instructor | None = None,
    closed_on: dt.date | None = None,
    result: str = "",
    access: Access | None = None,
) -> EnterpriseRequest:
    """Record a firm's request (received on ``received_on``; closed at once if ``closed_on`` is given). Refused by
    field when a date is after today, closed before received, or closed without a result; with ``access``, also
    for an instructor or firm it may not record."""
    if access is not None:
        check_may_record(access, instructor=instructor, enterprise=enterprise)
    request = EnterpriseRequest(
        enterprise=enterprise,
        instructor=instructor,
        received_on=received_on,
        category=category,
        content=content,
        closed_on=closed_on,
        result=result,
    )
    _validate(request, request_errors(received_on=received_on, closed_on=closed_on, result=result))
    save_new(request)
    return request


@transaction.atomic
def update_request(
    *, request: EnterpriseRequest, access: Access | None = None, **fields: Any
) -> EnterpriseRequest:
    """Change the given fields of a request and return it, re-read under a lock. Closing it (办结) is setting
    ``closed_on`` and ``result``; reopening, clearing ``closed_on``. With ``access``, a record it may not change is
    PermissionDenied."""
    _check_fields(fields, REQUEST_FIELDS)
    current = locked(EnterpriseRequest.objects.select_related("instructor", "enterprise__area"), request.pk)
    if access is not None:
        check_may_change(access, current)
    changed = apply_fields(current, fields)
    if access is not None and {"instructor", "enterprise"} & set(changed):
        check_may_record(access, instructor=current.instructor, enterprise=current.enterprise)
    _validate(
        current,
        request_errors(received_on=current.received_on, closed_on=current.closed_on, result=current.result),
    )
    save_changed(current, changed)
    mirror(request, current, changed)
    return current


def close_request(
    *, request: EnterpriseRequest, closed_on: dt.date, result: str, access: Access | None = None
) -> EnterpriseRequest:
    """办结: :func:`update_request` with ``closed_on`` and ``result``."""
    return update_request(request=request, access=access, closed_on=closed_on, result=result)


# --- reads ------------------------------------------------------------------------------------------------------


def request_closure(
    area: Area | None, period: Quarter | str, *, requests=None
) -> tuple[int, int, Decimal | None]:
    """办结率 of a quarter: ``(received, closed, percent)`` — the requests of firms in ``area``'s subtree (None: all
    of ``requests``) received in the quarter, those of them closed by its last day, and the share in percent
    (half-up, one decimal; None when none was received). ``requests`` (default all) is what the caller may see."""
    quarter = Quarter.parse(period)
    rows = EnterpriseRequest.objects.all() if requests is None else requests
    if area is not None:
        rows = rows.in_area(area)
    counts = rows.received_between(quarter.first_day, quarter.last_day).aggregate(
        received=Count("pk"), closed=Count("pk", filter=Q(closed_on__lte=quarter.last_day))
    )
    return counts["received"], counts["closed"], percent(counts["closed"], counts["received"])


def closure_area(code: str | None, access: Access) -> Area | None:
    """The area a 办结率 is asked for, by code, within the caller's subtree (anything else is 404, as an unknown
    code is); no code: None, everything the caller sees."""
    code = (code or "").strip()
    if not code:
        return None
    area = Area.objects.restrict(access).filter(code=code).first()
    if area is None:
        raise Http404(_("未知的区域代码“%(code)s”。") % {"code": code})
    return area


def firms_with_work(access: Access):
    """The firms an instructor's account is assigned to today, in pinyin order, each with ``last_visit`` (the day
    of its own latest visit there, or None) and ``open_requests`` (its own requests there not yet closed). One
    query, whatever the number of firms."""
    visits = (
        InstructorVisit.objects.restrict(access).filter(enterprise=OuterRef("pk")).order_by("-visited_on")
    )
    return (
        Enterprise.objects.restrict(access)
        .select_related("area")
        .annotate(
            last_visit=Subquery(visits.values("visited_on")[:1]),
            open_requests=count_of(EnterpriseRequest.objects.restrict(access).still_open(), "enterprise"),
        )
        .order_by(*pinyin_order())
    )
