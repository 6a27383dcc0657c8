"""Rules about party organisations. Hard rules raise ValidationError; advisory ones return Chinese warnings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from registry.rules import (
    BRANCH_COMMITTEE_MIN_FULL_MEMBERS,
    BRANCH_MAX_MEMBERS,
    COMMITTEE_MIN_MEMBERS,
    GENERAL_BRANCH_MIN_MEMBERS,
    JOINT_MAX_UNITS,
    OWN_ORG_MIN_FULL_MEMBERS,
    TERM_WARNING_DAYS,
)

from .choices import OrgKind, Setup


def validate_links(*, setup: str, enterprise_count: int) -> None:
    """单独组建 covers exactly one unit at a time; 联合组建 covers two or more."""
    if setup == Setup.SINGLE and enterprise_count != 1:
        raise ValidationError(
            {
                "enterprises": _("单独组建的党组织应覆盖且只覆盖 1 个单位，当前选择了 %(n)s 个。")
                % {"n": enterprise_count}
            }
        )
    if setup == Setup.JOINT and enterprise_count < 2:
        raise ValidationError(
            {
                "enterprises": _("联合组建的党组织应覆盖 2 个及以上单位，当前选择了 %(n)s 个。")
                % {"n": enterprise_count}
            }
        )


def suggested_kind(member_count: int) -> str:
    """The kind the member count calls for: 100+ → 党委, 50+ → 党总支, else 党支部 (advisory)."""
    if member_count >= COMMITTEE_MIN_MEMBERS:
        return OrgKind.COMMITTEE
    if member_count >= GENERAL_BRANCH_MIN_MEMBERS:
        return OrgKind.GENERAL_BRANCH
    return OrgKind.BRANCH


def organization_warnings(
    *,
    kind: str,
    setup: str,
    member_count: int,
    full_member_count: int,
    unit_count: int,
    has_committee: bool,
    term_ends_on: dt.date | None,
    on: dt.date,
) -> list[str]:
    """Advisory rules (shown on the record and in the work queue, never blocking)."""
    out = []
    if setup == Setup.JOINT and unit_count > JOINT_MAX_UNITS:
        out.append(
            _("联合党支部覆盖 %(n)s 个单位，一般不超过 %(max)s 个。")
            % {"n": unit_count, "max": JOINT_MAX_UNITS}
        )
    if setup == Setup.SINGLE and full_member_count < OWN_ORG_MIN_FULL_MEMBERS:
        out.append(
            _("单独组建的党组织正式党员仅 %(n)s 名，不足 %(min)s 名，应调整为联合组建或发展党员。")
            % {"n": full_member_count, "min": OWN_ORG_MIN_FULL_MEMBERS}
        )
    if kind == OrgKind.BRANCH and member_count > BRANCH_MAX_MEMBERS:
        out.append(
            _("党支部党员 %(n)s 名，超过 %(max)s 名，应考虑成立党总支或分设支部。")
            % {"n": member_count, "max": BRANCH_MAX_MEMBERS}
        )
    if (
        kind == OrgKind.BRANCH
        and full_member_count >= BRANCH_COMMITTEE_MIN_FULL_MEMBERS
        and not has_committee
    ):
        out.append(_("正式党员 %(n)s 名（7 名以上），应选举支部委员会。") % {"n": full_member_count})
    expected = suggested_kind(member_count)
    if expected != OrgKind.BRANCH and kind == OrgKind.BRANCH:
        out.append(
            _("党员 %(n)s 名，可按规定申请成立%(kind)s。")
            % {"n": member_count, "kind": OrgKind(expected).label}
        )
    if term_ends_on and term_ends_on <= on + dt.timedelta(days=TERM_WARNING_DAYS):
        if term_ends_on < on:
            out.append(_("本届任期已于 %(d)s 届满，应及时换届。") % {"d": term_ends_on.isoformat()})
        else:
            out.append(_("本届任期将于 %(d)s 届满，请做好换届准备。") % {"d": term_ends_on.isoformat()})
    return out


def enterprise_ids(enterprises: Sequence) -> list[int]:
    return sorted({e if isinstance(e, int) else e.pk for e in enterprises})


def dissolution_error(*, founded_on: dt.date | None, dissolved_on: dt.date | None) -> str | None:
    """撤销 must come after 成立 (the table constraint says the same; this names the field)."""
    if dissolved_on and founded_on and dissolved_on <= founded_on:
        return _("撤销日期应晚于成立日期。")
    return None
