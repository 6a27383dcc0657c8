"""Pages of the quarter close (季度报送): the district's list of parks for a quarter, and one park's submission with
its checklist, history and the steps its user may take. The rules are reports.closing.submissions'."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from registry.access import access_for
from registry.audit import record_event
from registry.periods import Quarter, quarters_between
from registry.validators import check_text

from .closing.submissions import (
    Action,
    StepNotAllowed,
    allowed_actions,
    check_period,
    history,
    is_overdue,
    reporting_areas,
    sees,
    submissions_for,
    summarize,
    take_step,
    visible_reporting_areas,
)
from .engine.figures import FigureNotFound
from .engine.recompute import first_period
from .params import BadParameter, last_complete_quarter, parse_period
from .quarterly.report import build_quarterly_report, quarterly_context

DONE_MESSAGES = {
    Action.SUBMIT: _("已报送 %(area)s %(period)s 的数据，等待区委组织部审核。"),
    Action.APPROVE: _("已审核通过 %(area)s %(period)s 的数据。"),
    Action.RETURN: _("已退回 %(area)s %(period)s 的数据，园区更正后可重新报送。"),
    Action.REOPEN: _("已重新打开 %(area)s %(period)s，园区更正后可重新报送。"),
}


def _period(text: str | None) -> Quarter:
    period = parse_period(text) if text else last_complete_quarter()
    check_period(period)
    return period


class SubmissionListView(LoginRequiredMixin, View):
    """季度报送: every park of a quarter with its status, due date and the steps the user may take."""

    def get(self, request):
        access = access_for(request.user)
        try:
            period = _period(request.GET.get("period"))
        except ValidationError as exc:
            return render(request, "reports/bad_request.html", {"message": exc.messages[0]}, status=400)
        rows = submissions_for(period, visible_reporting_areas(access))
        context = {
            "period": period,
            "periods": list(reversed(quarters_between(first_period(), last_complete_quarter()))),
            "rows": [(s, is_overdue(s), allowed_actions(access, s)) for s in rows],
            "summary": summarize(rows),
        }
        return render(request, "reports/submissions.html", context)


class SubmissionMixin(LoginRequiredMixin):
    def load(self, request, code: str, period: str):
        self.access = access_for(request.user)
        area = reporting_areas().filter(code=code).first()
        if area is None or not sees(self.access, area):
            raise Http404(_("未找到该报送单位。"))
        try:
            quarter = parse_period(period)
            check_period(quarter)
        except (BadParameter, ValidationError) as exc:
            raise Http404(exc.messages[0]) from None
        return submissions_for(quarter, [area])[0]


class SubmissionDetailView(SubmissionMixin, View):
    """One park's quarter: its checklist (headline, changes since last quarter, open work items), the history of
    its steps, and the forms for the steps this user may take."""

    def get(self, request, code: str, period: str, errors=None, status: int = 200):
        submission = self.load(request, code, period)
        try:
            checklist = quarterly_context(build_quarterly_report(submission.area, submission.period))
        except FigureNotFound:
            checklist = {"report": None}
        context = {
            **checklist,
            "submission": submission,
            "overdue": is_overdue(submission),
            "actions": allowed_actions(self.access, submission),
            "events": history(submission),
            "errors": errors or [],
            "note": request.POST.get("note", "") if request.method == "POST" else "",
        }
        return render(request, "reports/submission.html", context, status=status)

    def post(self, request, code: str, period: str):
        submission = self.load(request, code, period)
        action = request.POST.get("action", "")
        if action not in Action.values:
            return self.get(request, code, period, errors=[_("未知的操作。")], status=400)
        try:
            note = check_text(request.POST.get("note", ""), multiline=True)
            if action == Action.SUBMIT and not request.POST.get("verified"):
                raise ValidationError(
                    {"verified": _("请先核实台账（数据比对、电话访问、上门核对），勾选确认后再报送。")}
                )
            take_step(
                area=submission.area, period=submission.period, action=action, user=request.user, note=note
            )
        except PermissionDenied:
            raise
        except StepNotAllowed as exc:
            return self.get(request, code, period, errors=[exc.message], status=409)
        except ValidationError as exc:
            return self.get(request, code, period, errors=exc.messages, status=400)
        messages.success(request, DONE_MESSAGES[action] % {"area": submission.area.name, "period": period})
        return HttpResponseRedirect(
            reverse("reports:submission", args=[submission.area.code, str(submission.period)])
        )


class SubmittedReportView(SubmissionMixin, View):
    """The report exactly as the park submitted it: the page (``html``) or the workbook (``xlsx``)."""

    def get(self, request, code: str, period: str, fmt: str):
        submission = self.load(request, code, period)
        if submission.pk is None or not submission.report_html:
            raise Http404(_("该季度尚未报送，没有报送时的报表。"))
        if fmt == "html":
            return HttpResponse(submission.report_html, content_type="text/html; charset=utf-8")
        if not submission.report_file:
            raise Http404(_("没有报送时的工作簿。"))
        record_event(request, "download", submission.area, detail=submission.report_file.name)
        return FileResponse(
            submission.report_file.open("rb"),
            as_attachment=True,
            filename=f"{submission.area.name}{submission.period}季度报送（报送时）.xlsx",
        )
