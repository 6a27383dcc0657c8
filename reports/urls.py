from django.urls import path

from . import excel_views, views

app_name = "reports"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="home"),
    path("coverage/enterprises/", views.DrillView.as_view(), name="drill"),
    path("coverage/changes/", views.ChangesView.as_view(), name="changes"),
    path("workqueue/<slug:code>/", views.WorkItemView.as_view(), name="work_item"),
    path("periods/", views.PeriodsView.as_view(), name="periods"),
    path("reports/quarterly/", views.QuarterlyView.as_view(), name="quarterly"),
    path("reports/quarterly.xlsx", views.QuarterlyXlsxView.as_view(), name="quarterly_xlsx"),
    path("reports/runs/", views.ReportRunListView.as_view(), name="report_runs"),
    path(
        "reports/runs/<int:pk>/download/", views.ReportRunDownloadView.as_view(), name="report_run_download"
    ),
    path("enterprises/export.xlsx", excel_views.EnterpriseExportView.as_view(), name="export_enterprises"),
    path("enterprises/uncovered.xlsx", excel_views.UncoveredExportView.as_view(), name="export_uncovered"),
    path(
        "organizations/export.xlsx", excel_views.OrganizationExportView.as_view(), name="export_organizations"
    ),
    path("members/export.xlsx", excel_views.MemberExportView.as_view(), name="export_members"),
    path("instructors/export.xlsx", excel_views.InstructorExportView.as_view(), name="export_instructors"),
    path("imports/jobs/<int:pk>/", excel_views.ImportJobView.as_view(), name="import_job"),
    path("imports/jobs/<int:pk>/progress/", excel_views.ImportProgressView.as_view(), name="import_progress"),
    path("imports/jobs/<int:pk>/confirm/", excel_views.ImportConfirmView.as_view(), name="import_confirm"),
    path("imports/<slug:kind>/", excel_views.ImportPageView.as_view(), name="import"),
]
