from django.urls import path

from . import views

app_name = "orgs"

urlpatterns = [
    path("organizations/", views.OrganizationListView.as_view(), name="organization_list"),
    path("organizations/new/", views.OrganizationCreateView.as_view(), name="organization_create"),
    path("organizations/unit-options/", views.UnitOptionsView.as_view(), name="unit_options"),
    path("organizations/<int:pk>/", views.OrganizationDetailView.as_view(), name="organization_detail"),
    path("organizations/<int:pk>/edit/", views.OrganizationUpdateView.as_view(), name="organization_update"),
    path("organizations/<int:pk>/end/", views.OrganizationEndView.as_view(), name="organization_end"),
    path("organizations/export.xlsx", views.OrganizationExportView.as_view(), name="export_organizations"),
]
