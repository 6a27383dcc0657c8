"""Excel on the pages: the base of every ledger download, and the import pages (upload, job, progress, confirm).

A download reuses its list page's FilterSet and scopes rows with ``restrict(access_for(user))``; each app's
views.py names its model, FilterSet and writer. An upload is stored as an ImportJob and run by a Celery task; the
page polls its progress with htmx and shows the dry-run diff with a confirm button.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.http import HttpResponseClientRefresh

from registry.access import access_for
from registry.audit import record_event
from registry.models import ImportJob
from registry.tasks import start_job

from .importer import KINDS
from .sheets import XLSX_CONTENT_TYPE, Heading

_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def attachment(response, filename: str, *, fallback: str) -> None:
    """Content-Disposition of a download: the Chinese name as RFC 5987 ``filename*`` (UTF-8, percent-encoded)
    and an ASCII ``filename`` for clients that read only that one."""
    ascii_name = fallback.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )


def download_name(*parts: str, extension: str = "xlsx") -> str:
    """A download's file name from its parts (what, area, day), without characters file systems refuse."""
    text = "-".join(p for p in (_UNSAFE_IN_NAME.sub("", str(part)).strip() for part in parts) if p)
    return f"{text}.{extension}"


class ExportView(LoginRequiredMixin, View):
    """GET with the list page's query string → the filtered, scoped ledger as .xlsx.

    The file is named after the ledger, its area and the day. ``self.heading`` (set before ``write`` is called)
    is what the sheets' title row says: pass it on (``export_…(queryset, heading=self.heading)``). The area is
    the list's ``?area=`` filter (``rows`` sets ``self.filtered_area``), else the user's own."""

    filterset_class: type
    model: type
    filename: str
    heading: Heading
    filtered_area = None  # the Area the list is filtered to, if any

    def rows(self, request):
        queryset = self.model.objects.restrict(access_for(request.user))
        filterset = self.filterset_class(request.GET or None, queryset=queryset, request=request)
        if filterset.is_bound and not filterset.is_valid():
            return queryset.none()
        self.filtered_area = getattr(filterset.form, "cleaned_data", {}).get("area")
        return filterset.qs

    def write(self, queryset):
        """The workbook of ``queryset`` as an open file (the app's ``export_*`` function)."""
        raise NotImplementedError

    def get_heading(self, request, area) -> Heading:
        """The title rows' area and day; a view whose rows cover a period says so by overriding this."""
        return Heading(area=area.name if area else "", generated_at=timezone.now())

    def get(self, request):
        queryset = self.rows(request)
        area = self.filtered_area or access_for(request.user).area
        self.heading = self.get_heading(request, area)
        handle = self.write(queryset)
        today = f"{timezone.localdate():%Y%m%d}"
        name = download_name(self.filename, area.name if area else _("全部区域"), today)
        record_event(request, "export", detail=f"{name}?{request.GET.urlencode()}")
        response = FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)
        url_name = request.resolver_match.url_name if request.resolver_match else "export"
        attachment(response, name, fallback=download_name(url_name, area.code if area else "all", today))
        return response


# ---------------------------------------------------------------- import pages ----


def _writer_or_403(request) -> None:
    if not access_for(request.user).can_write:
        raise PermissionDenied(_("您没有导入数据的权限。"))


def _job_or_404(request, pk: int) -> ImportJob:
    job = get_object_or_404(ImportJob, pk=pk)
    if job.created_by_id != request.user.pk and not access_for(request.user).is_admin:
        raise Http404
    return job


def job_url(job: ImportJob) -> str:
    return reverse("registry:import_job", args=[job.pk])


class ImportPageView(LoginRequiredMixin, View):
    template_name = "registry/import_upload.html"

    def dispatch(self, request, *args, kind: str = "", **kwargs):
        if kind not in KINDS:
            raise Http404
        self.kind = KINDS[kind]
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, error: str = "", status: int = 200):
        _writer_or_403(request)
        context = {"kind": self.kind, "kinds": KINDS.values(), "error": error}
        return render(request, self.template_name, context, status=status)

    def post(self, request):
        _writer_or_403(request)
        upload = request.FILES.get("file")
        if upload is None:
            return self.get(request, error=_("请选择要上传的 .xlsx 文件。"), status=400)
        job = start_job(kind=self.kind.name, upload=upload, dry_run=True, user=request.user)
        return HttpResponseRedirect(job_url(job))


class ImportJobView(LoginRequiredMixin, View):
    """The job's progress (polled) or, once finished, the diff, the problems and the confirm button."""

    def get(self, request, pk: int):
        job = _job_or_404(request, pk)
        if job.kind not in KINDS:
            raise Http404
        result = job.result or {}
        failed = job.status == ImportJob.Status.FAILED or bool(result.get("errors"))
        context = {
            "job": job,
            "kind": KINDS[job.kind],
            "result": result,
            "can_confirm": job.dry_run
            and job.status == ImportJob.Status.DONE
            and not result.get("errors")
            and result.get("summary", {}).get("changes", 0) > 0,
        }
        return render(request, "registry/import_job.html", context, status=400 if failed else 200)


class ImportProgressView(LoginRequiredMixin, View):
    """htmx polls this fragment; when the job is finished the page reloads to show the result."""

    def get(self, request, pk: int):
        job = _job_or_404(request, pk)
        if job.finished:
            return HttpResponseClientRefresh()
        return render(request, "registry/_import_progress.html", {"job": job})


class ImportConfirmView(LoginRequiredMixin, View):
    """Run the previewed file for real (validated again: the data may have changed since the preview)."""

    def post(self, request, pk: int):
        _writer_or_403(request)
        source = _job_or_404(request, pk)
        if not source.dry_run or source.status != ImportJob.Status.DONE:
            raise Http404
        job = start_job(kind=source.kind, upload=None, dry_run=False, user=request.user, source=source)
        return HttpResponseRedirect(job_url(job))
