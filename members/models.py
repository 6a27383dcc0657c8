from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from orgs.models import PartyOrganization
from registry.dating import DatedQuerySet, DatedRecord, active_q, add_years
from registry.models import Area, Enterprise

from .choices import (
    STAGE_DATE,
    STAGE_ORDER,
    Education,
    EndReason,
    EvaluationSource,
    Gender,
    MemberCategory,
    MembershipEnd,
    MembershipStart,
    RequestCategory,
    Stage,
    VisitKind,
)
from .rules import mask_id_number, mask_phone, validate_id_number


def full_on_q(on: dt.date, prefix: str = "") -> Q:
    """Members who were full (正式) members on ``on``: 转正 on or before it, or full with no 转正 date on record
    (registered as full: full for every date the registry knows them)."""
    return Q(**{f"{prefix}confirmed_on__lte": on}) | Q(
        **{f"{prefix}confirmed_on__isnull": True, f"{prefix}category": MemberCategory.FULL}
    )


def probation_overdue_q(on: dt.date, prefix: str = "") -> Q:
    """Probationary members whose probation (一年, or as extended) was over before ``on`` with no decision by then:
    an error in the records (DOMAIN: 预备期满应及时讨论转正、延长或取消资格)."""
    year_ago = add_years(on, -1)
    over = Q(**{f"{prefix}probation_until__isnull": True, f"{prefix}joined_party_on__lt": year_ago}) | Q(
        **{f"{prefix}probation_until__lt": on}
    )
    return over & ~full_on_q(on, prefix)


class MemberQuerySet(models.QuerySet):
    def restrict(self, access):
        """Members are seen where their current (or last) membership is held (the organisation's area)."""
        return self.filter(access.path_q("organization__area__path"))

    def active_on(self, on: dt.date):
        """Members holding a membership on ``on``."""
        return self.filter(Exists(Membership.objects.active_on(on).filter(member=OuterRef("pk"))))

    def held_on(self, on: dt.date, *, organization=None, area: Area | None = None):
        """Members whose membership on ``on`` was held in ``organization`` / in ``area``'s subtree."""
        held = Membership.objects.active_on(on).filter(member=OuterRef("pk"))
        if organization is not None:
            held = held.filter(organization=organization)
        if area is not None:
            held = held.filter(organization__area__path__startswith=area.path)
        return self.filter(Exists(held))


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
    joined_party_on = models.DateField(
        _("入党日期"), help_text=_("成为预备党员的日期；可早于本系统中任何党组织。")
    )
    confirmed_on = models.DateField(_("转正日期"), null=True, blank=True)
    probation_extended_on = models.DateField(_("延长预备期决定日期"), null=True, blank=True)
    probation_until = models.DateField(_("预备期延长至"), null=True, blank=True)
    # The columns below mirror the current (or last) membership, employment and mobility rows for lists and the
    # v1 API; every figure as of a date counts the dated rows (Membership, Employment, Mobility), never these.
    joined_on = models.DateField(
        _("转入本组织日期"), help_text=_("组织关系转入（或入党编入）当前党组织的日期，从当日起计入统计。")
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
        return self.memberships.filter(active_q(on)).exists()

    def category_on(self, on: dt.date) -> str | None:
        """正式 or 预备 on ``on`` (None before the party join date)."""
        if on < self.joined_party_on:
            return None
        if self.confirmed_on is not None:
            return MemberCategory.FULL if on >= self.confirmed_on else MemberCategory.PROBATIONARY
        return self.category

    @property
    def probation_ends_on(self) -> dt.date:
        """The earliest 转正 date: one year after joining the Party, or the end of an extended probation."""
        return self.probation_until or add_years(self.joined_party_on, 1)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class HistoryQuerySet(DatedQuerySet):
    def counted_on(self, on: dt.date):
        """Rows holding on ``on`` whose member held a membership that day (only members are counted)."""
        held = Membership.objects.active_on(on).filter(member=OuterRef("member_id"))
        return self.active_on(on).filter(Exists(held))

    def full_on(self, on: dt.date):
        return self.filter(full_on_q(on, prefix="member__"))

    def probation_overdue_on(self, on: dt.date):
        return self.filter(probation_overdue_q(on, prefix="member__"))


class Membership(DatedRecord):
    """组织关系: the member's relationship held in one organisation over [start, end). At most one at a date."""

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        PartyOrganization, verbose_name=_("党组织"), on_delete=models.PROTECT, related_name="memberships"
    )
    how_started = models.CharField(_("进入方式"), max_length=16, choices=MembershipStart.choices, blank=True)
    how_ended = models.CharField(_("离开方式"), max_length=16, choices=MembershipEnd.choices, blank=True)

    objects = HistoryQuerySet.as_manager()

    class Meta(DatedRecord.Meta):
        verbose_name = _("组织关系")
        verbose_name_plural = _("组织关系")
        ordering = ["member", "start"]
        indexes = [
            models.Index(fields=["organization", "start"]),
            models.Index(fields=["member", "start"]),
        ]
        constraints = [
            *DatedRecord.Meta.constraints,
            models.UniqueConstraint(
                fields=["member"], condition=Q(end__isnull=True), name="membership_one_open_per_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.organization}"


class Employment(DatedRecord):
    """工作单位 over time: where the member worked over [start, end)."""

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="employments"
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("工作单位"), on_delete=models.PROTECT, related_name="employments"
    )

    objects = HistoryQuerySet.as_manager()

    class Meta(DatedRecord.Meta):
        verbose_name = _("工作单位记录")
        verbose_name_plural = _("工作单位记录")
        ordering = ["member", "start"]
        indexes = [models.Index(fields=["enterprise", "start"]), models.Index(fields=["member", "start"])]

    def __str__(self) -> str:
        return f"{self.member} → {self.enterprise}"


class Mobility(DatedRecord):
    """流动党员: the member was away from the organisation over [start, end), working or living elsewhere."""

    member = models.ForeignKey(
        Member, verbose_name=_("党员"), on_delete=models.CASCADE, related_name="mobility"
    )
    destination = models.CharField(_("外出去向"), max_length=100, blank=True)

    objects = HistoryQuerySet.as_manager()

    class Meta(DatedRecord.Meta):
        verbose_name = _("流动记录")
        verbose_name_plural = _("流动记录")
        ordering = ["member", "start"]
        indexes = [models.Index(fields=["member", "start"])]

    def __str__(self) -> str:
        return f"{self.member} ⇢ {self.destination}"


def stage_on_q(stage: str, on: dt.date, prefix: str = "") -> Q:
    """Applicants standing at ``stage`` on ``on``: that stage's date reached, the next one not, not withdrawn."""
    here = STAGE_DATE[stage]
    q = Q(**{f"{prefix}{here}__lte": on}) & (
        Q(**{f"{prefix}withdrawn_on__isnull": True}) | Q(**{f"{prefix}withdrawn_on__gt": on})
    )
    following = STAGE_ORDER[STAGE_ORDER.index(stage) + 1 :]
    if following:
        later = STAGE_DATE[following[0]]
        q &= Q(**{f"{prefix}{later}__isnull": True}) | Q(**{f"{prefix}{later}__gt": on})
    return q


class ApplicantQuerySet(models.QuerySet):
    def restrict(self, access):
        """Applicants are seen where the organisation training them is."""
        return self.filter(access.path_q("organization__area__path"))

    def in_area(self, area: Area):
        return self.filter(organization__area__path__startswith=area.path)

    def at_stage_on(self, stage: str, on: dt.date):
        return self.filter(stage_on_q(stage, on))

    def admitted_in(self, year: int):
        return self.filter(admitted_on__year=year)


class Applicant(models.Model):
    """发展党员: a person on the way from 入党申请 to admission. Never deleted: withdrawn with a date and a reason;
    admitted, they become a probationary member (``member``)."""

    name = models.CharField(_("姓名"), max_length=50)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    birth_date = models.DateField(_("出生日期"))
    education = models.CharField(_("学历"), max_length=20, choices=Education.choices)
    id_number = models.CharField(_("身份证号码"), max_length=18, validators=[validate_id_number])
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    organization = models.ForeignKey(
        PartyOrganization, verbose_name=_("培养党组织"), on_delete=models.PROTECT, related_name="applicants"
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("工作单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applicants",
    )
    applied_on = models.DateField(_("递交入党申请日期"))
    activist_on = models.DateField(_("确定为入党积极分子日期"), null=True, blank=True)
    candidate_on = models.DateField(_("确定为发展对象日期"), null=True, blank=True)
    admitted_on = models.DateField(_("接收为预备党员日期"), null=True, blank=True)
    withdrawn_on = models.DateField(_("终止日期"), null=True, blank=True)
    withdraw_reason = models.CharField(_("终止原因"), max_length=200, blank=True)
    member = models.OneToOneField(
        Member,
        verbose_name=_("党员档案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applicant",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ApplicantQuerySet.as_manager()

    class Meta:
        verbose_name = _("发展党员对象")
        verbose_name_plural = _("发展党员对象")
        ordering = ["organization", "applied_on", "pk"]
        indexes = [models.Index(fields=["organization", "admitted_on"])]
        constraints = [
            # One open file per person: a withdrawn applicant may apply again later.
            models.UniqueConstraint(
                fields=["id_number"],
                condition=Q(withdrawn_on__isnull=True),
                name="applicant_one_open_per_person",
                violation_error_message=_("该身份证号码已有未终止的入党申请记录。"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("members:applicant_detail", args=[self.pk])

    @property
    def stage(self) -> str:
        if self.withdrawn_on:
            return Stage.WITHDRAWN
        for stage in reversed(STAGE_ORDER):
            if getattr(self, STAGE_DATE[stage]):
                return stage
        return Stage.APPLICANT

    def stage_date(self, stage: str) -> dt.date | None:
        return getattr(self, STAGE_DATE[stage])

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class DevelopmentPlanQuerySet(models.QuerySet):
    def restrict(self, access):
        return self.filter(access.path_q("area__path"))


class DevelopmentPlan(models.Model):
    """发展党员指导性计划: how many an area is to admit in a year (its subtree's admissions count against it)."""

    area = models.ForeignKey(
        Area, verbose_name=_("区域"), on_delete=models.PROTECT, related_name="development_plans"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    planned = models.PositiveIntegerField(_("计划发展人数"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = DevelopmentPlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("发展党员指导性计划")
        verbose_name_plural = _("发展党员指导性计划")
        ordering = ["-year", "area"]
        constraints = [
            models.UniqueConstraint(
                fields=["area", "year"],
                name="development_plan_one_per_area_year",
                violation_error_message=_("该区域该年度已有发展党员计划。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.year}"


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
    # The instructor's own login (role "instructor"): sees its assigned firms and records its visits and requests.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="instructor",
    )
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


# --- instructors' work (走访、诉求、任务) and their yearly evaluation (考核) ------------------------------------------


class WorkQuerySet(models.QuerySet):
    """Instructors' work records (visits, requests): seen where the firm is; an instructor's own account sees the
    records of its own instructor only (registry.access: its area-scoped queries match nothing)."""

    def restrict(self, access):
        if access.is_instructor:
            return self.filter(instructor_id=access.instructor_id)
        return self.filter(access.path_q("enterprise__area__path"))

    def in_area(self, area: Area):
        """Records of firms anywhere in ``area``'s subtree."""
        return self.filter(enterprise__area__path__startswith=area.path)


class InstructorVisitQuerySet(WorkQuerySet):
    pass


class EnterpriseRequestQuerySet(WorkQuerySet):
    def received_between(self, first: dt.date, last: dt.date):
        """Requests received from ``first`` to ``last``, both days included."""
        return self.filter(received_on__gte=first, received_on__lte=last)

    def open_on(self, on: dt.date):
        """Requests received by ``on`` and not closed by then."""
        return self.filter(Q(received_on__lte=on) & (Q(closed_on__isnull=True) | Q(closed_on__gt=on)))

    def still_open(self):
        """Requests with no 办结日期 yet."""
        return self.filter(closed_on__isnull=True)


class InstructorVisit(models.Model):
    """A visit or guidance an instructor gave a firm on a day (走访/指导记录): dated, audited, never deleted."""

    instructor = models.ForeignKey(
        Instructor, verbose_name=_("党建指导员"), on_delete=models.PROTECT, related_name="visits"
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="instructor_visits"
    )
    visited_on = models.DateField(_("走访日期"))
    kind = models.CharField(_("类型"), max_length=10, choices=VisitKind.choices, default=VisitKind.VISIT)
    content = models.TextField(_("走访内容"))
    problems = models.TextField(_("发现的问题"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = InstructorVisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-pk"]
        indexes = [
            models.Index(fields=["enterprise", "visited_on"]),
            models.Index(fields=["instructor", "visited_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.instructor} {self.enterprise} {self.visited_on}"


class EnterpriseRequest(models.Model):
    """A request a firm raised (企业诉求), received on a day, closed on a later one with a result."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="requests"
    )
    instructor = models.ForeignKey(
        Instructor,
        verbose_name=_("经办指导员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    received_on = models.DateField(_("受理日期"))
    category = models.CharField(_("类别"), max_length=16, choices=RequestCategory.choices)
    content = models.TextField(_("诉求内容"))
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    result = models.TextField(_("办理结果"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = EnterpriseRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业诉求")
        verbose_name_plural = _("企业诉求")
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["enterprise", "received_on"]), models.Index(fields=["received_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("received_on")),
                name="request_closed_after_received",
                violation_error_message=_("办结日期不能早于受理日期。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.received_on} {self.get_category_display()}"


class InstructorTask(models.Model):
    """A task the district publishes to the instructors of an area (重点工作任务), due on a day."""

    area = models.ForeignKey(Area, verbose_name=_("下达范围"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("任务名称"), max_length=100)
    content = models.TextField(_("任务内容"), blank=True)
    published_on = models.DateField(_("下达日期"))
    due_on = models.DateField(_("完成期限"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("重点工作任务")
        verbose_name_plural = _("重点工作任务")
        ordering = ["-published_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("published_on")),
                name="task_due_after_published",
                violation_error_message=_("完成期限不能早于下达日期。"),
            )
        ]

    def __str__(self) -> str:
        return self.title


class TaskCompletion(models.Model):
    """An instructor's report that a task is done, with a note."""

    task = models.ForeignKey(InstructorTask, on_delete=models.CASCADE, related_name="completions")
    instructor = models.ForeignKey(Instructor, on_delete=models.PROTECT, related_name="task_completions")
    done_on = models.DateField(_("完成日期"))
    note = models.TextField(_("完成情况"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("任务完成情况")
        verbose_name_plural = _("任务完成情况")
        constraints = [models.UniqueConstraint(fields=["task", "instructor"], name="task_completion_unique")]

    def __str__(self) -> str:
        return f"{self.task} {self.instructor}"


class TaskRecipient(models.Model):
    """An instructor a task was published to (下达对象): fixed when the task is published (members.duties), so who
    owes a task never changes with later assignments. A pair without a TaskCompletion is pending (or overdue)."""

    task = models.ForeignKey(
        InstructorTask, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="recipients"
    )
    instructor = models.ForeignKey(
        Instructor, verbose_name=_("党建指导员"), on_delete=models.PROTECT, related_name="task_recipients"
    )

    class Meta:
        verbose_name = _("任务下达对象")
        verbose_name_plural = _("任务下达对象")
        ordering = ["task", "instructor"]
        constraints = [models.UniqueConstraint(fields=["task", "instructor"], name="task_recipient_unique")]

    def __str__(self) -> str:
        return f"{self.task} {self.instructor}"


class EvaluationScheme(models.Model):
    """A scoring scheme (《指导员考核细则》), versioned like the indicators: the one valid for a year scores it."""

    name = models.CharField(_("名称"), max_length=100)
    valid_from = models.PositiveSmallIntegerField(_("起用年度"))
    valid_to = models.PositiveSmallIntegerField(_("停用年度"), null=True, blank=True)  # exclusive
    excellent_from = models.PositiveSmallIntegerField(_("优秀分数线"), default=90)
    competent_from = models.PositiveSmallIntegerField(_("称职分数线"), default=75)
    basic_from = models.PositiveSmallIntegerField(_("基本称职分数线"), default=60)

    class Meta:
        verbose_name = _("指导员考核细则")
        verbose_name_plural = _("指导员考核细则")
        ordering = ["-valid_from"]

    def __str__(self) -> str:
        return self.name


class EvaluationItem(models.Model):
    """One scored item: computed from the records (``rule`` names the rule) or entered by staff."""

    scheme = models.ForeignKey(EvaluationScheme, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(_("代码"), max_length=40)
    title = models.CharField(_("考核内容"), max_length=100)
    max_points = models.PositiveSmallIntegerField(_("分值"))
    source = models.CharField(_("来源"), max_length=10, choices=EvaluationSource.choices)
    rule = models.CharField(_("计算规则"), max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("考核项目")
        verbose_name_plural = _("考核项目")
        ordering = ["scheme", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="evaluation_item_unique")]

    def __str__(self) -> str:
        return self.title


class EvaluationEntry(models.Model):
    """Points staff entered for an instructor, a year and an entered item (training attended, commendations)."""

    instructor = models.ForeignKey(Instructor, on_delete=models.PROTECT, related_name="evaluation_entries")
    year = models.PositiveSmallIntegerField(_("年度"))
    item = models.ForeignKey(EvaluationItem, on_delete=models.PROTECT, related_name="entries")
    points = models.PositiveSmallIntegerField(_("得分"))
    note = models.TextField(_("依据"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("考核录入分")
        verbose_name_plural = _("考核录入分")
        constraints = [
            models.UniqueConstraint(fields=["instructor", "year", "item"], name="evaluation_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.instructor} {self.year} {self.item}"
