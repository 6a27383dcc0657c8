"""Party organisations over REST. ``enterprises`` is written as a list of ids and read back as the enterprises
covered today (from the active links the viewset prefetches)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from orgs.models import OrganizationLink, PartyOrganization
from registry.api.serializers import (
    AreaCodeField,
    DuplicateMessageMixin,
    HappenedDatesMixin,
    PlainTextMixin,
    ScopedRelationsMixin,
)
from registry.models import Enterprise


class CoveredEnterpriseField(serializers.PrimaryKeyRelatedField):
    """An enterprise id; reading an :class:`OrganizationLink` gives the id of the enterprise it covers."""

    def to_representation(self, value):
        return value.enterprise_id if isinstance(value, OrganizationLink) else value.pk


class OrganizationSerializer(
    DuplicateMessageMixin,
    HappenedDatesMixin,
    PlainTextMixin,
    ScopedRelationsMixin,
    serializers.ModelSerializer,
):
    happened_fields = ("founded_on",)
    area = AreaCodeField(help_text=_("区域代码"))
    enterprises = CoveredEnterpriseField(
        many=True,
        source="active_links",
        queryset=Enterprise.objects.all(),
        required=False,
        help_text=_("今天覆盖的单位 id；新建时从成立日期起覆盖，修改时从今天起增减"),
    )

    class Meta:
        model = PartyOrganization
        fields = [
            "id",
            "name",
            "kind",
            "setup",
            "area",
            "parent",
            "enterprises",
            "founded_on",
            "dissolved_on",
            "secretary",
        ]
        validators: list = []  # name-in-area uniqueness is reported by the service's model check
