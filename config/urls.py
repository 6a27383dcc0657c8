from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.views import healthz

# Chinese error pages in the site layout; JSON under /api/ (config.views).
handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on their own (and for pages without our layout): send them to the SVG, its
    # static URL looked up per request (the hashed name in production, so the redirect is not permanent).
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"))),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script under the CSP.
    # Swagger UI sets inline styles (never inline script): allowed on this page only.
    path(
        "api/docs/",
        csp_update({"style-src": [UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema", title="党建覆盖台账接口文档")
        ),
        name="api-docs",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("registry.urls")),
    path("", include("orgs.urls")),
    path("", include("members.urls")),
    path("", include("reports.urls")),
]
