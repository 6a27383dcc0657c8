"""The import API under /api/v1/; included by registry/api/urls.py."""

from django.urls import path

from . import api

urlpatterns = [
    path("imports/jobs/<int:pk>/", api.ImportJobView.as_view(), name="api-import-job"),
    path("imports/<slug:kind>/template/", api.ImportTemplateView.as_view(), name="api-import-template"),
    path("imports/<slug:kind>/", api.ImportView.as_view(), name="api-import"),
]
