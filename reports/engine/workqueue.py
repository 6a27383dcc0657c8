"""The work queue: what the domain rules say needs doing in an area, as of a date.

Each rule is a condition over names that two kinds of rows carry: live rows (enterprises and organisations annotated
as of any date) and stored rows (a computed quarter's EnterpriseState/OrganizationState, joined to their units). So
the dashboard, the quarterly report and a quarter's work-item page read stored counts, and an as-of page asks the
live question, with one definition of each rule. 发展党员 rules filter applicants and areas: their records are dated
(stage dates, yearly plans), so a quarter asks them the live question as of its last day.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import reduce
from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, F, FilteredRelation, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from members.duties import overdue_q, queue_rows
from members.models import Applicant
from orgs.choices import OrgKind, Setup
from orgs.models import PartyOrganization
from registry.choices import Category
from registry.models import Area, Enterprise
from registry.periods import Quarter
from registry.rules import (
    BRANCH_COMMITTEE_MIN_FULL_MEMBERS,
    BRANCH_MAX_MEMBERS,
    JOINT_MAX_UNITS,
    OWN_ORG_MIN_FULL_MEMBERS,
    TERM_WARNING_DAYS,
)

from ..models import EnterpriseState, is_computed
from .development import BEHIND_PLAN_TWO_YEARS, plan_rows, ready_for_candidacy_q

ENTERPRISE, ORGANIZATION, APPLICANT, AREA = "enterprise", "organization", "applicant", "area"
TASK = "task"  # (task, instructor) pairs of 重点工作任务 (members.duties.queue_rows)


@dataclass(frozen=True)
class WorkRule:
    """One kind of work. ``condition(on)`` filters enterprise rows carrying ``unit_category``, ``is_above_scale``,
    ``coverage``, ``party_members`` and ``full_members``, organisation rows carrying their own fields plus
    ``member_count``, ``full_member_count``, ``overdue_probation`` and ``unit_count``, applicant rows (their own
    fields) or area rows carrying the plan figures of :func:`reports.engine.development.plan_rows`."""

    code: str
    title: Any
    hint: Any
    kind: str  # ENTERPRISE, ORGANIZATION, APPLICANT, AREA or TASK: which rows, and which list template renders them
    condition: Callable[[dt.date], Q]


RULES: tuple[WorkRule, ...] = (
    WorkRule(
        "uncovered-above-scale",
        _("未覆盖的规上企业"),
        _("既无党组织也未选派党建指导员的规模以上非公企业，应优先选派指导员、推进组建。"),
        ENTERPRISE,
        lambda on: Q(unit_category=Category.ENTERPRISE, is_above_scale=True, coverage="none"),
    ),
    WorkRule(
        "should-set-up-own",
        _("应单独组建的单位"),
        _("正式党员 %(n)s 名以上但没有单独组建党组织。") % {"n": OWN_ORG_MIN_FULL_MEMBERS},
        ENTERPRISE,
        lambda on: Q(full_members__gte=OWN_ORG_MIN_FULL_MEMBERS) & ~Q(coverage="single"),
    ),
    WorkRule(
        "joint-candidates",
        _("联合组建候选单位"),
        _("有 1–2 名党员、尚未建立党组织，可与邻近或同类单位联合组建。"),
        ENTERPRISE,
        lambda on: Q(
            party_members__gte=1,
            full_members__lt=OWN_ORG_MIN_FULL_MEMBERS,
            coverage__in=("none", "work"),
        ),
    ),
    WorkRule(
        "fragile-single",
        _("正式党员不足 3 名的单建党组织"),
        _("单独组建的党组织正式党员少于 %(n)s 名，一人流出即不满足单建条件。")
        % {"n": OWN_ORG_MIN_FULL_MEMBERS},
        ORGANIZATION,
        lambda on: Q(setup=Setup.SINGLE, full_member_count__lt=OWN_ORG_MIN_FULL_MEMBERS),
    ),
    WorkRule(
        "single-at-threshold",
        _("正式党员恰好 3 名的单建党组织"),
        _("只有 %(n)s 名正式党员，一人流出即不满足单建条件，应加强党员发展。")
        % {"n": OWN_ORG_MIN_FULL_MEMBERS},
        ORGANIZATION,
        lambda on: Q(setup=Setup.SINGLE, full_member_count=OWN_ORG_MIN_FULL_MEMBERS),
    ),
    WorkRule(
        "joint-too-wide",
        _("覆盖单位超过 5 个的联合党支部"),
        _("联合党支部覆盖单位一般不超过 %(n)s 个。") % {"n": JOINT_MAX_UNITS},
        ORGANIZATION,
        lambda on: Q(setup=Setup.JOINT, unit_count__gt=JOINT_MAX_UNITS),
    ),
    WorkRule(
        "branch-too-large",
        _("党员超过 50 名的党支部"),
        _("党支部党员一般不超过 %(n)s 名，应考虑成立党总支或分设支部。") % {"n": BRANCH_MAX_MEMBERS},
        ORGANIZATION,
        lambda on: Q(kind=OrgKind.BRANCH, member_count__gt=BRANCH_MAX_MEMBERS),
    ),
    WorkRule(
        "needs-committee",
        _("应设支部委员会的党支部"),
        _("正式党员 %(n)s 名以上的党支部应选举支部委员会。") % {"n": BRANCH_COMMITTEE_MIN_FULL_MEMBERS},
        ORGANIZATION,
        lambda on: Q(
            kind=OrgKind.BRANCH,
            full_member_count__gte=BRANCH_COMMITTEE_MIN_FULL_MEMBERS,
            has_committee=False,
        ),
    ),
    WorkRule(
        "probation-overdue",
        _("有预备期已满未作决定党员的党组织"),
        _("预备期已满，支部尚未讨论转正、延长预备期或取消预备党员资格，应及时办理并登记。"),
        ORGANIZATION,
        lambda on: Q(overdue_probation__gt=0),
    ),
    WorkRule(
        "activists-ready",
        _("培养考察满一年的入党积极分子"),
        _("入党积极分子已培养考察一年以上，可按程序列为发展对象。"),
        APPLICANT,
        ready_for_candidacy_q,
    ),
    WorkRule(
        "behind-plan",
        _("连续两年未完成发展党员计划的区域"),
        _("最近两个完整年度均未完成发展党员指导性计划，应分析原因、加强发展党员工作。"),
        AREA,
        lambda on: BEHIND_PLAN_TWO_YEARS,
    ),
    WorkRule(
        "term-ending",
        _("任期将满或已满的党组织"),
        _("本届任期在 %(n)s 天内届满或已届满，应做好换届。") % {"n": TERM_WARNING_DAYS},
        ORGANIZATION,
        lambda on: Q(term_ends_on__lte=on + dt.timedelta(days=TERM_WARNING_DAYS)),
    ),
    WorkRule(
        "instructor-tasks-overdue",
        _("指导员任务逾期"),
        _("重点工作任务已过完成期限、指导员尚未登记完成（每名指导员的每项任务计一条），应督促完成并登记。"),
        TASK,
        overdue_q,
    ),
)


@dataclass(frozen=True)
class WorkItem:
    rule: WorkRule
    queryset: QuerySet

    @property
    def code(self) -> str:
        return self.rule.code

    @property
    def title(self):
        return self.rule.title

    @property
    def hint(self):
        return self.rule.hint

    @property
    def kind(self) -> str:
        return self.rule.kind


@dataclass(frozen=True)
class WorkQueue:
    """Every rule applied to one area's rows (live or stored) as of ``on``."""

    on: dt.date
    rows: dict[str, QuerySet]  # ENTERPRISE / ORGANIZATION / APPLICANT / AREA / TASK → the rows to filter
    stored: bool
    # Rows to count, where cheaper than ``rows`` (default: ``rows``).
    counted: dict[str, QuerySet] | None = None

    def __iter__(self) -> Iterator[WorkItem]:
        return (WorkItem(rule, self.rows[rule.kind].filter(rule.condition(self.on))) for rule in RULES)

    def item(self, code: str) -> WorkItem | None:
        return next((item for item in self if item.code == code), None)

    def counts(self) -> dict[str, int]:
        """Rule code → how many rows it holds: one aggregate query per kind of row, however many rules."""
        out = {}
        for kind, rows in {**self.rows, **(self.counted or {})}.items():
            rules = [rule for rule in RULES if rule.kind == kind]
            found = rows.order_by().aggregate(
                **{f"n{i}": Count("pk", filter=rule.condition(self.on)) for i, rule in enumerate(rules)}
            )
            out.update({rule.code: found[f"n{i}"] for i, rule in enumerate(rules)})
        return out

    def flagged(self, *fields: str) -> dict[str, list[tuple]]:
        """Rule code → ``fields`` of every row the rule holds, for listing every entry at once (the quarterly
        report): one query per kind of row, reading each row once with a flag per rule, instead of a query per rule.
        """
        out: dict[str, list[tuple]] = {rule.code: [] for rule in RULES}
        for kind, rows in self.rows.items():
            rules = [rule for rule in RULES if rule.kind == kind]
            conditions = [rule.condition(self.on) for rule in rules]
            flags = {
                f"f{i}": ExpressionWrapper(q, output_field=BooleanField()) for i, q in enumerate(conditions)
            }
            width = len(fields)
            # Unordered: the caller picks what it lists, and ordering would make PostgreSQL sort every match.
            matching = rows.filter(reduce(operator.or_, conditions)).annotate(**flags).order_by()
            for values in matching.values_list(*fields, *flags):
                for rule, flag in zip(rules, values[width:], strict=True):
                    if flag:
                        out[rule.code].append(values[:width])
        return out


def development_rows(area: Area, on: dt.date) -> dict[str, QuerySet]:
    """Applicant and area rows of the 发展党员 rules, asked live as of ``on``. Stage dates and yearly plans are
    dated records, so a stored quarter asks them as of its last day too: no snapshot is needed to reproduce it."""
    return {
        APPLICANT: Applicant.objects.in_area(area).select_related("organization"),
        AREA: plan_rows(area, on),
    }


def work_queue(area: Area, on: dt.date) -> WorkQueue:
    """The work queue on any date, computed live."""
    enterprises = (
        Enterprise.objects.in_area(area)
        .operating_on(on)
        .with_above_scale(on)
        .with_member_counts(on)
        .with_coverage(on)
        .alias(unit_category=F("category"))
        .select_related("area")
    )
    organizations = (
        PartyOrganization.objects.in_area(area).active_on(on).with_counts(on).select_related("area")
    )
    return WorkQueue(
        on,
        {
            ENTERPRISE: enterprises,
            ORGANIZATION: organizations,
            **development_rows(area, on),
            TASK: queue_rows(area),
        },
        stored=False,
    )


def stored_work_queue(area: Area, period: Quarter) -> WorkQueue:
    """The work queue at a computed quarter's end, read from its stored rows (units in the area at that date, with
    the category they had then, as the quarter's figures count them)."""
    area_ids = area.subtree_ids()
    enterprises = (
        Enterprise.objects.annotate(
            st=FilteredRelation("quarter_states", condition=Q(quarter_states__period=period))
        )
        .filter(st__area_id__in=area_ids)
        .alias(unit_category=F("st__category"))
        .annotate(
            is_above_scale=F("st__above_scale"),
            coverage=F("st__state"),
            party_members=F("st__party_members"),
            full_members=F("st__full_members"),
        )
        .select_related("area")
    )
    organizations = (
        PartyOrganization.objects.annotate(
            st=FilteredRelation("quarter_states", condition=Q(quarter_states__period=period))
        )
        .filter(st__area_id__in=area_ids)
        .annotate(
            member_count=F("st__member_count"),
            full_member_count=F("st__full_member_count"),
            overdue_probation=F("st__overdue_probation"),
            unit_count=F("st__unit_count"),
        )
        .select_related("area")
    )
    # Counting needs no enterprise columns: count the stored rows alone, without joining 10,000 enterprises.
    states = EnterpriseState.objects.filter(period=period, area_id__in=area_ids).alias(
        unit_category=F("category"), is_above_scale=F("above_scale"), coverage=F("state")
    )
    return WorkQueue(
        period.last_day,
        {
            ENTERPRISE: enterprises,
            ORGANIZATION: organizations,
            **development_rows(area, period.last_day),
            TASK: queue_rows(area),  # dated records (due, done): asked live as of the last day
        },
        stored=True,
        counted={ENTERPRISE: states},
    )


def quarter_work_queue(area: Area, period: Quarter) -> WorkQueue:
    """A quarter's work queue: stored once the quarter is computed, else live as of its last day."""
    if is_computed(period):
        return stored_work_queue(area, period)
    return work_queue(area, period.last_day)
