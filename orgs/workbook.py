"""The organisation workbook (党组织): its columns, a record in sheet form, the import's planning and the export.

The importer only parses, validates and diffs; ``orgs.services.apply_organization_rows`` writes.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.dating import holds_on
from registry.excel.cells import (
    Column,
    Kind,
    choice_formatter,
    choice_parser,
    format_bool,
    format_codes,
    parse_bool,
    parse_date,
    parse_past_date,
)
from registry.excel.importer import CREATE, UNCHANGED, UPDATE, Plan, Row
from registry.excel.sheets import Heading, save_workbook
from registry.workbook import RegistryImporter, example_credit_code, parse_area_code, parse_credit_codes

from .choices import OrgKind, Setup
from .models import OrganizationLink, PartyOrganization
from .rules import dissolution_error, validate_links

CHUNK = 2000  # rows per query when exporting

ORGANIZATIONS = Kind(
    name="organizations",
    title="党组织",
    key=("name", "area"),
    columns=(
        Column("组织名称", "name", required=True, width=30, example="中共示例科技有限公司支部委员会"),
        Column(
            "区域代码",
            "area",
            parse_area_code,
            required=True,
            width=12,
            example="KFQ",
            note="组织名称 + 区域代码 识别一个党组织。",
        ),
        Column("所在区域", "area_name", importable=False, width=14),
        Column(
            "组织类别",
            "kind",
            choice_parser(OrgKind),
            choice_formatter(OrgKind),
            required=True,
            width=10,
            example="党支部",
            note="党委 / 党总支 / 党支部",
        ),
        Column(
            "组建方式",
            "setup",
            choice_parser(Setup),
            choice_formatter(Setup),
            required=True,
            width=10,
            example="单独组建",
            note="单独组建 / 联合组建",
        ),
        Column(
            "覆盖单位信用代码",
            "enterprises",
            parse_credit_codes,
            format_codes,
            required=True,
            width=40,
            example=example_credit_code(1),
            note="多个代码用顿号“、”分隔；单独组建 1 个，联合组建 2 个及以上。变更自今日起生效。",
        ),
        Column("覆盖单位", "enterprise_names", importable=False, width=40),
        Column("上级党组织", "parent_name", width=24, note="上级党组织的名称，可留空。"),
        Column("上级党组织区域代码", "parent_area", parse_area_code, width=12),
        Column(
            "成立日期", "founded_on", parse_past_date, required=True, width=12, example=dt.date(2018, 7, 1)
        ),
        Column(
            "撤销日期",
            "dissolved_on",
            parse_date,
            empty=None,
            width=12,
            note="存续时留空；填写后覆盖关系同日结束。",
        ),
        Column("批复文号", "approval_no", width=18, example="示组〔2018〕12号"),
        Column("已设立委员会", "has_committee", parse_bool, format_bool, empty=False, width=10, example="否"),
        Column(
            "本届任期届满日期", "term_ends_on", parse_date, empty=None, width=14, example=dt.date(2027, 6, 30)
        ),
        Column("党员数", "member_count", importable=False, width=8),
    ),
)


def links_reference_date(org, today: dt.date) -> dt.date:
    """The day an organisation's "current" enterprises are read: today, its founding day if later, or its last
    day if dissolved."""
    on = today
    if org.dissolved_on and org.dissolved_on <= on:
        on = org.dissolved_on - dt.timedelta(days=1)
    return max(on, org.founded_on)


def current_links(org, today: dt.date) -> list:
    """Links holding on the reference date; needs ``org.links`` prefetched with their enterprises."""
    on = links_reference_date(org, today)
    return [link for link in org.links.all() if holds_on(on, link.start, link.end)]


def organization_values(o, *, today: dt.date) -> dict[str, Any]:
    """An organisation as a ledger row; needs ``links`` prefetched with their enterprises."""
    links = sorted(current_links(o, today), key=lambda link: link.enterprise.credit_code)
    parent = o.parent
    return {
        "name": o.name,
        "area": o.area.code,
        "area_name": o.area.name,
        "kind": o.kind,
        "setup": o.setup,
        "enterprises": tuple(link.enterprise.credit_code for link in links),
        "enterprise_names": "、".join(link.enterprise.name for link in links),
        "parent_name": parent.name if parent else "",
        "parent_area": parent.area.code if parent else "",
        "founded_on": o.founded_on,
        "dissolved_on": o.dissolved_on,
        "approval_no": o.approval_no,
        "has_committee": o.has_committee,
        "term_ends_on": o.term_ends_on,
        "member_count": getattr(o, "member_count", None),
    }


# ---------------------------------------------------------------- import ----


class OrganizationImporter(RegistryImporter):
    """Plans for ``orgs.services.apply_organization_rows``.

    ``extra``: ``links`` (sorted ids of the enterprises it should cover), ``parent_key`` ((name, area code) of a
    parent created by the same file, else False); updates also ``model_fields`` (PartyOrganization fields to
    write). ``old`` of an update has ``links`` prefetched with their enterprises."""

    MODEL_FIELDS = (
        "name", "kind", "setup", "founded_on", "dissolved_on", "approval_no", "has_committee", "term_ends_on",
    )  # fmt: skip
    field_aliases = {"parent": "parent_name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.file_keys: set[tuple[str, str]] = set()
        self.orgs: dict[tuple[str, str], PartyOrganization] = {}

    def parse(self, raw_rows, columns):
        rows = super().parse(raw_rows, columns)
        self.file_keys = {r.key for r in rows}
        return rows

    def key_label(self, values):
        return f"{values.get('name', '')}（{values.get('area', '')}）"

    def plan_chunk(self, rows: list[Row]) -> None:
        names = {r.values["name"] for r in rows} | {r.values.get("parent_name") for r in rows} - {"", None}
        links = OrganizationLink.objects.select_related("enterprise__area")
        for org in (
            PartyOrganization.objects.filter(name__in=names)
            .select_related("area", "parent__area")
            .prefetch_related(Prefetch("links", queryset=links))
        ):
            self.orgs[(org.name, org.area.code)] = org
        self.load_areas(r.values["area"] for r in rows)
        self.load_enterprises(code for r in rows for code in r.values["enterprises"])
        for row in rows:
            self.plan_row(row, self.orgs.get(row.key))

    def plan_row(self, row: Row, old: PartyOrganization | None) -> None:
        v = row.values
        if old is not None and not self.may_change(row, old.area):
            return
        area = self.area(row, "area")
        enterprises = [self.enterprise(row, code, "enterprises") for code in v["enterprises"]]
        parent_key = (v.get("parent_name") or "", v.get("parent_area") or v["area"])
        parent, parent_in_file = None, False
        if parent_key[0]:
            parent = self.orgs.get(parent_key)
            parent_in_file = parent is None and parent_key in self.file_keys
            if parent_key == row.key:
                self.error(row.number, self.kind.header_of("parent_name"), _("上级党组织不能是本组织。"))
                return
            if parent is None and not parent_in_file:
                self.error(
                    row.number,
                    self.kind.header_of("parent_name"),
                    _("未找到上级党组织“%(name)s”（区域 %(code)s）。")
                    % {"name": parent_key[0], "code": parent_key[1]},
                )
                return
        if area is None or None in enterprises:
            return
        extra: dict[str, list[str]] = defaultdict(list)
        try:
            validate_links(setup=v["setup"], enterprise_count=len(enterprises))
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                extra[name] += messages
        error = dissolution_error(founded_on=v["founded_on"], dissolved_on=v.get("dissolved_on"))
        if error:
            extra["dissolved_on"].append(error)
        fields = {f: v[f] for f in self.MODEL_FIELDS if f in v}
        link_ids = sorted(e.pk for e in enterprises)
        if old is None:
            instance = PartyOrganization(area=area, parent=parent, **fields)
            if not self.clean(row, instance, ["area", "parent", "secretary"], extra):
                return
            self.plans.append(
                Plan(
                    row,
                    CREATE,
                    instance,
                    extra={"links": link_ids, "parent_key": parent_in_file and parent_key},
                )
            )
            changed = [f for f in v if self.kind.column(f).importable and v[f] not in ("", None, False, ())]
            self.outcome(row, CREATE, changed, {}, v)
            return
        current = organization_values(old, today=self.today)
        shown_values = dict(v)
        if "parent_name" in v:  # a blank parent area means the organisation's own area
            shown_values["parent_area"] = v.get("parent_area") or (v["area"] if parent_key[0] else "")
        changed = self.diff(current, shown_values)
        instance = copy.copy(old)
        for f in changed:
            if f in self.MODEL_FIELDS:
                setattr(instance, f, v[f])
        if "area" in changed:
            instance.area = area
        if {"parent_name", "parent_area"} & set(changed):
            instance.parent = parent
        if "enterprises" in changed and old.dissolved_on and old.dissolved_on <= self.today:
            extra["enterprises"].append(_("该党组织已撤销，不能通过导入变更覆盖单位。"))
        if (changed or extra) and not self.clean(row, instance, ["area", "parent", "secretary"], extra):
            return
        self.outcome(row, UPDATE if changed else UNCHANGED, changed, current, shown_values)
        if changed:
            model_fields = [f for f in changed if f in self.MODEL_FIELDS]
            model_fields += ["area"] if "area" in changed else []
            model_fields += ["parent"] if {"parent_name", "parent_area"} & set(changed) else []
            self.plans.append(
                Plan(row, UPDATE, instance, old=old, changed=changed,
                     extra={"model_fields": model_fields, "links": link_ids,
                            "parent_key": parent_in_file and parent_key})
            )  # fmt: skip


# ---------------------------------------------------------------- export ----


def export_organizations(
    queryset, *, today: dt.date | None = None, heading: Heading | None = None
) -> IO[bytes]:
    """党组织 ledger of ``queryset`` (already filtered and scoped), with current units and member counts;
    ``heading``: what the title row says (area, day)."""
    today = today or timezone.localdate()
    links = OrganizationLink.objects.select_related("enterprise").order_by("start", "pk")
    orgs = (
        queryset.select_related("area", "parent__area")
        .with_counts(today)
        .prefetch_related(Prefetch("links", queryset=links))
        .order_by("name", "pk")
    )
    rows = (organization_values(o, today=today) for o in orgs.iterator(CHUNK))
    return save_workbook([(ORGANIZATIONS, rows, None)], heading=heading)
