"""Rules about party organisations. Hard rules raise ValidationError; advisory ones return Chinese warnings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.rules import (
    BRANCH_COMMITTEE_MIN_FULL_MEMBERS,
    BRANCH_MAX_MEMBERS,
    COMMITTEE_MIN_MEMBERS,
    GENERAL_BRANCH_MIN_MEMBERS,
    JOINT_MAX_UNITS,
    OWN_ORG_MIN_FULL_MEMBERS,
    TERM_WARNING_DAYS,
    earliest,
    split_open,
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


@dataclass
class LinkChange:
    """What covering a new set of enterprises from a day does to an organisation's links (rows not yet saved)."""

    dropped: list = field(default_factory=list)  # links that would only start that day: they never held
    ended: list = field(default_factory=list)  # links ending that day (``end`` set)
    added: list[int] = field(default_factory=list)  # enterprise ids whose link starts that day

    def __bool__(self) -> bool:
        return bool(self.dropped or self.ended or self.added)


def links_change_day(*, requested: dt.date | None, founded_on: dt.date, today: dt.date) -> dt.date:
    """The day a change of covered enterprises takes effect: the day asked (default today), never before 成立."""
    return max(requested or today, founded_on)


def plan_links(links: Iterable, *, enterprise_ids: Iterable[int], on: dt.date) -> LinkChange:
    """Make ``links`` (the organisation's OrganizationLink rows) cover exactly ``enterprise_ids`` from ``on``."""
    wanted = set(enterprise_ids)
    holding = [link for link in links if link.holds_on(on)]
    change = LinkChange()
    for link in holding:
        if link.enterprise_id in wanted:
            continue
        if link.start >= on:
            change.dropped.append(link)
        else:
            link.end = on
            change.ended.append(link)
    change.added = sorted(wanted - {link.enterprise_id for link in holding})
    return change


def dissolution_ends(links: Iterable, *, on: dt.date) -> LinkChange:
    """撤销 on ``on``: every open link ends that day; one that would only start that day or later never held."""
    started, later = split_open(list(links), on)
    for link in started:
        link.end = on
    return LinkChange(dropped=later, ended=started)


def organization_recompute(
    old,
    new,
    *,
    links_changed_on: dt.date | None,
    enterprise_areas: Iterable[int],
    today: dt.date | None = None,
) -> list[tuple[int, dt.date | None]]:
    """The (area id, since) pairs a create (``old`` None) or an update of an organisation asks to recompute.

    ``enterprise_areas``: the areas of the enterprises it covers or covered (they change state with it);
    ``links_changed_on``: the day its links changed, if they did. A new secretary or term end (undated fields
    that move the units' 有效覆盖) counts from ``today`` (default: the local date), never before 成立: past
    quarters keep what they stored, and a quarter already submitted does not refuse the change."""
    areas = {new.area_id, *enterprise_areas} | ({old.area_id} if old is not None else set())
    if old is None:
        return [(area_id, new.founded_on) for area_id in sorted(areas)]
    touched: list[dt.date | None] = [links_changed_on]
    for name in ("founded_on", "dissolved_on"):
        if getattr(old, name) != getattr(new, name):
            touched += [getattr(old, name), getattr(new, name)]
    if old.setup != new.setup or old.area_id != new.area_id:
        touched.append(new.founded_on)
    if old.secretary_id != new.secretary_id or old.term_ends_on != new.term_ends_on:
        touched.append(max(today or timezone.localdate(), new.founded_on))
    since = earliest(*touched)
    return [] if since is None else [(area_id, since) for area_id in sorted(areas)]
