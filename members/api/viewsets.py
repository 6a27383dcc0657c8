"""Members, instructors and instructor assignments over REST, written through members.services.

Nothing here is deleted (405): a member ends with ``ended_on`` + ``end_reason``, an instructor with ``ended_on``,
an assignment with ``end``, an applicant with ``withdrawn_on`` + ``withdraw_reason``. A member's dated events have their own actions (``transfer/``, ``confirm/``,
``extend-probation/``) and their history is read at ``history/``.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework.decorators import action
from rest_framework.response import Response

from members import services
from members.filtersets import (
    PLAN_YEARS,
    ApplicantFilterSet,
    DevelopmentPlanFilterSet,
    InstructorFilterSet,
    MemberFilterSet,
    YearFilter,
)
from members.history import history_of
from members.models import Applicant, DevelopmentPlan, Instructor, InstructorAssignment, Member
from registry.api.docs import record_docs
from registry.api.filters import ScopedFilterSetMixin, StrictBooleanFilter
from registry.api.mixins import ETAG_HEADER, REVEAL_PARAMETER, RevealMixin, VersionETagMixin
from registry.api.viewsets import CreateListRetrieveUpdateViewSet

from .serializers import (
    ApplicantAdvanceSerializer,
    ApplicantSerializer,
    DevelopmentPlanSerializer,
    InstructorAssignmentSerializer,
    InstructorSerializer,
    MemberConfirmSerializer,
    MemberExtendProbationSerializer,
    MemberHistorySerializer,
    MemberSerializer,
    MemberTransferSerializer,
)


class MemberAPIFilterSet(ScopedFilterSetMixin, MemberFilterSet):
    is_mobile = StrictBooleanFilter(label=_("流动党员"))

    class Meta(MemberFilterSet.Meta):
        pass


class InstructorAPIFilterSet(ScopedFilterSetMixin, InstructorFilterSet):
    full_time = StrictBooleanFilter(label=_("专职"))

    class Meta(InstructorFilterSet.Meta):
        pass


class InstructorAssignmentFilterSet(ScopedFilterSetMixin, django_filters.FilterSet):
    class Meta:
        model = InstructorAssignment
        fields = ["instructor", "enterprise"]


REVEAL_SCHEMA = extend_schema(parameters=[REVEAL_PARAMETER])


MASKED = (
    "身份证号码和联系电话读取时脱敏，出生日期只显示年份；系统管理员和组织部工作人员可在详情中加 `?reveal=true` "
    "查看完整信息（每次都记入审计日志）。"
)
WRITE_MASKED = "身份证号码写入完整号码；把读取到的脱敏值原样写回表示不修改。"


def member_action_schema(request, summary: str, description: str):
    """An action that writes one dated event through a service and answers with the member (masked)."""
    return extend_schema(
        request=request,
        responses={200: MemberSerializer},
        parameters=[ETAG_HEADER],
        summary=summary,
        description=f"{description}\n\n需要写入权限；不符合规定时返回 400，不保存。成功时返回该党员（脱敏）。",
    )


@record_docs(
    "党员",
    about=f"两新组织党员：基本信息、组织关系所在党组织、工作单位、党员类别（正式、预备）和流动情况。{MASKED}",
    create=(
        f"登记党员：组织关系转入本组织的日期 `joined_on`、所在党组织 `organization` 和工作单位 `enterprise`（id）。"
        f"{WRITE_MASKED}身份证号码已登记过的返回 400 并指明已登记的党员；入党、转入等日期不能晚于今天。"
    ),
    update=(
        "修改党员信息。改 `organization` 即组织关系转接，自 `joined_on`（默认今天）起；改 `enterprise` 即变更工作单位，"
        "自 `enterprise_since`（默认今天）起；改 `is_mobile` 登记外出流动，自 `mobile_since` 起。"
        "党员减少（转出、死亡等）时填 `ended_on` 和 `end_reason`，当日起不再计入。"
        f"{WRITE_MASKED}"
    ),
    retrieve=REVEAL_SCHEMA,
)
class MemberViewSet(VersionETagMixin, RevealMixin, CreateListRetrieveUpdateViewSet):
    """Party members; ID numbers and phones read masked (``?reveal=true`` on a retrieve for roles that may).
    DELETE is not offered (405): a member ends with a PATCH of ``ended_on`` + ``end_reason``."""

    queryset = Member.objects.order_by("name", "pk")
    serializer_class = MemberSerializer
    filterset_class = MemberAPIFilterSet
    reveal_detail = _("身份证号码、联系电话、出生日期")

    def perform_create(self, serializer):
        serializer.instance = services.create_member(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_member(member=serializer.instance, **serializer.validated_data)

    # The actions are written like an update: writing roles only (RegistryPermission), the member looked up in the
    # caller's subtree (404 outside), related ids chosen there too (400); a service's ValidationError is a 400 by
    # the API's exception handler, and the service's transaction leaves nothing half-written.

    def _action_data(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _member_response(self, member: Member) -> Response:
        response = Response(MemberSerializer(member, context=self.get_serializer_context()).data)
        return self._set_etag(response, member.pk)

    @member_action_schema(
        MemberTransferSerializer,
        "组织关系转接",
        "组织关系转接：原组织关系于 on 结束，当日起转入 organization；已减少的党员为转回。可同时变更工作单位。",
    )
    @action(detail=True, methods=["post"], serializer_class=MemberTransferSerializer)
    def transfer(self, request, pk=None):
        member = self.get_object()
        data = self._action_data(MemberTransferSerializer)
        extra = {"enterprise": data["enterprise"]} if "enterprise" in data else {}
        member = services.transfer_member(
            member=member, organization=data["organization"], on=data["on"], **extra
        )
        return self._member_response(member)

    @member_action_schema(
        MemberConfirmSerializer,
        "预备党员转正",
        '预备党员转正：自 on 起为正式党员，不能早于预备期满。请求示例：`{"on": "2025-07-01"}`',
    )
    @action(detail=True, methods=["post"], serializer_class=MemberConfirmSerializer)
    def confirm(self, request, pk=None):
        member = self.get_object()
        data = self._action_data(MemberConfirmSerializer)
        return self._member_response(services.confirm_member(member=member, on=data["on"]))

    @member_action_schema(
        MemberExtendProbationSerializer,
        "延长预备期",
        '延长预备期至 until（最长一年），决定日期为今天。请求示例：`{"until": "2026-07-01"}`',
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="extend-probation",
        serializer_class=MemberExtendProbationSerializer,
    )
    def extend_probation(self, request, pk=None):
        member = self.get_object()
        data = self._action_data(MemberExtendProbationSerializer)
        return self._member_response(services.extend_probation(member=member, until=data["until"]))

    @extend_schema(
        responses=MemberHistorySerializer,
        summary="党员历史记录",
        description="党员的组织关系、工作单位、党员类别和外出流动记录，按时间先后；end 不含当日，null 表示至今。",
    )
    @action(detail=True, methods=["get"], serializer_class=MemberHistorySerializer)
    def history(self, request, pk=None):
        return Response(MemberHistorySerializer(history_of(self.get_object())).data)


@record_docs(
    "党建指导员",
    about=(
        "党建指导员：所在单位、是否专职、联系电话和所属区域。联系电话读取时脱敏；系统管理员和组织部工作人员"
        "可在详情中加 `?reveal=true` 查看完整号码（每次都记入审计日志）。指导员派驻到哪些单位见 "
        "`/api/v1/instructor-assignments/`。"
    ),
    create=(
        '登记党建指导员。请求示例：`{"name": "李华", "unit": "开发区党工委", "full_time": true, '
        '"phone": "13812345678", "area": "KFQ"}`'
    ),
    update="修改党建指导员信息；离任时填 `ended_on`。把读取到的脱敏电话原样写回表示不修改。",
    retrieve=REVEAL_SCHEMA,
)
class InstructorViewSet(VersionETagMixin, RevealMixin, CreateListRetrieveUpdateViewSet):
    """Party-building instructors; phones read masked (``?reveal=true`` on a retrieve for roles that may).
    DELETE is not offered (405): an instructor leaves with a PATCH of ``ended_on``."""

    queryset = Instructor.objects.select_related("area").order_by("name", "pk")
    serializer_class = InstructorSerializer
    filterset_class = InstructorAPIFilterSet
    reveal_detail = _("联系电话")

    def perform_create(self, serializer):
        serializer.instance = services.create_instructor(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_instructor(
            instructor=serializer.instance, **serializer.validated_data
        )


@record_docs(
    "指导员选派",
    about=(
        "党建指导员派驻到单位的记录：`instructor` 指导员 id，`enterprise` 单位 id，`start` 起始日期，"
        "`end` 结束日期（不含当日，null 表示至今）。派有指导员而没有党组织的单位计为工作覆盖。"
    ),
    create=(
        '选派党建指导员到一个单位。请求示例：`{"instructor": 12, "enterprise": 1042, "start": "2025-08-01"}`'
    ),
    update=(
        "选派只能结束，不能改人、改单位或改起始日期：填 `end` 结束本条；要改派请结束本条并新建一条。"
        "结束日期填了就不能撤销。"
    ),
    versioned=False,
)
class InstructorAssignmentViewSet(CreateListRetrieveUpdateViewSet):
    queryset = InstructorAssignment.objects.select_related("enterprise").order_by("instructor", "start", "pk")
    serializer_class = InstructorAssignmentSerializer
    filterset_class = InstructorAssignmentFilterSet

    def get_queryset(self):
        # An assignment is seen where the enterprise it covers is.
        return self.queryset.filter(self.access.path_q("enterprise__area__path"))

    def perform_create(self, serializer):
        serializer.instance = services.assign_instructor(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_assignment(
            assignment=serializer.instance, **serializer.validated_data
        )


# --- 发展党员 ----------------------------------------------------------------------------------------------------


class ApplicantAPIFilterSet(ScopedFilterSetMixin, ApplicantFilterSet):
    class Meta(ApplicantFilterSet.Meta):
        pass


@extend_schema_field({"type": "integer", "minimum": PLAN_YEARS[0], "maximum": PLAN_YEARS[1]})
class APIYearFilter(YearFilter):
    """The schema says which years are taken (refused otherwise, 400)."""


class DevelopmentPlanAPIFilterSet(ScopedFilterSetMixin, DevelopmentPlanFilterSet):
    year = APIYearFilter(field_name="year", label=_("年度"))

    class Meta(DevelopmentPlanFilterSet.Meta):
        pass


@record_docs(
    "发展党员",
    about=(
        "发展党员名单：入党申请人、入党积极分子、发展对象，及其各阶段日期。`stage` 为当前阶段，`organization` "
        "为培养党组织 id；接收为预备党员后 `member` 为其党员 id。"
        "身份证号码和联系电话读取时脱敏，出生日期只显示年份；系统管理员和组织部工作人员可在详情中加 "
        "`?reveal=true` 查看完整信息（每次都记入审计日志）。"
    ),
    create=(
        "登记入党申请人：递交申请日期 `applied_on`、培养党组织 `organization`。进入下一阶段用 "
        f"`POST /api/v1/applicants/{{id}}/advance/`。{WRITE_MASKED}"
    ),
    update=(
        "修改发展党员信息。不再发展时填终止日期 `withdrawn_on` 和原因 `withdraw_reason`。"
        "接收为预备党员只能通过 advance/ 办理。"
    ),
    retrieve=REVEAL_SCHEMA,
)
class ApplicantViewSet(VersionETagMixin, RevealMixin, CreateListRetrieveUpdateViewSet):
    """发展党员: applicants, seen where the organisation training them is. ID numbers and phones read masked
    (``?reveal=true`` on a retrieve for roles that may). DELETE is not offered (405): an applicant withdraws with a
    PATCH of ``withdrawn_on`` + ``withdraw_reason``; a step forward is ``advance/``."""

    queryset = Applicant.objects.order_by("name", "pk")
    serializer_class = ApplicantSerializer
    filterset_class = ApplicantAPIFilterSet
    reveal_detail = _("身份证号码、联系电话、出生日期")

    def perform_create(self, serializer):
        serializer.instance = services.create_applicant(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_applicant(
            applicant=serializer.instance, **serializer.validated_data
        )

    # Written like an update: writing roles only, the applicant looked up in the caller's subtree (404 outside);
    # a broken rule is the service's ValidationError, a 400 that saves nothing.
    @extend_schema(
        request=ApplicantAdvanceSerializer,
        responses={200: ApplicantSerializer},
        parameters=[ETAG_HEADER],
        summary="发展党员进入下一阶段",
        description=(
            "进入下一阶段：入党积极分子、发展对象（积极分子满一年后）或预备党员。"
            "接收为预备党员时登记预备党员（入党日期和转入本组织日期均为 on，组织关系在培养党组织），"
            "返回的 member 为其党员 id。不符合规定（日期过早、跳过阶段、培养党组织当日不存续、已终止）时返回 400。\n\n"
            '请求示例：`{"stage": "activist", "on": "2025-05-20"}`'
        ),
    )
    @action(detail=True, methods=["post"], serializer_class=ApplicantAdvanceSerializer)
    def advance(self, request, pk=None):
        applicant = self.get_object()
        serializer = ApplicantAdvanceSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        applicant = services.advance_applicant(applicant=applicant, **serializer.validated_data)
        response = Response(ApplicantSerializer(applicant, context=self.get_serializer_context()).data)
        return self._set_etag(response, applicant.pk)


@record_docs(
    "发展党员计划",
    about=(
        "发展党员指导性计划：每个区域每年一条，`planned` 为计划发展人数。"
        "完成情况见 `GET /api/v1/development/?area=&year=`。"
    ),
    create='登记一个区域一年的计划；同一区域同一年只能有一条。请求示例：`{"area": "KFQ", "year": 2026, "planned": 35}`',
    update="修改计划人数。计划不能删除，只能修改。",
)
class DevelopmentPlanViewSet(VersionETagMixin, CreateListRetrieveUpdateViewSet):
    """发展党员指导性计划 of the areas in the caller's subtree, one per area and year. DELETE is not offered (405):
    a plan is corrected, not removed."""

    queryset = DevelopmentPlan.objects.select_related("area").order_by("-year", "area__path", "pk")
    serializer_class = DevelopmentPlanSerializer
    filterset_class = DevelopmentPlanAPIFilterSet

    def perform_create(self, serializer):
        serializer.instance = services.create_plan(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_plan(plan=serializer.instance, **serializer.validated_data)
