"""Pages of instructors' work: an instructor's own phone pages (我的联系单位, its visits and requests, short forms)
and staff's lists, forms and downloads. Thin views over members.work_filtersets, members.work_forms and the
services of members.work.

``mine`` pages are an instructor's account's own (others get 403); the staff pages are scoped like every page
(registry.views.ScopedMixin) and their forms are for roles that write. Records outside what the user sees are 404,
records it sees but may not change 403 (members.work.check_may_change).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, ListView, UpdateView

from registry.access import access_for
from registry.excel.views import ExportView
from registry.forms import add_service_errors, style_form
from registry.models import Enterprise
from registry.views import FilteredListView, ScopedMixin

from .models import EnterpriseRequest, Instructor, InstructorVisit
from .work import check_may_change, firms_with_work, may_record_work
from .work_filtersets import EnterpriseRequestFilterSet, InstructorVisitFilterSet
from .work_forms import CloseRequestForm, RequestForm, VisitForm
from .work_workbook import export_requests, export_visits


class WorkAccessMixin(ScopedMixin):
    """``mine``: an instructor's account's own pages (403 for other roles). ``records_work``: a form that writes,
    for roles that record work (members.work.may_record_work); on staff pages, for roles that write."""

    mine = False
    records_work = False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            access = access_for(request.user)
            if self.mine and not access.is_instructor:
                raise PermissionDenied
            if self.records_work and not (may_record_work(access) if self.mine else access.can_write):
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(mine=self.mine, **kwargs)


# --- 我的联系单位 ---------------------------------------------------------------------------------------------------


class MyFirmsView(WorkAccessMixin, ListView):
    """An instructor's firms today, each with its last visit and its open requests, and the buttons to record."""

    mine = True
    template_name = "members/work/my_firms.html"
    paginate_by = 50
    max_page_size = 200
    get_paginate_by = FilteredListView.get_paginate_by

    def get_queryset(self):
        return firms_with_work(self.access)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            instructor=Instructor.objects.filter(pk=self.access.instructor_id).first(),
            today=timezone.localdate(),
            **kwargs,
        )


# --- lists ------------------------------------------------------------------------------------------------------


class WorkListView(WorkAccessMixin, FilteredListView):
    """A list filtered by its FilterSet, which scopes its own choices (members.work_filtersets): not re-restricted
    here, where an instructor's own instructor and firms would be lost."""

    def get_queryset(self):
        self.today = timezone.localdate()
        self.filterset = self.filterset_class(
            self.filter_data(), queryset=self.queryset.restrict(self.access), request=self.request
        )
        form = self.filterset.form
        if self.access.is_instructor:
            # Its own records only: no area to choose, no other instructor.
            for name in ("area", "instructor"):
                form.fields.pop(name, None)
        style_form(form)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return self.filterset.queryset.none()
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            query=self.request.GET.urlencode(), can_record=may_record_work(self.access), **kwargs
        )


class VisitListView(WorkListView):
    filterset_class = InstructorVisitFilterSet
    template_name = "members/work/visit_list.html"
    queryset = InstructorVisit.objects.select_related("instructor", "enterprise__area")


class RequestListView(WorkListView):
    filterset_class = EnterpriseRequestFilterSet
    template_name = "members/work/request_list.html"
    queryset = EnterpriseRequest.objects.select_related("instructor", "enterprise__area")


class MyVisitListView(VisitListView):
    mine = True


class MyRequestListView(RequestListView):
    mine = True


# --- forms ------------------------------------------------------------------------------------------------------


class WorkFormView(WorkAccessMixin):
    """A form calling a members.work service. Its refusal (ValidationError) shows next to the field and saves
    nothing; a record the user may not change is 403. Back to the user's list (an instructor: 我的联系单位)."""

    records_work = True
    success_message = _("已保存。")
    list_url_name = ""

    def get_object(self, queryset=None):
        record = super().get_object(queryset)  # restricted: outside what the user sees is 404
        check_may_change(self.access, record)
        return record

    def get_success_url(self) -> str:
        if self.mine:
            return reverse("members:my_firms")
        return reverse(f"members:{self.list_url_name}")

    def form_valid(self, form):
        try:
            with transaction.atomic():
                # Checked in clean() too; under the row lock, in the saving transaction, only one save of a
                # version passes (registry.forms.VersionedFormMixin).
                form.check_version(lock=True)
                self.object = form.save()
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, str(self.success_message))
        return HttpResponseRedirect(self.get_success_url())

    def get_context_data(self, **kwargs):
        return super().get_context_data(cancel_url=self.get_success_url(), **kwargs)


class FirmFormMixin:
    """Creating from a firm (``?enterprise=<id>``): on an instructor's page the firm is fixed and must be one
    assigned to it today (else 404); on a staff page it is preselected."""

    enterprise: Enterprise | None = None

    def setup_enterprise(self) -> None:
        pk = self.request.GET.get("enterprise", "")
        if self.mine:
            self.enterprise = get_object_or_404(
                Enterprise.objects.restrict(self.access).select_related("area"),
                pk=pk if pk.isdigit() else None,
            )

    def get(self, request, *args, **kwargs):
        self.setup_enterprise()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.setup_enterprise()
        return super().post(request, *args, **kwargs)

    def get_initial(self):
        initial = super().get_initial()
        pk = self.request.GET.get("enterprise", "")
        if not self.mine and pk.isdigit():
            initial["enterprise"] = int(pk)
        return initial

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "enterprise": self.enterprise}

    def get_context_data(self, **kwargs):
        return super().get_context_data(enterprise=self.enterprise, **kwargs)


class VisitCreateView(FirmFormMixin, WorkFormView, CreateView):
    model = InstructorVisit
    form_class = VisitForm
    template_name = "members/work/visit_form.html"
    list_url_name = "visit_list"
    success_message = _("已登记走访记录。")


class VisitUpdateView(WorkFormView, UpdateView):
    model = InstructorVisit
    form_class = VisitForm
    template_name = "members/work/visit_form.html"
    list_url_name = "visit_list"
    success_message = _("已修改走访记录。")

    def get_queryset(self):
        return InstructorVisit.objects.select_related("instructor", "enterprise__area")

    def get_success_url(self) -> str:
        return reverse("members:my_visits") if self.mine else super().get_success_url()


class RequestCreateView(FirmFormMixin, WorkFormView, CreateView):
    model = EnterpriseRequest
    form_class = RequestForm
    template_name = "members/work/request_form.html"
    list_url_name = "request_list"
    success_message = _("已登记企业诉求。")


class RequestUpdateView(WorkFormView, UpdateView):
    model = EnterpriseRequest
    form_class = RequestForm
    template_name = "members/work/request_form.html"
    list_url_name = "request_list"
    success_message = _("已修改企业诉求。")

    def get_queryset(self):
        return EnterpriseRequest.objects.select_related("instructor", "enterprise__area")

    def get_success_url(self) -> str:
        return reverse("members:my_requests") if self.mine else super().get_success_url()


class RequestCloseView(WorkFormView, UpdateView):
    """办结 one request: the day and the result."""

    model = EnterpriseRequest
    form_class = CloseRequestForm
    template_name = "members/work/request_close.html"
    list_url_name = "request_list"
    success_message = _("已办结。")

    def get_queryset(self):
        return EnterpriseRequest.objects.select_related("instructor", "enterprise__area")

    def get_success_url(self) -> str:
        return reverse("members:my_requests") if self.mine else super().get_success_url()


class MyVisitCreateView(VisitCreateView):
    mine = True


class MyVisitUpdateView(VisitUpdateView):
    mine = True


class MyRequestCreateView(RequestCreateView):
    mine = True


class MyRequestUpdateView(RequestUpdateView):
    mine = True


class MyRequestCloseView(RequestCloseView):
    mine = True


# --- downloads --------------------------------------------------------------------------------------------------


class VisitExportView(ExportView):
    filterset_class, model, filename = InstructorVisitFilterSet, InstructorVisit, "走访记录"

    def write(self, queryset):
        return export_visits(queryset, heading=self.heading)


class RequestExportView(ExportView):
    filterset_class, model, filename = EnterpriseRequestFilterSet, EnterpriseRequest, "企业诉求"

    def write(self, queryset):
        return export_requests(queryset, heading=self.heading)
