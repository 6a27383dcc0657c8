"""Domain checks owned by members: the resident ID number and how personal data is masked."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from registry.masking import mask_id_number, mask_phone  # noqa: F401 — the rule lives in registry.masking
from registry.rules import looks_like_excel_number, normalize_code

# GB 11643-1999, ISO 7064 MOD 11-2.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def id_check_char(first17: str) -> str:
    return ID_CHECK_CHARS[sum(int(ch) * w for ch, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def id_birth_date(code: str) -> dt.date | None:
    try:
        return dt.date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:
        return None


def validate_id_number(value: object) -> str:
    """Return the normalised 18-character ID number, or raise ValidationError with a Chinese message."""
    code = normalize_code(value)
    if looks_like_excel_number(code):
        raise ValidationError(
            _("身份证号码被 Excel 转成了数字（%(value)s），请把该列设为文本后重新填写。"),
            code="excel_number",
            params={"value": code},
        )
    if len(code) != 18:
        raise ValidationError(
            _("身份证号码应为 18 位，当前为 %(length)s 位。"), code="length", params={"length": len(code)}
        )
    if not code[:17].isdigit() or not (code[17].isdigit() or code[17] == "X"):
        raise ValidationError(_("身份证号码前 17 位应为数字，最后一位为数字或 X。"), code="charset")
    if id_birth_date(code) is None:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="birth_date")
    expected = id_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("身份证号码校验位错误：最后一位应为 %(expected)s，请核对。"),
            code="checksum",
            params={"expected": expected},
        )
    return code


def identity_errors(*, id_number: str, birth_date: dt.date | None, gender: str | None) -> dict[str, str]:
    """Birth date and gender must agree with a (valid) ID number; returns field → Chinese message."""
    errors = {}
    born = id_birth_date(id_number) if len(id_number) == 18 else None
    if born and birth_date and born != birth_date:
        errors["birth_date"] = _g("出生日期与身份证号码不一致（身份证为 %(d)s）。") % {"d": born.isoformat()}
    if len(id_number) == 18 and id_number[16].isdigit() and gender in ("M", "F"):
        expected = "M" if int(id_number[16]) % 2 else "F"
        if expected != gender:
            errors["gender"] = _g("性别与身份证号码不一致。")
    return errors


def membership_errors(
    *, joined_on: dt.date | None, organization, ended_on: dt.date | None, end_reason: str
) -> dict[str, str]:
    """The holding organisation must be active on the joining date; an end needs a reason and a later date."""
    errors = {}
    if joined_on and organization is not None and not organization.active_on(joined_on):
        errors["organization"] = _g("该党组织在 %(d)s 不存续（成立于 %(f)s），不能接收组织关系。") % {
            "d": joined_on.isoformat(),
            "f": organization.founded_on.isoformat(),
        }
    if ended_on and not end_reason:
        errors["end_reason"] = _g("填写减少日期时必须选择减少原因。")
    if end_reason and not ended_on:
        errors["ended_on"] = _g("选择减少原因时必须填写减少日期。")
    if ended_on and joined_on and ended_on <= joined_on:
        errors["ended_on"] = _g("减少日期应晚于入党（转入）日期。")
    return errors


def assignment_errors(
    *, start: dt.date, end: dt.date | None, clashes: bool, instructor_ended_on: dt.date | None
) -> dict[str, str]:
    """An instructor's assignment: ends after it starts, overlaps no other of the same pair, starts before 离任."""
    errors = {}
    if end is not None and end <= start:
        errors["end"] = _g("结束日期应晚于开始日期。")
    if clashes:
        errors["enterprise"] = _g("该指导员在此期间已联系该单位。")
    if instructor_ended_on and start >= instructor_ended_on:
        errors["start"] = _g("指导员已于 %(d)s 离任。") % {"d": instructor_ended_on.isoformat()}
    return errors


def member_areas(member) -> set[int]:
    """Where a member counts: the area of the organisation holding the membership, and of the workplace."""
    areas = {member.organization.area_id}
    if member.enterprise_id:
        areas.add(member.enterprise.area_id)
    return areas


def member_recompute(old, new) -> list[tuple[int, dt.date | None]]:
    """The (area id, since) pairs a create (``old`` None) or an update of a member asks to recompute: every area
    the member counted or counts in, from the earliest of the joining and end dates before and after."""
    if old is None:
        return [(area_id, new.joined_on) for area_id in sorted(member_areas(new))]
    since = min([old.joined_on, new.joined_on] + [d for d in (old.ended_on, new.ended_on) if d])
    return [(area_id, since) for area_id in sorted(member_areas(old) | member_areas(new))]


def assignment_recompute(old, new, *, area_id: int) -> list[tuple[int, dt.date | None]]:
    """The (area id, since) pair a new assignment (``old`` None) or a changed end asks to recompute; ``area_id``
    is the area of the enterprise it covers."""
    if old is None:
        return [(area_id, new.start)]
    if old.end == new.end:
        return []
    return [(area_id, min(d for d in (old.end, new.end) if d is not None))]


def assignment_change_errors(*, old_end: dt.date | None, new_end: dt.date | None) -> dict[str, str]:
    """An assignment changes only by ending: an end once set is not moved or removed (end it anew instead)."""
    if old_end is not None and new_end != old_end:
        return {"end": _g("该联系已结束，不能再修改结束日期。")}
    return {}
