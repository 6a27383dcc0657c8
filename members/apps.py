from django.apps import AppConfig


class MembersConfig(AppConfig):
    verbose_name = "党员与指导员"
    name = "members"
    default_auto_field = "django.db.models.BigAutoField"
