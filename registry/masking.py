"""Masking of personal data (ID numbers, phones): one rule, used by pages, API, exports and the audit log."""

from __future__ import annotations


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
