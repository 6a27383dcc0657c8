"""发展党员 figures over REST: ``development/?area=&year=``, the year's plan against admissions and the pipeline.

Answered live from reports.engine.development (two aggregate queries), not cached: applicant writes bump no
figures generation, so a cached answer could not know it went stale.
"""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from members.filtersets import PLAN_YEARS

from ..engine.development import development_figures
from ..params import BadParameter
from .views import SelectionMixin

AREA = OpenApiParameter("area", str, description="区域代码（默认：本人所在区域；系统管理员为顶级区域）")
YEAR = OpenApiParameter(
    "year",
    {"type": "integer", "minimum": PLAN_YEARS[0], "maximum": PLAN_YEARS[1]},
    description="年度（默认今年）",
)


def parse_year(text: str | None) -> int:
    """The asked year, this year when not given; else a 400 naming ``year``."""
    if not text:
        return timezone.localdate().year
    year = int(text) if re.fullmatch(r"[0-9]{4}", text) else None
    if year is None or not PLAN_YEARS[0] <= year <= PLAN_YEARS[1]:
        raise BadParameter(
            "year",
            _("年度应为 %(low)s 至 %(high)s 之间的整数，收到“%(text)s”。")
            % {"low": PLAN_YEARS[0], "high": PLAN_YEARS[1], "text": text},
        )
    return year


class DevelopmentSerializer(serializers.Serializer):
    """A year's 发展党员 figures over an area's subtree."""

    area = serializers.CharField(source="area.code", help_text="区域代码")
    year = serializers.IntegerField()
    planned = serializers.IntegerField(
        allow_null=True,
        help_text="指导性计划：该区域及其下级各级计划之和；辖区内该年度没有任何计划时为 null",
    )
    admitted = serializers.IntegerField(help_text="该年度内（当年截至今天）接收为预备党员的人数")
    percent = serializers.DecimalField(
        max_digits=8,
        decimal_places=None,
        coerce_to_string=True,
        allow_null=True,
        help_text='完成率 admitted / planned，百分数，四舍五入保留一位小数（如 "51.5"）；planned 为 null 或 0 时为 null',
    )
    applicants = serializers.IntegerField(help_text="年末（当年为今天）的入党申请人数")
    activists = serializers.IntegerField(help_text="年末（当年为今天）的入党积极分子数")
    candidates = serializers.IntegerField(help_text="年末（当年为今天）的发展对象数")


class DevelopmentView(SelectionMixin, APIView):
    """The year's plan, admissions and people at each stage over the area's subtree (outside it: 404)."""

    @extend_schema(
        summary="发展党员计划完成情况",
        description=(
            "一个区域（含全部下级区域）一年的发展党员指导性计划、已接收的预备党员人数和完成率，"
            "以及年末（当年为今天）处在各阶段的人数：入党申请人、入党积极分子、发展对象。\n\n"
            "请求示例：\n\n```\nGET /api/v1/development/?area=KFQ&year=2025\n```\n\n"
            '返回示例：`{"area": "KFQ", "year": 2025, "planned": 33, "admitted": 17, "percent": "51.5", '
            '"applicants": 64, "activists": 41, "candidates": 19}`'
        ),
        parameters=[AREA, YEAR],
        responses=DevelopmentSerializer,
    )
    def get(self, request):
        year = parse_year(request.query_params.get("year"))
        figures = development_figures(self.selection.area, year)
        return Response(DevelopmentSerializer(figures).data)
