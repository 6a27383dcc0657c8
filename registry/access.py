"""Who may see and change what: one function every read path calls, so pages, API and exports cannot disagree.

``access_for(user)`` gives the role and area; each model's QuerySet has ``restrict(access)`` that keeps only the
rows in the area's subtree (NetBox's ``restrict(user, action)`` idea).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from .choices import Role
from .models import Area, UserProfile


@dataclass(frozen=True)
class Access:
    role: str | None
    area: Area | None  # None with a role: the whole registry (administrators)
    # An instructor's account sees no area's rows: only the firms assigned to its instructor today, and its own
    # records (members.querysets); every area-scoped query gives it nothing.
    instructor_id: int | None = None

    @property
    def is_instructor(self) -> bool:
        return self.role == Role.INSTRUCTOR

    @property
    def sees_nothing(self) -> bool:
        return self.role is None

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMIN, Role.STAFF)

    @property
    def can_reveal(self) -> bool:
        """May show full ID numbers and phones (an explicit, audited action)."""
        return self.role in (Role.ADMIN, Role.STAFF)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def covers(self, area: Area) -> bool:
        if self.sees_nothing or self.is_instructor:
            return False
        return self.area is None or area.path.startswith(self.area.path)

    def path_q(self, lookup: str) -> Q:
        """A Q keeping rows whose ``lookup`` (an area path) lies in this access's subtree."""
        if self.sees_nothing or self.is_instructor:
            return Q(pk__in=[])
        if self.area is None:
            return Q()
        return Q(**{f"{lookup}__startswith": self.area.path})


NO_ACCESS = Access(role=None, area=None)


def access_for(user) -> Access:
    """The access of a (possibly anonymous) user; cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NO_ACCESS
    cached = getattr(user, "_registry_access", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        access = Access(role=Role.ADMIN, area=None)
    else:
        profile = UserProfile.objects.select_related("area").filter(user=user).first()
        if profile is None:
            access = NO_ACCESS
        elif profile.role == Role.ADMIN:
            access = Access(role=Role.ADMIN, area=None)  # administrators see everything
        elif profile.role == Role.INSTRUCTOR:
            # Instructor is members' model: reached through the user's reverse relation by name.
            # ``user._meta``, not ``type(user)``: a page's request.user is a lazy object wrapping the user.
            instructor_model = user._meta.get_field("instructor").related_model
            instructor_id = instructor_model.objects.filter(user=user).values_list("pk", flat=True).first()
            access = (
                NO_ACCESS
                if instructor_id is None
                else Access(role=Role.INSTRUCTOR, area=profile.area, instructor_id=instructor_id)
            )
        else:
            access = Access(role=profile.role, area=profile.area)
    user._registry_access = access
    return access
