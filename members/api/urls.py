from rest_framework.routers import SimpleRouter

from .viewsets import InstructorAssignmentViewSet, InstructorViewSet, MemberViewSet

router = SimpleRouter()
router.register("members", MemberViewSet, basename="api-member")
router.register("instructors", InstructorViewSet, basename="api-instructor")
router.register("instructor-assignments", InstructorAssignmentViewSet, basename="api-instructor-assignment")

urlpatterns = router.urls
