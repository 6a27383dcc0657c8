from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="home"),
    path("coverage/enterprises/", views.DrillView.as_view(), name="drill"),
    path("coverage/changes/", views.ChangesView.as_view(), name="changes"),
    path("workqueue/<slug:code>/", views.WorkItemView.as_view(), name="work_item"),
    path("periods/", views.PeriodsView.as_view(), name="periods"),
]
