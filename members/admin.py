from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from registry.admin import ReadOnlyAdminMixin

from .models import Employment, Instructor, InstructorAssignment, Member, Membership, Mobility


class HistoryInline(admin.TabularInline):
    # Read-only like the member: history is written by members.services (transfer, 转正, employer change).
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MembershipInline(HistoryInline):
    model = Membership
    fields = ["organization", "start", "end", "how_started", "how_ended"]


class EmploymentInline(HistoryInline):
    model = Employment
    fields = ["enterprise", "start", "end"]


class MobilityInline(HistoryInline):
    model = Mobility
    fields = ["start", "end", "destination"]


@admin.register(Member)
class MemberAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    inlines = [MembershipInline, EmploymentInline, MobilityInline]
    # The full ID number and phone stay out of the admin too: only the masked forms are shown.
    list_display = [
        "name",
        "gender",
        "masked_id_number",
        "category",
        "organization",
        "enterprise",
        "joined_party_on",
        "joined_on",
        "ended_on",
        "end_reason",
    ]
    list_filter = [
        "category",
        "gender",
        "education",
        "is_mobile",
        "retired",
        "end_reason",
        "organization__area",
    ]
    search_fields = ["name", "=id_number"]
    list_select_related = ["organization", "enterprise"]
    date_hierarchy = "joined_on"
    exclude = ["id_number", "phone"]
    readonly_fields = ["masked_id_number", "masked_phone"]

    @admin.display(description=_("身份证号码"))
    def masked_id_number(self, obj):
        return obj.masked_id_number

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj):
        return obj.masked_phone


class InstructorAssignmentInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InstructorAssignment
    extra = 0
    fields = ["enterprise", "start", "end"]


@admin.register(Instructor)
class InstructorAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "unit", "full_time", "area", "ended_on"]
    list_filter = ["full_time", "area"]
    search_fields = ["name", "unit"]
    list_select_related = ["area"]
    inlines = [InstructorAssignmentInline]


@admin.register(InstructorAssignment)
class InstructorAssignmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["instructor", "enterprise", "start", "end"]
    list_filter = ["enterprise__area"]
    search_fields = ["instructor__name", "enterprise__name", "enterprise__credit_code"]
    list_select_related = ["instructor", "enterprise"]
