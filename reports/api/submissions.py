"""Quarterly submissions over REST: the list of a quarter, its summary, and the steps (submit / approve / return /
reopen). The rules are reports.closing.submissions'; this module only parses and answers."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.access import access_for
from registry.api.base import Conflict
from registry.api.serializers import call_rule
from registry.periods import Quarter
from registry.validators import check_text

from ..closing.submissions import (
    Action,
    Status,
    StepNotAllowed,
    check_period,
    is_overdue,
    reporting_areas,
    sees,
    submissions_for,
    summarize,
    take_step,
    visible_reporting_areas,
)
from ..params import BadParameter, last_complete_quarter, parse_area, parse_period


class SubmissionSerializer(serializers.Serializer):
    area = serializers.CharField(source="area.code")
    area_name = serializers.CharField(source="area.name")
    period = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    due_on = serializers.DateField()
    overdue = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(allow_null=True)
    submitted_by = serializers.SerializerMethodField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    reviewed_by = serializers.SerializerMethodField()
    note = serializers.CharField()

    def get_overdue(self, submission) -> bool:
        return is_overdue(submission)

    def get_submitted_by(self, submission) -> str | None:
        return submission.submitted_by.username if submission.submitted_by_id else None

    def get_reviewed_by(self, submission) -> str | None:
        return submission.reviewed_by.username if submission.reviewed_by_id else None


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate_note(self, value: str) -> str:
        return call_rule(check_text, value)


def _period(text: str | None) -> Quarter:
    period = parse_period(text) if text else last_complete_quarter()
    check_period(period)
    return period


PERIOD = OpenApiParameter("period", str, description="季度，如 `2025Q3`；不填为最近一个已结束的季度。")
AREA = OpenApiParameter(
    "area",
    str,
    description="区域代码：只列出该区域及其下级中的报送单位（园区）。不填为本人可见的全部报送单位。",
)
STATUS = OpenApiParameter("status", str, enum=Status.values, description="只列出该状态的报送。")
SUBMISSION_EXAMPLE = OpenApiExample(
    "已报送",
    value={
        "area": "P01",
        "area_name": "第一园区",
        "period": "2025Q3",
        "status": "submitted",
        "due_on": "2025-10-10",
        "overdue": False,
        "submitted_at": "2025-10-08T09:30:00+08:00",
        "submitted_by": "park_p01",
        "reviewed_at": None,
        "reviewed_by": None,
        "note": "已逐户电话核实。",
    },
)


class SubmissionListView(APIView):
    @extend_schema(
        summary="季度报送情况",
        description="一个季度各报送单位（园区）的报送状态：`pending` 待报送、`submitted` 已报送、`returned` 已退回、"
        "`approved` 已审核通过；`overdue` 为超过截止日期仍未报送（含退回未重报）。只列出本人范围内的单位。",
        parameters=[PERIOD, AREA, STATUS],
        responses=SubmissionSerializer(many=True),
        examples=[SUBMISSION_EXAMPLE],
    )
    def get(self, request):
        access = access_for(request.user)
        period = _period(request.query_params.get("period"))
        within = (
            parse_area(request.query_params["area"], access) if request.query_params.get("area") else None
        )
        rows = submissions_for(period, visible_reporting_areas(access, within))
        status = request.query_params.get("status")
        if status:
            if status not in Status.values:
                raise BadParameter("status", _("状态只能是 %(s)s。") % {"s": "、".join(Status.values)})
            rows = [r for r in rows if r.status == status]
        return Response(SubmissionSerializer(rows, many=True).data)


class SubmissionSummaryView(APIView):
    @extend_schema(
        summary="季度报送进度",
        description="一个区域内报送单位的报送进度：各状态的数量、逾期数，`percent` 为审核通过的比例"
        "（四舍五入保留一位小数的字符串）。",
        parameters=[
            OpenApiParameter("area", str, description="区域代码；不填为本人所在区域。"),
            PERIOD,
        ],
        responses=inline_serializer(
            "SubmissionSummary",
            {
                "area": serializers.CharField(),
                "period": serializers.CharField(),
                "total": serializers.IntegerField(),
                "pending": serializers.IntegerField(),
                "submitted": serializers.IntegerField(),
                "returned": serializers.IntegerField(),
                "approved": serializers.IntegerField(),
                "overdue": serializers.IntegerField(),
                "percent": serializers.CharField(allow_null=True),
            },
        ),
    )
    def get(self, request):
        access = access_for(request.user)
        area = parse_area(request.query_params.get("area"), access)
        period = _period(request.query_params.get("period"))
        summary = summarize(submissions_for(period, visible_reporting_areas(access, area)))
        return Response(
            {
                "area": area.code,
                "period": str(period),
                "total": summary.total,
                "pending": summary.pending,
                "submitted": summary.submitted,
                "returned": summary.returned,
                "approved": summary.approved,
                "overdue": summary.overdue,
                "percent": None if summary.percent is None else str(summary.percent),
            }
        )


class SubmissionStepView(APIView):
    """POST submissions/{area}/{period}/{action}/: one step of a park's submission."""

    action: str = ""

    @extend_schema(
        request=NoteSerializer,
        responses={200: SubmissionSerializer},
        parameters=[
            OpenApiParameter("area", str, OpenApiParameter.PATH, description="报送单位（园区）代码"),
            OpenApiParameter("period", str, OpenApiParameter.PATH, description="季度，如 `2025Q3`"),
        ],
    )
    def post(self, request, area: str, period: str):
        access = access_for(request.user)
        target = reporting_areas().filter(code=area).first()
        if target is None or not sees(access, target):
            raise Http404(_("未找到该报送单位。"))
        quarter = parse_period(period)
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            submission = take_step(
                area=target,
                period=quarter,
                action=self.action,
                user=request.user,
                note=body.validated_data["note"],
            )
        except StepNotAllowed as exc:
            raise Conflict(exc.message) from None
        return Response(SubmissionSerializer(submission).data)


def _step(action: str, summary: str, description: str):
    view = type(
        f"Submission{action.title()}View",
        (SubmissionStepView,),
        {"action": action, "__doc__": description},
    )
    view.post = extend_schema(summary=summary, description=description)(view.post)
    return view


SubmitView = _step(
    Action.SUBMIT,
    "报送本园区季度数据",
    "园区用户（或本园区工作人员）核实台账后报送：`pending`/`returned` → `submitted`。报送时保存当时的数字、报表网页和"
    "工作簿；报送后，影响该季度的修改一律被拒绝（409），需区委组织部退回后再改。季度结束后才能报送。",
)
ApproveView = _step(
    Action.APPROVE,
    "审核通过",
    "区委组织部工作人员审核通过已报送的数据：`submitted` → `approved`。其他状态返回 409，园区用户返回 403。",
)
ReturnView = _step(
    Action.RETURN,
    "退回",
    "区委组织部工作人员退回已报送的数据，`note` 必填（退回原因）：`submitted` → `returned`。",
)
ReopenView = _step(
    Action.REOPEN,
    "重新打开已审核通过的季度",
    "仅系统管理员：`approved` → `returned`，`note` 必填（原因）。",
)
