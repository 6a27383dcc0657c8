"""The quarter bridge (数字衔接) over REST: last quarter's closing figure to this quarter's, line by line."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.access import access_for

from ..engine.bridge import Bridge, BridgeLine, bridge
from ..params import parse_selection
from .views import AREA, INDICATOR, PERIOD, SelectionMixin


class RatioSerializer(serializers.Serializer):
    """分子与分母（家）。"""

    numerator = serializers.IntegerField(help_text="分子（家）")
    denominator = serializers.IntegerField(help_text="分母（家）")


class BridgeLineSerializer(serializers.Serializer):
    """数字衔接的一行：一个原因使分子、分母增加（entered）或减少（left）的单位数（均为非负数）。"""

    reason = serializers.CharField(
        help_text="原因代码：`new` 新成立或新迁入登记范围、`moved_in` 由其他区域调入、`above_scale` 新列为规模以上、"
        "`deregistered` 注销或迁出登记范围、`moved_out` 调往其他区域、`below_scale` 不再是规模以上、"
        "`org_founded` 新成立党组织、`org_dissolved` 党组织撤销、`link_changed` 党组织覆盖关系变化、"
        "`instructor_assigned` 选派党建指导员、`instructor_ended` 党建指导员撤出、`other` 其他（如更正登记信息）"
    )
    label = serializers.CharField(help_text="原因的中文说明")
    numerator = serializers.IntegerField(help_text="分子变动（家）")
    denominator = serializers.IntegerField(help_text="分母变动（家）")
    enterprises_url = serializers.CharField(help_text="这一行单位名单的页面地址")


class BridgeSerializer(serializers.Serializer):
    """与上季度的数字衔接：期初（上季度末）+ 增加 − 减少 = 期末（本季度末），分子、分母分别成立。"""

    area = serializers.CharField(help_text="区域代码")
    period = serializers.CharField(help_text="本季度，如 `2025Q3`")
    previous_period = serializers.CharField(help_text="上季度，如 `2025Q2`")
    indicator = serializers.CharField(help_text="指标代码")
    comparable = serializers.BooleanField(
        help_text="上季度是否已统计；为 false 时期初按 0 计，全部单位列为新增"
    )
    opening = RatioSerializer(help_text="期初：上季度末的分子、分母")
    closing = RatioSerializer(help_text="期末：本季度末的分子、分母")
    entered = BridgeLineSerializer(many=True, help_text="增加：按原因分行，没有单位的原因不列出")
    left = BridgeLineSerializer(many=True, help_text="减少：按原因分行，没有单位的原因不列出")


BRIDGE_EXAMPLE = OpenApiExample(
    "开发区 2025 年第三季度",
    value={
        "area": "KFQ",
        "period": "2025Q3",
        "previous_period": "2025Q2",
        "indicator": "org-coverage-above-scale",
        "comparable": True,
        "opening": {"numerator": 32, "denominator": 66},
        "closing": {"numerator": 35, "denominator": 68},
        "entered": [
            {
                "reason": "above_scale",
                "label": "新列为规模以上",
                "numerator": 1,
                "denominator": 2,
                "enterprises_url": "/coverage/bridge/enterprises/?area=KFQ&period=2025Q3"
                "&indicator=org-coverage-above-scale&side=entered&reason=above_scale",
            },
            {
                "reason": "org_founded",
                "label": "新成立党组织",
                "numerator": 2,
                "denominator": 0,
                "enterprises_url": "/coverage/bridge/enterprises/?area=KFQ&period=2025Q3"
                "&indicator=org-coverage-above-scale&side=entered&reason=org_founded",
            },
        ],
        "left": [],
    },
    response_only=True,
)


def enterprises_url(b: Bridge, side: str, line: BridgeLine) -> str:
    """The drill-through page of one line (the page, not an API endpoint: it lists the units with their states)."""
    return (
        reverse("reports:bridge_enterprises")
        + "?"
        + urlencode(
            {
                "area": b.area.code,
                "period": str(b.period),
                "indicator": b.indicator.code,
                "side": side,
                "reason": line.reason,
            }
        )
    )


def bridge_data(b: Bridge) -> dict:
    """A bridge as the API answers it (the REST contract's keys)."""

    def lines(side: str, rows: list[BridgeLine]) -> list[dict]:
        return [
            {
                "reason": line.reason,
                "label": line.label,
                "numerator": line.numerator,
                "denominator": line.denominator,
                "enterprises_url": enterprises_url(b, side, line),
            }
            for line in rows
        ]

    return {
        "area": b.area.code,
        "period": str(b.period),
        "previous_period": str(b.previous),
        "indicator": b.indicator.code,
        "comparable": b.comparable,
        "opening": {"numerator": b.opening.numerator, "denominator": b.opening.denominator},
        "closing": {"numerator": b.closing.numerator, "denominator": b.closing.denominator},
        "entered": lines("entered", b.entered),
        "left": lines("left", b.left),
    }


class BridgeView(SelectionMixin, APIView):
    """The bridge of an area, quarter and indicator; a quarter not computed yet is a 404 like ``coverage/``."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A bridge joins two quarter ends: an as-of date has no place here and is ignored, as the series ignores
        # the quarter.
        params = request.query_params.copy()
        params.pop("date", None)
        self.selection = parse_selection(params, access_for(request.user))

    @extend_schema(
        summary="与上季度数字衔接",
        description=(
            "一个区域（含全部下级区域）某季度一项覆盖指标的数字衔接：上季度末的分子、分母（期初），"
            "本季度增加和减少的单位按原因分行列出，以及本季度末的分子、分母（期末）。"
            "期初 + 增加合计 − 减少合计 = 期末，分子、分母分别成立；每个单位只列在一行，"
            "先看分母的原因（新成立、调入调出、规上变化、注销），再看分子的原因（党组织成立或撤销、覆盖关系变化、"
            "选派或撤出党建指导员），都不能说明的列为 `other`。没有单位的原因不列出。"
            "`enterprises_url` 是这一行单位名单的页面。\n\n"
            "上季度尚未统计时期初为 0，全部单位列为 `new`；本季度尚未统计时返回 404。\n\n"
            "请求示例：\n\n"
            "```\nGET /api/v1/coverage/bridge/?area=KFQ&period=2025Q3&indicator=org-coverage-above-scale\n"
            "Authorization: Token <令牌>\n```"
        ),
        parameters=[AREA, PERIOD, INDICATOR],
        responses=BridgeSerializer,
        examples=[BRIDGE_EXAMPLE],
    )
    def get(self, request):
        s = self.selection
        period, area, indicator = s.period, s.area, s.indicator  # the order errors are reported in
        return Response(bridge_data(bridge(area, period, indicator)))
