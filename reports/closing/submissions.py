"""Quarterly submissions (季度报送): each park verifies its ledger and submits it, the district approves or returns.

A submission is pending until its first step; its row is made then. While a park's quarter is submitted or
approved, registry.closing refuses every write reaching into it (a ``ClosedQuarter`` row kept here, in the same
transaction as the step). What the park submitted — its figures, the report page and workbook — is kept on the
row exactly as submitted.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.access import Access, access_for
from registry.choices import Role
from registry.models import Area, ClosedQuarter
from registry.numbers import percent
from registry.periods import Quarter

from ..choices import SubmissionAction, SubmissionStatus
from ..engine.figures import FigureNotFound, figures_changed, stored_figure
from ..engine.recompute import first_period, recompute
from ..models import Indicator, Submission, SubmissionEvent
from ..quarterly.report import build_quarterly_report, quarterly_filename, render_quarterly_document
from ..quarterly.workbook import write_quarterly_workbook

Status = SubmissionStatus
Action = SubmissionAction

# Which step each status allows, and where it leads.
STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    Action.SUBMIT: ((Status.PENDING, Status.RETURNED), Status.SUBMITTED),
    Action.APPROVE: ((Status.SUBMITTED,), Status.APPROVED),
    Action.RETURN: ((Status.SUBMITTED,), Status.RETURNED),
    Action.REOPEN: ((Status.APPROVED,), Status.RETURNED),
}
CLOSED = (Status.SUBMITTED, Status.APPROVED)


class StepNotAllowed(Exception):
    """The submission's status does not allow this step (approving a pending one…): 409 in the API."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- who reports, and by when -----------------------------------------------------------------------------------


def reporting_areas():
    """The areas that submit (the parks): ``SUBMISSION_AREAS`` (codes) when set, else every area directly under a
    top-level area (the district)."""
    codes = getattr(settings, "SUBMISSION_AREAS", None)
    if codes:
        return Area.objects.filter(code__in=codes).order_by("path")
    return Area.objects.filter(parent__isnull=False, parent__parent__isnull=True).order_by("path")


def is_reporting_area(area: Area) -> bool:
    return reporting_areas().filter(pk=area.pk).exists()


def due_on(period: Quarter) -> dt.date:
    """When a quarter's submission is due: ``SUBMISSION_DUE_DAYS`` (default 10) days after the quarter ends."""
    return period.last_day + dt.timedelta(days=getattr(settings, "SUBMISSION_DUE_DAYS", 10))


def is_overdue(submission: Submission, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return submission.status in (Status.PENDING, Status.RETURNED) and today > submission.due_on


def sees(access: Access, area: Area) -> bool:
    """A submission is visible to whoever sees its park, and to the park's own users below it."""
    return access.covers(area) or (access.area is not None and access.area.path.startswith(area.path))


def visible_reporting_areas(access: Access, within: Area | None = None) -> list[Area]:
    areas = reporting_areas()
    if within is not None:
        areas = areas.filter(path__startswith=within.path)
    return [a for a in areas if sees(access, a)]


def submissions_for(period: Quarter, areas: list[Area]) -> list[Submission]:
    """The submission of each area for ``period``, in area order: stored rows, and unsaved pending ones for areas
    that have taken no step yet. One query."""
    stored = {
        s.area_id: s
        for s in Submission.objects.filter(period=period, area__in=areas).select_related(
            "submitted_by", "reviewed_by"
        )
    }
    out = []
    for area in areas:
        submission = stored.get(area.pk) or Submission(
            area=area, period=period, status=Status.PENDING, due_on=due_on(period)
        )
        submission.area = area
        out.append(submission)
    return out


def check_period(period: Quarter) -> None:
    if period < first_period():
        raise ValidationError({"period": _("%(p)s 早于台账统计的第一个季度。") % {"p": period}})


@dataclass(frozen=True)
class Summary:
    total: int
    pending: int
    submitted: int
    returned: int
    approved: int
    overdue: int

    @property
    def percent(self):
        return percent(self.approved, self.total, 1)


def summarize(submissions: list[Submission], today: dt.date | None = None) -> Summary:
    counts = {s: 0 for s in Status.values}
    for submission in submissions:
        counts[submission.status] += 1
    return Summary(
        total=len(submissions),
        overdue=sum(1 for s in submissions if is_overdue(s, today)),
        **counts,
    )


# --- who may take which step ------------------------------------------------------------------------------------


def may_take(access: Access, area: Area, action: str) -> bool:
    """Submitting is the park's one write (its park users and its own staff); reviewing is the district's (staff
    above the park, administrators); reopening an approved quarter is for administrators only."""
    if access.is_admin:
        return True
    inside = access.area is not None and access.area.path.startswith(area.path)
    if action == Action.SUBMIT:
        return access.role in (Role.PARK, Role.STAFF) and inside
    if action in (Action.APPROVE, Action.RETURN):
        return access.role == Role.STAFF and access.covers(area) and not inside
    return False


def allowed_actions(access: Access, submission: Submission) -> list[str]:
    """The steps this user may take on the submission now (the buttons a page shows)."""
    return [
        action
        for action, (sources, _target) in STEPS.items()
        if submission.status in sources and may_take(access, submission.area, action)
    ]


# --- the steps --------------------------------------------------------------------------------------------------

REFUSALS = {
    Action.SUBMIT: _("只有本园区的用户可以报送本园区的数据。"),
    Action.APPROVE: _("只有区委组织部的工作人员可以审核报送。"),
    Action.RETURN: _("只有区委组织部的工作人员可以退回报送。"),
    Action.REOPEN: _("只有系统管理员可以重新打开已审核通过的季度。"),
}


def take_step(*, area: Area, period: Quarter, action: str, user, note: str = "") -> Submission:
    """Take ``action`` on ``area``'s submission for ``period`` as ``user``; every step is logged and audited.

    Raises PermissionDenied for a user who may not take it, ValidationError for bad input (a return or reopen
    without a reason, a quarter not yet ended) and StepNotAllowed when the status does not allow it."""
    access = access_for(user)
    if not may_take(access, area, action):
        raise PermissionDenied(REFUSALS[action])
    note = (note or "").strip()
    if action in (Action.RETURN, Action.REOPEN) and not note:
        raise ValidationError({"note": _("退回或重新打开必须填写原因。")})
    check_period(period)
    if action == Action.SUBMIT and period >= Quarter.current():
        raise ValidationError({"period": _("%(p)s 尚未结束，季度结束后才能报送。") % {"p": period}})
    with transaction.atomic():
        submission, _created = Submission.objects.select_for_update().get_or_create(
            area=area, period=period, defaults={"due_on": due_on(period)}
        )
        sources, target = STEPS[action]
        if submission.status not in sources:
            raise StepNotAllowed(
                _("%(area)s %(period)s 的报送状态是“%(status)s”，不能%(action)s。")
                % {
                    "area": area.name,
                    "period": period,
                    "status": submission.get_status_display(),
                    "action": Action(action).label,
                }
            )
        now = timezone.now()
        if action == Action.SUBMIT:
            submission.submitted_at, submission.submitted_by = now, user
            submission.reviewed_at = submission.reviewed_by = None
            submission.verified = True
            _keep_as_submitted(submission)
        else:
            submission.reviewed_at, submission.reviewed_by = now, user
        SubmissionEvent.objects.create(
            submission=submission,
            action=action,
            from_status=submission.status,
            to_status=target,
            note=note,
            user=user,
        )
        submission.status, submission.note = target, note
        submission.save()  # logged by django-auditlog
        _sync_closed(submission)
    return submission


def _sync_closed(submission: Submission) -> None:
    """Keep registry's closed-quarter row in step: writes reaching into a submitted or approved quarter stop."""
    if submission.status in CLOSED:
        ClosedQuarter.objects.update_or_create(
            area=submission.area, period=submission.period, defaults={"status": submission.status}
        )
    else:
        ClosedQuarter.objects.filter(area=submission.area, period=submission.period).delete()
    figures_changed()  # the status is part of what pages show beside the figures


def _keep_as_submitted(submission: Submission) -> None:
    """Bring the park's figures up to date, then keep them, the report page and the workbook as they are now."""
    area, period = submission.area, submission.period
    recompute(periods=[period], area_ids=set(area.subtree_ids()))
    submission.figures = submitted_figures(area, period)
    report = build_quarterly_report(area, period)
    submission.report_html = render_quarterly_document(report)
    buffer = io.BytesIO()
    write_quarterly_workbook(report, buffer)
    if submission.report_file:
        submission.report_file.delete(save=False)
    submission.report_file.save(
        quarterly_filename(report, "xlsx"), ContentFile(buffer.getvalue()), save=False
    )


def submitted_figures(area: Area, period: Quarter) -> dict:
    """Every indicator's stored figure of the quarter, as kept with a submission."""
    out = {}
    for indicator in Indicator.objects.valid_on(period.last_day).order_by("position", "pk"):
        try:
            figure = stored_figure(area, period, indicator)
        except FigureNotFound:
            continue
        out[indicator.code] = {
            "name": indicator.name,
            "numerator": figure.numerator,
            "denominator": figure.denominator,
            "percent": None if figure.percent is None else str(figure.percent),
        }
    return out


def history(submission: Submission):
    if submission.pk is None:
        return SubmissionEvent.objects.none()
    return submission.events.select_related("user")
