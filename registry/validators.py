"""The one check every input goes through (forms, API serializers and query parameters, Excel import): no NUL and
no control characters. PostgreSQL refuses NUL in text (a 500 if it reaches a query), and a control character
stored in a name breaks every workbook written later (openpyxl refuses it), so both stop at the door as a field
error. Tab and newline are allowed only where multi-line text is (``multiline=True``)."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

MULTILINE_ALLOWED = frozenset("\t\n\r")
CONTROL_CHARACTERS_MESSAGE = _("含有不允许的控制字符（如 %(char)s），请删除后重新填写。")


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first NUL or control character (Unicode category Cc) in ``value``, or None."""
    for ch in value:
        if unicodedata.category(ch) == "Cc" and not (multiline and ch in MULTILINE_ALLOWED):
            return ch
    return None


def check_text(value: object, *, multiline: bool = False) -> object:
    """Return ``value`` unchanged, or raise ValidationError (Chinese, code ``control_character``) when it is text
    holding a NUL or control character. Non-text values pass: their own field checks them."""
    if isinstance(value, str):
        ch = forbidden_character(value, multiline=multiline)
        if ch is not None:
            raise ValidationError(
                CONTROL_CHARACTERS_MESSAGE, code="control_character", params={"char": f"U+{ord(ch):04X}"}
            )
    return value


@deconstructible
class PlainTextValidator:
    """:func:`check_text` as a field validator (Django forms and DRF serializers both accept it)."""

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        check_text(value, multiline=self.multiline)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainTextValidator) and other.multiline == self.multiline


def query_errors(params) -> dict[str, list[str]]:
    """Query parameters (a QueryDict) with a NUL or control character: parameter → Chinese messages."""
    errors: dict[str, list[str]] = {}
    for name, values in params.lists():
        for value in [name, *values]:
            try:
                check_text(value)
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.messages)
                break
    return errors
