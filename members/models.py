from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from orgs.models import PartyOrganization
from registry.dating import DatedQuerySet, DatedRecord, active_q, holds_on
from registry.models import Area, Enterprise

from .choices import Education, EndReason, Gender, MemberCategory
from .rules import mask_id_number, mask_phone, validate_id_number


class MemberQuerySet(models.QuerySet):
    def restrict(self, access):
        """Members are seen where their membership is held (the organisation's area)."""
        return self.filter(access.path_q("organization__area__path"))

    def active_on(self, on: dt.date):
        """Joined on or before ``on`` and not ended by then."""
        return self.filter(active_q(on, start="joined_on", end="ended_on"))

    def held_in_area(self, area: Area):
        """Counted where the membership is held: the area of the member's organisation."""
        return self.filter(organization__area__path__startswith=area.path)


END_CONSTRAINT_MESSAGE = _("减少日期和减少原因应同时填写。")


class Member(models.Model):
    """A party member. Never deleted: a member leaves with an end date and a reason."""

    END_CONSTRAINT_MESSAGE = END_CONSTRAINT_MESSAGE

    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    birth_date = models.DateField(_("出生日期"))
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices)
    id_number = models.CharField(_("身份证号码"), max_length=18, unique=True, validators=[validate_id_number])
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    category = models.CharField(
        _("党员类别"), max_length=16, choices=MemberCategory.choices, default=MemberCategory.FULL
    )
    joined_on = models.DateField(
        _("入党（转入）日期"), help_text=_("入党或组织关系转入本组织的日期，从当日起计入统计。")
    )
    organization = models.ForeignKey(
        PartyOrganization,
        verbose_name=_("所在党组织（组织关系）"),
        on_delete=models.PROTECT,
        related_name="members",
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("工作单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employed_members",
    )
    is_mobile = models.BooleanField(_("流动党员"), default=False)
    retired = models.BooleanField(_("离退休"), default=False)
    ended_on = models.DateField(_("减少日期"), null=True, blank=True)
    end_reason = models.CharField(_("减少原因"), max_length=20, choices=EndReason.choices, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["organization", "joined_on"]), models.Index(fields=["enterprise"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True, end_reason="")
                | (Q(ended_on__isnull=False) & ~Q(end_reason="")),
                name="member_end_has_reason",
                violation_error_message=END_CONSTRAINT_MESSAGE,
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("members:member_detail", args=[self.pk])

    def active_on(self, on: dt.date) -> bool:
        return holds_on(on, self.joined_on, self.ended_on)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class InstructorQuerySet(models.QuerySet):
    def restrict(self, access):
        return self.filter(access.path_q("area__path"))

    def in_area(self, area: Area):
        """Instructors assigned at any time to an enterprise in ``area``'s subtree, or based there."""
        return self.filter(
            Q(area__path__startswith=area.path) | Q(assignments__enterprise__area__path__startswith=area.path)
        ).distinct()


class Instructor(models.Model):
    """党建指导员: a cadre dispatched to guide enterprises' party work (工作覆盖)."""

    name = models.CharField(_("姓名"), max_length=50)
    unit = models.CharField(_("派出单位"), max_length=100)
    full_time = models.BooleanField(_("专职"), default=False)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    area = models.ForeignKey(
        Area, verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="instructors"
    )
    ended_on = models.DateField(_("离任日期"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = InstructorQuerySet.as_manager()

    class Meta:
        verbose_name = _("党建指导员")
        verbose_name_plural = _("党建指导员")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("members:instructor_detail", args=[self.pk])

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class InstructorAssignment(DatedRecord):
    instructor = models.ForeignKey(
        Instructor, verbose_name=_("党建指导员"), on_delete=models.CASCADE, related_name="assignments"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("联系单位"),
        on_delete=models.PROTECT,
        related_name="instructor_assignments",
    )

    objects = DatedQuerySet.as_manager()

    class Meta(DatedRecord.Meta):
        verbose_name = _("指导员联系单位")
        verbose_name_plural = _("指导员联系单位")
        ordering = ["instructor", "start"]
        indexes = [models.Index(fields=["enterprise", "start"])]

    def __str__(self) -> str:
        return f"{self.instructor} → {self.enterprise}"
