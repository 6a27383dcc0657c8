from django.urls import path

from . import development_views as development
from . import views

app_name = "members"

urlpatterns = [
    path("members/", views.MemberListView.as_view(), name="member_list"),
    path("members/new/", views.MemberCreateView.as_view(), name="member_create"),
    path("members/<int:pk>/", views.MemberDetailView.as_view(), name="member_detail"),
    path("members/<int:pk>/edit/", views.MemberUpdateView.as_view(), name="member_update"),
    path("members/<int:pk>/end/", views.MemberEndView.as_view(), name="member_end"),
    path("members/<int:pk>/reveal/", views.MemberRevealView.as_view(), name="member_reveal"),
    path("members/<int:pk>/transfer/", views.MemberTransferView.as_view(), name="member_transfer"),
    path("members/<int:pk>/confirm/", views.MemberConfirmView.as_view(), name="member_confirm"),
    path("members/<int:pk>/probation/", views.MemberProbationView.as_view(), name="member_probation"),
    path("members/<int:pk>/employment/", views.MemberEmploymentView.as_view(), name="member_employment"),
    path("members/export.xlsx", views.MemberExportView.as_view(), name="export_members"),
    path("members/transfers/", views.TransferListView.as_view(), name="transfer_list"),
    path("members/transfers.xlsx", views.TransferExportView.as_view(), name="export_transfers"),
    path("instructors/", views.InstructorListView.as_view(), name="instructor_list"),
    path("instructors/new/", views.InstructorCreateView.as_view(), name="instructor_create"),
    path("instructors/assign/", views.AssignInstructorView.as_view(), name="assign_instructor"),
    path("instructors/<int:pk>/", views.InstructorDetailView.as_view(), name="instructor_detail"),
    path("instructors/<int:pk>/edit/", views.InstructorUpdateView.as_view(), name="instructor_update"),
    path("instructors/<int:pk>/end/", views.InstructorEndView.as_view(), name="instructor_end"),
    path("instructors/<int:pk>/reveal/", views.InstructorRevealView.as_view(), name="instructor_reveal"),
    path("instructors/export.xlsx", views.InstructorExportView.as_view(), name="export_instructors"),
    path("applicants/export.xlsx", views.ApplicantExportView.as_view(), name="export_applicants"),
    path(
        "instructors/<int:pk>/assignments/new/",
        views.AssignmentCreateView.as_view(),
        name="assignment_create",
    ),
    path(
        "instructors/<int:pk>/assignments/<int:aid>/end/",
        views.AssignmentEndView.as_view(),
        name="assignment_end",
    ),
    path("applicants/", development.ApplicantListView.as_view(), name="applicant_list"),
    path("applicants/new/", development.ApplicantCreateView.as_view(), name="applicant_create"),
    path("applicants/<int:pk>/", development.ApplicantDetailView.as_view(), name="applicant_detail"),
    path("applicants/<int:pk>/edit/", development.ApplicantUpdateView.as_view(), name="applicant_update"),
    path(
        "applicants/<int:pk>/advance/", development.ApplicantAdvanceView.as_view(), name="applicant_advance"
    ),
    path(
        "applicants/<int:pk>/withdraw/",
        development.ApplicantWithdrawView.as_view(),
        name="applicant_withdraw",
    ),
    path("applicants/<int:pk>/reveal/", development.ApplicantRevealView.as_view(), name="applicant_reveal"),
    path("development/", development.DevelopmentView.as_view(), name="development"),
    path("development/plans/", development.DevelopmentPlanListView.as_view(), name="development_plan_list"),
    path(
        "development/plans/new/",
        development.DevelopmentPlanCreateView.as_view(),
        name="development_plan_create",
    ),
    path(
        "development/plans/<int:pk>/edit/",
        development.DevelopmentPlanUpdateView.as_view(),
        name="development_plan_update",
    ),
]
