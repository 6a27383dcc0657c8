"""FilterSets shared by the list pages, the API and the Excel export: one set of filters, one meaning.

Date-dependent filters (规上, coverage, 在营) are taken as of today.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Category, CoverageState
from .models import Area, Enterprise
from .querysets import pinyin_order
from .rules import normalize_code, normalize_text

STATUS_CHOICES = [("active", _("存续/在营")), ("ended", _("已结束"))]


def yes_no_any() -> forms.Select:
    """A select for BooleanFilter: 全部 / 是 / 否 (sent as ``true`` / ``false``, as the API expects)."""
    return forms.Select(choices=[("", _("全部")), ("true", _("是")), ("false", _("否"))])


class AreaSubtreeFilter(django_filters.ModelChoiceFilter):
    """``?area=<area code>``: rows whose area (at ``field_name``) lies in that area's subtree."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Area.objects.order_by("path"))
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("label", _("区域（含下级）"))
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": Area.objects.subtree_of(value)})


class PinyinOrderMixin:
    """The rows of a FilterSet come sorted by name in pinyin order (registry.querysets.pinyin_order): one order for
    the list page, the API and the download, which all filter through the FilterSet."""

    pinyin_field = "name"

    @property
    def qs(self):
        if not hasattr(self, "_pinyin_qs"):
            self._pinyin_qs = super().qs.order_by(*pinyin_order(self.pinyin_field))
        return self._pinyin_qs


class AsOfTodayMixin:
    @property
    def as_of(self) -> dt.date:
        return timezone.localdate()


class EnterpriseFilterSet(PinyinOrderMixin, AsOfTodayMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("名称或信用代码"))
    area = AreaSubtreeFilter(field_name="area")
    category = django_filters.ChoiceFilter(choices=Category.choices, label=_("类别"), empty_label=_("全部"))
    above_scale = django_filters.BooleanFilter(
        method="filter_above_scale", label=_("规模以上"), widget=yes_no_any()
    )
    coverage = django_filters.ChoiceFilter(
        choices=CoverageState.choices, method="filter_coverage", label=_("覆盖状态"), empty_label=_("全部")
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="filter_status", label=_("状态"), empty_label=_("全部")
    )

    class Meta:
        model = Enterprise
        fields = ["q", "area", "category", "above_scale", "coverage", "status"]

    def filter_q(self, queryset, name, value):
        text = normalize_text(value)
        if not text:
            return queryset
        return queryset.filter(Q(name__icontains=text) | Q(credit_code__icontains=normalize_code(text)))

    def filter_above_scale(self, queryset, name, value):
        if value is None:
            return queryset
        if "is_above_scale" not in queryset.query.annotations:
            queryset = queryset.with_above_scale(self.as_of)
        return queryset.filter(is_above_scale=value)

    def filter_coverage(self, queryset, name, value):
        if not value:
            return queryset
        if "coverage" not in queryset.query.annotations:
            queryset = queryset.with_coverage(self.as_of)
        return queryset.filter(coverage=value)

    def filter_status(self, queryset, name, value):
        operating = queryset.operating_on(self.as_of)
        if value == "active":
            return operating
        if value == "ended":
            return queryset.exclude(pk__in=operating.values("pk"))
        return queryset
