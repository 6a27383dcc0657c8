from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="home"),
    path("coverage/enterprises/", views.DrillView.as_view(), name="drill"),
    path("coverage/enterprises.xlsx", views.DrillXlsxView.as_view(), name="drill_xlsx"),
    path("coverage/changes/", views.ChangesView.as_view(), name="changes"),
    path("workqueue/<slug:code>/", views.WorkItemView.as_view(), name="work_item"),
    path("workqueue/<slug:code>.xlsx", views.WorkItemXlsxView.as_view(), name="work_item_xlsx"),
    path("periods/", views.PeriodsView.as_view(), name="periods"),
    path("reports/quarterly/", views.QuarterlyView.as_view(), name="quarterly"),
    path("reports/quarterly.xlsx", views.QuarterlyXlsxView.as_view(), name="quarterly_xlsx"),
    path("reports/runs/", views.ReportRunListView.as_view(), name="report_runs"),
    path(
        "reports/runs/<int:pk>/download/", views.ReportRunDownloadView.as_view(), name="report_run_download"
    ),
]
