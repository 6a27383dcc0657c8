"""发展党员 pages: the applicants' register, an applicant's file with its steps (进入下一阶段, 终止), the pipeline of an
organisation or an area with what is due next, and the yearly plans. Thin views over members.forms,
members.services and members.pipeline."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Func, IntegerField, OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, DetailView, FormView, TemplateView, UpdateView
from django.views.generic.detail import SingleObjectMixin

from orgs.models import PartyOrganization
from registry.audit import history
from registry.forms import add_service_errors
from registry.models import Area
from registry.numbers import percent
from registry.views import FilteredListView, RevealMixin, ScopedMixin, ServiceFormMixin

from .choices import STAGE_ORDER, Stage
from .filtersets import ApplicantFilterSet, DevelopmentPlanFilterSet
from .forms import (
    AdvanceForm,
    ApplicantEventForm,
    ApplicantForm,
    DevelopmentFilterForm,
    DevelopmentPlanForm,
    WithdrawForm,
)
from .models import Applicant, DevelopmentPlan
from .pipeline import (
    PlanFigures,
    annotate_due,
    due_next,
    earliest_on,
    next_stage,
    pipeline,
    plan_figures,
)

# --- the applicants' register -----------------------------------------------------------------------------------


class ApplicantListView(FilteredListView):
    filterset_class = ApplicantFilterSet
    template_name = "members/applicant_list.html"
    queryset = Applicant.objects.select_related("organization").order_by(
        "organization__name", "applied_on", "pk"
    )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object_list"] = annotate_due(context["object_list"], self.today)
        return context


# --- one applicant's file --------------------------------------------------------------------------------------


class ApplicantDetailView(ScopedMixin, DetailView):
    template_name = "members/applicant_detail.html"
    queryset = Applicant.objects.select_related("organization__area", "enterprise", "member")

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        applicant = self.object
        following = next_stage(applicant)
        return super().get_context_data(
            today=today,
            stage_label=Stage(applicant.stage).label,
            steps=steps_of(applicant, following),
            following=following,
            following_label=Stage(following).label if following else "",
            due=due_next(applicant, today),
            open_file=applicant.stage not in (Stage.ADMITTED, Stage.WITHDRAWN),
            history=history(applicant),
            **kwargs,
        )


STEP_LABELS = {
    Stage.APPLICANT: _("递交入党申请"),
    Stage.ACTIVIST: _("确定为入党积极分子"),
    Stage.CANDIDATE: _("确定为发展对象"),
    Stage.ADMITTED: _("接收为预备党员"),
}


def steps_of(applicant: Applicant, following: str | None) -> list[dict]:
    """The stages with their dates for the timeline; the next one carries the earliest date the rules allow."""
    steps = []
    for stage in STAGE_ORDER:
        date = applicant.stage_date(stage)
        steps.append(
            {
                "stage": stage,
                "label": STEP_LABELS[stage],
                "date": date,
                "is_next": stage == following,
                "earliest": earliest_on(applicant, stage) if stage == following else None,
            }
        )
    return steps


class ApplicantRevealView(RevealMixin, ApplicantDetailView):
    reveal_detail = _("身份证号码、联系电话、出生日期")


class ApplicantCreateView(ScopedMixin, ServiceFormMixin, CreateView):
    model = Applicant
    form_class = ApplicantForm
    template_name = "members/applicant_form.html"
    success_message = _("已登记入党申请人“%(name)s”。")

    def get_initial(self):
        initial = super().get_initial()
        pk = self.request.GET.get("organization", "")
        organization = (
            PartyOrganization.objects.restrict(self.access).filter(pk=pk).first() if pk.isdigit() else None
        )
        if organization:
            initial["organization"] = organization
        return initial


class ApplicantUpdateView(ScopedMixin, ServiceFormMixin, UpdateView):
    model = Applicant
    form_class = ApplicantForm
    template_name = "members/applicant_form.html"


class ApplicantEventView(ScopedMixin, SingleObjectMixin, FormView):
    """One step of an applicant (进入下一阶段, 终止): a small form, a service call, back to the file. A refusal of
    the service shows next to its field and nothing is saved."""

    model = Applicant
    queryset = Applicant.objects.select_related("organization__area", "enterprise")
    template_name = "members/applicant_event.html"
    writes = True
    form_class: type[ApplicantEventForm]
    title = _("办理")
    submit_label = _("保存")
    success_message = _("已办理“%(name)s”。")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "applicant": self.object}

    danger = False

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            title=self.title, intro=self.intro(), submit_label=self.submit_label, danger=self.danger, **kwargs
        )

    def intro(self) -> str:
        applicant = self.object
        stage = applicant.stage
        date = applicant.withdrawn_on if stage == Stage.WITHDRAWN else applicant.stage_date(stage)
        return _g("当前阶段：%(stage)s（%(d)s）。") % {"stage": Stage(stage).label, "d": date.isoformat()}

    def form_valid(self, form):
        try:
            with transaction.atomic():
                form.save()
        except ValidationError as exc:
            add_service_errors(form, exc, form.error_aliases)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"name": self.object})
        return HttpResponseRedirect(self.object.get_absolute_url())


class ApplicantAdvanceView(ApplicantEventView):
    form_class = AdvanceForm
    title = _("进入下一阶段")
    submit_label = _("确认")
    success_message = _("“%(name)s”已进入下一阶段。")


class ApplicantWithdrawView(ApplicantEventView):
    form_class = WithdrawForm
    title = _("终止发展")
    submit_label = _("确认终止")
    danger = True
    success_message = _("已终止“%(name)s”的入党申请。")


# --- the pipeline of an organisation or an area ----------------------------------------------------------------


class DevelopmentView(ScopedMixin, TemplateView):
    """People by stage today with what is due next, for an organisation (``?organization=``), an area's subtree
    (``?area=``, default the user's area) and the year's plan against admissions (``?year=``, default this year).
    Each stage lists its first ``cap`` people, oldest first; the register has them all."""

    template_name = "members/development.html"
    cap = 100

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        form = DevelopmentFilterForm(self.request.GET or None, access=self.access, today=today)
        context = super().get_context_data(form=form, today=today, cap=self.cap, **kwargs)
        if form.is_bound and not form.is_valid():
            return {**context, "groups": [], "year": today.year}
        data = form.cleaned_data if form.is_bound else {}
        organization, area = data.get("organization"), data.get("area")
        year = data.get("year") or today.year
        applicants = Applicant.objects.restrict(self.access)
        if organization is not None:
            area = None  # the organisation is the narrower choice
            applicants = applicants.filter(organization=organization)
            figures = PlanFigures(
                year=year,
                planned=None,
                admitted=applicants.admitted_in(year).filter(admitted_on__lte=today).count(),
            )
        else:
            area = area or self.access.area
            if area is not None:
                applicants = applicants.in_area(area)
            figures = plan_figures(year=year, today=today, access=self.access, area=area)
        scope = {"organization": organization.pk} if organization else {"area": area.code} if area else {}
        return {
            **context,
            "organization": organization,
            "area": area,
            "year": year,
            "figures": figures,
            "groups": pipeline(applicants, today, cap=self.cap),
            "admitted": applicants.admitted_in(year)
            .filter(admitted_on__lte=today)
            .select_related("organization", "member")
            .order_by("admitted_on", "name", "pk")[: self.cap],
            "scope_query": urlencode(scope),
        }


# --- 发展党员指导性计划 -----------------------------------------------------------------------------------------


def admitted_in_plan(today) -> Subquery:
    """Admissions dated in the plan's year (up to ``today``) in its area's subtree: a correlated count per plan
    row, as members.pipeline.plan_figures counts them."""
    counted = (
        Applicant.objects.filter(
            organization__area__path__startswith=OuterRef("area__path"),
            admitted_on__year=OuterRef("year"),
            admitted_on__lte=today,
        )
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        .values("n")
    )
    return Subquery(counted, output_field=IntegerField())


class DevelopmentPlanListView(FilteredListView):
    filterset_class = DevelopmentPlanFilterSet
    template_name = "members/development_plan_list.html"

    def get_queryset(self):
        self.queryset = (
            DevelopmentPlan.objects.select_related("area")
            .annotate(admitted=admitted_in_plan(timezone.localdate()))
            .order_by("-year", "area__path", "pk")
        )
        return super().get_queryset()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = list(context["object_list"])
        for plan in rows:
            plan.percent = percent(plan.admitted or 0, plan.planned)
        context["object_list"] = rows
        return context


class DevelopmentPlanFormMixin(ServiceFormMixin):
    model = DevelopmentPlan
    form_class = DevelopmentPlanForm
    template_name = "members/development_plan_form.html"
    success_message = _("已保存“%(name)s”年度发展党员计划。")

    def form_valid(self, form):
        # As ServiceFormMixin, back to the plans of the year (a plan has no page of its own).
        try:
            with transaction.atomic():
                form.check_version(lock=True)
                self.object = form.save()
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, self.success_message % {"name": self.object})
        query = urlencode({"year": self.object.year})
        return HttpResponseRedirect(f"{reverse('members:development_plan_list')}?{query}")


class DevelopmentPlanCreateView(ScopedMixin, DevelopmentPlanFormMixin, CreateView):
    def get_initial(self):
        initial = {**super().get_initial(), "year": timezone.localdate().year}
        area = Area.objects.restrict(self.access).filter(code=self.request.GET.get("area", "")).first()
        if area:
            initial["area"] = area
        return initial


class DevelopmentPlanUpdateView(ScopedMixin, DevelopmentPlanFormMixin, UpdateView):
    pass
