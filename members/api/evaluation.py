"""指导员年度考核 over REST: ``GET /api/v1/instructor-evaluations/?area=&year=``, members.evaluation.evaluate as JSON.

A plain list (one entry per instructor of the area, by name), not paginated: an area's instructors are a page.
Answered live. An area outside the caller's subtree is 404, a bad year (not a year, ahead, or without a scheme)
400 on ``year``; an instructor's own account is 403, as on the page.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from members.choices import Grade
from members.evaluation import evaluate, parse_year, scheme_for
from registry.access import access_for
from registry.models import Area

AREA = OpenApiParameter("area", str, description="区域代码（默认：本人所在区域；系统管理员为顶级区域）")
YEAR = OpenApiParameter(
    "year",
    {"type": "integer", "minimum": 1900, "maximum": 9999},
    description="考核年度（默认今年；不能晚于今年）",
)


class InstructorEvaluationItemSerializer(serializers.Serializer):
    """一个考核项目的得分：项目代码、名称、得分、分值和依据记录条数。"""

    code = serializers.CharField(
        help_text="项目代码：`visits` 走访、`requests` 诉求办理、`organized` 推动组建、"
        "`tasks` 重点任务、`training` 教育培训、`commendation` 表彰奖励"
    )
    title = serializers.CharField(help_text="考核内容")
    points = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        coerce_to_string=True,
        help_text='得分，字符串，四舍五入保留一位小数（如 "22.5"）',
    )
    max_points = serializers.IntegerField(help_text="分值（满分）")
    evidence_count = serializers.IntegerField(
        help_text="依据记录条数：走访记录、诉求、新建党组织的单位、重点任务或录入记录"
    )


class InstructorEvaluationSerializer(serializers.Serializer):
    """一名党建指导员一个年度的考核结果：总分、等次和各项得分。"""

    instructor = serializers.IntegerField(source="instructor.pk", help_text="党建指导员 id")
    name = serializers.CharField(source="instructor.name", help_text="姓名")
    score = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        coerce_to_string=True,
        help_text='总分（各项得分之和），字符串，保留一位小数（如 "91.5"）',
    )
    grade = serializers.ChoiceField(
        choices=Grade.choices,
        help_text="等次代码：`excellent` 优秀、`competent` 称职、`basic` 基本称职、`incompetent` 不称职",
    )
    grade_label = serializers.CharField(help_text="等次名称，如“优秀”")
    items = InstructorEvaluationItemSerializer(many=True, help_text="各考核项目，按考核细则的顺序")


EXAMPLE = OpenApiExample(
    "示例",  # one instructor; drf-spectacular shows it inside the list the response is
    value={
        "instructor": 12,
        "name": "李华",
        "score": "91.5",
        "grade": "excellent",
        "grade_label": "优秀",
        "items": [
            {
                "code": "visits",
                "title": "走访联系单位（每个联系单位每季度至少走访一次）",
                "points": "22.5",
                "max_points": 30,
                "evidence_count": 9,
            },
            {
                "code": "training",
                "title": "参加教育培训",
                "points": "10.0",
                "max_points": 10,
                "evidence_count": 1,
            },
        ],
    },
    response_only=True,
)


def area_of(code: str | None, access) -> Area:
    """The asked area within the caller's subtree (default: its own, or the top for administrators); 404 else."""
    areas = Area.objects.restrict(access)
    if code:
        area = areas.filter(code=code.strip()).first()
        if area is None:
            raise Http404(_("未知的区域代码“%(code)s”。") % {"code": code[:40]})
        return area
    area = access.area or areas.filter(parent__isnull=True).order_by("path").first()
    if area is None:
        raise Http404(_("没有可以查看的区域。"))
    return area


class InstructorEvaluationView(APIView):
    """members.evaluation.evaluate as JSON (see the module's docstring)."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer]
    pagination_class = None

    @extend_schema(
        summary="指导员年度考核",
        description=(
            "一个区域（含下级区域）全部党建指导员一个年度的考核结果：按当年适用的《党建指导员考核细则》计算的各项"
            "得分、总分和等次（优秀 ≥ 90，称职 ≥ 75，基本称职 ≥ 60，其余为不称职）。走访、诉求办理、推动组建和"
            "重点任务四项按台账记录自动计算（当年统计至今天），教育培训、表彰奖励两项为组织部录入的分数；"
            "得分四舍五入保留一位小数，以字符串返回。参加考核的指导员：当年在任，所属区域在该区域内或当年联系过"
            "该区域的单位。\n\n"
            "请求示例：\n\n```\nGET /api/v1/instructor-evaluations/?area=KFQ&year=2025\n```\n\n"
            "返回列表，每名指导员一项（按姓名排序），不分页。区域不在本人管辖范围内返回 404；年度有误（不是年份、"
            "晚于今年或没有适用的考核细则）返回 400。党建指导员本人的账号不能查看（403）。"
        ),
        parameters=[AREA, YEAR],
        responses={200: InstructorEvaluationSerializer(many=True)},
        examples=[EXAMPLE],
    )
    def get(self, request):
        access = access_for(request.user)
        if access.is_instructor or access.sees_nothing:
            raise PermissionDenied(_("当前账号不能查看指导员年度考核。"))
        year = parse_year(request.query_params.get("year"))
        scheme_for(year)  # a year no scheme covers is a 400 on ``year``, before the area is looked up
        area = area_of(request.query_params.get("area"), access)
        evaluations = evaluate(area, year)
        return Response(InstructorEvaluationSerializer(evaluations, many=True).data)
