"""Reported figures (上报数字) over REST: ``reported-figures/``. The serializer checks shapes only; every rule and
write is reports.closing.reported's, and each row is read with the registry's stored figure beside it (one query
for a whole page: reports.closing.reported.with_computed)."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers

from registry.api.docs import LIST, SCOPE
from registry.api.filters import ScopedFilterSetMixin, StrictBooleanFilter
from registry.api.serializers import INT_MAX, AreaCodeField, PlainTextMixin, ScopedRelationsMixin, call_rule
from registry.api.viewsets import ScopedViewSet
from registry.models import Area
from registry.numbers import percent
from registry.periods import PeriodError, Quarter
from registry.validators import check_text

from ..closing.reported import (
    delete_reported_figure,
    parse_reported_period,
    record_reported_figure,
    update_reported_figure,
    with_computed,
)
from ..models import Indicator, ReportedFigure

# --- serializer -------------------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "pattern": r"^\d{4}Q[1-4]$", "example": "2025Q3"})
class ReportedPeriodField(serializers.CharField):
    """A quarter such as 2025Q3 that has begun (reports.closing.reported.parse_reported_period)."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        return call_rule(parse_reported_period, text)

    def to_representation(self, value):
        return str(value)


class IndicatorCodeField(serializers.SlugRelatedField):
    """An indicator given and shown by its code."""

    default_error_messages = {
        "does_not_exist": _("未知的指标代码“{value}”，全部指标见 GET /api/v1/coverage/indicators/。"),
        "invalid": _("请填写指标代码。"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Indicator.objects.all())
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data):
        call_rule(check_text, data)  # a NUL must not reach the lookup (PostgreSQL refuses it: a 500)
        return super().to_internal_value(data)


COMPUTED_SCHEMA = {
    "type": "object",
    "nullable": True,
    "readOnly": True,
    "description": "台账计算数：该区域（含下级区域）该季度该指标的统计数字；该季度尚未统计时为 null。",
    "properties": {"numerator": {"type": "integer"}, "denominator": {"type": "integer"}},
    "required": ["numerator", "denominator"],
}


class ReportedFigureSerializer(PlainTextMixin, ScopedRelationsMixin, serializers.ModelSerializer):
    area = AreaCodeField(help_text=_("区域代码（须在本人范围内）"))
    period = ReportedPeriodField(help_text=_("季度，如 2025Q3；不能晚于当前季度"))
    indicator = IndicatorCodeField(help_text=_("指标代码，如 org-coverage-above-scale"))
    indicator_name = serializers.CharField(source="indicator.name", read_only=True, help_text=_("指标名称"))
    numerator = serializers.IntegerField(min_value=0, max_value=INT_MAX, help_text=_("上报分子"))
    denominator = serializers.IntegerField(min_value=0, max_value=INT_MAX, help_text=_("上报分母"))
    percent = serializers.SerializerMethodField(help_text=_("上报比率（百分数，字符串，如 51.5）"))
    computed = serializers.SerializerMethodField()
    computed_percent = serializers.SerializerMethodField(help_text=_("台账计算的比率；未统计时为 null"))
    matches = serializers.SerializerMethodField(help_text=_("上报数与台账计算数（分子、分母）是否一致"))
    recorded_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, help_text=_("录入人账号")
    )

    class Meta:
        model = ReportedFigure
        fields = [
            "id",
            "area",
            "period",
            "indicator",
            "indicator_name",
            "numerator",
            "denominator",
            "percent",
            "computed",
            "computed_percent",
            "matches",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = ["recorded_at"]
        validators: list = []  # one per area, quarter and indicator: the service's check, with a Chinese message

    @staticmethod
    def _computed(figure) -> tuple[int, int] | None:
        n = getattr(figure, "computed_numerator", None)
        d = getattr(figure, "computed_denominator", None)
        return None if n is None or d is None else (n, d)

    @extend_schema_field(COMPUTED_SCHEMA)
    def get_computed(self, figure) -> dict | None:
        computed = self._computed(figure)
        return None if computed is None else {"numerator": computed[0], "denominator": computed[1]}

    def get_matches(self, figure) -> bool:
        return self._computed(figure) == (figure.numerator, figure.denominator)

    def get_percent(self, figure) -> str | None:
        return _percent_text(figure.numerator, figure.denominator, figure.indicator.decimals)

    def get_computed_percent(self, figure) -> str | None:
        computed = self._computed(figure)
        if computed is None:
            return None
        return _percent_text(*computed, figure.indicator.decimals)


def _percent_text(numerator: int, denominator: int, decimals: int) -> str | None:
    value = percent(numerator, denominator, decimals)
    return None if value is None else str(value)


# --- filters ----------------------------------------------------------------------------------------------------


class QuarterFormField(forms.CharField):
    """``?period=2025Q3``: a quarter, or a 400 in Chinese."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            return Quarter.parse(text)
        except PeriodError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


class QuarterFilter(django_filters.CharFilter):
    field_class = QuarterFormField


class ReportedFigureFilterSet(ScopedFilterSetMixin, django_filters.FilterSet):
    area = django_filters.ModelChoiceFilter(
        field_name="area",
        to_field_name="code",
        queryset=Area.objects.order_by("path"),
        label=_("区域代码：只列该区域本身的上报数字（不含下级区域）"),
    )
    period = QuarterFilter(field_name="period", label=_("季度，如 2025Q3"))
    indicator = django_filters.ModelChoiceFilter(
        field_name="indicator",
        to_field_name="code",
        queryset=Indicator.objects.all(),
        label=_("指标代码"),
    )
    matches = StrictBooleanFilter(
        field_name="matches", label=_("true：只列与台账计算数一致的；false：只列不一致或尚未统计的")
    )

    class Meta:
        model = ReportedFigure
        fields = ["area", "period", "indicator", "matches"]


# --- viewset ----------------------------------------------------------------------------------------------------

ABOUT = (
    "上报数字：各区域每季度向上级报送（党内统计）的各项指标分子、分母，与台账计算数并列。"
    "`computed` 为台账计算数（该区域含下级区域、该季度、该指标已统计的分子和分母；该季度尚未统计时为 null），"
    "`matches` 为上报数与台账计算数是否一致（分子、分母都相同；未统计时为 false）。"
)
WRITE = (
    "需要写入权限（系统管理员、组织部工作人员），只能登记本人范围内的区域；只读角色返回 403。"
    "字段有误时返回 400，指明每个字段的问题（如分子大于分母、未知的指标代码、季度格式不对或晚于当前季度），"
    "不保存任何内容。"
)
RULES = "同一区域、季度和指标只能登记一条，再次登记返回 400 并指明已登记的记录，请改用 PUT/PATCH 修改该条。"
EXAMPLE = '请求示例：`{"area": "P01", "period": "2025Q3", "indicator": "org-coverage-above-scale", "numerator": 35, "denominator": 68}`'


@extend_schema_view(
    list=extend_schema(
        summary="上报数字列表",
        description=f"{ABOUT}\n\n{SCOPE}可按下方参数筛选（`area` 只筛该区域本身）。{LIST}",
    ),
    create=extend_schema(
        summary="登记上报数字",
        description=f"登记一个区域一个季度一项指标的上报分子、分母。{RULES}\n\n{EXAMPLE}\n\n{WRITE}"
        "成功时返回 201 和新记录（含台账计算数）。",
    ),
    retrieve=extend_schema(summary="上报数字详情", description=f"{ABOUT}\n\n{SCOPE}"),
    update=extend_schema(
        summary="修改上报数字（全部字段）",
        description=f"修改一条上报数字，须提交全部必填字段。{RULES}\n\n{WRITE}",
    ),
    partial_update=extend_schema(
        summary="修改上报数字（部分字段）",
        description=f"只修改请求中给出的字段，如只改分子、分母。{RULES}\n\n{WRITE}",
    ),
    destroy=extend_schema(
        summary="删除上报数字",
        description=f"删除一条登记错的上报数字（该指标即为未上报），成功时返回 204。{SCOPE}{WRITE}",
    ),
)
class ReportedFigureViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """Reported figures of the areas in the caller's subtree (outside it: 404), each with the stored figure."""

    serializer_class = ReportedFigureSerializer
    filterset_class = ReportedFigureFilterSet

    def get_queryset(self):
        rows = ReportedFigure.objects.filter(self.access.path_q("area__path")).select_related(
            "area", "indicator", "recorded_by"
        )
        return with_computed(rows).order_by("-period", "area__path", "indicator__position", "pk")

    def refetch(self, pk):
        return self.get_queryset().get(pk=pk)

    def perform_create(self, serializer):
        figure = record_reported_figure(**serializer.validated_data, user=self.request.user)
        serializer.instance = self.refetch(figure.pk)

    def perform_update(self, serializer):
        figure = update_reported_figure(
            figure=serializer.instance, user=self.request.user, **serializer.validated_data
        )
        serializer.instance = self.refetch(figure.pk)

    def perform_destroy(self, instance):
        delete_reported_figure(figure=instance, user=self.request.user)
