"""Domain checks owned by the registry: the unified social credit code and text normalisation.

Forms, API serializers and Excel imports all call these; none of them re-implements a check.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 31 characters (no I, O, Z, S, V) and the weights of the 17 leading positions.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


def normalize_text(value: object) -> str:
    """Full-width characters to half-width (NFKC), stray spaces removed from both ends and inside codes."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def normalize_code(value: object) -> str:
    """A code as typed or pasted: half-width, upper case, no blanks anywhere."""
    return re.sub(r"\s+", "", normalize_text(value)).upper()


def looks_like_excel_number(value: str) -> bool:
    """True for what Excel makes of a long code stored as a number, e.g. ``4.40802E+17``."""
    return bool(_SCIENTIFIC.match(value))


def credit_code_check_char(first17: str) -> str:
    total = sum(
        CREDIT_CODE_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: object) -> str:
    """Return the normalised 18-character code, or raise ValidationError with a Chinese message."""
    code = normalize_code(value)
    if looks_like_excel_number(code):
        raise ValidationError(
            _("统一社会信用代码被 Excel 转成了数字（%(value)s），请把该列设为文本后重新填写。"),
            code="excel_number",
            params={"value": code},
        )
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为 18 位，当前为 %(length)s 位。"),
            code="length",
            params={"length": len(code)},
        )
    bad = sorted({ch for ch in code if ch not in CREDIT_CODE_ALPHABET})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、Z、S、V）。"),
            code="charset",
            params={"chars": "、".join(bad)},
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("统一社会信用代码校验位错误：最后一位应为 %(expected)s，请核对。"),
            code="checksum",
            params={"expected": expected},
        )
    return code


# Thresholds from 中国共产党支部工作条例 and local practice. Every app reads them from here.
OWN_ORG_MIN_FULL_MEMBERS = 3  # 3+ 正式党员 → set up its own 党支部 (单建)
BRANCH_COMMITTEE_MIN_FULL_MEMBERS = 7  # 7+ 正式党员 → elect a 支部委员会
BRANCH_MAX_MEMBERS = 50  # a 党支部 normally has at most 50 members
GENERAL_BRANCH_MIN_MEMBERS = 50  # 50–100 → 党总支
COMMITTEE_MIN_MEMBERS = 100  # 100+ → 基层党委
JOINT_MAX_UNITS = 5  # a 联合党支部 normally covers at most 5 units
TERM_WARNING_DAYS = 90  # committee terms ending within this many days are flagged


def enterprise_warnings(*, full_members: int, party_members: int, coverage: str) -> list[str]:
    """Advisory rules about one enterprise, as Chinese sentences (shown on the record, never blocking)."""
    out = []
    if full_members >= OWN_ORG_MIN_FULL_MEMBERS and coverage != "single":
        out.append(_("有正式党员 %(n)s 名（3 名以上），应单独组建党组织。") % {"n": full_members})
    elif party_members > 0 and coverage in ("none", "work") and full_members < OWN_ORG_MIN_FULL_MEMBERS:
        out.append(_("有党员 %(n)s 名但尚未建立党组织，可与邻近单位联合组建。") % {"n": party_members})
    return out


@dataclass
class AboveScaleChange:
    """What making 规上 hold (or stop) from a date does to a firm's dated periods; applied by a service or an import."""

    create_from: dt.date | None = None  # a new open period starting that day
    moved: Any = None  # a later period whose start moves back to that day
    ended: Any = None  # the current period, ending that day
    dropped: Any = None  # the current period, starting that day or later: it never held


def plan_above_scale(periods: list, *, above_scale: bool, since: dt.date) -> AboveScaleChange | None:
    """The change to ``periods`` (AboveScalePeriod rows, in start order) that makes 规上 ``above_scale`` from
    ``since``; None when it already is. The rows returned carry their new start/end, not yet saved."""
    current = next((p for p in periods if p.holds_on(since)), None)
    if above_scale and current is None:
        later = next((p for p in periods if p.start > since), None)
        if later is None:
            return AboveScaleChange(create_from=since)
        later.start = since
        return AboveScaleChange(moved=later)
    if not above_scale and current is not None:
        if current.start >= since:
            return AboveScaleChange(dropped=current)
        current.end = since
        return AboveScaleChange(ended=current)
    return None


# --- what a change touches: which areas need recomputing, from which date --------------------------------------

BEGINNING = dt.date(1949, 10, 1)  # "from the beginning" in the recompute outbox


def earliest(*dates: dt.date | None) -> dt.date | None:
    """The earliest of the dates given, ignoring None; None when there is none."""
    found = [d for d in dates if d is not None]
    return min(found) if found else None


def earliest_per_area(pairs) -> list[tuple[int, dt.date]]:
    """One (area id, since) per area, from the earliest date touched there (None: from the beginning), sorted."""
    found: dict[int, dt.date] = {}
    for area_id, since in pairs:
        since = since or BEGINNING
        if area_id not in found or since < found[area_id]:
            found[area_id] = since
    return sorted(found.items())


def newly_ended(old_end: dt.date | None, new_end: dt.date | None) -> bool:
    """An end date set where there was none: the record ends (注销, 撤销, 离任…) and its open links end with it."""
    return old_end is None and new_end is not None


def split_open(rows, on: dt.date) -> tuple[list, list]:
    """Open dated rows (``end`` empty) split by an end on ``on``: those that started before it (they end that day)
    and those that start on it or later (they never held)."""
    open_rows = [r for r in rows if r.end is None]
    return [r for r in open_rows if r.start < on], [r for r in open_rows if r.start >= on]


def enterprise_recompute(
    old, new, *, above_scale_since: dt.date | None = None
) -> list[tuple[int, dt.date | None]]:
    """The (area id, since) pairs a create (``old`` None) or an update of an enterprise asks to recompute.

    ``above_scale_since`` is the day its 规上 status changed, if it did. A move between areas or categories moves
    the firm between populations for its whole life, so both areas recompute from its founding."""
    if old is None:
        return [(new.area_id, new.established_on)]
    touched: list[dt.date | None] = [above_scale_since]
    for name in ("established_on", "deregistered_on"):
        if getattr(old, name) != getattr(new, name):
            touched += [getattr(old, name), getattr(new, name)]
    pairs = []
    if old.area_id != new.area_id or old.category != new.category:
        touched += [old.established_on, new.established_on]
        pairs.append((old.area_id, earliest(*touched)))
    since = earliest(*touched)
    if since is not None:
        pairs.append((new.area_id, since))
    return pairs


def deregistration_ends(*, org_links: list, assignments: list, on: dt.date) -> list:
    """注销/迁出 on ``on``: the firm's open organisation links and instructor assignments that started before it
    end that day (rows given with their new ``end``, not yet saved). Later-starting open rows are left as they are.
    """
    ending = []
    for rows in (org_links, assignments):
        started, _later = split_open(rows, on)
        for row in started:
            row.end = on
            ending.append(row)
    return ending


# --- dates of things that have happened --------------------------------------------------------------------------

FUTURE_DATE_MESSAGE = _("不能晚于今天（%(today)s）：这里只登记已经发生的事，请核对日期。")


def check_not_future(value: dt.date | None, *, today: dt.date | None = None) -> dt.date | None:
    """Return ``value`` unchanged, or raise ValidationError (Chinese, code ``future_date``) when it is after today.

    For the dates of things that have happened (成立, 入党, 转入, 递交申请…): a future one would leave the record out
    of every count until that day, silently. Forms, API serializers and Excel import all call this."""
    if value is None:
        return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        return value
    today = today or timezone.localdate()
    if value > today:
        raise ValidationError(FUTURE_DATE_MESSAGE, code="future_date", params={"today": today.isoformat()})
    return value
