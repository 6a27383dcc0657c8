from django.contrib import admin

from registry.admin import ReadOnlyAdminMixin

from .models import OrganizationLink, PartyOrganization


class OrganizationLinkInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OrganizationLink
    extra = 0
    fields = ["enterprise", "start", "end"]


@admin.register(PartyOrganization)
class PartyOrganizationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "kind",
        "setup",
        "area",
        "founded_on",
        "dissolved_on",
        "secretary",
        "term_ends_on",
    ]
    list_filter = ["kind", "setup", "has_committee", "area"]
    search_fields = ["name", "approval_no"]
    list_select_related = ["area", "secretary"]
    date_hierarchy = "founded_on"
    inlines = [OrganizationLinkInline]


@admin.register(OrganizationLink)
class OrganizationLinkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["organization", "enterprise", "start", "end"]
    list_filter = ["organization__setup", "organization__area"]
    search_fields = ["organization__name", "enterprise__name", "enterprise__credit_code"]
    list_select_related = ["organization", "enterprise"]
