"""Registry pages, and the thin view bases the other apps' pages share.

Views parse input, call a query or a service, and render; rules live in rules.py, services.py and QuerySets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import ModelChoiceField
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, DetailView, FormView, ListView, UpdateView
from django.views.generic.detail import SingleObjectMixin

from .access import Access, access_for
from .audit import history, record_event
from .excel.views import ExportView
from .filtersets import EnterpriseFilterSet
from .forms import EndForm, EnterpriseForm, add_service_errors, style_form
from .models import Enterprise
from .rules import enterprise_warnings
from .services import update_enterprise
from .workbook import export_enterprises, export_uncovered


def mark_current(rows: Iterable, on: dt.date) -> list:
    """Materialise dated rows, setting ``is_current`` on each for templates (which cannot pass ``on``)."""
    rows = list(rows)
    for row in rows:
        row.is_current = row.holds_on(on)
    return rows


class ScopedMixin(LoginRequiredMixin):
    """The one place pages are scoped (registry.access): every page of registry, orgs and members uses it.

    ``self.access`` is the user's role and area. Lists keep only rows in the area's subtree; a single object
    outside it is 404 (it does not exist for this user). Views with ``writes = True`` (create, edit, end,
    assignments) are 403 for roles that may not write. Forms get ``access`` so their choices are scoped too.
    """

    access: Access  # ``writes`` (default False) comes from the view or ServiceFormMixin

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.access = access_for(request.user)
        if getattr(self, "writes", False) and not self.access.can_write:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_object(self, queryset=None):
        queryset = self.get_queryset() if queryset is None else queryset
        return super().get_object(queryset.restrict(self.access))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "access": self.access}


class RevealMixin:
    """POST to the reveal URL: the detail page once more, with full ID numbers and phones, and an audit entry.

    Only roles that may reveal (registry.access.Access.can_reveal); the full values are in no other response.
    """

    reveal_detail = ""
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not self.access.can_reveal:
            raise PermissionDenied
        self.object = self.get_object()
        record_event(request, "reveal", obj=self.object, detail=str(self.reveal_detail))
        response = self.render_to_response(self.get_context_data(object=self.object, revealed=True))
        patch_cache_control(response, no_store=True, private=True)  # the full values are not kept anywhere
        return response


class FilteredListView(ScopedMixin, ListView):
    """A list filtered by a FilterSet, ``page_size`` rows a page (default 50, at most 200)."""

    filterset_class: type
    paginate_by = 50
    max_page_size = 200

    def get_paginate_by(self, queryset) -> int:
        try:
            size = int(self.request.GET.get("page_size", ""))
        except ValueError:
            return self.paginate_by
        return max(1, min(size, self.max_page_size))

    def filter_data(self):
        """The FilterSet's input: the query string (a page may add its defaults); None when there is none."""
        return self.request.GET or None

    def get_queryset(self):
        self.today = timezone.localdate()
        self.filterset = self.filterset_class(
            self.filter_data(),
            queryset=super().get_queryset().restrict(self.access),
            request=self.request,
        )
        for field in self.filterset.form.fields.values():
            # Filter choices (areas, organisations) list only what the user may see.
            if isinstance(field, ModelChoiceField) and hasattr(field.queryset, "restrict"):
                field.queryset = field.queryset.restrict(self.access)
        style_form(self.filterset.form)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return self.filterset.queryset.none()
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(filterset=self.filterset, today=self.today, **kwargs)


class ServiceFormMixin:
    """form.save() calls a service; a ValidationError it raises is shown on the form, nothing is saved.

    Only for writing (``writes``): read-only roles get 403, and the form's choices are scoped to the user's area.
    """

    writes = True

    success_message = _("已保存“%(name)s”。")

    def form_valid(self, form):
        try:
            with transaction.atomic():
                if hasattr(form, "check_version"):
                    # Checked in clean() too, but only a check under the row lock, in the transaction that saves,
                    # stops two saves of one version from both passing.
                    form.check_version(lock=True)
                self.object = form.save()
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"name": self.object})
        return HttpResponseRedirect(self.object.get_absolute_url())


class EndView(ScopedMixin, SingleObjectMixin, FormView):
    """An "end" action (注销, 撤销, 减少, 离任) instead of delete: a date, a service call, back to the record."""

    form_class = EndForm
    date_label = _("日期")
    date_help = ""
    error_aliases: dict[str, str] = {}
    success_message = _("已办理“%(name)s”。")
    writes = True

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("access", None)
        return {**kwargs, "label": self.date_label, "help_text": self.date_help}

    def end(self, data: dict) -> None:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            self.end(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc, self.error_aliases)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"name": self.object})
        return HttpResponseRedirect(self.object.get_absolute_url())


class EnterpriseListView(FilteredListView):
    filterset_class = EnterpriseFilterSet
    template_name = "registry/enterprise_list.html"

    def get_queryset(self):
        today = timezone.localdate()
        self.queryset = (
            Enterprise.objects.select_related("area")
            .with_coverage(today)
            .with_above_scale(today)
            .with_member_counts(today)
            .order_by("name", "pk")  # Meta.ordering is not applied to GROUP BY queries
        )
        return super().get_queryset()


class EnterpriseDetailView(ScopedMixin, DetailView):
    template_name = "registry/enterprise_detail.html"

    def get_queryset(self):
        today = timezone.localdate()
        return (
            Enterprise.objects.select_related("area")
            .with_coverage(today)
            .with_above_scale(today)
            .with_member_counts(today)
        )

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        enterprise = self.object
        return super().get_context_data(
            today=today,
            operating=enterprise.operating_on(today),
            org_links=mark_current(
                enterprise.org_links.select_related("organization").order_by("-start", "pk"), today
            ),
            instructor_assignments=enterprise.instructor_assignments.active_on(today).select_related(
                "instructor"
            ),
            above_scale_periods=enterprise.above_scale_periods.order_by("start"),
            history=history(
                enterprise,
                related=[enterprise.above_scale_periods.all(), enterprise.org_links.all()],
            ),
            warnings=enterprise_warnings(
                full_members=enterprise.full_members,
                party_members=enterprise.party_members,
                coverage=enterprise.coverage,
            ),
            **kwargs,
        )


class EnterpriseRevealView(RevealMixin, EnterpriseDetailView):
    http_method_names = ["post"]
    reveal_detail = _("联系电话")


class EnterpriseCreateView(ScopedMixin, ServiceFormMixin, CreateView):
    model = Enterprise
    form_class = EnterpriseForm
    template_name = "registry/enterprise_form.html"


class EnterpriseUpdateView(ScopedMixin, ServiceFormMixin, UpdateView):
    model = Enterprise
    form_class = EnterpriseForm
    template_name = "registry/enterprise_form.html"


class EnterpriseEndView(EndView):
    model = Enterprise
    template_name = "registry/enterprise_end.html"
    date_label = _("注销/迁出日期")
    date_help = _("当日起不再计入在营单位，其党组织覆盖关系和指导员联系同日结束。")
    error_aliases = {"deregistered_on": "on"}
    success_message = _("“%(name)s”已注销/迁出。")

    def end(self, data: dict) -> None:
        update_enterprise(enterprise=self.object, deregistered_on=data["on"])


class EnterpriseExportView(ExportView):
    filterset_class, model, filename = EnterpriseFilterSet, Enterprise, "单位台账"

    def write(self, queryset):
        return export_enterprises(queryset, heading=self.heading)


class UncoveredExportView(EnterpriseExportView):
    filename = "未覆盖规上企业"

    def write(self, queryset):
        return export_uncovered(queryset, heading=self.heading)
