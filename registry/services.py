"""Writes that can change coverage. Each is one named thing, in a transaction, recording the recompute request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import AboveScalePeriod, Area, Enterprise
from .outbox import request_recompute
from .rules import plan_above_scale

ENTERPRISE_FIELDS = (
    "name",
    "credit_code",
    "category",
    "economic_type",
    "industry",
    "area",
    "employees",
    "established_on",
    "deregistered_on",
    "address",
    "contact_person",
    "contact_phone",
)


def _earliest(*dates: dt.date | None) -> dt.date | None:
    found = [d for d in dates if d is not None]
    return min(found) if found else None


@transaction.atomic
def create_enterprise(
    *, above_scale: bool = False, above_scale_since: dt.date | None = None, **fields: Any
) -> Enterprise:
    """Create an enterprise; when ``above_scale`` it is 规上 from ``above_scale_since`` or its founding date."""
    enterprise = Enterprise(**fields)
    enterprise.full_clean()
    enterprise.save()
    if above_scale:
        AboveScalePeriod.objects.create(
            enterprise=enterprise, start=above_scale_since or enterprise.established_on
        )
    request_recompute(area=enterprise.area_id, since=enterprise.established_on)
    return enterprise


@transaction.atomic
def update_enterprise(
    *,
    enterprise: Enterprise,
    above_scale: bool | None = None,
    above_scale_since: dt.date | None = None,
    **fields: Any,
) -> Enterprise:
    """Change an enterprise's fields; a change of 规上 status holds from ``above_scale_since`` or today."""
    old = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    for name, value in fields.items():
        setattr(enterprise, name, value)
    enterprise.full_clean()
    enterprise.save()
    touched: list[dt.date | None] = []
    if above_scale is not None:
        touched.append(
            set_above_scale(enterprise=enterprise, above_scale=above_scale, since=above_scale_since)
        )
    for name in ("established_on", "deregistered_on"):
        if getattr(old, name) != getattr(enterprise, name):
            touched += [getattr(old, name), getattr(enterprise, name)]
    if old.area_id != enterprise.area_id or old.category != enterprise.category:
        # The firm moves between populations for its whole life.
        touched += [old.established_on, enterprise.established_on]
        request_recompute(area=old.area_id, since=_earliest(*touched))
    since = _earliest(*touched)
    if since is not None:
        request_recompute(area=enterprise.area_id, since=since)
    return enterprise


def set_above_scale(
    *, enterprise: Enterprise, above_scale: bool, since: dt.date | None = None
) -> dt.date | None:
    """Make the dated 规上 status hold (or stop) from ``since`` (default today). Returns the date if anything changed."""
    since = since or timezone.localdate()
    change = plan_above_scale(
        list(enterprise.above_scale_periods.order_by("start")), above_scale=above_scale, since=since
    )
    if change is None:
        return None
    if change.create_from:
        AboveScalePeriod.objects.create(enterprise=enterprise, start=change.create_from)
    if change.moved:
        change.moved.save(update_fields=["start"])
    if change.ended:
        change.ended.save(update_fields=["end"])
    if change.dropped:
        change.dropped.delete()
    return since


@transaction.atomic
def deregister_enterprise(*, enterprise: Enterprise, on: dt.date) -> Enterprise:
    """注销/迁出: the firm leaves the population from ``on``; its open links end the same day."""
    if on <= enterprise.established_on:
        raise ValidationError({"deregistered_on": _("注销/迁出日期应晚于成立日期。")})
    enterprise.deregistered_on = on
    enterprise.save(update_fields=["deregistered_on", "updated_at"])
    for relation in ("org_links", "instructor_assignments"):
        # One save per row (a handful) rather than update(): the audit log hears only save().
        for link in getattr(enterprise, relation).filter(end__isnull=True, start__lt=on):
            link.end = on
            link.save(update_fields=["end"])
    request_recompute(area=enterprise.area_id, since=on)
    return enterprise


@transaction.atomic
def save_area(*, area):
    """Create or move an area; figures of the old and the new ancestors roll up differently from then on."""
    old_parent = (
        Area.objects.filter(pk=area.pk).values_list("parent_id", flat=True).first() if area.pk else None
    )
    area.full_clean()
    area.save()
    for area_id in {area.pk, old_parent} - {None}:
        request_recompute(area=area_id, since=None)
    return area


@transaction.atomic
def create_user(*, username: str, password: str, role: str, area_code: str | None):
    """A user with one role and one area; the password passes Django's validators."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    from .models import UserProfile

    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ValidationError({"username": _("用户名“%(u)s”已存在。") % {"u": username}})
    area = None
    if area_code:
        area = Area.objects.filter(code=area_code).first()
        if area is None:
            raise ValidationError({"area": _("未知的区域代码“%(code)s”。") % {"code": area_code}})
    user = user_model(username=username, is_staff=role == "admin", is_superuser=role == "admin")
    validate_password(password, user)
    user.set_password(password)
    user.save()
    profile = UserProfile(user=user, role=role, area=area)
    profile.full_clean()
    profile.save()
    return user
