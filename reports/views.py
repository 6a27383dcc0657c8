"""Coverage pages: the dashboard, drill-through, quarter-on-quarter changes, the work queue and closing quarters.

Views parse the selection, call the figures/explain/workqueue functions, and render; nothing is computed here.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from registry.access import access_for
from registry.audit import record_event
from registry.excel.sheets import XLSX_CONTENT_TYPE, Heading
from registry.excel.views import attachment, download_name
from registry.models import Area, Enterprise
from registry.periods import Quarter, quarters_between
from registry.validators import check_text

from .closing.submissions import reporting_areas, submissions_for, summarize, visible_reporting_areas
from .engine.development import quarter_development
from .engine.effective import with_unmet
from .engine.explain import DENOMINATOR, NUMERATOR, changes, drill_enterprises, drill_live
from .engine.figures import FigureNotFound, by_child_area, live_figure, series, stored_figure
from .engine.periods import close_period, reopen_period
from .engine.recompute import first_period
from .engine.workqueue import quarter_work_queue, work_queue
from .exports import export_drill, export_work_item
from .models import Indicator, PeriodLock, PeriodLockEvent, ReportRun, Submission
from .params import (
    BadParameter,
    Selection,
    UnknownArea,
    forget,
    last_complete_quarter,
    parse_period,
    parse_selection,
    remember,
    with_remembered,
)
from .quarterly.charts import bar_chart, line_chart
from .quarterly.report import build_quarterly_report, quarterly_context, quarterly_filename
from .quarterly.workbook import write_quarterly_workbook
from .tasks import render_quarterly

PAGE_SIZES = (50, 100, 200)


def query(**params) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


class SelectionMixin(LoginRequiredMixin):
    """Reads ?area=&period=&date=&indicator= once, into ``self.selection``; the one place where the pages' errors
    become responses: malformed input → the page with a 400, unknown area or a figure not computed yet → 404.

    The area and quarter a user chooses are kept in the session and fill in a link that does not name them (the
    menu's), so the choice follows the user from page to page; without a choice, ``default_period()``.
    """

    def default_period(self) -> Quarter | None:
        """The quarter shown when none is asked for or remembered (None: the current one)."""
        return None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.access = access_for(request.user)
        try:
            # Every part at once: each page shows the area, quarter and indicator. UnknownArea is an Http404.
            self.selection: Selection = self.select(request)
            remember(request.session, request.GET, self.selection)
            return super().dispatch(request, *args, **kwargs)
        except BadParameter as exc:
            return render(request, "reports/bad_request.html", {"message": str(exc)}, status=400)
        except FigureNotFound as exc:
            raise Http404(str(exc)) from None

    def select(self, request) -> Selection:
        params, from_session = with_remembered(
            request.GET, request.session, default_period=self.default_period()
        )
        try:
            return parse_selection(params, self.access).resolve()
        except (BadParameter, UnknownArea) as exc:
            stale = from_session & {getattr(exc, "field", "area")}
            if not stale:
                raise
            forget(request.session, stale)  # remembered, but no longer valid for this user: not their error
            params, _unused = with_remembered(
                request.GET, request.session, default_period=self.default_period()
            )
            return parse_selection(params, self.access).resolve()

    def selection_context(self) -> dict:
        s = self.selection
        area_q = {"area": s.area.code}
        return {
            "selection": s,
            "area": s.area,
            "period": s.period,
            "indicator": s.indicator,
            "ancestors": [a for a in s.area.ancestors() if self.access.covers(a)],
            "children": list(Area.objects.filter(parent=s.area).order_by("path")),  # below an area in scope
            "previous_period": s.period.previous() if s.period > first_period() else None,
            "next_period": s.period.next() if s.period < Quarter.current() else None,
            "periods": list(reversed(quarters_between(first_period(), Quarter.current()))),
            "area_query": area_q,
        }


def drill_url(area: Area, period: Quarter, indicator: Indicator, part: str) -> str:
    return reverse("reports:drill") + query(
        area=area.code, period=period, indicator=indicator.code, part=part
    )


def _work_queue_counts(queue) -> list[tuple]:
    counts = queue.counts()
    return [(item, counts[item.code]) for item in queue]


class DashboardView(SelectionMixin, TemplateView):
    template_name = "reports/dashboard.html"

    def dispatch(self, request, *args, **kwargs):
        # An instructor's account has no area's figures to see: its home is its firms (issue 15).
        if access_for(request.user).is_instructor:
            return HttpResponseRedirect(reverse("members:my_firms"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        s = self.selection
        context = self.selection_context()
        figures, missing = [], False
        for indicator in Indicator.objects.valid_on(s.as_of):
            try:
                figure = stored_figure(s.area, s.period, indicator)
            except FigureNotFound:
                missing = True
                break
            figure.numerator_url = drill_url(s.area, s.period, indicator, NUMERATOR)
            figure.denominator_url = drill_url(s.area, s.period, indicator, DENOMINATOR)
            figures.append(figure)
        headline = next((f for f in figures if f.indicator.pk == s.indicator.pk), None)
        # 发展党员 figures are read live from dated records: shown even before the quarter is computed.
        parks = visible_reporting_areas(self.access, s.area)
        context.update(
            figures=figures,
            missing=missing,
            headline=headline,
            development=quarter_development(s.area, s.period),
            # The close of an ended quarter: how many of the parks below have been approved.
            submissions=summarize(submissions_for(s.period, parks))
            if parks and s.period < Quarter.current()
            else None,
        )
        if headline is not None:
            sub_areas = by_child_area(s.area, s.period, s.indicator)
            for row in sub_areas:
                row["label"] = row["area"].name
                row["href"] = reverse("reports:home") + query(
                    area=row["area"].code, period=s.period, indicator=s.indicator.code
                )
            trend = series(s.area, s.indicator, last=s.period, count=8)
            context.update(
                sub_areas=sub_areas,
                sub_area_chart=bar_chart(sub_areas),
                trend=trend,
                trend_chart=line_chart(trend),
                changes=changes(s.area, s.period)[:15],
                work_queue=_work_queue_counts(quarter_work_queue(s.area, s.period)),
                members=headline.members,
            )
        context.update(kwargs)
        return context


class DrillView(SelectionMixin, TemplateView):
    """From a figure to the enterprises in its numerator or denominator."""

    template_name = "reports/drill.html"

    def drill(self):
        """The figure, the part asked for and its enterprises (ordered, unpaginated)."""
        s = self.selection
        part = self.request.GET.get("part", NUMERATOR)
        if part not in (NUMERATOR, DENOMINATOR):
            part = NUMERATOR
        if s.on:
            figure = live_figure(s.area, s.on, s.indicator)
            rows = drill_live(s.area, s.on, s.indicator, part).order_by("name", "pk")
        else:
            figure = stored_figure(s.area, s.period, s.indicator)
            rows = drill_enterprises(s.area, s.period, s.indicator, part).order_by("name", "pk")
        return figure, part, rows

    def get_context_data(self, **kwargs):
        s = self.selection
        figure, part, rows = self.drill()
        page = Paginator(rows, _page_size(self.request)).get_page(self.request.GET.get("page"))
        # 有效覆盖: each unit of the denominator that is not effectively covered shows the conditions it fails.
        explain = s.indicator.effective_only and part == DENOMINATOR
        return {
            **self.selection_context(),
            "figure": figure,
            "part": part,
            "page_obj": page,
            "rows": with_unmet(page.object_list, figure.as_of) if explain else page.object_list,
            "explain_unmet": explain,
            "live": bool(s.on),
            **kwargs,
        }


class DrillXlsxView(DrillView):
    """The drill-through list as a workbook: every row, not one page."""

    def get(self, request, *args, **kwargs):
        s = self.selection
        _figure, part, rows = self.drill()
        title = f"{s.indicator.name}{_('分子名单') if part == NUMERATOR else _('分母名单')}"
        handle = export_drill(rows, live=bool(s.on), title=title, heading=_heading(s))
        return _download(request, handle, title, s, fallback=f"{s.indicator.code}-{part}")


def _heading(s: Selection) -> Heading:
    """A list download's title row: the area and the quarter (or the as-of date) the page shows."""
    as_of = _("截至 %(day)s") % {"day": s.on.isoformat()} if s.on else s.period.label
    return Heading(area=s.area.name, as_of=as_of, generated_at=timezone.now())


def _download(request, handle, title: str, s: Selection, *, fallback: str) -> FileResponse:
    """The file named like a ledger download (what, area, quarter or day), its download audited."""
    when = s.on.isoformat() if s.on else str(s.period)
    name = download_name(title, s.area.name, when)
    record_event(request, "export", s.area, detail=f"{name}?{request.GET.urlencode()}")
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)
    attachment(response, name, fallback=download_name(fallback, s.area.code, when))
    return response


class ChangesView(SelectionMixin, TemplateView):
    template_name = "reports/changes.html"

    def get_context_data(self, **kwargs):
        s = self.selection
        since = s.period.year_ago() if self.request.GET.get("since") == "year" else s.period.previous()
        return {
            **self.selection_context(),
            "since": since,
            "changes": changes(s.area, s.period, since=since),
            **kwargs,
        }


class WorkItemView(SelectionMixin, TemplateView):
    template_name = "reports/work_item.html"

    def work_item(self):
        s = self.selection
        queue = work_queue(s.area, s.on) if s.on else quarter_work_queue(s.area, s.period)
        item = queue.item(self.kwargs["code"])
        if item is None:
            raise Http404(_("没有这一类待办事项。"))
        return item

    def get_context_data(self, **kwargs):
        item = self.work_item()
        page = Paginator(item.queryset.order_by("name", "pk"), _page_size(self.request)).get_page(
            self.request.GET.get("page")
        )
        return {
            **self.selection_context(),
            "item": item,
            "page_obj": page,
            "rows": page.object_list,
            **kwargs,
        }


class WorkItemXlsxView(WorkItemView):
    """One work-queue entry as a workbook: every row, with the page's columns."""

    def get(self, request, *args, **kwargs):
        s = self.selection
        item = self.work_item()
        handle = export_work_item(item, item.queryset.order_by("name", "pk"), heading=_heading(s))
        return _download(request, handle, str(item.title), s, fallback=item.code)


class PeriodsView(LoginRequiredMixin, View):
    """Close (锁定) a quarter, or reopen it (administrators only, with a reason)."""

    template_name = "reports/periods.html"

    def get(self, request, errors=None, status=200):
        locks = {lock.period: lock for lock in PeriodLock.objects.select_related("locked_by")}
        # The district locks a quarter once every park's submission is approved: show how far each one is.
        parks = reporting_areas()
        approved = dict(
            Submission.objects.filter(status=Submission.Status.APPROVED, area__in=parks)
            .values_list("period")
            .annotate(n=Count("pk"))
            .order_by()
        )
        periods = [
            (q, locks.get(q), approved.get(q, 0))
            for q in reversed(quarters_between(first_period(), Quarter.current()))
        ]
        events = PeriodLockEvent.objects.select_related("user")[:50]
        access = access_for(request.user)
        context = {
            "periods": periods,
            "park_count": parks.count(),
            "events": events,
            "errors": errors or [],
            "can_close": access.can_write,
            "can_reopen": access.is_admin,
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request):
        if not access_for(request.user).can_write:
            raise PermissionDenied
        try:
            period = parse_period(request.POST.get("period"))
            reason = check_text(request.POST.get("reason", ""), multiline=True)
            if request.POST.get("action") == "reopen":
                reopen_period(period=period, user=request.user, reason=reason)
                messages.success(request, _("%(p)s 已解锁。") % {"p": period})
            else:
                close_period(period=period, user=request.user, reason=reason)
                messages.success(
                    request, _("%(p)s 已锁定，此后修改数据不再影响该季度的统计。") % {"p": period}
                )
        except ValidationError as exc:  # a malformed quarter (a BadParameter) or a rule of closing
            return self.get(request, errors=exc.messages, status=400)
        return HttpResponseRedirect(reverse("reports:periods"))


def _page_size(request) -> int:
    try:
        size = int(request.GET.get("page_size", ""))
    except ValueError:
        return PAGE_SIZES[0]
    return max(1, min(size, PAGE_SIZES[-1]))


class QuarterlyMixin(SelectionMixin):
    def default_period(self) -> Quarter:
        return last_complete_quarter()  # a report is written about a quarter that has ended

    def get_report(self):
        return build_quarterly_report(self.selection.area, self.selection.period)


class QuarterlyView(QuarterlyMixin, TemplateView):
    """季度调研报告 as a printable page, with the dashboard's area and quarter selector."""

    template_name = "reports/quarterly.html"

    def get(self, request, *args, **kwargs):
        try:
            report = quarterly_context(self.get_report())
        except FigureNotFound as exc:
            # Still the page with its selector, so another quarter is one click away.
            return self.render_to_response({**self.selection_context(), "missing": str(exc)}, status=404)
        return self.render_to_response({**self.selection_context(), **report})


class QuarterlyXlsxView(QuarterlyMixin, View):
    """The workbook: streamed at once for ordinary areas, rendered by a Celery job for big ones."""

    def get(self, request):
        area, period = self.selection.area, self.selection.period
        if Enterprise.objects.in_area(area).count() > settings.REPORT_INLINE_MAX_ENTERPRISES:
            run = ReportRun.objects.create(area=area, period=period, requested_by=request.user)
            render_quarterly.delay_on_commit(run.pk)
            messages.info(request, _("该区域单位较多，报告正在后台生成，完成后可在此下载。"))
            return HttpResponseRedirect(reverse("reports:report_runs"))
        report = self.get_report()
        buffer = io.BytesIO()
        write_quarterly_workbook(report, buffer)
        record_event(request, "download", area, detail=quarterly_filename(report, "xlsx"))
        return FileResponse(
            io.BytesIO(buffer.getvalue()), as_attachment=True, filename=quarterly_filename(report, "xlsx")
        )


class ReportRunListView(LoginRequiredMixin, TemplateView):
    """Background reports of the user's areas, with progress (refreshed by htmx while any is unfinished)."""

    template_name = "reports/report_runs.html"

    def get_template_names(self):
        return ["reports/_report_runs_table.html"] if self.request.htmx else [self.template_name]

    def get_context_data(self, **kwargs):
        access = access_for(self.request.user)
        runs = list(
            ReportRun.objects.filter(access.path_q("area__path")).select_related("area", "requested_by")[:50]
        )
        unfinished = any(r.status in (ReportRun.Status.PENDING, ReportRun.Status.RUNNING) for r in runs)
        return {"runs": runs, "unfinished": unfinished, **kwargs}


class ReportRunDownloadView(LoginRequiredMixin, View):
    def get(self, request, pk: int):
        access = access_for(request.user)
        run = ReportRun.objects.filter(
            access.path_q("area__path"), pk=pk, status=ReportRun.Status.DONE
        ).first()
        if run is None or not run.file:
            raise Http404(_("没有这份报告。"))
        record_event(request, "download", run.area, detail=run.file.name)
        return FileResponse(
            run.file.open("rb"), as_attachment=True, filename=run.file.name.rsplit("/", 1)[-1]
        )
