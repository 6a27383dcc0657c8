"""The enterprise workbook (单位台账): its columns, a record in sheet form, the import's planning and the exports.

One column definition serves the export, the import and the template, so an exported ledger imports back as
"0 changes". The importer only parses, validates and diffs; ``registry.services.apply_enterprise_rows`` writes.
Also here: the cells and lookups every kind shares that are the registry's own (credit codes, area codes,
enterprises by credit code), for orgs/ and members/ workbooks to use.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterable
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import Category, CoverageState, EconomicType
from .dating import active_q
from .excel.cells import (
    Column,
    Kind,
    choice_formatter,
    choice_parser,
    format_bool,
    parse_bool,
    parse_code,
    parse_date,
    parse_int,
    parse_past_date,
    parse_phone,
)
from .excel.importer import CREATE, UNCHANGED, UPDATE, Importer, Plan, Row
from .excel.sheets import Heading, save_workbook
from .models import AboveScalePeriod, Area, Enterprise
from .rules import credit_code_check_char, normalize_code, normalize_text, validate_credit_code

CHUNK = 2000  # rows per query when exporting
CODE_SEPARATORS = re.compile(r"[、,，;；\s]+")


# ---------------------------------------------------------------- the registry's cells ----


def parse_credit_code(value: Any) -> str:
    return validate_credit_code(parse_code(value))


def parse_credit_codes(value: Any) -> tuple[str, ...]:
    """Several credit codes in one cell, separated by 、 , ; or line breaks."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (parse_credit_code(value),)
    codes, errors = set(), []
    for part in CODE_SEPARATORS.split(normalize_text(value)):
        if not part:
            continue
        try:
            codes.add(validate_credit_code(part))
        except ValidationError as exc:
            errors += [f"{part}：{m}" for m in exc.messages]
    if errors:
        raise ValidationError(errors)
    return tuple(sorted(codes))


def parse_area_code(value: Any) -> str:
    return normalize_code(value)


def example_credit_code(n: int) -> str:
    first17 = f"91440800{n:09d}"
    return first17 + credit_code_check_char(first17)


# ---------------------------------------------------------------- columns ----

ENTERPRISES = Kind(
    name="enterprises",
    title="单位台账",
    key=("credit_code",),
    columns=(
        Column(
            "统一社会信用代码",
            "credit_code",
            parse_credit_code,
            required=True,
            width=22,
            example=example_credit_code(1),
            note="18 位；请把该列设为“文本”，否则 Excel 会把代码变成数字。",
        ),
        Column("单位名称", "name", required=True, width=30, example="示例科技有限公司"),
        Column(
            "类别",
            "category",
            choice_parser(Category),
            choice_formatter(Category),
            required=True,
            width=10,
            example="非公企业",
            note="非公企业 / 社会组织",
        ),
        Column(
            "经济类型",
            "economic_type",
            choice_parser(EconomicType),
            choice_formatter(EconomicType),
            required=True,
            example="私营企业",
            note="、".join(str(x) for x in EconomicType.labels),
        ),
        Column("所属行业", "industry", example="制造业"),
        Column(
            "区域代码",
            "area",
            parse_area_code,
            required=True,
            width=12,
            example="KFQ",
            note="系统中的区域代码（区域管理中可查）。",
        ),
        Column("所在区域", "area_name", importable=False, width=14),
        Column(
            "规模以上",
            "above_scale",
            parse_bool,
            format_bool,
            width=9,
            empty=False,
            example="是",
            note="是 / 否（截至今日）。",
        ),
        Column(
            "规上起始日期",
            "above_scale_since",
            parse_date,
            empty=None,
            width=12,
            example=dt.date(2024, 1, 1),
            note="仅在规上状态变化时使用：新建单位留空则自成立日期起算；已有单位留空则自今日起。",
        ),
        Column("从业人员数", "employees", parse_int, empty=None, width=10, example=120),
        Column(
            "成立日期",
            "established_on",
            parse_past_date,
            required=True,
            width=12,
            example=dt.date(2015, 3, 1),
            note="可填 2025-03-01、2025/3/1 或 2025年3月1日。",
        ),
        Column(
            "注销/迁出日期",
            "deregistered_on",
            parse_date,
            empty=None,
            width=12,
            note="在营单位留空；填写后该单位的党组织覆盖关系和指导员联系同日结束。",
        ),
        Column("地址", "address", width=30, example="示范路 1 号"),
        Column("联系人", "contact_person", width=10, example="张三"),
        Column("联系电话", "contact_phone", parse_phone, width=14, example="0759-1234567"),
        Column("覆盖状态", "coverage", format=choice_formatter(CoverageState), importable=False, width=10),
        Column("党员数", "party_members", importable=False, width=8),
    ),
)


def enterprise_values(e, *, today: dt.date | None = None) -> dict[str, Any]:
    """An enterprise as a ledger row. Needs ``above_scale_since_now`` (start of today's 规上 period or None);
    ``coverage``/``party_members`` when exporting."""
    since = getattr(e, "above_scale_since_now", None)
    return {
        "credit_code": e.credit_code,
        "name": e.name,
        "category": e.category,
        "economic_type": e.economic_type,
        "industry": e.industry,
        "area": e.area.code,
        "area_name": e.area.name,
        "above_scale": since is not None,
        "above_scale_since": since,
        "employees": e.employees,
        "established_on": e.established_on,
        "deregistered_on": e.deregistered_on,
        "address": e.address,
        "contact_person": e.contact_person,
        "contact_phone": e.contact_phone,
        "coverage": getattr(e, "coverage", None),
        "party_members": getattr(e, "party_members", None),
    }


# ---------------------------------------------------------------- import ----


class RegistryImporter(Importer):
    """An importer resolving area codes and credit codes, one query per chunk for what is not cached yet."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas: dict[str, Area | None] = {}
        self.enterprises: dict[str, Enterprise | None] = {}

    def load_areas(self, codes: Iterable[str]) -> None:
        missing = {c for c in codes if c and c not in self.areas}
        if missing:
            found = {a.code: a for a in Area.objects.filter(code__in=missing)}
            for code in missing:
                self.areas[code] = found.get(code)

    def area(self, row: Row, sheet_field: str) -> Area | None:
        code = row.values.get(sheet_field)
        area = self.areas.get(code)
        header = self.kind.header_of(sheet_field)
        if area is None:
            self.error(row.number, header, _("未知的区域代码“%(code)s”。") % {"code": code})
            return None
        if not self.access.covers(area):
            self.error(row.number, header, _("区域“%(code)s”不在您的管辖范围内。") % {"code": code})
            return None
        return area

    def load_enterprises(self, codes: Iterable[str]) -> None:
        missing = {c for c in codes if c and c not in self.enterprises}
        if missing:
            found = {
                e.credit_code: e
                for e in Enterprise.objects.filter(credit_code__in=missing).select_related("area")
            }
            for code in missing:
                self.enterprises[code] = found.get(code)

    def enterprise(self, row: Row, code: str, sheet_field: str) -> Enterprise | None:
        enterprise = self.enterprises.get(code)
        if enterprise is None or not self.access.covers(enterprise.area):
            self.error(
                row.number,
                self.kind.header_of(sheet_field),
                _("未找到统一社会信用代码为 %(code)s 的单位（或不在您的管辖范围内）。") % {"code": code},
            )
            return None
        return enterprise


class EnterpriseImporter(RegistryImporter):
    """Plans for ``registry.services.apply_enterprise_rows``.

    ``extra`` of a create: ``above_scale_since`` (start of its 规上 period, or None); of an update:
    ``model_fields`` (Enterprise fields to write), ``periods`` (its 规上 periods, by start) and ``since`` (the
    day a changed 规上 status holds from, or None)."""

    MODEL_FIELDS = (
        "name", "category", "economic_type", "industry", "employees", "established_on", "deregistered_on",
        "address", "contact_person", "contact_phone",
    )  # fmt: skip

    def plan_chunk(self, rows: list[Row]) -> None:
        codes = [r.values["credit_code"] for r in rows]
        existing = {
            e.credit_code: e
            for e in Enterprise.objects.filter(credit_code__in=codes)
            .select_related("area")
            .prefetch_related(
                Prefetch("above_scale_periods", queryset=AboveScalePeriod.objects.order_by("start"))
            )
        }
        self.load_areas(r.values.get("area") for r in rows)
        for row in rows:
            self.plan_row(row, existing.get(row.values["credit_code"]))

    def plan_row(self, row: Row, old: Enterprise | None) -> None:
        v = row.values
        if old is not None and not self.may_change(row, old.area):
            return
        area = self.area(row, "area")
        if area is None:
            return
        if old is None:
            fields = {f: v[f] for f in self.MODEL_FIELDS if f in v}
            instance = Enterprise(credit_code=v["credit_code"], area=area, **fields)
            if not self.clean(row, instance, ["area"], {}):
                return
            above = v.get("above_scale", False)
            since = (v.get("above_scale_since") or instance.established_on) if above else None
            values = {**v, "above_scale": above, "above_scale_since": since}
            changed = [
                f for f in v if f in values and self.kind.column(f).importable and values[f] not in ("", None)
            ]
            changed = [f for f in changed if not (f == "above_scale" and not above)]
            self.plans.append(Plan(row, CREATE, instance, extra={"above_scale_since": since}))
            self.outcome(row, CREATE, changed, {}, values)
            return
        periods = list(old.above_scale_periods.all())
        now = next((p for p in periods if p.holds_on(self.today)), None)
        old.above_scale_since_now = now.start if now else None
        current = enterprise_values(old)
        changed = self.diff(current, v, skip=("above_scale_since",))
        since = None
        if "above_scale" in changed:
            since = v.get("above_scale_since") or self.today
            changed.append("above_scale_since")
        instance = copy.copy(old)
        for f in changed:
            if f in self.MODEL_FIELDS:
                setattr(instance, f, v[f])
        if "area" in changed:
            instance.area = area
        if changed and not self.clean(row, instance, ["area"], {}):
            return
        shown = {**v, "above_scale_since": since}
        self.outcome(row, UPDATE if changed else UNCHANGED, changed, current, shown)
        if changed:
            model_fields = [f for f in changed if f in self.MODEL_FIELDS] + (
                ["area"] if "area" in changed else []
            )
            self.plans.append(
                Plan(row, UPDATE, instance, old=old, changed=changed,
                     extra={"model_fields": model_fields, "periods": periods, "since": since})
            )  # fmt: skip


# ---------------------------------------------------------------- export ----


def enterprise_ledger_queryset(queryset, today: dt.date):
    """Enterprises with what the ledger shows as of ``today``: 规上 since, coverage state, party members."""
    since = (
        AboveScalePeriod.objects.filter(enterprise=OuterRef("pk")).filter(active_q(today)).order_by("start")
    )
    return (
        queryset.select_related("area")
        .with_coverage(today)
        .with_member_counts(today)
        .annotate(above_scale_since_now=Subquery(since.values("start")[:1]))
        .order_by("name", "pk")
    )


def uncovered_above_scale(queryset, today: dt.date):
    """Operating 规上 non-public enterprises with neither an org nor an instructor (the work queue's first item)."""
    return (
        enterprise_ledger_queryset(queryset, today)
        .non_public()
        .operating_on(today)
        .above_scale_on(today)
        .filter(coverage=CoverageState.NONE)
    )


def export_enterprises(
    queryset, *, today: dt.date | None = None, title: str | None = None, heading: Heading | None = None
) -> IO[bytes]:
    """单位台账: every column of the enterprise kind, with coverage state and member count as of today.

    ``queryset`` is already filtered (FilterSet) and scoped (``restrict(access_for(user))``); ``heading``: what
    the title row says (area, day)."""
    today = today or timezone.localdate()
    rows = (enterprise_values(e) for e in enterprise_ledger_queryset(queryset, today).iterator(CHUNK))
    return save_workbook([(ENTERPRISES, rows, title)], heading=heading)


def export_uncovered(queryset, *, today: dt.date | None = None, heading: Heading | None = None) -> IO[bytes]:
    """未覆盖规上企业: the enterprise ledger of :func:`uncovered_above_scale` (same columns, so it imports back)."""
    today = today or timezone.localdate()
    rows = (enterprise_values(e) for e in uncovered_above_scale(queryset, today).iterator(CHUNK))
    return save_workbook([(ENTERPRISES, rows, _("未覆盖规上企业"))], heading=heading)
