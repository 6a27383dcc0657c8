"""Masking of personal data (ID numbers, phones): one rule, used by pages, API, exports and the audit log."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def mask_id_number(code: str) -> str:
    """440802199001012756 → 440802********2756: region and last four stay readable."""
    if not code:
        return ""
    return code[:6] + "*" * (len(code) - 10) + code[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_for_log(value: str) -> str:
    """The audit log's mask (django-auditlog ``mask_callable``): ID numbers and phones alike."""
    value = value or ""
    if value in ("", "None"):
        return value
    if len(value) == 18:
        return mask_id_number(value)
    return mask_phone(value)


MASKED_MESSAGE = _("这是脱敏显示的号码，不能保存：请填写完整号码，或保持原值不改。")


def is_masked(value: str) -> bool:
    """True for a value that carries a mask's stars, as pages, API reads and exports show it."""
    return "*" in (value or "") or "＊" in (value or "")


def unmasked(value: str, *, stored: str, mask: Callable[[str], str]) -> str:
    """The value to store for ``value`` as submitted (form, API, import), given the ``stored`` one.

    A masked value is never stored: sent back exactly as shown (``mask(stored)``) it means "unchanged" and the
    stored value is returned; any other masked value is refused with a ValidationError (code ``masked``)."""
    if not is_masked(value):
        return value
    if stored and value.strip() == mask(stored):
        return stored
    raise ValidationError(MASKED_MESSAGE, code="masked")
