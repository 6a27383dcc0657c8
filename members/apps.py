from django.apps import AppConfig


class MembersConfig(AppConfig):
    verbose_name = "党员与指导员"
    name = "members"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from registry.excel.importer import register

        from . import services, workbook

        register(workbook.MEMBERS, importer=workbook.MemberImporter, apply=services.apply_member_rows)
        register(
            workbook.ASSIGNMENTS, importer=workbook.AssignmentImporter, apply=services.apply_assignment_rows
        )
        register(
            workbook.APPLICANTS, importer=workbook.ApplicantImporter, apply=services.apply_applicant_rows
        )
