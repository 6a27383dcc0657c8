from django.urls import path

from . import development, views

urlpatterns = [
    path("coverage/", views.CoverageView.as_view(), name="api-coverage"),
    path("coverage/indicators/", views.IndicatorListView.as_view(), name="api-indicators"),
    path("coverage/series/", views.SeriesView.as_view(), name="api-series"),
    path("coverage/enterprises/", views.DrillView.as_view(), name="api-drill"),
    path("development/", development.DevelopmentView.as_view(), name="api-development"),
    path("reports/quarterly/", views.QuarterlyReportView.as_view(), name="api-quarterly"),
]
