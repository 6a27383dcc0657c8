"""Areas and enterprises over REST: thin viewsets that filter with the shared FilterSets and write through services.

Nothing is deleted over the API: an enterprise leaves the population with ``deregistered_on`` (PATCH), which the
update service turns into 注销/迁出 (its open links end that day), as the page's end form and an import do.
"""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins, viewsets

from registry import services
from registry.access import access_for
from registry.filtersets import EnterpriseFilterSet
from registry.models import Area, Enterprise

from .docs import record_docs
from .filters import ScopedFilterSetMixin, StrictBooleanFilter
from .mixins import AuditActorMixin, VersionETagMixin
from .permissions import RegistryPermission
from .serializers import AreaSerializer, EnterpriseSerializer


class ScopedViewSet(AuditActorMixin, viewsets.GenericViewSet):
    """Every read is restricted to the caller's subtree (outside it is 404); only writing roles may write (403).
    Changes are logged with the caller as actor, token callers included."""

    permission_classes = [RegistryPermission]

    @property
    def access(self):
        return access_for(self.request.user)

    def get_queryset(self):
        return super().get_queryset().restrict(self.access)


class CreateListRetrieveUpdateViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    ScopedViewSet,
):
    """Create, list, retrieve, PUT/PATCH; DELETE is not offered (405): records end with a date instead."""

    def refetch(self, pk):
        """The saved row as the list shows it (annotations and prefetches as of today)."""
        return self.get_queryset().get(pk=pk)


@record_docs(
    "区域",
    about=(
        "区域按代码查询，如 `GET /api/v1/areas/KFQ/`。区域（区/开发区、园区、片区/街道、社区）逐级组成区域树，"
        "`parent` 为上级区域代码，顶级区域为 null。统计接口的 `area` 参数即此代码。"
    ),
    create=(
        "新建区域，`parent` 填上级区域的代码（须在本人范围内）；只有系统管理员可以新建顶级区域。\n\n"
        '请求示例：`{"code": "P03", "name": "智造产业园", "kind": "park", "parent": "KFQ"}`'
    ),
    update=None,
    versioned=False,
    filtered=False,
)
class AreaViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Areas, looked up by code. The tree is built by giving each area its parent's code."""

    queryset = Area.objects.select_related("parent").order_by("path")
    serializer_class = AreaSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filter_backends: list = []

    def perform_create(self, serializer):
        area = Area(**serializer.validated_data)
        # The path is derived on save; computing it first lets full_clean report an over-long one as a 400.
        area.path = (area.parent.path if area.parent else "/") + area.code + "/"
        serializer.instance = services.save_area(area=area)


class EnterpriseAPIFilterSet(ScopedFilterSetMixin, EnterpriseFilterSet):
    """The list page's filters, plus ``search`` (name or code), with strict booleans."""

    search = django_filters.CharFilter(method="filter_q", label=_("名称或信用代码"))
    above_scale = StrictBooleanFilter(method="filter_above_scale", label=_("规模以上"))

    class Meta(EnterpriseFilterSet.Meta):
        fields = [*EnterpriseFilterSet.Meta.fields, "search"]


@record_docs(
    "两新组织",
    about=(
        "两新组织（非公企业、社会组织）的登记信息，以及今天的状态：`above_scale` 是否规模以上，"
        "`party_members` 在该单位工作的党员数，`coverage` 覆盖状态（single 单独组建、joint 联合组建、"
        "work 工作覆盖、none 未覆盖）。`search` 按名称或统一社会信用代码查找。"
    ),
    create=(
        "登记一个两新组织。统一社会信用代码须为 18 位且校验位正确，已登记过的代码返回 400 并指明已登记的单位；"
        "成立日期不能晚于今天。\n\n"
        '请求示例：`{"name": "杭州云帆科技有限公司", "credit_code": "91330106MA2CFWXK3D", "category": "enterprise", '
        '"area": "P01", "above_scale": true, "employees": 120, "established_on": "2019-03-12"}`'
    ),
    update=(
        "修改两新组织的登记信息。改 `above_scale` 时可用 `above_scale_since` 指明从哪天起（默认今天）。"
        "单位注销或迁出时填 `deregistered_on`：当日起不再计入统计，其党组织覆盖和指导员选派同日结束。"
    ),
)
class EnterpriseViewSet(VersionETagMixin, CreateListRetrieveUpdateViewSet):
    """两新 units with today's 规上 status, party members and coverage state."""

    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseAPIFilterSet

    def get_queryset(self):
        today = timezone.localdate()
        return (
            Enterprise.objects.restrict(self.access)
            .select_related("area")
            .with_above_scale(today)
            .with_coverage(today)
            .with_member_counts(today)
            .order_by("name", "pk")
        )

    def perform_create(self, serializer):
        enterprise = services.create_enterprise(**enterprise_arguments(serializer.validated_data))
        serializer.instance = self.refetch(enterprise.pk)

    def perform_update(self, serializer):
        serializer.instance = self.refetch(
            services.update_enterprise(
                enterprise=serializer.instance, **enterprise_arguments(serializer.validated_data)
            ).pk
        )


def enterprise_arguments(validated_data: dict) -> dict:
    """The serializer's data as the service's keyword arguments (``above_scale`` reads today's status)."""
    data = dict(validated_data)
    if "is_above_scale" in data:
        data["above_scale"] = data.pop("is_above_scale")
    return data
