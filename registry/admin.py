"""Admin for superusers. Areas are managed here; everything that can change coverage is read-only here,
because its writes must go through the services (which record the recompute request) via the pages."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from .models import AboveScalePeriod, Area, Enterprise, RecomputeRequest, UserProfile
from .services import save_area


class ReadOnlyAdminMixin:
    """View-only in the admin: edits go through the services, never around them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "parent", "path"]
    list_filter = ["kind", "parent"]
    search_fields = ["name", "code", "path"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path"]

    def save_model(self, request, obj, form, change):
        # Moving an area changes what its old and new ancestors add up: record the recompute request.
        save_area(area=obj)


class AboveScalePeriodInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AboveScalePeriod
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "credit_code",
        "category",
        "economic_type",
        "area",
        "established_on",
        "deregistered_on",
    ]
    list_filter = ["category", "economic_type", "area__kind", "area"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["area"]
    date_hierarchy = "established_on"
    inlines = [AboveScalePeriodInline]


@admin.register(AboveScalePeriod)
class AboveScalePeriodAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["enterprise", "start", "end"]
    list_filter = ["enterprise__area"]
    search_fields = ["enterprise__name", "enterprise__credit_code"]
    list_select_related = ["enterprise"]


@admin.register(RecomputeRequest)
class RecomputeRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["area", "since", "created_at"]
    list_filter = ["area"]
    search_fields = ["area__name", "area__code"]
    list_select_related = ["area"]
    date_hierarchy = "created_at"


class UserProfileInline(admin.StackedInline):
    model = UserProfile
    can_delete = False
    verbose_name_plural = "角色与区域"
    autocomplete_fields = ["area"]


admin.site.unregister(User)


@admin.register(User)
class RegistryUserAdmin(UserAdmin):
    """The administrator manages users here: each gets one role and one area."""

    inlines = [UserProfileInline]
    list_display = ["username", "is_active", "is_superuser", "profile__role", "profile__area", "last_login"]
    list_select_related = ["profile", "profile__area"]
