from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    COMMITTEE = "committee", _("党委")
    GENERAL_BRANCH = "general_branch", _("党总支")
    BRANCH = "branch", _("党支部")


class Setup(models.TextChoices):
    SINGLE = "single", _("单独组建")
    JOINT = "joint", _("联合组建")
