from rest_framework.routers import SimpleRouter

from .viewsets import OrganizationViewSet

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="api-organization")

urlpatterns = router.urls
