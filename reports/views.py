"""Report pages. ``home`` is a plain landing page until the dashboard replaces it."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.utils import timezone
from django.views.generic import TemplateView

from members.models import Instructor, Member
from orgs.models import PartyOrganization
from registry.models import Enterprise


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "reports/home.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        return super().get_context_data(
            today=today,
            enterprise_count=Enterprise.objects.operating_on(today).count(),
            organization_count=PartyOrganization.objects.active_on(today).count(),
            member_count=Member.objects.active_on(today).count(),
            instructor_count=Instructor.objects.filter(
                Q(ended_on__isnull=True) | Q(ended_on__gt=today)
            ).count(),
            **kwargs,
        )
