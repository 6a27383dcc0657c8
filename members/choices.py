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
