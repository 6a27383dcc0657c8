from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaKind(models.TextChoices):
    DISTRICT = "district", _("区/开发区")
    PARK = "park", _("园区")
    SUBDISTRICT = "subdistrict", _("片区/街道")
    COMMUNITY = "community", _("社区")


class Category(models.TextChoices):
    ENTERPRISE = "enterprise", _("非公企业")
    SOCIAL_ORG = "social_org", _("社会组织")


class EconomicType(models.TextChoices):
    PRIVATE = "private", _("私营企业")
    FOREIGN = "foreign", _("外商投资企业")
    HMT = "hmt", _("港澳台投资企业")
    MIXED = "mixed", _("混合所有制企业")
    SOCIAL_GROUP = "social_group", _("社会团体")
    NON_ENTERPRISE = "non_enterprise", _("民办非企业单位")
    FOUNDATION = "foundation", _("基金会")
    OTHER = "other", _("其他")


class CoverageState(models.TextChoices):
    """Exactly one per enterprise at a date, derived from dated links; nobody types it."""

    SINGLE = "single", _("单独组建")
    JOINT = "joint", _("联合组建")
    WORK = "work", _("工作覆盖")
    NONE = "none", _("未覆盖")


class Role(models.TextChoices):
    """A user has one role and one area."""

    ADMIN = "admin", _("系统管理员")
    STAFF = "staff", _("组织部工作人员")
    PARK = "park", _("园区党工委")
    READER = "reader", _("只读接口")
    INSTRUCTOR = "instructor", _("党建指导员")


class JobStatus(models.TextChoices):
    """The life of a background job (report rendering, Excel import), shown on its page."""

    PENDING = "pending", _("排队中")
    RUNNING = "running", _("处理中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
