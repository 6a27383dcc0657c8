"""The one check every input goes through (forms, API serializers and query parameters, Excel import): no NUL and
no control characters. PostgreSQL refuses NUL in text (a 500 if it reaches a query), and a control character
stored in a name breaks every workbook written later (openpyxl refuses it), so both stop at the door as a field
error. Tab and newline are allowed only where multi-line text is (``multiline=True``)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .masking import mask_id_number
from .rules import check_not_future

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


@deconstructible
class NotFutureValidator:
    """:func:`registry.rules.check_not_future` as a field validator (Django forms and DRF serializers): the date of
    something that has happened (成立, 入党, 转入…) cannot be after today."""

    def __call__(self, value: object) -> None:
        check_not_future(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NotFutureValidator)


# --- duplicates: "统一社会信用代码 91… 已登记为「某某公司」" --------------------------------------------------------

# The values that identify a record, per model (app_label.model_name): one field, or several that are unique
# together (an organisation's name within its area). Named here, not imported: registry sits below orgs/members.
DUPLICATE_KEYS: dict[str, tuple[str, ...]] = {
    "registry.enterprise": ("credit_code",),
    "members.member": ("id_number",),
    "orgs.partyorganization": ("name", "area"),
}
DUPLICATE_MESSAGE = _("%(label)s %(value)s 已登记为「%(name)s」（编号 %(id)s）。")
DUPLICATE_TOGETHER_MESSAGE = _("同一%(others)s已登记「%(name)s」（编号 %(id)s），%(label)s不能重复。")
DUPLICATE_LINK_MESSAGE = _("%(label)s %(value)s 已登记为%(link)s。")
DUPLICATE_TOGETHER_LINK_MESSAGE = _("同一%(others)s已登记%(link)s，%(label)s不能重复。")
OUT_OF_SCOPE_SUFFIX = _("该记录不在您的管辖范围内，如需转入请联系上级组织部门。")


def _shown_value(field_name: str, value: object) -> str:
    if field_name == "id_number":
        return mask_id_number(str(value))
    return str(value)


def find_duplicate(instance, *, exclude: Iterable[str] = ()):
    """The (key field names, existing record) that ``instance`` would duplicate, or None.

    Only the models of :data:`DUPLICATE_KEYS`; a key with a field in ``exclude`` (a form field already in error)
    or an empty value is not checked."""
    meta = instance._meta
    keys = DUPLICATE_KEYS.get(meta.label_lower)
    if not keys or set(keys) & set(exclude):
        return None
    lookup = {}
    for name in keys:
        field = meta.get_field(name)
        value = getattr(instance, field.attname)
        if value in (None, ""):
            return None
        lookup[field.attname] = value
    existing = meta.model._default_manager.filter(**lookup).exclude(pk=instance.pk).order_by("pk").first()
    return (keys, existing) if existing is not None else None


def duplicate_error(instance, *, exclude: Iterable[str] = (), access=None, link: bool = False):
    """A ValidationError ``{first key field: [message]}`` when ``instance`` duplicates a stored record, else None.

    Plain (API, services): "统一社会信用代码 91… 已登记为「某某公司」（编号 12）。" — the existing id in the text.
    ``link`` (pages): the name links to the record when ``access`` may open it; otherwise the message says it lies
    outside the user's area. ID numbers are shown masked."""
    found = find_duplicate(instance, exclude=exclude)
    if found is None:
        return None
    keys, existing = found
    meta = instance._meta
    first = meta.get_field(keys[0])
    params = {
        "label": first.verbose_name,
        "value": _shown_value(first.name, getattr(instance, first.attname)),
        "name": str(existing),
        "id": existing.pk,
        "others": "、".join(str(meta.get_field(k).verbose_name) for k in keys[1:]),
    }
    together = len(keys) > 1
    if not link:
        message = (DUPLICATE_TOGETHER_MESSAGE if together else DUPLICATE_MESSAGE) % params
        return ValidationError({first.name: [ValidationError(message, code="duplicate")]})
    visible = (
        access is None
        or existing._meta.model._default_manager.restrict(access).filter(pk=existing.pk).exists()
    )
    if visible and hasattr(existing, "get_absolute_url"):
        shown = format_html('<a href="{}">「{}」</a>', existing.get_absolute_url(), params["name"])
    else:
        shown = format_html("「{}」", params["name"])
    template = DUPLICATE_TOGETHER_LINK_MESSAGE if together else DUPLICATE_LINK_MESSAGE
    escaped = {key: conditional_escape(value) for key, value in params.items()}
    message = mark_safe(str(template) % {**escaped, "link": shown})  # noqa: S308 — every part escaped above
    if not visible:
        message = format_html("{}{}", message, OUT_OF_SCOPE_SUFFIX)
    return ValidationError({first.name: [ValidationError(message, code="duplicate")]})


def check_duplicate(instance, *, exclude: Iterable[str] = ()) -> None:
    """Raise :func:`duplicate_error` (plain, with the existing id) when ``instance`` duplicates a stored record."""
    error = duplicate_error(instance, exclude=exclude)
    if error is not None:
        raise error


def full_clean_naming_duplicates(instance) -> None:
    """``instance.full_clean()``; when it fails and the record duplicates a stored one, the error is the one naming
    that record (:func:`check_duplicate`), as the form and the serializer checks give it: a create that loses the
    race for a value between their check and this one gets the same answer."""
    try:
        instance.full_clean()
    except ValidationError:
        check_duplicate(instance)
        raise
