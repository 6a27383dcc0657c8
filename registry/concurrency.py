"""Optimistic concurrency: a record's version is its ``updated_at``; a write based on an older version is refused.

Forms carry the version in a hidden field (registry.forms.VersionedFormMixin); an API can send it as If-Match.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Model
from django.utils.translation import gettext_lazy as _

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
CONFLICT_MESSAGE = _(
    "保存失败：您打开此页面后，该记录已被他人修改（%(when)s）。本次修改没有保存，请重新打开后再修改。"
)


def version_of(obj: Model) -> str:
    """The version token of ``obj`` as loaded: microseconds since the epoch of its ``updated_at``."""
    updated_at = obj.updated_at
    return str((updated_at - EPOCH) // dt.timedelta(microseconds=1)) if updated_at else ""


def current_version(obj: Model) -> tuple[str, dt.datetime | None]:
    """The version stored now in the database (and its time), whatever ``obj`` holds in memory."""
    updated_at = type(obj)._default_manager.filter(pk=obj.pk).values_list("updated_at", flat=True).first()
    if updated_at is None:
        return "", None
    return str((updated_at - EPOCH) // dt.timedelta(microseconds=1)), updated_at


def is_stale(obj: Model, version: str | None) -> bool:
    """True when ``version`` was given and the record changed since (an empty version is not checked)."""
    if not version:
        return False
    return current_version(obj)[0] != str(version).strip().strip('"')
