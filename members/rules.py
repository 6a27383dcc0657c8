"""Domain checks owned by members: the resident ID number and how personal data is masked."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from registry.dating import add_years
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
        errors["ended_on"] = _g("减少日期应晚于转入本组织日期（%(d)s）。") % {"d": joined_on.isoformat()}
    return errors


def party_join_errors(
    *, joined_party_on: dt.date | None, joined_on: dt.date | None, birth_date: dt.date | None
) -> dict[str, str]:
    """入党日期: on or after the 18th birthday, and not after the membership here began."""
    errors = {}
    if joined_party_on and joined_on and joined_party_on > joined_on:
        errors["joined_party_on"] = _g("入党日期不能晚于转入本组织日期（%(d)s）。") % {
            "d": joined_on.isoformat()
        }
    if joined_party_on and birth_date and joined_party_on < add_years(birth_date, 18):
        errors["joined_party_on"] = _g("入党时应年满十八岁（%(d)s 起）。") % {
            "d": add_years(birth_date, 18).isoformat()
        }
    return errors


def transfer_errors(*, current, organization, on: dt.date, last_end: dt.date | None) -> dict[str, str]:
    """组织关系转接 on ``on`` from the ``current`` open membership (None: the member left, this is 转回 after
    ``last_end``) into ``organization``."""
    if current is not None:
        if organization.pk == current.organization_id:
            return {"organization": _g("转入的党组织与当前所在党组织相同。")}
        if on <= current.start:
            return {
                "on": _g("转接日期应晚于转入当前党组织的日期（%(d)s）。") % {"d": current.start.isoformat()}
            }
    elif last_end is not None and on < last_end:
        return {"on": _g("转回日期不能早于上次减少日期（%(d)s）。") % {"d": last_end.isoformat()}}
    if not organization.active_on(on):
        return {"organization": _g("该党组织在 %(d)s 不存续，不能接收组织关系。") % {"d": on.isoformat()}}
    return {}


def confirm_errors(member, on: dt.date) -> dict[str, str]:
    """转正 on ``on``: only a probationary member, not before the probation (一年, or as extended) has passed."""
    if member.category != "probationary":
        return {"on": _g("只有预备党员可以转正。")}
    if on < member.probation_ends_on:
        return {"on": _g("预备期未满，最早可于 %(d)s 转正。") % {"d": member.probation_ends_on.isoformat()}}
    return {}


def extension_errors(member, until: dt.date) -> dict[str, str]:
    """延长预备期: only a probationary member, ending after the one-year probation and at most a year later."""
    if member.category != "probationary":
        return {"until": _g("只有预备党员可以延长预备期。")}
    year = add_years(member.joined_party_on, 1)
    if until <= year:
        return {"until": _g("延长后的预备期应晚于 %(d)s（预备期一年）。") % {"d": year.isoformat()}}
    if until > add_years(year, 1):
        return {"until": _g("延长预备期最长一年，最晚至 %(d)s。") % {"d": add_years(year, 1).isoformat()}}
    return {}


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


# --- 发展党员 ---------------------------------------------------------------------------------------------------

CANDIDATE_AFTER_YEARS = 1  # 入党积极分子 are trained and observed for more than a year before 发展对象
APPLY_MIN_AGE = 18


def pipeline_errors(
    *,
    birth_date: dt.date | None,
    applied_on: dt.date | None,
    activist_on: dt.date | None,
    candidate_on: dt.date | None,
    admitted_on: dt.date | None,
    withdrawn_on: dt.date | None,
    withdraw_reason: str,
) -> dict[str, str]:
    """The dates of one applicant's file: 18 or older on applying, each stage on or after the one before (none
    skipped), 发展对象 at least a year after 入党积极分子, a withdrawal dated after the last stage and explained."""
    errors: dict[str, str] = {}
    if applied_on and birth_date and applied_on < add_years(birth_date, APPLY_MIN_AGE):
        errors["applied_on"] = _g("递交入党申请时应年满十八岁（%(d)s 起）。") % {
            "d": add_years(birth_date, APPLY_MIN_AGE).isoformat()
        }
    chain = [
        ("applied_on", applied_on, _g("递交入党申请")),
        ("activist_on", activist_on, _g("确定为入党积极分子")),
        ("candidate_on", candidate_on, _g("确定为发展对象")),
        ("admitted_on", admitted_on, _g("接收为预备党员")),
    ]
    for (_name, before, before_label), (name, date, label) in zip(chain, chain[1:], strict=False):
        if date is None:
            continue
        if before is None:
            errors[name] = _g("不能跳过“%(step)s”。") % {"step": before_label}
        elif date < before:
            errors[name] = _g("%(label)s日期不能早于%(before)s日期（%(d)s）。") % {
                "label": label,
                "before": before_label,
                "d": before.isoformat(),
            }
    if activist_on and candidate_on and "candidate_on" not in errors:
        earliest = add_years(activist_on, CANDIDATE_AFTER_YEARS)
        if candidate_on < earliest:
            errors["candidate_on"] = _g("入党积极分子须培养考察一年以上，最早可于 %(d)s 列为发展对象。") % {
                "d": earliest.isoformat()
            }
    if withdrawn_on:
        last = max(d for _n, d, _l in chain if d) if any(d for _n, d, _l in chain) else None
        if admitted_on:
            errors["withdrawn_on"] = _g("已接收为预备党员，不能终止；请在党员档案中办理。")
        elif last and withdrawn_on < last:
            errors["withdrawn_on"] = _g("终止日期不能早于最近一个阶段的日期（%(d)s）。") % {
                "d": last.isoformat()
            }
        if not withdraw_reason.strip():
            errors["withdraw_reason"] = _g("终止时必须填写原因。")
    elif withdraw_reason.strip():
        errors["withdrawn_on"] = _g("填写终止原因时必须填写终止日期。")
    return errors


def advance_errors(applicant, stage: str, on: dt.date) -> dict[str, str]:
    """Moving ``applicant`` one stage forward to ``stage`` on ``on``: not withdrawn or admitted, the very next stage,
    the training organisation existing that day, and the dates' rules (:func:`pipeline_errors`)."""
    from .choices import STAGE_DATE, STAGE_ORDER, Stage

    current = applicant.stage
    if current == Stage.WITHDRAWN:
        return {"stage": _g("该入党申请已终止，不能继续发展。")}
    if current == Stage.ADMITTED:
        return {"stage": _g("已接收为预备党员。")}
    if stage not in STAGE_ORDER[1:]:
        return {"stage": _g("只能进入入党积极分子、发展对象或预备党员阶段。")}
    following = STAGE_ORDER[STAGE_ORDER.index(current) + 1]
    if stage != following:
        if STAGE_ORDER.index(stage) > STAGE_ORDER.index(following):
            return {"stage": _g("不能跳过“%(step)s”阶段。") % {"step": Stage(following).label}}
        return {"stage": _g("已经是“%(step)s”。") % {"step": Stage(current).label}}
    if not applicant.organization.active_on(on):
        return {"on": _g("培养党组织在 %(d)s 不存续。") % {"d": on.isoformat()}}
    dates = {name: getattr(applicant, name) for name in STAGE_DATE.values()}
    dates[STAGE_DATE[stage]] = on
    errors = pipeline_errors(birth_date=applicant.birth_date, withdrawn_on=None, withdraw_reason="", **dates)
    message = errors.get(STAGE_DATE[stage])
    return {"on": message} if message else {}
