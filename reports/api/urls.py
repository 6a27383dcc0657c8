from django.urls import path
from rest_framework.routers import SimpleRouter

from . import bridge, development, reported, submissions, views

router = SimpleRouter()
router.register("reported-figures", reported.ReportedFigureViewSet, basename="api-reported-figure")

urlpatterns = [
    path("coverage/", views.CoverageView.as_view(), name="api-coverage"),
    path("coverage/indicators/", views.IndicatorListView.as_view(), name="api-indicators"),
    path("coverage/series/", views.SeriesView.as_view(), name="api-series"),
    path("coverage/bridge/", bridge.BridgeView.as_view(), name="api-bridge"),
    path("coverage/enterprises/", views.DrillView.as_view(), name="api-drill"),
    path("development/", development.DevelopmentView.as_view(), name="api-development"),
    path("reports/quarterly/", views.QuarterlyReportView.as_view(), name="api-quarterly"),
    path("submissions/", submissions.SubmissionListView.as_view(), name="api-submissions"),
    path("submissions/summary/", submissions.SubmissionSummaryView.as_view(), name="api-submission-summary"),
    path("submissions/<str:area>/<str:period>/submit/", submissions.SubmitView.as_view(), name="api-submit"),
    path(
        "submissions/<str:area>/<str:period>/approve/", submissions.ApproveView.as_view(), name="api-approve"
    ),
    path("submissions/<str:area>/<str:period>/return/", submissions.ReturnView.as_view(), name="api-return"),
    path("submissions/<str:area>/<str:period>/reopen/", submissions.ReopenView.as_view(), name="api-reopen"),
] + router.urls
