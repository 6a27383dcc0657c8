from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import AreaKind, Category, EconomicType, JobStatus, Role
from .dating import DatedRecord, holds_on
from .masking import mask_phone
from .periods import QuarterField
from .querysets import AreaQuerySet, EnterpriseQuerySet
from .rules import validate_credit_code


class Area(models.Model):
    """Where units sit; figures roll up this tree. ``path`` (``/ZJ/KFQ/P01/``) makes subtree queries one index scan."""

    code = models.CharField(_("区域代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=16, choices=AreaKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=500, editable=False, db_index=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        old_path = self.path
        self.path = (self.parent.path if self.parent else "/") + self.code + "/"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # Moving or renaming an area moves its whole subtree.
            for child in Area.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                child.path = self.path + child.path[len(old_path) :]
                Area.objects.filter(pk=child.pk).update(path=child.path)

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def clean(self):
        if self.code and "/" in self.code:
            raise ValidationError({"code": _("区域代码不能包含“/”。")})
        parent = self.parent
        while parent is not None:
            if parent.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": _("上级区域不能是本区域或其下级。")})
            parent = parent.parent

    def subtree_ids(self) -> list[int]:
        """This area and every area below it. Filtering stored rows by this list, rather than by a path prefix
        through a join, gives PostgreSQL per-area row estimates, and so plans that probe instead of scan."""
        return list(Area.objects.filter(path__startswith=self.path).values_list("pk", flat=True))

    def ancestors(self) -> list[Area]:
        codes = [c for c in self.path.strip("/").split("/")][:-1]
        found = {a.code: a for a in Area.objects.filter(code__in=codes)}
        return [found[c] for c in codes if c in found]


class Enterprise(models.Model):
    """A 两新 unit: a non-public enterprise or a new social organisation."""

    name = models.CharField(_("单位名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    category = models.CharField(
        _("类别"), max_length=16, choices=Category.choices, default=Category.ENTERPRISE
    )
    economic_type = models.CharField(
        _("经济类型"), max_length=20, choices=EconomicType.choices, default=EconomicType.PRIVATE
    )
    industry = models.CharField(_("所属行业"), max_length=50, blank=True)
    area = models.ForeignKey(
        Area, verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="enterprises"
    )
    employees = models.PositiveIntegerField(_("从业人员数"), null=True, blank=True)
    established_on = models.DateField(_("成立日期"))
    deregistered_on = models.DateField(
        _("注销/迁出日期"), null=True, blank=True, help_text=_("当日起不再计入在营单位；在营时留空。")
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["area", "category"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(deregistered_on__isnull=True) | Q(deregistered_on__gt=models.F("established_on")),
                name="enterprise_deregistered_after_established",
                violation_error_message=_("注销/迁出日期应晚于成立日期。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("registry:enterprise_detail", args=[self.pk])

    def operating_on(self, on: dt.date) -> bool:
        return holds_on(on, self.established_on, self.deregistered_on)

    @property
    def masked_contact_phone(self) -> str:
        return mask_phone(self.contact_phone)

    def above_scale_on(self, on: dt.date) -> bool:
        return any(p.holds_on(on) for p in self.above_scale_periods.all())

    def clean(self):
        if self.deregistered_on and self.established_on and self.deregistered_on <= self.established_on:
            raise ValidationError({"deregistered_on": _("注销/迁出日期应晚于成立日期。")})


class AboveScalePeriod(DatedRecord):
    """规模以上 is a yearly status: a firm counts as 规上 only for the periods it was."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="above_scale_periods"
    )

    class Meta(DatedRecord.Meta):
        verbose_name = _("规上期间")
        verbose_name_plural = _("规上期间")
        ordering = ["enterprise", "start"]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.start}–{self.end or ''}"


class RecomputeRequest(models.Model):
    """Outbox row: figures of ``area`` (and its ancestors) from ``since`` on need recomputing.

    Written by the service that changed the data, in the same transaction, so a broker outage loses nothing.
    """

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    since = models.DateField()
    # False when the change cannot move member or organisation figures (an enterprise's own fields): the recompute
    # then skips them, which is most of a one-park recompute's time.
    people = models.BooleanField(_("涉及党员与党组织数字"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("重算请求")
        verbose_name_plural = _("重算请求")
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.area_id} ≥ {self.since}"


class UserProfile(models.Model):
    """What a user may do (role) and where (area subtree). Superusers need none: they are administrators."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(_("角色"), max_length=10, choices=Role.choices)
    area = models.ForeignKey(
        Area, verbose_name=_("所属区域"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("用户角色")
        verbose_name_plural = _("用户角色")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"

    def clean(self):
        if self.role != Role.ADMIN and self.area_id is None:
            raise ValidationError({"area": _("除系统管理员外，每个用户都必须指定所属区域。")})


class ImportJob(models.Model):
    """An Excel import run by a Celery worker: the upload is kept under MEDIA_ROOT, the result stored as JSON."""

    Status = JobStatus

    kind = models.CharField(_("数据类别"), max_length=20)
    dry_run = models.BooleanField(_("仅预览"), default=True)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    result = models.JSONField(_("结果"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ClosedQuarter(models.Model):
    """A reporting area's quarter that has gone upward (submitted or approved): a write whose effect reaches into it
    is refused (registry.closing). Kept by the quarter-close services in reports, in the same transaction as the
    submission's step; this app only reads it, as the reports app only reads the outbox."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    period = QuarterField(_("季度"))
    status = models.CharField(_("状态"), max_length=10)  # the submission's: submitted | approved

    class Meta:
        verbose_name = _("已报送季度")
        verbose_name_plural = _("已报送季度")
        constraints = [models.UniqueConstraint(fields=["area", "period"], name="closed_quarter_unique")]

    def __str__(self) -> str:
        return f"{self.area_id} {self.period} {self.status}"
