from django.urls import path

from . import bridge_views, reported_views, submission_views, views

app_name = "reports"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="home"),
    path("coverage/enterprises/", views.DrillView.as_view(), name="drill"),
    path("coverage/enterprises.xlsx", views.DrillXlsxView.as_view(), name="drill_xlsx"),
    path("coverage/changes/", views.ChangesView.as_view(), name="changes"),
    path(
        "coverage/bridge/enterprises/",
        bridge_views.BridgeEnterprisesView.as_view(),
        name="bridge_enterprises",
    ),
    path("workqueue/<slug:code>/", views.WorkItemView.as_view(), name="work_item"),
    path("workqueue/<slug:code>.xlsx", views.WorkItemXlsxView.as_view(), name="work_item_xlsx"),
    path("periods/", views.PeriodsView.as_view(), name="periods"),
    path("submissions/", submission_views.SubmissionListView.as_view(), name="submissions"),
    path(
        "submissions/<str:code>/<str:period>/",
        submission_views.SubmissionDetailView.as_view(),
        name="submission",
    ),
    path(
        "submissions/<str:code>/<str:period>/submitted.<str:fmt>",
        submission_views.SubmittedReportView.as_view(),
        name="submitted_report",
    ),
    path("reports/quarterly/", views.QuarterlyView.as_view(), name="quarterly"),
    path("reports/quarterly.xlsx", views.QuarterlyXlsxView.as_view(), name="quarterly_xlsx"),
    path("reports/runs/", views.ReportRunListView.as_view(), name="report_runs"),
    path(
        "reports/runs/<int:pk>/download/", views.ReportRunDownloadView.as_view(), name="report_run_download"
    ),
    path("reports/reported/", reported_views.ReportedFiguresView.as_view(), name="reported_figures"),
]
