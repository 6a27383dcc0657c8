from django.db import models
from django.utils.translation import gettext_lazy as _


class Population(models.TextChoices):
    """Which enterprises form an indicator's denominator (always the operating ones on the date)."""

    ABOVE_SCALE = "above_scale", _("规模以上非公企业")
    ENTERPRISE = "enterprise", _("非公企业")
    SOCIAL_ORG = "social_org", _("社会组织")
    ALL = "all", _("两新组织")


class Numerator(models.TextChoices):
    """Which coverage states count in the numerator."""

    ORG = "org", _("建立党组织（单建 + 联建）")
    SINGLE = "single", _("单独组建")
    WORK = "work", _("党的工作覆盖（党组织或指导员）")
    EFFECTIVE_ORG = "effective_org", _("党组织有效覆盖（书记在岗、单独组建的正式党员不少于3名、未逾期换届）")
    EFFECTIVE_WORK = "effective_work", _("党的工作有效覆盖（仅有党建指导员的单位本季度至少走访一次）")


NUMERATOR_STATES = {
    Numerator.ORG: ("single", "joint"),
    Numerator.SINGLE: ("single",),
    Numerator.WORK: ("single", "joint", "work"),
    Numerator.EFFECTIVE_ORG: ("single", "joint"),
    Numerator.EFFECTIVE_WORK: ("work",),
}
# 有效覆盖: the numerator counts only the units of its states that meet every condition (EnterpriseState.effective,
# reports.engine.effective), and the denominator only the units in those states, not the whole population.
EFFECTIVE_NUMERATORS = frozenset({Numerator.EFFECTIVE_ORG, Numerator.EFFECTIVE_WORK})


class SubmissionStatus(models.TextChoices):
    """Where a park's quarter stands in the district's close (季度报送)."""

    PENDING = "pending", _("待报送")
    SUBMITTED = "submitted", _("已报送")
    RETURNED = "returned", _("已退回")
    APPROVED = "approved", _("已审核通过")


class SubmissionAction(models.TextChoices):
    SUBMIT = "submit", _("报送")
    APPROVE = "approve", _("审核通过")
    RETURN = "return", _("退回")
    REOPEN = "reopen", _("重新打开")
