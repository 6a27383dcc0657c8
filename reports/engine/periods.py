"""Closing (锁定) and reopening quarters."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from registry.access import access_for
from registry.periods import Quarter

from ..models import PeriodLock, PeriodLockEvent
from .figures import figures_changed
from .recompute import recompute


@transaction.atomic
def close_period(*, period: Quarter, user, reason: str = "") -> PeriodLock:
    """Freeze a quarter: its figures are brought up to date once more, then later edits no longer move them."""
    if period > Quarter.current():
        raise ValidationError({"period": _("不能锁定尚未开始的季度。")})
    if PeriodLock.objects.filter(period=period).exists():
        raise ValidationError({"period": _("%(p)s 已经锁定。") % {"p": period}})
    recompute(periods=[period])
    lock = PeriodLock.objects.create(period=period, locked_by=user)
    figures_changed()  # "frozen" is part of every cached figure of the quarter
    PeriodLockEvent.objects.create(
        period=period, action=PeriodLockEvent.Action.CLOSE, user=user, reason=reason
    )
    return lock


@transaction.atomic
def reopen_period(*, period: Quarter, user, reason: str) -> None:
    """Unfreeze a quarter: only a system administrator, only with a reason, always logged."""
    if not access_for(user).is_admin:
        raise PermissionDenied(_("只有系统管理员可以解锁已锁定的季度。"))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("解锁必须填写原因。")})
    deleted, _rows = PeriodLock.objects.filter(period=period).delete()
    if not deleted:
        raise ValidationError({"period": _("%(p)s 没有锁定。") % {"p": period}})
    figures_changed()
    PeriodLockEvent.objects.create(
        period=period, action=PeriodLockEvent.Action.REOPEN, user=user, reason=reason.strip()
    )
    recompute(periods=[period])
