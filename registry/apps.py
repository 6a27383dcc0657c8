from django.apps import AppConfig


class RegistryConfig(AppConfig):
    verbose_name = "单位台账"
    name = "registry"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import services, workbook
        from .audit import connect_signals, untrack_reverse_relations
        from .excel.importer import register

        connect_signals()
        untrack_reverse_relations()
        from django.apps import apps

        if apps.is_installed("knox"):  # the Excel engine also runs with registry alone (no API tokens)
            from .api.auth import connect_token_revocation

            connect_token_revocation()
        # The Excel engine knows no kind: each app registers its own, with the bulk service that writes it.
        register(
            workbook.ENTERPRISES, importer=workbook.EnterpriseImporter, apply=services.apply_enterprise_rows
        )
