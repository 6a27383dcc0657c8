from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Education(models.TextChoices):
    POSTGRADUATE = "postgraduate", _("研究生")
    BACHELOR = "bachelor", _("大学本科")
    COLLEGE = "college", _("大学专科")
    SECONDARY = "secondary", _("中专/高中")
    JUNIOR = "junior", _("初中及以下")


COLLEGE_OR_ABOVE = (Education.POSTGRADUATE, Education.BACHELOR, Education.COLLEGE)
MAJORITY_ETHNICITY = "汉族"


class MemberCategory(models.TextChoices):
    FULL = "full", _("正式党员")
    PROBATIONARY = "probationary", _("预备党员")


class EndReason(models.TextChoices):
    TRANSFER_OUT = "transfer_out", _("组织关系转出")
    DEATH = "death", _("死亡")
    SUSPENDED = "suspended", _("停止党籍")
    EXPELLED = "expelled", _("开除党籍（出党）")
    REMOVED = "removed", _("除名/劝退")
    OTHER = "other", _("其他")


class MembershipStart(models.TextChoices):
    """How a membership (组织关系) in an organisation began."""

    DEVELOPED = "developed", _("发展入党")
    TRANSFER_IN = "transfer_in", _("转入")
    RESTORED = "restored", _("恢复党籍")


class MembershipEnd(models.TextChoices):
    """How a membership ended: a transfer inside the registry, or one of the reasons a member leaves it."""

    TRANSFER = "transfer", _("组织关系转接（系统内）")
    TRANSFER_OUT = EndReason.TRANSFER_OUT.value, EndReason.TRANSFER_OUT.label
    DEATH = EndReason.DEATH.value, EndReason.DEATH.label
    SUSPENDED = EndReason.SUSPENDED.value, EndReason.SUSPENDED.label
    EXPELLED = EndReason.EXPELLED.value, EndReason.EXPELLED.label
    REMOVED = EndReason.REMOVED.value, EndReason.REMOVED.label
    OTHER = EndReason.OTHER.value, EndReason.OTHER.label


class Stage(models.TextChoices):
    """发展党员: where an applicant stands (入党申请人 → 入党积极分子 → 发展对象 → 预备党员), or withdrawn."""

    APPLICANT = "applicant", _("入党申请人")
    ACTIVIST = "activist", _("入党积极分子")
    CANDIDATE = "candidate", _("发展对象")
    ADMITTED = "admitted", _("已接收为预备党员")
    WITHDRAWN = "withdrawn", _("已终止")


# The steps an applicant moves through, in order, with the date field each one sets.
STAGE_ORDER = (Stage.APPLICANT, Stage.ACTIVIST, Stage.CANDIDATE, Stage.ADMITTED)
STAGE_DATE = {
    Stage.APPLICANT: "applied_on",
    Stage.ACTIVIST: "activist_on",
    Stage.CANDIDATE: "candidate_on",
    Stage.ADMITTED: "admitted_on",
}


class VisitKind(models.TextChoices):
    VISIT = "visit", _("走访")
    GUIDANCE = "guidance", _("指导组建")
    TRAINING = "training", _("培训")
    OTHER = "other", _("其他")


class RequestCategory(models.TextChoices):
    LABOUR = "labour", _("用工")
    SAFETY = "safety", _("安全生产")
    ENVIRONMENT = "environment", _("环保")
    INFRASTRUCTURE = "infrastructure", _("基础设施")
    DISPUTE = "dispute", _("劳资纠纷")
    OTHER = "other", _("其他")


class EvaluationSource(models.TextChoices):
    """Where an evaluation item's points come from."""

    COMPUTED = "computed", _("按记录自动计算")
    ENTERED = "entered", _("工作人员录入")


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    COMPETENT = "competent", _("称职")
    BASIC = "basic", _("基本称职")
    INCOMPETENT = "incompetent", _("不称职")
