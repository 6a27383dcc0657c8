from django.urls import path

from . import development_views as development
from . import evaluation_views as evaluation
from . import views
from . import work_views as work

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

# Instructors' work (issue 15): an instructor's own phone pages, and staff's lists, forms and downloads.
urlpatterns += [
    path("instructor/", work.MyFirmsView.as_view(), name="my_firms"),
    path("instructor/visits/", work.MyVisitListView.as_view(), name="my_visits"),
    path("instructor/visits/new/", work.MyVisitCreateView.as_view(), name="my_visit_create"),
    path("instructor/visits/<int:pk>/edit/", work.MyVisitUpdateView.as_view(), name="my_visit_update"),
    path("instructor/requests/", work.MyRequestListView.as_view(), name="my_requests"),
    path("instructor/requests/new/", work.MyRequestCreateView.as_view(), name="my_request_create"),
    path("instructor/requests/<int:pk>/edit/", work.MyRequestUpdateView.as_view(), name="my_request_update"),
    path("instructor/requests/<int:pk>/close/", work.MyRequestCloseView.as_view(), name="my_request_close"),
    path("instructors/visits/", work.VisitListView.as_view(), name="visit_list"),
    path("instructors/visits/new/", work.VisitCreateView.as_view(), name="visit_create"),
    path("instructors/visits/<int:pk>/edit/", work.VisitUpdateView.as_view(), name="visit_update"),
    path("instructors/visits/export.xlsx", work.VisitExportView.as_view(), name="export_visits"),
    path("instructors/requests/", work.RequestListView.as_view(), name="request_list"),
    path("instructors/requests/new/", work.RequestCreateView.as_view(), name="request_create"),
    path("instructors/requests/<int:pk>/edit/", work.RequestUpdateView.as_view(), name="request_update"),
    path("instructors/requests/<int:pk>/close/", work.RequestCloseView.as_view(), name="request_close"),
    path("instructors/requests/export.xlsx", work.RequestExportView.as_view(), name="export_requests"),
]

# 重点工作任务 and 指导员年度考核 (issue 15): members.evaluation_views.
urlpatterns += [
    path("instructor/tasks/", evaluation.MyTasksView.as_view(), name="my_tasks"),
    path("instructors/tasks/", evaluation.TaskListView.as_view(), name="task_list"),
    path("instructors/tasks/new/", evaluation.TaskCreateView.as_view(), name="task_create"),
    path("instructors/tasks/<int:pk>/", evaluation.TaskDetailView.as_view(), name="task_detail"),
    path("instructors/tasks/<int:pk>/done/", evaluation.TaskDoneView.as_view(), name="task_done"),
    path("instructors/evaluation/", evaluation.EvaluationView.as_view(), name="evaluation"),
    path("instructors/evaluation.xlsx", evaluation.EvaluationXlsxView.as_view(), name="evaluation_xlsx"),
    path("instructors/evaluation/enter/", evaluation.EntryView.as_view(), name="evaluation_entry"),
    path(
        "instructors/evaluation/<int:pk>/<slug:code>/",
        evaluation.EvidenceView.as_view(),
        name="evaluation_evidence",
    ),
]
