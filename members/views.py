"""Member and instructor pages: thin views over the FilterSets, the forms and members.services."""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import CreateView, DetailView, FormView, ListView, UpdateView
from django.views.generic.detail import SingleObjectMixin

from registry.access import Access, access_for
from registry.audit import history
from registry.dating import active_q
from registry.excel.views import ExportView
from registry.forms import EndForm, add_service_errors
from registry.models import Enterprise
from registry.views import EndView, FilteredListView, RevealMixin, ScopedMixin, ServiceFormMixin, mark_current

from .choices import MemberCategory, MembershipEnd, MembershipStart
from .filtersets import ApplicantFilterSet, InstructorFilterSet, MemberFilterSet
from .forms import (
    AssignmentForm,
    ConfirmForm,
    EmploymentForm,
    EnterpriseAssignmentForm,
    InstructorForm,
    MemberEndForm,
    MemberEventForm,
    MemberForm,
    ProbationForm,
    TransferFilterForm,
    TransferForm,
)
from .history import history_of
from .models import Applicant, Instructor, InstructorAssignment, Member, Membership
from .services import update_assignment, update_instructor, update_member
from .transfers import TransferKind, export_transfers, transfers
from .workbook import export_applicants, export_instructors, export_members


class MemberListView(FilteredListView):
    """Current members (在册) unless ``?status=`` says otherwise: ``ended`` for those who left, empty for all; the
    count then agrees with the dashboard's. (The API keeps "all" as its default; see MemberFilterSet.)"""

    filterset_class = MemberFilterSet
    template_name = "members/member_list.html"
    queryset = Member.objects.select_related("organization", "enterprise")
    default_status = "active"

    def filter_data(self):
        data = self.request.GET.copy()
        if "status" not in data:
            data["status"] = self.default_status
        return data

    def get_context_data(self, **kwargs):
        data = self.filterset.data
        return super().get_context_data(
            status=data.get("status", ""),
            query=data.urlencode(),  # the download gets the rows the page shows, default included
            **kwargs,
        )


class MemberDetailView(ScopedMixin, DetailView):
    template_name = "members/member_detail.html"
    queryset = Member.objects.select_related("organization__area", "enterprise")

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        member = self.object
        return super().get_context_data(
            today=today,
            active=member.active_on(today),
            left=member.ended_on is not None,
            probationary=member.category == MemberCategory.PROBATIONARY,
            timeline=timeline_of(member),
            history=history(member),
            **kwargs,
        )


def timeline_of(member: Member) -> dict[str, list[dict]]:
    """members.history.history_of with the Chinese labels a page shows (a template cannot look them up)."""
    timeline = history_of(member)
    starts, ends = dict(MembershipStart.choices), dict(MembershipEnd.choices)
    for row in timeline["memberships"]:
        row["how_started_label"] = starts.get(row["how_started"], "")
        row["how_ended_label"] = ends.get(row["how_ended"], "")
    categories = dict(MemberCategory.choices)
    for row in timeline["categories"]:
        row["label"] = categories.get(row["category"], row["category"])
    return timeline


class MemberRevealView(RevealMixin, MemberDetailView):
    reveal_detail = _("身份证号码、联系电话、出生日期")


class MemberCreateView(ScopedMixin, ServiceFormMixin, CreateView):
    model = Member
    form_class = MemberForm
    template_name = "members/member_form.html"


class MemberUpdateView(ScopedMixin, ServiceFormMixin, UpdateView):
    model = Member
    form_class = MemberForm
    template_name = "members/member_form.html"


class MemberEndView(EndView):
    model = Member
    form_class = MemberEndForm
    template_name = "members/member_end.html"
    date_label = _("减少日期")
    date_help = _("当日起不再计入本组织党员人数。党员不删除，只登记减少。")
    error_aliases = {"ended_on": "on", "end_reason": "reason"}
    success_message = _("已登记“%(name)s”减少。")

    def end(self, data: dict) -> None:
        update_member(member=self.object, ended_on=data["on"], end_reason=data["reason"])


class MemberEventView(ScopedMixin, SingleObjectMixin, FormView):
    """One dated event of a member (转接, 转正, 延长预备期, 工作单位变更): a small form, a service call, back to the
    member. A refusal of the service shows next to its field and nothing is saved."""

    model = Member
    queryset = Member.objects.select_related("organization__area", "enterprise")
    template_name = "members/member_event.html"
    writes = True
    form_class: type[MemberEventForm]
    title = _("办理")
    intro = ""
    submit_label = _("保存")
    success_message = _("已办理“%(name)s”。")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "member": self.object}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=self.title, intro=self.intro, submit_label=self.submit_label, **kwargs
        )

    def form_valid(self, form):
        try:
            with transaction.atomic():
                form.save()
        except ValidationError as exc:
            add_service_errors(form, exc, form.error_aliases)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"name": self.object})
        return HttpResponseRedirect(self.object.get_absolute_url())


class MemberTransferView(MemberEventView):
    form_class = TransferForm
    title = _("组织关系转接")
    submit_label = _("确认转接")
    success_message = _("已办理“%(name)s”的组织关系转接。")

    def get_object(self, queryset=None):
        member = super().get_object(queryset)
        if member.ended_on is not None:  # the member left: bringing them back is 转回 (decided before saving)
            self.title, self.submit_label = _("转回"), _("确认转回")
            self.success_message = _("“%(name)s”已转回。")
            self.intro = _g("该党员已于 %(d)s 减少（%(r)s），转回即重新接收其组织关系。") % {
                "d": member.ended_on.isoformat(),
                "r": member.get_end_reason_display(),
            }
        else:
            self.intro = _g("现所在党组织：%(org)s（自 %(d)s 起）。") % {
                "org": member.organization.name,
                "d": member.joined_on.isoformat(),
            }
        return member


class MemberConfirmView(MemberEventView):
    form_class = ConfirmForm
    title = _("转正")
    submit_label = _("确认转正")
    success_message = _("“%(name)s”已转正。")


class MemberProbationView(MemberEventView):
    form_class = ProbationForm
    title = _("延长预备期")
    submit_label = _("确认延长")
    success_message = _("已延长“%(name)s”的预备期。")


class MemberEmploymentView(MemberEventView):
    form_class = EmploymentForm
    title = _("变更工作单位")
    submit_label = _("确认变更")
    success_message = _("已变更“%(name)s”的工作单位。")

    def get_context_data(self, **kwargs):
        current = self.object.enterprise
        self.intro = _g("现工作单位：%(name)s。") % {"name": current.name if current else _g("无")}
        return super().get_context_data(**kwargs)


def transfer_rows(params: QueryDict, access: Access):
    """The 转接 list's filter form, its rows (members.transfers.transfers) and the period in words; invalid
    filters give no rows (the form shows why)."""
    form = TransferFilterForm(params or None, access=access)
    if form.is_bound and not form.is_valid():
        return form, Membership.objects.none(), ""
    query = form.query()
    label = query.pop("label")
    return form, transfers(access=access, **query), label


class TransferListView(ScopedMixin, ListView):
    """组织关系转接 in a quarter or a date range, in the user's area."""

    template_name = "members/transfer_list.html"
    paginate_by = 50
    max_page_size = 200
    get_paginate_by = FilteredListView.get_paginate_by

    def get_queryset(self):
        self.form, rows, self.label = transfer_rows(self.request.GET, self.access)
        return rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(form=self.form, period_label=self.label, **kwargs)
        kinds = dict(TransferKind.choices)
        context["rows"] = [
            {**row, "kind_label": kinds.get(row["kind"], "")} for row in context["object_list"]
        ]
        return context


class TransferExportView(ExportView):
    """The 转接 list as .xlsx, with the page's filters (the same query, scoped the same way)."""

    filename = "组织关系转接"

    def rows(self, request):
        form, rows, self.period_label = transfer_rows(request.GET, access_for(request.user))
        self.filtered_area = getattr(form, "cleaned_data", {}).get("area")
        return rows

    def get_heading(self, request, area):
        return replace(super().get_heading(request, area), as_of=str(self.period_label))

    def write(self, queryset):
        return export_transfers(queryset, heading=self.heading)


class InstructorListView(FilteredListView):
    filterset_class = InstructorFilterSet
    template_name = "members/instructor_list.html"

    def get_queryset(self):
        today = timezone.localdate()
        self.queryset = (
            Instructor.objects.select_related("area")
            .annotate(active_assignments=Count("assignments", filter=active_q(today, prefix="assignments__")))
            .order_by("name", "pk")  # Meta.ordering is not applied to GROUP BY queries
        )
        return super().get_queryset()


class InstructorDetailView(ScopedMixin, DetailView):
    template_name = "members/instructor_detail.html"
    queryset = Instructor.objects.select_related("area")

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        instructor = self.object
        if self.access.can_write:
            kwargs.setdefault(
                "assignment_form", AssignmentForm(instructor=instructor, today=today, access=self.access)
            )
        return super().get_context_data(
            today=today,
            active=instructor.ended_on is None or instructor.ended_on > today,
            assignments=mark_current(
                instructor.assignments.filter(self.access.path_q("enterprise__area__path"))
                .select_related("enterprise__area")
                .order_by("-start", "pk"),
                today,
            ),
            history=history(instructor, related=[instructor.assignments.all()]),
            **kwargs,
        )


class InstructorRevealView(RevealMixin, InstructorDetailView):
    reveal_detail = _("联系电话")


class AssignmentCreateView(InstructorDetailView):
    """POST the small form of the instructor page; on an error the page is shown again with it."""

    http_method_names = ["post"]
    writes = True

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = AssignmentForm(request.POST, instructor=self.object, access=self.access)
        if form.is_valid():
            try:
                assignment = form.save()
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _g("已添加联系单位“%(name)s”。") % {"name": assignment.enterprise})
                return HttpResponseRedirect(self.object.get_absolute_url())
        return self.render_to_response(self.get_context_data(assignment_form=form))


class AssignInstructorView(ScopedMixin, FormView):
    """选派指导员 for one enterprise (``?enterprise=<id>``), from its page or the 未覆盖 work queue; back to ``next``
    (the page the user came from, on this site only) or the enterprise's page."""

    template_name = "members/assign_instructor.html"
    form_class = EnterpriseAssignmentForm
    writes = True

    def setup_enterprise(self):
        pk = self.request.GET.get("enterprise", "")
        self.enterprise = get_object_or_404(
            Enterprise.objects.restrict(self.access).select_related("area"), pk=pk if pk.isdigit() else None
        )

    def get(self, request, *args, **kwargs):
        self.setup_enterprise()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.setup_enterprise()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "enterprise": self.enterprise}

    def next_url(self) -> str:
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return self.enterprise.get_absolute_url()

    def get_context_data(self, **kwargs):
        return super().get_context_data(enterprise=self.enterprise, next_url=self.next_url(), **kwargs)

    def form_valid(self, form):
        try:
            assignment = form.save()
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _g("已选派党建指导员“%(who)s”联系“%(name)s”。")
            % {"who": assignment.instructor, "name": self.enterprise},
        )
        return HttpResponseRedirect(self.next_url())


class AssignmentEndView(ScopedMixin, View):
    """End one assignment on the posted date (default today)."""

    http_method_names = ["post"]
    writes = True

    def post(self, request, pk: int, aid: int):
        instructor = get_object_or_404(Instructor.objects.restrict(self.access), pk=pk)
        assignment = get_object_or_404(
            InstructorAssignment.objects.select_related("enterprise", "instructor"),
            pk=aid,
            instructor=instructor,
        )
        form = EndForm(request.POST)
        if not form.is_valid():
            messages.error(request, _g("请填写有效的结束日期。"))
        else:
            try:
                update_assignment(assignment=assignment, end=form.cleaned_data["on"])
            except ValidationError as exc:
                messages.error(request, "；".join(exc.messages))
            else:
                messages.success(request, _g("与“%(name)s”的联系已结束。") % {"name": assignment.enterprise})
        return HttpResponseRedirect(assignment.instructor.get_absolute_url())


class InstructorCreateView(ScopedMixin, ServiceFormMixin, CreateView):
    model = Instructor
    form_class = InstructorForm
    template_name = "members/instructor_form.html"


class InstructorUpdateView(ScopedMixin, ServiceFormMixin, UpdateView):
    model = Instructor
    form_class = InstructorForm
    template_name = "members/instructor_form.html"


class InstructorEndView(EndView):
    model = Instructor
    template_name = "members/instructor_end.html"
    date_label = _("离任日期")
    date_help = _("当日起离任，其所有联系单位同日结束。")
    error_aliases = {"ended_on": "on"}
    success_message = _("“%(name)s”已离任。")

    def end(self, data: dict) -> None:
        update_instructor(instructor=self.object, ended_on=data["on"])


class MemberExportView(ExportView):
    filterset_class, model, filename = MemberFilterSet, Member, "党员"

    def write(self, queryset):
        # revealing (audited) comes with the roles work
        return export_members(queryset, reveal=False, heading=self.heading)


class InstructorExportView(ExportView):
    filterset_class, model, filename = InstructorFilterSet, Instructor, "党建指导员"

    def write(self, queryset):
        return export_instructors(queryset, reveal=False, heading=self.heading)


class ApplicantExportView(ExportView):
    filterset_class, model, filename = ApplicantFilterSet, Applicant, "发展党员"

    def write(self, queryset):
        # masked, as the member ledger is
        return export_applicants(queryset, reveal=False, heading=self.heading)
