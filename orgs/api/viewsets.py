"""Party organisations over REST, written through orgs.services. An organisation is dissolved (PATCH
``dissolved_on``: the update service ends its open links that day, as the page's end form and an import do),
never deleted."""

from __future__ import annotations

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
        serializer.instance = self.refetch(
            services.update_organization(
                organization=serializer.instance, **organization_arguments(serializer.validated_data)
            ).pk
        )


def organization_arguments(validated_data: dict) -> dict:
    """The serializer's data as the update service's keyword arguments (``enterprises``: covered from today)."""
    data = dict(validated_data)
    if "active_links" in data:
        data["enterprises"] = data.pop("active_links")
    return data
