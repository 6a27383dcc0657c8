"""Member and instructor pages: thin views over the FilterSets, the forms and members.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import CreateView, DetailView, UpdateView

from registry.audit import history
from registry.dating import active_q
from registry.excel.views import ExportView
from registry.forms import EndForm, add_service_errors
from registry.views import EndView, FilteredListView, RevealMixin, ScopedMixin, ServiceFormMixin, mark_current

from .filtersets import InstructorFilterSet, MemberFilterSet
from .forms import AssignmentForm, InstructorForm, MemberEndForm, MemberForm
from .models import Instructor, InstructorAssignment, Member
from .services import update_assignment, update_instructor, update_member
from .workbook import export_instructors, export_members


class MemberListView(FilteredListView):
    filterset_class = MemberFilterSet
    template_name = "members/member_list.html"
    queryset = Member.objects.select_related("organization", "enterprise")


class MemberDetailView(ScopedMixin, DetailView):
    template_name = "members/member_detail.html"
    queryset = Member.objects.select_related("organization__area", "enterprise")

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        return super().get_context_data(
            today=today, active=self.object.active_on(today), history=history(self.object), **kwargs
        )


class MemberRevealView(RevealMixin, MemberDetailView):
    reveal_detail = _("身份证号码、联系电话")


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
        return export_members(queryset, reveal=False)  # revealing (audited) comes with the roles work


class InstructorExportView(ExportView):
    filterset_class, model, filename = InstructorFilterSet, Instructor, "党建指导员"

    def write(self, queryset):
        return export_instructors(queryset, reveal=False)
