from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.choices import JobStatus
from registry.models import Area, Enterprise
from registry.numbers import percent, rounded
from registry.periods import Quarter, QuarterField

from .choices import (
    EFFECTIVE_NUMERATORS,
    NUMERATOR_STATES,
    Numerator,
    Population,
    SubmissionAction,
    SubmissionStatus,
)


class IndicatorQuerySet(models.QuerySet):
    def valid_on(self, on: dt.date):
        return self.filter(Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gt=on)))


class Indicator(models.Model):
    """A coverage indicator is data, not code: a changed definition gets new validity dates, not a rewrite."""

    code = models.SlugField(_("指标代码"), max_length=60, unique=True)
    name = models.CharField(_("指标名称"), max_length=100)
    population = models.CharField(_("统计范围（分母）"), max_length=20, choices=Population.choices)
    numerator = models.CharField(_("分子条件"), max_length=20, choices=Numerator.choices)
    decimals = models.PositiveSmallIntegerField(_("小数位数"), default=1)
    source = models.TextField(_("政策依据"), blank=True)
    valid_from = models.DateField(_("启用日期"), default=dt.date(2000, 1, 1))
    valid_to = models.DateField(_("停用日期"), null=True, blank=True)
    is_headline = models.BooleanField(_("首要指标"), default=False)
    position = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("覆盖指标")
        verbose_name_plural = _("覆盖指标")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def states(self) -> tuple[str, ...]:
        """The coverage states the numerator counts (of an effective indicator: only its effective units)."""
        return NUMERATOR_STATES[Numerator(self.numerator)]

    @property
    def effective_only(self) -> bool:
        """有效覆盖: the numerator counts only the units meeting every condition (EnterpriseState.effective) and
        the denominator only the units in ``states``, not the whole population."""
        return self.numerator in EFFECTIVE_NUMERATORS

    @property
    def denominator_states(self) -> tuple[str, ...] | None:
        """The coverage states the denominator counts; None: every state (the whole population)."""
        return self.states if self.effective_only else None

    def denominator_q(self, *, state: str = "state") -> Q:
        """Among rows of the indicator's population (EnterpriseState, or units annotated ``coverage`` with
        ``state="coverage"``), those its denominator counts."""
        base = self.denominator_states
        return Q() if base is None else Q(**{f"{state}__in": base})

    def numerator_q(self, *, state: str = "state", effective: str = "effective") -> Q:
        """Among rows of the indicator's population, those its numerator counts (a subset of the denominator's)."""
        counted = Q(**{f"{state}__in": self.states})
        return counted & Q(**{effective: True}) if self.effective_only else counted

    def counts(self, state: str, effective: bool) -> tuple[int, int]:
        """What one unit of the population adds to (numerator, denominator): the Python twin of the two Qs."""
        base = self.denominator_states
        if base is not None and state not in base:
            return 0, 0
        return int(state in self.states and (effective or not self.effective_only)), 1


class Snapshot(models.Model):
    """One indicator for one area (whole subtree) and quarter, as of the quarter's last day. Read, never recomputed."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="snapshots")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    period = QuarterField(_("季度"))
    as_of = models.DateField(_("统计日期"))
    numerator = models.PositiveIntegerField(_("分子"))
    denominator = models.PositiveIntegerField(_("分母"))
    single = models.PositiveIntegerField(default=0)
    joint = models.PositiveIntegerField(default=0)
    work = models.PositiveIntegerField(default=0)
    none = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("指标快照")
        verbose_name_plural = _("指标快照")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "area", "period"], name="snapshot_unique")
        ]
        indexes = [models.Index(fields=["area", "period"])]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.area_id} {self.period}"

    @property
    def percent(self):
        return percent(self.numerator, self.denominator, self.indicator.decimals)


class MemberSnapshot(models.Model):
    """Member figures for an area's subtree and quarter, counted where the membership is held."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    period = QuarterField(_("季度"))
    as_of = models.DateField(_("统计日期"))
    total = models.PositiveIntegerField(default=0)
    full = models.PositiveIntegerField(default=0)
    probationary = models.PositiveIntegerField(default=0)
    female = models.PositiveIntegerField(default=0)
    minority = models.PositiveIntegerField(default=0)
    college_or_above = models.PositiveIntegerField(default=0)
    under_35 = models.PositiveIntegerField(default=0)
    mobile = models.PositiveIntegerField(default=0)
    retired = models.PositiveIntegerField(default=0)
    age_sum = models.PositiveBigIntegerField(default=0)
    computed_at = models.DateTimeField(_("计算时间"))

    FIGURES = (
        "total",
        "full",
        "probationary",
        "female",
        "minority",
        "college_or_above",
        "under_35",
        "mobile",
        "retired",
        "age_sum",
    )

    class Meta:
        verbose_name = _("党员统计快照")
        verbose_name_plural = _("党员统计快照")
        constraints = [models.UniqueConstraint(fields=["area", "period"], name="member_snapshot_unique")]

    def __str__(self) -> str:
        return f"{self.area_id} {self.period}"

    @property
    def average_age(self):
        return rounded(self.age_sum, self.total, 1)


def is_computed(period: Quarter) -> bool:
    """Whether a quarter has been computed in full since the per-area direct rows exist.

    Asked as "the first row in index order" rather than EXISTS: for EXISTS PostgreSQL expects a match within a few
    rows of a sequential scan, but rows are stored quarter after quarter, so the scan can read most of the table."""
    return (
        StateDirect.objects.filter(period=period).order_by("area_id").values_list("pk", flat=True).first()
        is not None
    )


class StateDirect(models.Model):
    """How many units sitting directly in one area (not its subtree) are in each category, 规上 flag and state at a
    quarter's end. Indicator snapshots are subtree sums of these, so recomputing one park groups that park's units
    and sums a few thousand stored rows, instead of grouping every unit of the province again."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    period = QuarterField()
    category = models.CharField(max_length=16)
    above_scale = models.BooleanField()
    state = models.CharField(max_length=10)
    effective = models.BooleanField(default=False)  # 有效覆盖 (EnterpriseState.effective)
    n = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("单位状态直属统计")
        verbose_name_plural = _("单位状态直属统计")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "area", "category", "above_scale", "state", "effective"],
                name="state_direct_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.period} {self.state}"


class MemberDirect(models.Model):
    """Member figures of the organisations sitting directly in one area (not its subtree) for a quarter.

    Subtree figures (MemberSnapshot) are sums of these, so recomputing one park touches a few rows, not 1M members.
    """

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    period = QuarterField()
    total = models.PositiveIntegerField(default=0)
    full = models.PositiveIntegerField(default=0)
    probationary = models.PositiveIntegerField(default=0)
    female = models.PositiveIntegerField(default=0)
    minority = models.PositiveIntegerField(default=0)
    college_or_above = models.PositiveIntegerField(default=0)
    under_35 = models.PositiveIntegerField(default=0)
    mobile = models.PositiveIntegerField(default=0)
    retired = models.PositiveIntegerField(default=0)
    age_sum = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("党员直属统计")
        verbose_name_plural = _("党员直属统计")
        constraints = [models.UniqueConstraint(fields=["period", "area"], name="member_direct_unique")]

    def __str__(self) -> str:
        return f"{self.area_id} {self.period}"


class EnterpriseState(models.Model):
    """Each operating enterprise's coverage state at a quarter's end: the rows behind every figure.

    The member counts (members employed here) are kept too, so the quarter's work queue and the report's detail
    sheet read stored rows instead of counting a district's members again.
    """

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="quarter_states")
    period = QuarterField(_("季度"))
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=16)
    above_scale = models.BooleanField()
    state = models.CharField(max_length=10)
    # 有效覆盖 at the quarter's end (reports.engine.effective): a unit with an organisation whose secretary is in
    # post, with enough full members and no overdue 换届; a unit with only an instructor visited in the quarter.
    effective = models.BooleanField(default=False)
    party_members = models.PositiveIntegerField(default=0)
    full_members = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("单位覆盖状态")
        verbose_name_plural = _("单位覆盖状态")
        constraints = [
            models.UniqueConstraint(fields=["period", "enterprise"], name="enterprise_state_unique")
        ]
        indexes = [models.Index(fields=["period", "area"])]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.period} {self.state}"


class OrganizationState(models.Model):
    """Each active party organisation's counts at a quarter's end (members held, full members, units covered)."""

    organization = models.ForeignKey(
        "orgs.PartyOrganization", on_delete=models.CASCADE, related_name="quarter_states"
    )
    period = QuarterField(_("季度"))
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    member_count = models.PositiveIntegerField(default=0)
    full_member_count = models.PositiveIntegerField(default=0)
    overdue_probation = models.PositiveIntegerField(default=0)
    unit_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("党组织季度状态")
        verbose_name_plural = _("党组织季度状态")
        constraints = [
            models.UniqueConstraint(fields=["period", "organization"], name="organization_state_unique")
        ]
        indexes = [models.Index(fields=["period", "area"])]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.period}"


class PeriodLock(models.Model):
    """A closed (锁定) quarter: its snapshots are frozen and recompute skips it."""

    period = QuarterField(_("季度"), unique=True)
    locked_at = models.DateTimeField(_("锁定时间"), auto_now_add=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("已锁定季度")
        verbose_name_plural = _("已锁定季度")
        ordering = ["-period"]

    def __str__(self) -> str:
        return str(self.period)


class PeriodLockEvent(models.Model):
    """Every close and reopen of a quarter, with who and why; never edited."""

    class Action(models.TextChoices):
        CLOSE = "close", _("锁定")
        REOPEN = "reopen", _("解锁")

    period = QuarterField(_("季度"))
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    reason = models.TextField(_("原因"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("季度锁定记录")
        verbose_name_plural = _("季度锁定记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.period} {self.action}"


class ReportRun(models.Model):
    """A quarterly report rendered in the background; finished files are kept and listed for download."""

    Status = JobStatus

    area = models.ForeignKey(Area, verbose_name=_("区域"), on_delete=models.CASCADE, related_name="+")
    period = QuarterField(_("季度"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    file = models.FileField(_("文件"), upload_to="reports/%Y/", blank=True)
    error = models.TextField(_("错误"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报告生成任务")
        verbose_name_plural = _("报告生成任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.area_id} {self.period} {self.status}"


class Submission(models.Model):
    """A reporting area's (a park's) quarter on its way upward: pending → submitted → approved | returned.

    A row exists from the first step on; before that the quarter is pending (``reports.closing.submissions``
    shows unsaved pending rows). What the park saw when it submitted (its checklist figures, the report page and
    workbook) is kept here exactly as submitted."""

    Status = SubmissionStatus

    area = models.ForeignKey(Area, verbose_name=_("报送单位"), on_delete=models.CASCADE, related_name="+")
    period = QuarterField(_("季度"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    due_on = models.DateField(_("报送截止日期"))
    note = models.TextField(_("说明"), blank=True)
    verified = models.BooleanField(_("已核实台账"), default=False)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # As submitted: the checklist's figures (JSON), the report page (HTML) and workbook.
    figures = models.JSONField(_("报送时的数字"), default=dict, blank=True)
    report_html = models.TextField(_("报送时的报表"), blank=True)
    report_file = models.FileField(_("报送时的报表文件"), upload_to="submissions/%Y/", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("季度报送")
        verbose_name_plural = _("季度报送")
        ordering = ["period", "area__path"]
        constraints = [models.UniqueConstraint(fields=["area", "period"], name="submission_unique")]

    def __str__(self) -> str:
        return f"{self.area} {self.period}"


class SubmissionEvent(models.Model):
    """Each step of a submission: who, when, from which status to which, and the note. Never edited."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("操作"), max_length=10, choices=SubmissionAction.choices)
    from_status = models.CharField(_("原状态"), max_length=10, choices=SubmissionStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=10, choices=SubmissionStatus.choices)
    note = models.TextField(_("说明"), blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("报送记录")
        verbose_name_plural = _("报送记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.submission} {self.action}"


class ReportedFigure(models.Model):
    """What was reported upward (党内统计) for an area, quarter and indicator, to set beside what the registry
    computes."""

    area = models.ForeignKey(Area, verbose_name=_("区域"), on_delete=models.CASCADE, related_name="+")
    period = QuarterField(_("季度"))
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="reported_figures"
    )
    numerator = models.PositiveIntegerField(_("上报分子"))
    denominator = models.PositiveIntegerField(_("上报分母"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        verbose_name = _("上报数字")
        verbose_name_plural = _("上报数字")
        ordering = ["period", "area__path", "indicator__position"]
        constraints = [
            models.UniqueConstraint(fields=["area", "period", "indicator"], name="reported_figure_unique"),
            models.CheckConstraint(
                condition=Q(numerator__lte=models.F("denominator")), name="reported_figure_fraction"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.period} {self.indicator_id}"
