from django.urls import path
from rest_framework.routers import SimpleRouter

from .evaluation import InstructorEvaluationView
from .viewsets import (
    ApplicantViewSet,
    DevelopmentPlanViewSet,
    InstructorAssignmentViewSet,
    InstructorViewSet,
    MemberViewSet,
)
from .work import EnterpriseRequestViewSet, InstructorVisitViewSet

router = SimpleRouter()
router.register("members", MemberViewSet, basename="api-member")
router.register("instructors", InstructorViewSet, basename="api-instructor")
router.register("instructor-assignments", InstructorAssignmentViewSet, basename="api-instructor-assignment")
router.register("applicants", ApplicantViewSet, basename="api-applicant")
router.register("development-plans", DevelopmentPlanViewSet, basename="api-development-plan")
router.register("instructor-visits", InstructorVisitViewSet, basename="api-instructor-visit")
router.register("enterprise-requests", EnterpriseRequestViewSet, basename="api-enterprise-request")

urlpatterns = router.urls
urlpatterns += [
    path(
        "instructor-evaluations/",
        InstructorEvaluationView.as_view(),
        name="api-instructor-evaluations",
    ),
]
