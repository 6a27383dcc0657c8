"""Member, instructor, applicant and development-plan FilterSets shared by the list pages, the API and the export."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgs.models import PartyOrganization
from registry.filtersets import (
    STATUS_CHOICES,
    AreaSubtreeFilter,
    AsOfTodayMixin,
    PinyinOrderMixin,
    yes_no_any,
)
from registry.models import Area
from registry.rules import normalize_code, normalize_text

from .choices import STAGE_DATE, STAGE_ORDER, MemberCategory, Stage
from .models import Applicant, DevelopmentPlan, Instructor, Member

MEMBER_STATUS_CHOICES = [("active", _("在册")), ("ended", _("已减少"))]


class MemberFilterSet(PinyinOrderMixin, AsOfTodayMixin, django_filters.FilterSet):
    """Where a member is (organisation, area) and whether they are active are read as of ``date`` (default today)
    from their dated memberships, so a member transferred since is found where they were that day."""

    q = django_filters.CharFilter(method="filter_q", label=_("姓名或完整身份证号"))
    # Members count where the membership is held: the area of their organisation.
    area = AreaSubtreeFilter(method="filter_area", label=_("组织关系所在区域（含下级）"))
    organization = django_filters.ModelChoiceFilter(
        queryset=PartyOrganization.objects.order_by("name", "pk"),
        method="filter_organization",
        label=_("所在党组织"),
    )
    category = django_filters.ChoiceFilter(
        choices=MemberCategory.choices, label=_("党员类别"), empty_label=_("全部")
    )
    is_mobile = django_filters.BooleanFilter(label=_("流动党员"), widget=yes_no_any())
    # The list page shows 在册 (active) unless asked; the API's default stays all members, as clients expect.
    status = django_filters.ChoiceFilter(
        choices=MEMBER_STATUS_CHOICES, method="filter_status", label=_("状态"), empty_label=_("全部")
    )
    date = django_filters.DateFilter(
        method="filter_date",
        label=_("查询日期"),
        help_text=_("所在党组织、区域和状态按此日计算，默认今天"),
    )

    class Meta:
        model = Member
        fields = ["q", "area", "organization", "category", "is_mobile", "status", "date"]

    @property
    def as_of(self) -> dt.date:
        # Read by the filter methods, which run only once the form is valid.
        chosen = getattr(self.form, "cleaned_data", {}).get("date")
        return chosen or super().as_of

    def filter_date(self, queryset, name, value):
        return queryset  # only sets the day the other filters are read on (as_of)

    def filter_area(self, queryset, name, value: Area):
        return queryset.held_on(self.as_of, area=value)

    def filter_organization(self, queryset, name, value):
        return queryset.held_on(self.as_of, organization=value)

    def filter_q(self, queryset, name, value):
        text = normalize_text(value)
        if not text:
            return queryset
        # The ID number matches whole only: a fragment must not narrow down someone's number.
        return queryset.filter(Q(name__icontains=text) | Q(id_number=normalize_code(text)))

    def filter_status(self, queryset, name, value):
        active = queryset.active_on(self.as_of)
        if value == "active":
            return active
        if value == "ended":
            return queryset.exclude(pk__in=active.values("pk"))
        return queryset


class InstructorFilterSet(PinyinOrderMixin, AsOfTodayMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("姓名或派出单位"))
    area = AreaSubtreeFilter(field_name="area", label=_("所属区域（含下级）"))
    full_time = django_filters.BooleanFilter(label=_("专职"), widget=yes_no_any())
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label=_("状态"), empty_label=_("全部")
    )

    class Meta:
        model = Instructor
        fields = ["q", "area", "full_time", "status"]

    def filter_q(self, queryset, name, value):
        text = normalize_text(value)
        if not text:
            return queryset
        return queryset.filter(Q(name__icontains=text) | Q(unit__icontains=text))

    def filter_status(self, queryset, name, value):
        active = Q(ended_on__isnull=True) | Q(ended_on__gt=self.as_of)
        if value == "active":
            return queryset.filter(active)
        if value == "ended":
            return queryset.exclude(active)
        return queryset


def current_stage_q(stage: str) -> Q:
    """Applicants whose file stands at ``stage`` now, as ``Applicant.stage`` reads it: the last stage with a date,
    or withdrawn once a withdrawal is on file."""
    if stage == Stage.WITHDRAWN:
        return Q(withdrawn_on__isnull=False)
    q = Q(withdrawn_on__isnull=True)
    if stage != Stage.APPLICANT:
        q &= Q(**{f"{STAGE_DATE[stage]}__isnull": False})
    for later in STAGE_ORDER[STAGE_ORDER.index(stage) + 1 :]:
        q &= Q(**{f"{STAGE_DATE[later]}__isnull": True})
    return q


class ApplicantFilterSet(PinyinOrderMixin, django_filters.FilterSet):
    """发展党员: applicants are found where the organisation training them is."""

    q = django_filters.CharFilter(method="filter_q", label=_("姓名或完整身份证号"))
    area = AreaSubtreeFilter(field_name="organization__area", label=_("培养党组织所在区域（含下级）"))
    organization = django_filters.ModelChoiceFilter(
        queryset=PartyOrganization.objects.order_by("name", "pk"), label=_("培养党组织")
    )
    stage = django_filters.ChoiceFilter(
        choices=Stage.choices, method="filter_stage", label=_("当前阶段"), empty_label=_("全部")
    )

    class Meta:
        model = Applicant
        fields = ["q", "area", "organization", "stage"]

    def filter_q(self, queryset, name, value):
        text = normalize_text(value)
        if not text:
            return queryset
        # As for members: the ID number matches whole only.
        return queryset.filter(Q(name__icontains=text) | Q(id_number=normalize_code(text)))

    def filter_stage(self, queryset, name, value):
        return queryset.filter(current_stage_q(value)) if value else queryset


# The years a plan may be given for (members.api.serializers, reports' development/ take the same).
PLAN_YEARS = (1900, 9999)


class YearFilter(django_filters.NumberFilter):
    """A whole year in :data:`PLAN_YEARS`; anything else is an error, not a silently empty list."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", PLAN_YEARS[0])
        kwargs.setdefault("max_value", PLAN_YEARS[1])
        super().__init__(*args, **kwargs)


class DevelopmentPlanFilterSet(django_filters.FilterSet):
    area = AreaSubtreeFilter(field_name="area", label=_("区域（含下级）"))
    year = YearFilter(field_name="year", label=_("年度"))

    class Meta:
        model = DevelopmentPlan
        fields = ["area", "year"]
