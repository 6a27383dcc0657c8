"""The import pages; included by registry/urls.py, so their names are ``registry:import`` and so on."""

from django.urls import path

from . import views

urlpatterns = [
    path("imports/jobs/<int:pk>/", views.ImportJobView.as_view(), name="import_job"),
    path("imports/jobs/<int:pk>/progress/", views.ImportProgressView.as_view(), name="import_progress"),
    path("imports/jobs/<int:pk>/confirm/", views.ImportConfirmView.as_view(), name="import_confirm"),
    path("imports/<slug:kind>/", views.ImportPageView.as_view(), name="import"),
]
