"""Members, instructors and instructor assignments over REST, written through members.services.

Nothing here is deleted (405): a member ends with ``ended_on`` + ``end_reason``, an instructor with ``ended_on``,
an assignment with ``end``.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view

from members import services
from members.filtersets import InstructorFilterSet, MemberFilterSet
from members.models import Instructor, InstructorAssignment, Member
from registry.api.filters import ScopedFilterSetMixin, StrictBooleanFilter
from registry.api.mixins import REVEAL_PARAMETER, RevealMixin, VersionETagMixin
from registry.api.viewsets import CreateListRetrieveUpdateViewSet

from .serializers import InstructorAssignmentSerializer, InstructorSerializer, MemberSerializer


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
