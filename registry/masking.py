"""Masking of personal data (ID numbers, phones, birth dates): one rule, used by pages, API, exports and the audit
log.

A masked ID number hides exactly its birth date (440802********2756), so a viewer who may not reveal personal data
never sees a full birth date beside it either: only the birth year (``mask_birth_date``). Figures computed from
birth dates (members under 35…) are counted from the stored dates and are not affected.
"""

from __future__ import annotations

import datetime as dt
import re
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


# Fields holding a person's birth date, on every personal record (members, applicants, any later one): a history
# shows them by the same rule as the record's page.
BIRTH_DATE_FIELDS = frozenset({"birth_date"})
BIRTH_DATE_LABEL = _("出生日期")
BIRTH_YEAR_LABEL = _("出生年份")  # the label of a masked birth date


def birth_date_label(*, reveal: bool) -> str:
    """What a birth date shown by ``shown_birth_date`` is called: 出生日期 in full, 出生年份 masked."""
    return str(BIRTH_DATE_LABEL if reveal else BIRTH_YEAR_LABEL)


def mask_birth_date(born: dt.date | None) -> str:
    """1985-06-01 → "1985年": the birth year only, so a masked ID number cannot be rebuilt from it."""
    return "" if born is None else f"{born.year}年"


def shown_birth_date(born: dt.date | None, *, reveal: bool) -> str:
    """A birth date as a viewer sees it: ISO (1985-06-01) when ``reveal``, else the birth year (1985年)."""
    if born is None:
        return ""
    return born.isoformat() if reveal else mask_birth_date(born)


_BIRTH_YEAR = re.compile(r"\s*\d{4}\s*年\s*")


def is_masked_birth_date(value: object) -> bool:
    """True for a birth date as a masked page, API read or export shows it ("1985年")."""
    return isinstance(value, str) and _BIRTH_YEAR.fullmatch(value) is not None


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


MASKED_BIRTH_DATE_MESSAGE = _(
    "这是脱敏显示的出生年份，不能保存：请填写完整出生日期（如 1985-06-01），或保持原值不改。"
)


def unmasked_birth_date(value, *, stored: dt.date | None):
    """``unmasked`` for a birth date: the masked year sent back exactly as shown (``mask_birth_date(stored)``) is the
    stored date; any other masked year is refused (ValidationError, code ``masked``); anything else is returned as
    given, for the field to parse."""
    if not is_masked_birth_date(value):
        return value
    if stored is not None and value.replace(" ", "").strip() == mask_birth_date(stored):
        return stored
    raise ValidationError(MASKED_BIRTH_DATE_MESSAGE, code="masked")
