"""Organisation pages: thin views over OrganizationFilterSet, the forms and orgs.services."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import CreateView, DetailView, UpdateView

from registry.audit import history
from registry.excel.views import ExportView
from registry.models import Area, Enterprise
from registry.periods import PeriodError, Quarter
from registry.querysets import pinyin_order
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


def chosen_date(text: str | None, default: dt.date) -> tuple[dt.date, str]:
    """``?date=`` as a date (default ``default``) and a Chinese message when it could not be read."""
    if not text:
        return default, ""
    try:
        return dt.date.fromisoformat(text.strip()), ""
    except ValueError:
        return default, _g("日期“%(t)s”无法识别，应为如 2025-03-01 的日期；已显示今日。") % {"t": text}


def chosen_quarter(text: str | None) -> tuple[Quarter, str]:
    """``?period=`` as a Quarter (default the current one) and a Chinese message when it could not be read."""
    if not text:
        return Quarter.current(), ""
    try:
        return Quarter.parse(text), ""
    except PeriodError as exc:
        return Quarter.current(), _g("%(e)s 已显示本季度。") % {"e": exc}


class OrganizationDetailView(ScopedMixin, DetailView):
    """The organisation, its members as of ``?date=`` (default today, paginated) and who joined or left it in the
    quarter ``?period=`` (default the current one)."""

    template_name = "orgs/organization_detail.html"
    context_object_name = "organization"
    members_per_page = FilteredListView.paginate_by
    max_page_size = FilteredListView.max_page_size
    moves_cap = 200  # joined / left in one quarter: more than this is shown as a note, not a longer page

    def get_queryset(self):
        return PartyOrganization.objects.select_related("area", "parent", "secretary").with_counts(
            timezone.localdate()
        )

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        org = self.object
        on, date_error = chosen_date(self.request.GET.get("date"), today)
        quarter, period_error = chosen_quarter(self.request.GET.get("period"))
        members = Paginator(self._members_on(on), self._page_size()).get_page(self.request.GET.get("page"))
        categories = dict(org.members.model._meta.get_field("category").choices)
        for member in members:
            member.category_then = categories.get(member.category_on(on), "")
        joined, left = self._moves(quarter)
        return super().get_context_data(
            today=today,
            on=on,
            date_error=date_error,
            quarter=quarter,
            period_error=period_error,
            joined=joined[: self.moves_cap],
            left=left[: self.moves_cap],
            moves_capped=len(joined) > self.moves_cap or len(left) > self.moves_cap,
            moves_cap=self.moves_cap,
            active=org.active_on(today),
            links=mark_current(
                org.links.filter(self.access.path_q("enterprise__area__path"))
                .select_related("enterprise")
                .order_by("-start", "pk"),
                today,
            ),
            members=members,
            page_obj=members,
            children=org.children.restrict(self.access).order_by("name"),
            # 发展党员 files still open (members.Applicant, reached through the relation: orgs does not import it).
            applicants_in_training=org.applicants.filter(
                admitted_on__isnull=True, withdrawn_on__isnull=True
            ).count(),
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

    def _page_size(self) -> int:
        try:
            size = int(self.request.GET.get("page_size", ""))
        except ValueError:
            return self.members_per_page
        return max(1, min(size, self.max_page_size))

    def _members_on(self, on: dt.date):
        """Members whose membership on ``on`` was held here, with that membership's first day and the workplace
        they had that day (one query: members.Member reached through the relation, orgs does not import members)."""
        org = self.object
        member_model = org.members.model
        employment_model = member_model.employments.rel.related_model
        held = org.memberships.active_on(on).filter(member=OuterRef("pk"))
        worked = employment_model.objects.active_on(on).filter(member=OuterRef("pk"))
        return (
            member_model.objects.held_on(on, organization=org)
            .annotate(
                held_since=Subquery(held.values("start")[:1]),
                enterprise_then=Subquery(worked.values("enterprise__name")[:1]),
            )
            .order_by("name", "pk")
        )

    def _moves(self, quarter: Quarter) -> tuple[list, list]:
        """Memberships of this organisation that began / ended in ``quarter``, each with the organisation the
        member came from / went to when the move was inside the registry (the row ending / starting that day)."""
        org = self.object
        rows = org.memberships.model.objects
        came_from = rows.filter(member=OuterRef("member"), end=OuterRef("start")).values("organization__name")
        went_to = rows.filter(member=OuterRef("member"), start=OuterRef("end")).values("organization__name")
        first, last = quarter.first_day, quarter.last_day
        joined = (
            org.memberships.filter(start__gte=first, start__lte=last)
            .select_related("member")
            .annotate(other=Subquery(came_from[:1]))
            .order_by("start", "member__name", "pk")
        )
        left = (
            org.memberships.filter(end__gte=first, end__lte=last)
            .select_related("member")
            .annotate(other=Subquery(went_to[:1]))
            .order_by("end", "member__name", "pk")
        )
        return list(joined[: self.moves_cap + 1]), list(left[: self.moves_cap + 1])


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


class UnitOptionsView(ScopedMixin, View):
    """The units the organisation form's picker offers for ``?area=<id>`` (JSON, for static/js/unit-picker.js):
    those operating today in that area's subtree and the user's, in pinyin order, labelled as the form labels
    them. The form offers the same list when it is drawn (registry.forms.offer_enterprises_in)."""

    http_method_names = ["get"]
    writes = True  # only for roles that may write organisations

    def get(self, request):
        pk = request.GET.get("area", "")
        area = Area.objects.restrict(self.access).filter(pk=pk).first() if pk.isdigit() else None
        if area is None:
            return JsonResponse({"units": []})
        field = OrganizationForm.base_fields["enterprises"]
        units = (
            Enterprise.objects.restrict(self.access)
            .operating_on(timezone.localdate())
            .in_area(area)
            .order_by(*pinyin_order("name"))
        )
        return JsonResponse(
            {"units": [{"id": e.pk, "label": field.label_from_instance(e)} for e in units]},
            json_dumps_params={"ensure_ascii": False},
        )


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
        return export_organizations(queryset, heading=self.heading)
