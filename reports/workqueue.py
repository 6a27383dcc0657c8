"""The work queue: what the domain rules say needs doing in an area, as of a date.

Each entry is a queryset so pages can paginate it and count it with one query each.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from orgs.choices import OrgKind, Setup
from orgs.models import PartyOrganization
from registry.models import Area, Enterprise
from registry.rules import (
    BRANCH_COMMITTEE_MIN_FULL_MEMBERS,
    BRANCH_MAX_MEMBERS,
    JOINT_MAX_UNITS,
    OWN_ORG_MIN_FULL_MEMBERS,
    TERM_WARNING_DAYS,
)


@dataclass(frozen=True)
class WorkItem:
    code: str
    title: Any
    hint: Any
    kind: str  # "enterprise" or "organization": which list template renders the rows
    queryset: Any


def work_queue(area: Area, on: dt.date) -> list[WorkItem]:
    firms = Enterprise.objects.in_area(area).operating_on(on).select_related("area")
    orgs = PartyOrganization.objects.in_area(area).active_on(on).with_counts(on).select_related("area")
    counted = firms.with_member_counts(on).with_coverage(on)
    return [
        WorkItem(
            "uncovered-above-scale",
            _("未覆盖的规上企业"),
            _("既无党组织也未选派党建指导员的规模以上非公企业，应优先选派指导员、推进组建。"),
            "enterprise",
            counted.non_public().above_scale_on(on).filter(coverage="none"),
        ),
        WorkItem(
            "should-set-up-own",
            _("应单独组建的单位"),
            _("正式党员 %(n)s 名以上但没有单独组建党组织。") % {"n": OWN_ORG_MIN_FULL_MEMBERS},
            "enterprise",
            counted.filter(full_members__gte=OWN_ORG_MIN_FULL_MEMBERS).exclude(coverage="single"),
        ),
        WorkItem(
            "joint-candidates",
            _("联合组建候选单位"),
            _("有 1–2 名党员、尚未建立党组织，可与邻近或同类单位联合组建。"),
            "enterprise",
            counted.filter(party_members__gte=1, full_members__lt=OWN_ORG_MIN_FULL_MEMBERS).filter(
                coverage__in=("none", "work")
            ),
        ),
        WorkItem(
            "fragile-single",
            _("正式党员不足 3 名的单建党组织"),
            _("单独组建的党组织正式党员少于 %(n)s 名，一人流出即不满足单建条件。")
            % {"n": OWN_ORG_MIN_FULL_MEMBERS},
            "organization",
            orgs.filter(setup=Setup.SINGLE, full_member_count__lt=OWN_ORG_MIN_FULL_MEMBERS),
        ),
        WorkItem(
            "single-at-threshold",
            _("正式党员恰好 3 名的单建党组织"),
            _("只有 %(n)s 名正式党员，一人流出即不满足单建条件，应加强党员发展。")
            % {"n": OWN_ORG_MIN_FULL_MEMBERS},
            "organization",
            orgs.filter(setup=Setup.SINGLE, full_member_count=OWN_ORG_MIN_FULL_MEMBERS),
        ),
        WorkItem(
            "joint-too-wide",
            _("覆盖单位超过 5 个的联合党支部"),
            _("联合党支部覆盖单位一般不超过 %(n)s 个。") % {"n": JOINT_MAX_UNITS},
            "organization",
            orgs.filter(setup=Setup.JOINT, unit_count__gt=JOINT_MAX_UNITS),
        ),
        WorkItem(
            "branch-too-large",
            _("党员超过 50 名的党支部"),
            _("党支部党员一般不超过 %(n)s 名，应考虑成立党总支或分设支部。") % {"n": BRANCH_MAX_MEMBERS},
            "organization",
            orgs.filter(kind=OrgKind.BRANCH, member_count__gt=BRANCH_MAX_MEMBERS),
        ),
        WorkItem(
            "needs-committee",
            _("应设支部委员会的党支部"),
            _("正式党员 %(n)s 名以上的党支部应选举支部委员会。") % {"n": BRANCH_COMMITTEE_MIN_FULL_MEMBERS},
            "organization",
            orgs.filter(
                kind=OrgKind.BRANCH,
                full_member_count__gte=BRANCH_COMMITTEE_MIN_FULL_MEMBERS,
                has_committee=False,
            ),
        ),
        WorkItem(
            "term-ending",
            _("任期将满或已满的党组织"),
            _("本届任期在 %(n)s 天内届满或已届满，应做好换届。") % {"n": TERM_WARNING_DAYS},
            "organization",
            orgs.filter(Q(term_ends_on__lte=on + dt.timedelta(days=TERM_WARNING_DAYS))).order_by(
                "term_ends_on"
            ),
        ),
    ]


def work_item(area: Area, on: dt.date, code: str) -> WorkItem | None:
    return next((item for item in work_queue(area, on) if item.code == code), None)
