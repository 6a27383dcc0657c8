from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("enterprises/", views.EnterpriseListView.as_view(), name="enterprise_list"),
    path("enterprises/new/", views.EnterpriseCreateView.as_view(), name="enterprise_create"),
    path("enterprises/<int:pk>/", views.EnterpriseDetailView.as_view(), name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.EnterpriseUpdateView.as_view(), name="enterprise_update"),
    path("enterprises/<int:pk>/end/", views.EnterpriseEndView.as_view(), name="enterprise_end"),
    path("enterprises/<int:pk>/reveal/", views.EnterpriseRevealView.as_view(), name="enterprise_reveal"),
]
