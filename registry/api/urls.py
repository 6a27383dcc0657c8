from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .viewsets import AreaViewSet, EnterpriseViewSet

router = SimpleRouter()
router.register("areas", AreaViewSet, basename="api-area")
router.register("enterprises", EnterpriseViewSet, basename="api-enterprise")

urlpatterns = [*router.urls, path("", include("registry.excel.api_urls"))]
