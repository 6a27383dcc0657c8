from django.apps import AppConfig


class RegistryConfig(AppConfig):
    verbose_name = "单位台账"
    name = "registry"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from .audit import connect_signals

        connect_signals()
