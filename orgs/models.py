from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from registry.dating import DatedQuerySet, DatedRecord, active_q, count_of, holds_on
from registry.models import Area, Enterprise

from .choices import OrgKind, Setup


class PartyOrganizationQuerySet(models.QuerySet):
    def restrict(self, access):
        return self.filter(access.path_q("area__path"))

    def active_on(self, on: dt.date):
        return self.filter(active_q(on, start="founded_on", end="dissolved_on"))

    def in_area(self, area: Area):
        return self.filter(area__path__startswith=area.path)

    def with_counts(self, on: dt.date):
        """Annotate ``member_count``, ``full_member_count``, ``overdue_probation`` (members whose probation is over
        with no decision) and ``unit_count`` as of ``on``."""
        # members.Membership through the relation: orgs does not import members.
        memberships = PartyOrganization.memberships.rel.related_model.objects.active_on(on)
        return self.annotate(
            member_count=count_of(memberships, "organization"),
            full_member_count=count_of(memberships.full_on(on), "organization"),
            overdue_probation=count_of(memberships.probation_overdue_on(on), "organization"),
            unit_count=count_of(OrganizationLink.objects.filter(active_q(on)), "organization"),
        )


class PartyOrganization(models.Model):
    name = models.CharField(_("组织名称"), max_length=200)
    kind = models.CharField(_("组织类别"), max_length=20, choices=OrgKind.choices, default=OrgKind.BRANCH)
    setup = models.CharField(_("组建方式"), max_length=10, choices=Setup.choices, default=Setup.SINGLE)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级党组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    area = models.ForeignKey(
        Area, verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="organizations"
    )
    founded_on = models.DateField(_("成立日期"))
    dissolved_on = models.DateField(
        _("撤销日期"), null=True, blank=True, help_text=_("当日起不再计入；存续时留空。")
    )
    approval_no = models.CharField(_("批复文号"), max_length=100, blank=True)
    secretary = models.ForeignKey(
        "members.Member",
        verbose_name=_("书记"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    has_committee = models.BooleanField(
        _("已设立委员会"), default=False, help_text=_("7 名以上正式党员的支部应选举支部委员会。")
    )
    term_ends_on = models.DateField(_("本届任期届满日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PartyOrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("党组织")
        verbose_name_plural = _("党组织")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["name", "area"], name="org_unique_name_in_area"),
            models.CheckConstraint(
                condition=Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=models.F("founded_on")),
                name="org_dissolved_after_founded",
                violation_error_message=_("撤销日期应晚于成立日期。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("orgs:organization_detail", args=[self.pk])

    def active_on(self, on: dt.date) -> bool:
        return holds_on(on, self.founded_on, self.dissolved_on)

    def enterprises_on(self, on: dt.date):
        return Enterprise.objects.filter(org_links__in=self.links.active_on(on))


class OrganizationLink(DatedRecord):
    """An organisation covers an enterprise from ``start`` until ``end`` (exclusive)."""

    organization = models.ForeignKey(
        PartyOrganization, verbose_name=_("党组织"), on_delete=models.CASCADE, related_name="links"
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="org_links"
    )

    objects = DatedQuerySet.as_manager()

    class Meta(DatedRecord.Meta):
        verbose_name = _("覆盖关系")
        verbose_name_plural = _("覆盖关系")
        ordering = ["organization", "start"]
        indexes = [models.Index(fields=["enterprise", "start"])]

    def __str__(self) -> str:
        return f"{self.organization} → {self.enterprise}"
