"""FilterSets of instructors' visits and enterprise requests, shared by the list pages, the API and the downloads.

Their choices (areas, instructors, firms) are scoped here, from the request's user (members.work), not by the
generic ``restrict`` of the list page or the API: an instructor's account filters by its own instructor and the
firms ever assigned to it, which no area-scoped ``restrict`` gives it. A choice outside them is an invalid choice,
exactly as an unknown one is.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from registry.access import access_for
from registry.filtersets import AreaSubtreeFilter, yes_no_any
from registry.models import Area, Enterprise

from .choices import RequestCategory, VisitKind
from .models import EnterpriseRequest, Instructor, InstructorVisit
from .work import enterprise_choices, instructor_choices


class WorkFilterSet(django_filters.FilterSet):
    area = AreaSubtreeFilter(field_name="enterprise__area", label=_("单位所在区域（含下级）"))
    instructor = django_filters.ModelChoiceFilter(
        queryset=Instructor.objects.order_by("name", "pk"), label=_("党建指导员")
    )
    # A page reaches one firm's records by a link (?enterprise=<id>): no select of every firm of a district.
    enterprise = django_filters.ModelChoiceFilter(
        queryset=Enterprise.objects.order_by("name", "pk"), label=_("单位"), widget=forms.HiddenInput
    )

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        if request is None:
            return  # used outside a request: the caller scoped the rows
        access = access_for(getattr(request, "user", None))
        self.access = access
        self.filters["area"].queryset = Area.objects.restrict(access).order_by("path")
        self.filters["instructor"].queryset = instructor_choices(access).order_by("name", "pk")
        self.filters["enterprise"].queryset = enterprise_choices(access).order_by("name", "pk")


class InstructorVisitFilterSet(WorkFilterSet):
    kind = django_filters.ChoiceFilter(choices=VisitKind.choices, label=_("类型"), empty_label=_("全部"))
    date_from = django_filters.DateFilter(field_name="visited_on", lookup_expr="gte", label=_("走访日期自"))
    date_to = django_filters.DateFilter(field_name="visited_on", lookup_expr="lte", label=_("走访日期至"))

    class Meta:
        model = InstructorVisit
        fields = ["area", "instructor", "enterprise", "kind", "date_from", "date_to"]


class EnterpriseRequestFilterSet(WorkFilterSet):
    category = django_filters.ChoiceFilter(
        choices=RequestCategory.choices, label=_("类别"), empty_label=_("全部")
    )
    open = django_filters.BooleanFilter(
        field_name="closed_on", lookup_expr="isnull", label=_("未办结"), widget=yes_no_any()
    )
    date_from = django_filters.DateFilter(field_name="received_on", lookup_expr="gte", label=_("受理日期自"))
    date_to = django_filters.DateFilter(field_name="received_on", lookup_expr="lte", label=_("受理日期至"))

    class Meta:
        model = EnterpriseRequest
        fields = ["area", "instructor", "enterprise", "category", "open", "date_from", "date_to"]
