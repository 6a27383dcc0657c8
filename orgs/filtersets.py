"""The organisation FilterSet shared by the list page, the API and the export."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.filtersets import STATUS_CHOICES, AreaSubtreeFilter, AsOfTodayMixin, PinyinOrderMixin
from registry.rules import normalize_text

from .choices import OrgKind, Setup
from .models import PartyOrganization


class OrganizationFilterSet(PinyinOrderMixin, AsOfTodayMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("名称或批复文号"))
    area = AreaSubtreeFilter(field_name="area")
    kind = django_filters.ChoiceFilter(choices=OrgKind.choices, label=_("组织类别"), empty_label=_("全部"))
    setup = django_filters.ChoiceFilter(choices=Setup.choices, label=_("组建方式"), empty_label=_("全部"))
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label=_("状态"), empty_label=_("全部")
    )

    class Meta:
        model = PartyOrganization
        fields = ["q", "area", "kind", "setup", "status"]

    def filter_q(self, queryset, name, value):
        text = normalize_text(value)
        if not text:
            return queryset
        return queryset.filter(Q(name__icontains=text) | Q(approval_no__icontains=text))

    def filter_status(self, queryset, name, value):
        active = queryset.active_on(self.as_of)
        if value == "active":
            return active
        if value == "ended":
            return queryset.exclude(pk__in=active.values("pk"))
        return queryset
