from django.apps import AppConfig


class OrgsConfig(AppConfig):
    verbose_name = "党组织"
    name = "orgs"
    default_auto_field = "django.db.models.BigAutoField"
