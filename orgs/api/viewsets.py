"""Party organisations over REST, written through orgs.services. An organisation is dissolved (PATCH
``dissolved_on``), never deleted."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from orgs import services
from orgs.filtersets import OrganizationFilterSet
from orgs.models import OrganizationLink, PartyOrganization
from registry.api.filters import ScopedFilterSetMixin
from registry.api.mixins import VersionETagMixin
from registry.api.viewsets import CreateListRetrieveUpdateViewSet

from .serializers import OrganizationSerializer


class OrganizationAPIFilterSet(ScopedFilterSetMixin, OrganizationFilterSet):
    class Meta(OrganizationFilterSet.Meta):
        pass


class OrganizationViewSet(VersionETagMixin, CreateListRetrieveUpdateViewSet):
    """Party organisations and the enterprises they cover today. DELETE is not offered (405): an organisation is
    dissolved with a PATCH of ``dissolved_on``."""

    serializer_class = OrganizationSerializer
    filterset_class = OrganizationAPIFilterSet

    def get_queryset(self):
        today = timezone.localdate()
        active = OrganizationLink.objects.active_on(today).order_by("enterprise_id")
        return (
            PartyOrganization.objects.restrict(self.access)
            .select_related("area")
            .prefetch_related(Prefetch("links", queryset=active, to_attr="active_links"))
            .order_by("name", "pk")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        organization = services.create_organization(enterprises=data.pop("active_links", []), **data)
        serializer.instance = self.refetch(organization.pk)

    def perform_update(self, serializer):
        organization = serializer.instance
        data = dict(serializer.validated_data)
        enterprises = data.pop("active_links", None)
        dissolving_on = None
        if organization.dissolved_on is None and data.get("dissolved_on"):
            # Dissolving also ends the open links: the service that does both.
            dissolving_on = data.pop("dissolved_on")
        with transaction.atomic():
            if data or enterprises is not None:
                services.update_organization(organization=organization, enterprises=enterprises, **data)
            if dissolving_on:
                services.dissolve_organization(organization=organization, on=dissolving_on)
        serializer.instance = self.refetch(organization.pk)
