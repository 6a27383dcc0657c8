"""Members, instructors and instructor assignments over REST, written through members.services.

Nothing here is deleted (405): a member ends with ``ended_on`` + ``end_reason``, an instructor with ``ended_on``,
an assignment with ``end``. A member's dated events have their own actions (``transfer/``, ``confirm/``,
``extend-probation/``) and their history is read at ``history/``.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.response import Response

from members import services
from members.filtersets import InstructorFilterSet, MemberFilterSet
from members.history import history_of
from members.models import Instructor, InstructorAssignment, Member
from registry.api.filters import ScopedFilterSetMixin, StrictBooleanFilter
from registry.api.mixins import ETAG_HEADER, REVEAL_PARAMETER, RevealMixin, VersionETagMixin
from registry.api.viewsets import CreateListRetrieveUpdateViewSet

from .serializers import (
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


def member_action_schema(request, description: str):
    """An action that writes one dated event through a service and answers with the member (masked)."""
    return extend_schema(
        request=request, responses={200: MemberSerializer}, parameters=[ETAG_HEADER], description=description
    )


@extend_schema_view(retrieve=REVEAL_SCHEMA)
class MemberViewSet(VersionETagMixin, RevealMixin, CreateListRetrieveUpdateViewSet):
    """Party members; ID numbers and phones read masked (``?reveal=true`` on a retrieve for roles that may).
    DELETE is not offered (405): a member ends with a PATCH of ``ended_on`` + ``end_reason``."""

    queryset = Member.objects.order_by("name", "pk")
    serializer_class = MemberSerializer
    filterset_class = MemberAPIFilterSet
    reveal_detail = _("身份证号码、联系电话")

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

    @member_action_schema(MemberConfirmSerializer, "转正：自 on 起为正式党员（预备期满之后）。")
    @action(detail=True, methods=["post"], serializer_class=MemberConfirmSerializer)
    def confirm(self, request, pk=None):
        member = self.get_object()
        data = self._action_data(MemberConfirmSerializer)
        return self._member_response(services.confirm_member(member=member, on=data["on"]))

    @member_action_schema(MemberExtendProbationSerializer, "延长预备期至 until（最长一年），决定日期为今天。")
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
        description="党员的组织关系、工作单位、党员类别和外出流动记录，按时间先后；end 不含当日，null 表示至今。",
    )
    @action(detail=True, methods=["get"], serializer_class=MemberHistorySerializer)
    def history(self, request, pk=None):
        return Response(MemberHistorySerializer(history_of(self.get_object())).data)


@extend_schema_view(retrieve=REVEAL_SCHEMA)
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
