"""Instructors' visits and enterprise requests over REST (issue 15), written through members.work's services.

Staff and administrators write within their area; an instructor's own account writes its own records (the
``instructor`` field is its own: left out it is filled in, another is a 400) of the firms assigned to it today;
park committees and readers read only (403). A record outside what the caller sees is 404, one it sees but may not
change 403. Nothing is deleted (405).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from members import work
from members.models import EnterpriseRequest, Instructor, InstructorVisit
from members.work_filtersets import EnterpriseRequestFilterSet, InstructorVisitFilterSet
from registry.access import access_for
from registry.api.docs import record_docs
from registry.api.filters import StrictBooleanFilter
from registry.api.mixins import VersionETagMixin
from registry.api.serializers import PlainTextMixin
from registry.api.viewsets import CreateListRetrieveUpdateViewSet
from registry.models import Enterprise
from registry.periods import Quarter

# --- who may write ---------------------------------------------------------------------------------------------


class WorkPermission(BasePermission):
    """Everyone authenticated reads (scoped by ``restrict``); staff, administrators and an instructor's own account
    write (members.work.may_record_work); a record seen but not changeable is 403 (members.work.check_may_change)."""

    message = work.READ_ONLY

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or work.may_record_work(access_for(request.user))

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method not in SAFE_METHODS:
            work.check_may_change(access_for(request.user), obj)  # PermissionDenied: a 403 with its reason
        return True


# --- serializers ------------------------------------------------------------------------------------------------


class WorkSerializer(PlainTextMixin, serializers.ModelSerializer):
    """The instructor and firm are ids, chosen among those the caller may record (members.work): another is a 400,
    as an unknown id is. An instructor's account records its own instructor."""

    multiline_fields = ("content", "problems", "result")

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            access = access_for(request.user)
            fields["instructor"].queryset = work.instructor_choices(access)
            fields["enterprise"].queryset = Enterprise.objects.restrict(access)
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        request = self.context.get("request")
        if request is not None and (self.instance is None or "instructor" in attrs):
            try:
                attrs["instructor"] = work.recording_instructor(
                    access_for(request.user), attrs.get("instructor")
                )
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.message_dict) from None
        return attrs


@extend_schema_serializer(component_name="InstructorVisit")
class InstructorVisitSerializer(WorkSerializer):
    instructor = serializers.PrimaryKeyRelatedField(
        queryset=Instructor.objects.all(),
        required=False,
        help_text=_("党建指导员 id；指导员本人账号登记时可不填（即本人）"),
    )
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all(), help_text=_("单位 id"))

    class Meta:
        model = InstructorVisit
        fields = ["id", "instructor", "enterprise", "visited_on", "kind", "content", "problems"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is None and attrs.get("instructor") is None:
            raise serializers.ValidationError({"instructor": [_("请填写党建指导员 id。")]})
        return attrs


@extend_schema_serializer(component_name="EnterpriseRequestRecord")
class EnterpriseRequestSerializer(WorkSerializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all(), help_text=_("单位 id"))
    instructor = serializers.PrimaryKeyRelatedField(
        queryset=Instructor.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("经办指导员 id，可为 null；指导员本人账号登记时即本人"),
    )

    class Meta:
        model = EnterpriseRequest
        fields = [
            "id",
            "enterprise",
            "instructor",
            "received_on",
            "category",
            "content",
            "closed_on",
            "result",
        ]
        extra_kwargs = {
            "closed_on": {"help_text": _("办结日期，null 表示尚未办结；办结时同时填写 result")},
            "result": {"help_text": _("办理结果，办结时必填")},
        }


class RequestSummarySerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text=_("本季度受理的诉求数"))
    closed = serializers.IntegerField(help_text=_("其中至季度最后一天已办结的数"))
    percent = serializers.DecimalField(
        max_digits=6,
        decimal_places=None,
        coerce_to_string=True,
        allow_null=True,
        help_text=_("办结率（百分数，四舍五入保留一位小数）；本季度没有受理诉求时为 null"),
    )


# --- filters ----------------------------------------------------------------------------------------------------


class InstructorVisitAPIFilterSet(InstructorVisitFilterSet):
    class Meta(InstructorVisitFilterSet.Meta):
        pass


class EnterpriseRequestAPIFilterSet(EnterpriseRequestFilterSet):
    # A query string the page would forgive is a 400 here (registry.api.filters).
    open = StrictBooleanFilter(
        field_name="closed_on", lookup_expr="isnull", label=_("true：只看未办结的诉求")
    )

    class Meta(EnterpriseRequestFilterSet.Meta):
        pass


# --- viewsets ---------------------------------------------------------------------------------------------------

WHO_WRITES = (
    "系统管理员、组织部工作人员可登记本人区域内单位的记录；党建指导员本人账号只能登记本人（`instructor` "
    "不填即本人，填其他指导员返回 400）今天联系的单位的记录，联系已结束的单位的记录只能查看（修改返回 403）。"
    "园区党工委、只读接口账号只能查看（写入返回 403）。"
)
WORK_SCOPE = "党建指导员本人账号只看到本人的记录。"


@record_docs(
    "走访记录",
    about=(
        "党建指导员走访、指导单位的记录：`instructor` 指导员 id，`enterprise` 单位 id，`visited_on` 走访日期，"
        "`kind` 类型（visit 走访、guidance 指导组建、training 培训、other 其他），`content` 走访内容，"
        f"`problems` 发现的问题。按单位所在区域查看；{WORK_SCOPE}"
    ),
    create=(
        "登记一次走访。走访日期不能晚于今天，且须在该指导员联系该单位期间（选派的起始日期起、结束日期前），"
        f"否则返回 400。{WHO_WRITES}\n\n"
        '请求示例：`{"instructor": 12, "enterprise": 1042, "visited_on": "2025-08-15", "kind": "visit", '
        '"content": "了解企业用工和党员情况"}`'
    ),
    update=f"修改走访记录；改指导员、单位或走访日期时按登记的规定重新检查。走访记录不能删除。{WHO_WRITES}",
)
class InstructorVisitViewSet(VersionETagMixin, CreateListRetrieveUpdateViewSet):
    """Visits, newest first; written through members.work.create_visit / update_visit."""

    queryset = InstructorVisit.objects.order_by("-visited_on", "-pk")
    serializer_class = InstructorVisitSerializer
    filterset_class = InstructorVisitAPIFilterSet
    permission_classes = [WorkPermission]

    def perform_create(self, serializer):
        serializer.instance = work.create_visit(access=self.access, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = work.update_visit(
            visit=serializer.instance, access=self.access, **serializer.validated_data
        )


AREA = OpenApiParameter(
    "area",
    str,
    description="区域代码，如 `KFQ`；统计该区域及其全部下级区域单位的诉求。不填为本人能看到的全部诉求。"
    "本人范围之外的区域返回 404。",
)
PERIOD = OpenApiParameter("period", str, description="季度，如 `2025Q3`；不填为当前季度。")
SUMMARY_EXAMPLE = OpenApiExample(
    "开发区 2025 年第三季度",
    value={"received": 40, "closed": 34, "percent": "85.0"},
    response_only=True,
)


@record_docs(
    "企业诉求",
    about=(
        "单位向党建指导员或组织部门提出的诉求：`enterprise` 单位 id，`instructor` 经办指导员 id（可为 null），"
        "`received_on` 受理日期，`category` 类别（labour 用工、safety 安全生产、environment 环保、"
        "infrastructure 基础设施、dispute 劳资纠纷、other 其他），`content` 诉求内容，`closed_on` 办结日期"
        f"（null 为未办结），`result` 办理结果。按单位所在区域查看；{WORK_SCOPE}`open=true` 只看未办结的。"
    ),
    create=(
        "登记一条诉求。受理日期、办结日期不能晚于今天，办结日期不能早于受理日期，办结时须填写办理结果，"
        f"否则返回 400。{WHO_WRITES}\n\n"
        '请求示例：`{"enterprise": 1042, "instructor": 12, "received_on": "2025-08-15", "category": "labour", '
        '"content": "招工难，希望对接职业院校"}`'
    ),
    update=(
        '办结即填写 `closed_on` 和 `result`，如 `{"closed_on": "2025-09-02", "result": "已对接两所职业院校"}`；'
        f"把 `closed_on` 改为 null 即重新打开。诉求不能删除。{WHO_WRITES}"
    ),
)
class EnterpriseRequestViewSet(VersionETagMixin, CreateListRetrieveUpdateViewSet):
    """Requests, newest first; written through members.work.create_request / update_request. ``summary/`` is the
    办结率 of a quarter (members.work.request_closure) over the requests the caller sees."""

    queryset = EnterpriseRequest.objects.order_by("-received_on", "-pk")
    serializer_class = EnterpriseRequestSerializer
    filterset_class = EnterpriseRequestAPIFilterSet
    permission_classes = [WorkPermission]

    def perform_create(self, serializer):
        serializer.instance = work.create_request(access=self.access, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = work.update_request(
            request=serializer.instance, access=self.access, **serializer.validated_data
        )

    @extend_schema(
        summary="企业诉求办结率",
        description=(
            "一个区域（含全部下级区域）某季度的诉求办结率：`received` 该季度受理的诉求数，`closed` 其中到季度最后"
            "一天已办结的数，`percent` 办结率（字符串，四舍五入保留一位小数；没有受理诉求时为 null）。"
            "按单位所在区域统计，只统计本人能看到的诉求（党建指导员本人账号为本人的诉求）。\n\n"
            "请求示例：\n\n```\nGET /api/v1/enterprise-requests/summary/?area=KFQ&period=2025Q3\n```\n\n"
            "季度格式不对返回 400，区域不存在或不在本人范围内返回 404。"
        ),
        parameters=[AREA, PERIOD],
        responses=RequestSummarySerializer,
        examples=[SUMMARY_EXAMPLE],
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def summary(self, request):
        params = request.query_params
        area = work.closure_area(params.get("area"), self.access)
        period = (params.get("period") or "").strip()
        quarter = Quarter.parse(period) if period else Quarter.current()  # PeriodError: a 400 on ``period``
        received, closed, share = work.request_closure(
            area, quarter, requests=EnterpriseRequest.objects.restrict(self.access)
        )
        return Response(
            RequestSummarySerializer({"received": received, "closed": closed, "percent": share}).data
        )
