from django.urls import include, path

from . import views

app_name = "registry"

urlpatterns = [
    path("enterprises/", views.EnterpriseListView.as_view(), name="enterprise_list"),
    path("enterprises/new/", views.EnterpriseCreateView.as_view(), name="enterprise_create"),
    path("enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.EnterpriseUpdateView.as_view(), name="enterprise_update"),
    path("enterprises/<int:pk>/end/", views.EnterpriseEndView.as_view(), name="enterprise_end"),
    path("enterprises/<int:pk>/reveal/", views.EnterpriseRevealView.as_view(), name="enterprise_reveal"),
    path("enterprises/export.xlsx", views.EnterpriseExportView.as_view(), name="export_enterprises"),
    path("enterprises/uncovered.xlsx", views.UncoveredExportView.as_view(), name="export_uncovered"),
    path("", include("registry.excel.urls")),
]
