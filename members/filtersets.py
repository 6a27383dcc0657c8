"""Member and instructor FilterSets shared by the list pages, the API and the export."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgs.models import PartyOrganization
from registry.filtersets import STATUS_CHOICES, AreaSubtreeFilter, AsOfTodayMixin, yes_no_any
from registry.rules import normalize_code, normalize_text

from .choices import MemberCategory
from .models import Instructor, Member


class MemberFilterSet(AsOfTodayMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("姓名或完整身份证号"))
    # Members count where the membership is held: the area of their organisation.
    area = AreaSubtreeFilter(field_name="organization__area", label=_("组织关系所在区域（含下级）"))
    organization = django_filters.ModelChoiceFilter(
        queryset=PartyOrganization.objects.order_by("name", "pk"), label=_("所在党组织")
    )
    category = django_filters.ChoiceFilter(
        choices=MemberCategory.choices, label=_("党员类别"), empty_label=_("全部")
    )
    is_mobile = django_filters.BooleanFilter(label=_("流动党员"), widget=yes_no_any())
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label=_("状态"), empty_label=_("全部")
    )

    class Meta:
        model = Member
        fields = ["q", "area", "organization", "category", "is_mobile", "status"]

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


class InstructorFilterSet(AsOfTodayMixin, django_filters.FilterSet):
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
