"""/api/v1/: every app's API routes, plus the token endpoint."""

from django.urls import include, path

from registry.api.views import TokenView

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("", include("reports.api.urls")),
    path("", include("registry.api.urls")),
    path("", include("orgs.api.urls")),
    path("", include("members.api.urls")),
]
