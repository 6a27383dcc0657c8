from rest_framework.routers import SimpleRouter

from .viewsets import (
    ApplicantViewSet,
    DevelopmentPlanViewSet,
    InstructorAssignmentViewSet,
    InstructorViewSet,
    MemberViewSet,
)

router = SimpleRouter()
router.register("members", MemberViewSet, basename="api-member")
router.register("instructors", InstructorViewSet, basename="api-instructor")
router.register("instructor-assignments", InstructorAssignmentViewSet, basename="api-instructor-assignment")
router.register("applicants", ApplicantViewSet, basename="api-applicant")
router.register("development-plans", DevelopmentPlanViewSet, basename="api-development-plan")

urlpatterns = router.urls
