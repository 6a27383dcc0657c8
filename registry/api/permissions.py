"""Who may call the registry API: everyone authenticated reads (within their subtree); only roles that may write
(registry.access.Access.can_write) change anything, others get 403."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from registry.access import access_for


class RegistryPermission(BasePermission):
    message = _("当前账号只能查看，不能修改台账。")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or access_for(request.user).can_write
