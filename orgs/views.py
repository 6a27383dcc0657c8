"""Organisation pages: thin views over OrganizationFilterSet, the forms and orgs.services."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, DetailView, UpdateView

from registry.audit import history
from registry.excel.views import ExportView
from registry.models import Area
from registry.views import EndView, FilteredListView, ScopedMixin, ServiceFormMixin, mark_current

from .filtersets import OrganizationFilterSet
from .forms import OrganizationForm
from .models import PartyOrganization
from .rules import organization_warnings
from .services import update_organization
from .workbook import export_organizations


class OrganizationListView(FilteredListView):
    filterset_class = OrganizationFilterSet
    template_name = "orgs/organization_list.html"

    def get_queryset(self):
        self.queryset = (
            PartyOrganization.objects.select_related("area", "secretary")
            .with_counts(timezone.localdate())
            .order_by("name", "pk")  # Meta.ordering is not applied to GROUP BY queries
        )
        return super().get_queryset()


class OrganizationDetailView(ScopedMixin, DetailView):
    template_name = "orgs/organization_detail.html"
    context_object_name = "organization"

    def get_queryset(self):
        return PartyOrganization.objects.select_related("area", "parent", "secretary").with_counts(
            timezone.localdate()
        )

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        org = self.object
        return super().get_context_data(
            today=today,
            active=org.active_on(today),
            links=mark_current(
                org.links.filter(self.access.path_q("enterprise__area__path"))
                .select_related("enterprise")
                .order_by("-start", "pk"),
                today,
            ),
            members=org.members.active_on(today).select_related("enterprise"),
            children=org.children.restrict(self.access).order_by("name"),
            history=history(org, related=[org.links.all()]),
            warnings=organization_warnings(
                kind=org.kind,
                setup=org.setup,
                member_count=org.member_count,
                full_member_count=org.full_member_count,
                unit_count=org.unit_count,
                has_committee=org.has_committee,
                term_ends_on=org.term_ends_on,
                on=today,
            ),
            **kwargs,
        )


class OrganizationCreateView(ScopedMixin, ServiceFormMixin, CreateView):
    model = PartyOrganization
    form_class = OrganizationForm
    template_name = "orgs/organization_form.html"

    def get_initial(self):
        initial = super().get_initial()
        area = Area.objects.restrict(self.access).filter(code=self.request.GET.get("area", "")).first()
        if area:
            initial["area"] = area
        return initial


class OrganizationUpdateView(ScopedMixin, ServiceFormMixin, UpdateView):
    model = PartyOrganization
    form_class = OrganizationForm
    template_name = "orgs/organization_form.html"


class OrganizationEndView(EndView):
    model = PartyOrganization
    template_name = "orgs/organization_end.html"
    date_label = _("撤销日期")
    date_help = _("当日起不再计入，其覆盖关系同日结束。")
    error_aliases = {"dissolved_on": "on"}
    success_message = _("“%(name)s”已撤销。")

    def end(self, data: dict) -> None:
        update_organization(organization=self.object, dissolved_on=data["on"])


class OrganizationExportView(ExportView):
    filterset_class, model, filename = OrganizationFilterSet, PartyOrganization, "党组织"

    def write(self, queryset):
        return export_organizations(queryset)
