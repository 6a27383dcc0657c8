from django.apps import AppConfig


class ReportsConfig(AppConfig):
    verbose_name = "覆盖统计与报表"
    name = "reports"
    default_auto_field = "django.db.models.BigAutoField"
