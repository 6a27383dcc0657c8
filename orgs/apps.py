from django.apps import AppConfig


class OrgsConfig(AppConfig):
    verbose_name = "党组织"
    name = "orgs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from registry.excel.importer import register

        from . import services, workbook

        register(
            workbook.ORGANIZATIONS,
            importer=workbook.OrganizationImporter,
            apply=services.apply_organization_rows,
        )
