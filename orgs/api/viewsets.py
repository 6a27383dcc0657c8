"""Party organisations over REST, written through orgs.services. An organisation is dissolved (PATCH
``dissolved_on``: the update service ends its open links that day, as the page's end form and an import do),
never deleted."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone

from orgs import services
from orgs.filtersets import OrganizationFilterSet
from orgs.models import OrganizationLink, PartyOrganization
from registry.api.docs import record_docs
from registry.api.filters import ScopedFilterSetMixin
from registry.api.mixins import VersionETagMixin
from registry.api.viewsets import CreateListRetrieveUpdateViewSet

from .serializers import OrganizationSerializer


class OrganizationAPIFilterSet(ScopedFilterSetMixin, OrganizationFilterSet):
    class Meta(OrganizationFilterSet.Meta):
        pass


@record_docs(
    "党组织",
    about=(
        "两新组织中的党组织：`kind` 党委、党总支或党支部，`setup` 单独组建（覆盖一个单位）或联合组建（覆盖多个单位），"
        "`enterprises` 为今天覆盖的单位 id，`parent` 为上级党组织 id。"
    ),
    create=(
        "登记党组织，`enterprises` 为覆盖的单位 id（须在本人范围内），自成立日期起覆盖。"
        "同一区域内名称不能重复；成立日期不能晚于今天。\n\n"
        '请求示例：`{"name": "中共杭州云帆科技有限公司支部委员会", "kind": "branch", "setup": "single", '
        '"area": "P01", "enterprises": [1042], "founded_on": "2021-06-18", "secretary": "王明"}`'
    ),
    update=(
        "修改党组织。改 `enterprises` 时，新增的单位从今天起覆盖，去掉的单位从今天起不再覆盖。"
        "党组织撤销时填 `dissolved_on`：当日起不再计入，覆盖的单位同日结束。"
    ),
)
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
