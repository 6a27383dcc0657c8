"""Excel import: parse → validate → diff → apply, for enterprises, organisations, members and assignments.

``run_import(kind, file, dry_run=, user=)`` returns an :class:`ImportResult`: per row created / updated (field by
field, old → new) / unchanged, and every problem as (row, column header, Chinese message). Any problem → nothing is
written. Rows are validated in Python with the same rule functions and model validation the forms and services use;
existing records are fetched by natural key once per chunk, and writes are bulk operations inside one transaction
that also records the recompute requests in the outbox (bulk writes fire no signals).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Instructor, InstructorAssignment, Member
from members.rules import assignment_errors, identity_errors, mask_id_number, mask_phone, membership_errors
from orgs.models import OrganizationLink, PartyOrganization
from orgs.rules import dissolution_error, validate_links
from registry.access import Access, access_for
from registry.audit import record_bulk_changes
from registry.dating import holds_on, overlaps
from registry.models import AboveScalePeriod, Area, Enterprise
from registry.outbox import request_recompute_many
from registry.rules import plan_above_scale

from .workbooks import (
    ASSIGNMENTS,
    ENTERPRISES,
    KINDS,
    MEMBERS,
    ORGANIZATIONS,
    BadFile,
    Column,
    Kind,
    assignment_values,
    current_links,
    enterprise_values,
    member_values,
    organization_values,
    read_sheet,
)

CHUNK = 1000
BATCH = 500
CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"
Progress = Callable[[int, int], None]


@dataclass
class RowError:
    row: int | None  # Excel row number; None: the whole file
    column: str
    message: str


@dataclass
class Change:
    column: str
    old: str
    new: str


@dataclass
class RowOutcome:
    row: int
    key: str
    action: str
    changes: list[Change] = field(default_factory=list)


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def summary(self) -> dict[str, int]:
        created, updated = self.count(CREATE), self.count(UPDATE)
        return {
            "rows": len(self.rows),
            "created": created,
            "updated": updated,
            "unchanged": self.count(UNCHANGED),
            "changes": created + updated,
            "errors": len(self.errors),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "summary": self.summary,
            "rows": [asdict(r) for r in self.rows],
            "errors": [asdict(e) for e in self.errors],
        }


def read_upload(file) -> bytes:
    """Bytes of an upload, a path or bytes; reads at most one byte past the size limit."""
    limit = settings.IMPORT_MAX_BYTES + 1
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    if isinstance(file, str):
        with open(file, "rb") as handle:
            return handle.read(limit)
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read(limit)


def run_import(kind: str, file, *, dry_run: bool, user, progress: Progress | None = None) -> ImportResult:
    """Import one workbook of ``kind``; with ``dry_run`` (or any error) nothing is written."""
    definition = KINDS[kind]
    result = ImportResult(kind=kind, dry_run=dry_run)
    access = access_for(user)
    if not access.can_write:
        result.errors.append(RowError(None, "", _("您没有导入数据的权限。")))
        return result
    try:
        sheet = read_sheet(read_upload(file), definition)
    except BadFile as exc:
        result.errors.append(RowError(None, "", exc.message))
        return result
    if not sheet.rows:
        result.errors.append(RowError(None, "", _("文件中没有数据行。")))
        return result
    importer = IMPORTERS[kind](definition, access, result)
    rows = importer.parse(sheet.rows, sheet.columns)
    total = len(rows)
    for start in range(0, total, CHUNK):
        importer.plan_chunk(rows[start : start + CHUNK])
        if progress:
            progress(min(start + CHUNK, total), total)
    result.rows.sort(key=lambda r: r.row)
    result.errors.sort(key=lambda e: (e.row or 0, e.column))
    if result.errors or dry_run:
        return result
    with transaction.atomic():
        pairs = importer.apply()
        if pairs:
            request_recompute_many(_coalesce(pairs))
        # Bulk writes fire no signals: the import logs its rows itself, in the same transaction.
        record_bulk_changes(actor=user, entries=importer.audit_entries(), source=f"import:{kind}")
    result.applied = True
    return result


def _coalesce(pairs: Iterable[tuple[int, dt.date | None]]) -> list[tuple[int, dt.date]]:
    """One outbox row per area, from the earliest date touched there."""
    earliest: dict[int, dt.date] = {}
    for area_id, since in pairs:
        since = since or dt.date(1949, 10, 1)
        if area_id not in earliest or since < earliest[area_id]:
            earliest[area_id] = since
    return sorted(earliest.items())


def _earliest(*dates: dt.date | None) -> dt.date | None:
    found = [d for d in dates if d is not None]
    return min(found) if found else None


@dataclass
class Row:
    number: int
    values: dict[str, Any]  # parsed values of the columns present in the file
    key: tuple = ()


@dataclass
class Plan:
    row: Row
    action: str
    instance: models.Model
    old: Any = None  # the record before the change (updates)
    changed: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


class Importer:
    """Per-kind planning and writing; the subclass names the model, how to look up, validate and apply."""

    kind: Kind
    field_aliases: dict[str, str] = {}  # model field → sheet field, for error messages

    def __init__(self, kind: Kind, access: Access, result: ImportResult):
        self.kind = kind
        self.access = access
        self.result = result
        self.today = timezone.localdate()
        self.plans: list[Plan] = []
        self.areas: dict[str, Area | None] = {}
        self.enterprises: dict[str, Enterprise | None] = {}

    # -- parsing ---------------------------------------------------------------------------------------------
    def parse(self, raw_rows, columns: list[Column]) -> list[Row]:
        out, seen = [], {}
        for number, cells in raw_rows:
            values, bad = {}, False
            for column in columns:
                raw = cells.get(column.field)
                if raw is None or (isinstance(raw, str) and not raw.strip()):
                    if column.required:
                        self.error(number, column.header, _("必填，不能为空。"))
                        bad = True
                    values[column.field] = column.empty
                    continue
                try:
                    values[column.field] = column.parse(raw)
                except ValidationError as exc:
                    for message in exc.messages:
                        self.error(number, column.header, message)
                    bad = True
            if bad:
                continue
            row = Row(number, values, tuple(values.get(f) for f in self.kind.key))
            if row.key in seen:
                self.error(
                    number,
                    self.kind.header_of(self.kind.key[0]),
                    _("与第 %(n)s 行重复（%(key)s）。")
                    % {"n": seen[row.key], "key": self.key_label(row.values)},
                )
                continue
            seen[row.key] = number
            out.append(row)
        return out

    # -- reporting -------------------------------------------------------------------------------------------
    def error(self, row: int, column: str, message: str) -> None:
        self.result.errors.append(RowError(row, column, str(message)))

    def add_validation_error(self, row: Row, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                sheet_field = self.field_aliases.get(name, name)
                header = self.kind.header_of(sheet_field) if name != "__all__" else ""
                for message in messages:
                    self.error(row.number, header, message)
        else:
            for message in exc.messages:
                self.error(row.number, "", message)

    def key_label(self, values: dict[str, Any]) -> str:
        return " / ".join(str(values.get(f) or "") for f in self.kind.key)

    def shown(self, column: Column, value: Any) -> str:
        return column.display(value)

    def diff(self, current: dict[str, Any], values: dict[str, Any], skip: Iterable[str] = ()) -> list[str]:
        return [
            f
            for f, v in values.items()
            if f not in skip
            and f in current
            and (self.kind.column(f) and self.kind.column(f).importable)
            and v != current[f]
        ]

    def audit_entries(self) -> list[tuple[models.Model, str, dict[str, Any]]]:
        """(record, create|update, {field: [old, new]}) of every row written, for the audit log."""
        entries = []
        for plan in self.plans:
            if plan.action not in (CREATE, UPDATE) or plan.instance.pk is None:
                continue
            names = plan.changed or [c.field for c in self.kind.importable if c.field in plan.row.values]
            changes = {
                name: [
                    getattr(plan.old, name, None) if plan.old is not None else None,
                    plan.row.values.get(name),
                ]
                for name in names
            }
            entries.append((plan.instance, plan.action, changes))
        return entries

    def outcome(self, row: Row, action: str, changed: list[str], current: dict, values: dict) -> None:
        changes = [
            Change(
                self.kind.header_of(f),
                self.shown(self.kind.column(f), current.get(f)) if action == UPDATE else "",
                self.shown(self.kind.column(f), values.get(f)),
            )
            for f in changed
        ]
        self.result.rows.append(RowOutcome(row.number, self.key_label(row.values), action, changes))

    # -- shared lookups (one query per chunk for what is not cached yet) ----------------------------------
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

    def may_change(self, row: Row, area: Area) -> bool:
        if self.access.covers(area):
            return True
        self.error(
            row.number,
            self.kind.header_of(self.kind.key[0]),
            _("该记录不在您的管辖范围内，不能通过导入修改。"),
        )
        return False

    def clean(
        self, row: Row, instance: models.Model, exclude: list[str], extra: dict[str, list[str]]
    ) -> bool:
        """Model validation without queries (FKs are resolved by the importer; uniqueness is the natural key)."""
        errors: dict[str, list[str]] = defaultdict(list)
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[name] += messages
        for name, messages in extra.items():
            errors[name] += messages
        if errors:
            self.add_validation_error(row, ValidationError(dict(errors)))
            return False
        return True

    def plan_chunk(self, rows: list[Row]) -> None:
        raise NotImplementedError

    def apply(self) -> list[tuple[int, dt.date | None]]:
        raise NotImplementedError


def _touch(instance: models.Model) -> None:
    if hasattr(instance, "updated_at"):
        instance.updated_at = timezone.now()


def _bulk_update(model: type[models.Model], plans: list[Plan]) -> None:
    fields: set[str] = set()
    for plan in plans:
        fields.update(plan.extra.get("model_fields", plan.changed))
    if not plans or not fields:
        return
    if any(f.name == "updated_at" for f in model._meta.get_fields()):
        fields.add("updated_at")
        for plan in plans:
            _touch(plan.instance)
    model.objects.bulk_update([p.instance for p in plans], sorted(fields), batch_size=BATCH)


# ================================================================ enterprises ================================


class EnterpriseImporter(Importer):
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

    def apply(self) -> list[tuple[int, dt.date | None]]:
        pairs: list[tuple[int, dt.date | None]] = []
        creates = [p for p in self.plans if p.action == CREATE]
        Enterprise.objects.bulk_create([p.instance for p in creates], batch_size=BATCH)
        new_periods = [
            AboveScalePeriod(enterprise=p.instance, start=p.extra["above_scale_since"])
            for p in creates
            if p.extra["above_scale_since"]
        ]
        pairs += [(p.instance.area_id, p.instance.established_on) for p in creates]
        updates = [p for p in self.plans if p.action == UPDATE]
        _bulk_update(Enterprise, [p for p in updates if p.extra["model_fields"]])
        moved_periods: list[AboveScalePeriod] = []
        ended_periods: list[AboveScalePeriod] = []
        dropped_periods: list[int] = []
        leaving: dict[dt.date, list[int]] = defaultdict(list)
        for plan in updates:
            old, new = plan.old, plan.instance
            touched: list[dt.date | None] = []
            if "above_scale" in plan.changed:
                since = plan.extra["since"]
                touched.append(since)
                self._set_above_scale(new, plan.row.values["above_scale"], since, plan.extra["periods"],
                                      new_periods, moved_periods, ended_periods, dropped_periods)  # fmt: skip
            for name in ("established_on", "deregistered_on"):
                if getattr(old, name) != getattr(new, name):
                    touched += [getattr(old, name), getattr(new, name)]
            if old.deregistered_on is None and new.deregistered_on is not None:
                leaving[new.deregistered_on].append(new.pk)  # registry.services.deregister_enterprise
            if old.area_id != new.area_id or old.category != new.category:
                touched += [old.established_on, new.established_on]
                pairs.append((old.area_id, _earliest(*touched)))
            since = _earliest(*touched)
            if since is not None:
                pairs.append((new.area_id, since))
        AboveScalePeriod.objects.bulk_create(new_periods, batch_size=BATCH)
        AboveScalePeriod.objects.bulk_update(moved_periods, ["start"], batch_size=BATCH)
        AboveScalePeriod.objects.bulk_update(ended_periods, ["end"], batch_size=BATCH)
        AboveScalePeriod.objects.filter(pk__in=dropped_periods).delete()
        for on, ids in leaving.items():
            for links in (OrganizationLink.objects, InstructorAssignment.objects):
                links.filter(enterprise_id__in=ids, end__isnull=True, start__lt=on).update(end=on)
        return pairs

    @staticmethod
    def _set_above_scale(enterprise, above, since, periods, created, moved, ended, dropped) -> None:
        """registry.rules.plan_above_scale (as registry.services.set_above_scale), collected for bulk writes."""
        change = plan_above_scale(periods, above_scale=above, since=since)
        if change is None:
            return
        if change.create_from:
            created.append(AboveScalePeriod(enterprise=enterprise, start=change.create_from))
        if change.moved:
            moved.append(change.moved)
        if change.ended:
            ended.append(change.ended)
        if change.dropped:
            dropped.append(change.dropped.pk)


# ================================================================ organisations ==============================


class OrganizationImporter(Importer):
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

    def apply(self) -> list[tuple[int, dt.date | None]]:
        pairs: list[tuple[int, dt.date | None]] = []
        creates = [p for p in self.plans if p.action == CREATE]
        updates = [p for p in self.plans if p.action == UPDATE]
        PartyOrganization.objects.bulk_create([p.instance for p in creates], batch_size=BATCH)
        by_key = {(p.instance.name, p.instance.area.code): p.instance for p in creates}
        reparent = []
        for plan in creates + updates:
            if plan.extra["parent_key"]:
                plan.instance.parent = by_key[plan.extra["parent_key"]]
                if plan.action == CREATE:
                    reparent.append(plan.instance)
        PartyOrganization.objects.bulk_update(reparent, ["parent"], batch_size=BATCH)
        new_links = []
        for plan in creates:
            org = plan.instance
            new_links += [
                OrganizationLink(organization=org, enterprise_id=pk, start=org.founded_on)
                for pk in plan.extra["links"]
            ]
            for area_id in {org.area_id} | self._areas_of(plan.extra["links"]):
                pairs.append((area_id, org.founded_on))
        _bulk_update(PartyOrganization, updates)
        ending: dict[dt.date, list[int]] = defaultdict(list)
        dropping: list[int] = []
        dissolving: dict[dt.date, list[int]] = defaultdict(list)
        for plan in updates:
            old, org = plan.old, plan.instance
            touched: list[dt.date] = []
            ids = set(plan.extra["links"])
            current = {link.enterprise_id for link in current_links(old, self.today)}
            if "enterprises" in plan.changed:
                on = max(self.today, org.founded_on)
                holding = [link for link in old.links.all() if holds_on(on, link.start, link.end)]
                for link in holding:
                    if link.enterprise_id not in ids:
                        (dropping.append(link.pk) if link.start >= on else ending[on].append(link.pk))
                held = {link.enterprise_id for link in holding}
                new_links += [
                    OrganizationLink(organization=org, enterprise_id=pk, start=on) for pk in ids - held
                ]
                touched.append(on)
            for name in ("founded_on", "dissolved_on"):
                if getattr(old, name) != getattr(org, name):
                    touched += [d for d in (getattr(old, name), getattr(org, name)) if d]
            if old.dissolved_on is None and org.dissolved_on is not None:
                dissolving[org.dissolved_on].append(org.pk)  # orgs.services.dissolve_organization
            if old.setup != org.setup or old.area_id != org.area_id:
                touched.append(org.founded_on)
            if touched:
                since = min(touched)
                for area_id in self._areas_of(current | ids) | {org.area_id, old.area_id}:
                    pairs.append((area_id, since))
        OrganizationLink.objects.filter(pk__in=dropping).delete()
        for on, pks in ending.items():
            OrganizationLink.objects.filter(pk__in=pks).update(end=on)
        OrganizationLink.objects.bulk_create(new_links, batch_size=BATCH)
        for on, org_ids in dissolving.items():
            open_links = OrganizationLink.objects.filter(organization_id__in=org_ids, end__isnull=True)
            open_links.filter(start__gte=on).delete()
            open_links.update(end=on)
        return pairs

    def _areas_of(self, enterprise_ids: Iterable[int]) -> set[int]:
        by_pk = {e.pk: e.area_id for e in self.enterprises.values() if e is not None}
        missing = [pk for pk in enterprise_ids if pk not in by_pk]
        if missing:  # enterprises linked before this import
            by_pk.update(Enterprise.objects.filter(pk__in=missing).values_list("pk", "area_id"))
        return {by_pk[pk] for pk in enterprise_ids if pk in by_pk}


# ================================================================ members ====================================


class MemberImporter(Importer):
    MODEL_FIELDS = (
        "name", "gender", "ethnicity", "birth_date", "education", "phone", "category", "joined_on", "is_mobile",
        "retired", "ended_on", "end_reason",
    )  # fmt: skip
    field_aliases = {"organization": "organization_name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.orgs: dict[tuple[str, str], PartyOrganization] = {}

    def key_label(self, values):
        return f"{values.get('name', '')}（{mask_id_number(values.get('id_number') or '')}）"

    def shown(self, column, value):
        if column.field == "phone":
            return mask_phone(value or "")
        return super().shown(column, value)

    def plan_chunk(self, rows: list[Row]) -> None:
        existing = {
            m.id_number: m
            for m in Member.objects.filter(
                id_number__in=[r.values["id_number"] for r in rows]
            ).select_related("organization__area", "enterprise__area")
        }
        names = {r.values["organization_name"] for r in rows} - set(n for n, _c in self.orgs)
        if names:
            for org in PartyOrganization.objects.filter(name__in=names).select_related("area"):
                self.orgs[(org.name, org.area.code)] = org
        self.load_enterprises(r.values.get("enterprise") for r in rows)
        for row in rows:
            self.plan_row(row, existing.get(row.values["id_number"]))

    def plan_row(self, row: Row, old: Member | None) -> None:
        v = row.values
        if old is not None and not self.may_change(row, old.organization.area):
            return
        org = self.orgs.get((v["organization_name"], v["organization_area"]))
        if org is None or not self.access.covers(org.area):
            self.error(
                row.number,
                self.kind.header_of("organization_name"),
                _("未找到党组织“%(name)s”（区域 %(code)s），或不在您的管辖范围内。")
                % {"name": v["organization_name"], "code": v["organization_area"]},
            )
            return
        enterprise = None
        if v.get("enterprise"):
            enterprise = self.enterprise(row, v["enterprise"], "enterprise")
            if enterprise is None:
                return
        fields = {f: v[f] for f in self.MODEL_FIELDS if f in v}
        if old is None:
            instance = Member(id_number=v["id_number"], organization=org, enterprise=enterprise, **fields)
            changed = [f for f in v if self.kind.column(f).importable and v[f] not in ("", None, False)]
            current: dict = {}
        else:
            current = member_values(old, reveal=True)
            changed = self.diff(current, v)
            instance = copy.copy(old)
            for f in changed:
                if f in self.MODEL_FIELDS:
                    setattr(instance, f, v[f])
            if {"organization_name", "organization_area"} & set(changed):
                instance.organization = org
            if "enterprise" in changed:
                instance.enterprise = enterprise
        extra: dict[str, list[str]] = defaultdict(list)
        for name, message in identity_errors(
            id_number=instance.id_number, birth_date=instance.birth_date, gender=instance.gender
        ).items():
            extra[name].append(message)
        for name, message in membership_errors(
            joined_on=instance.joined_on,
            organization=org,
            ended_on=instance.ended_on,
            end_reason=instance.end_reason,
        ).items():
            extra[name].append(message)
        if (old is None or changed) and not self.clean(row, instance, ["organization", "enterprise"], extra):
            return
        action = CREATE if old is None else (UPDATE if changed else UNCHANGED)
        self.outcome(row, action, changed, current, v)
        if action != UNCHANGED:
            model_fields = [f for f in changed if f in self.MODEL_FIELDS]
            model_fields += (
                ["organization"] if {"organization_name", "organization_area"} & set(changed) else []
            )
            model_fields += ["enterprise"] if "enterprise" in changed else []
            self.plans.append(
                Plan(row, action, instance, old=old, changed=changed, extra={"model_fields": model_fields})
            )

    @staticmethod
    def _areas(member: Member) -> set[int]:
        areas = {member.organization.area_id}
        if member.enterprise_id:
            areas.add(member.enterprise.area_id)
        return areas

    def apply(self) -> list[tuple[int, dt.date | None]]:
        pairs: list[tuple[int, dt.date | None]] = []
        creates = [p for p in self.plans if p.action == CREATE]
        updates = [p for p in self.plans if p.action == UPDATE]
        Member.objects.bulk_create([p.instance for p in creates], batch_size=BATCH)
        for plan in creates:
            pairs += [(a, plan.instance.joined_on) for a in self._areas(plan.instance)]
        _bulk_update(Member, updates)
        for plan in updates:  # members.services.update_member
            old, new = plan.old, plan.instance
            dates = [old.joined_on, new.joined_on] + [d for d in (old.ended_on, new.ended_on) if d]
            pairs += [(a, min(dates)) for a in self._areas(old) | self._areas(new)]
        return pairs


# ================================================================ instructor assignments =====================


class AssignmentImporter(Importer):
    field_aliases = {"instructor": "instructor_name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instructors: dict[str, list[Instructor]] = {}
        self.existing: dict[int, InstructorAssignment] = {}
        self.ranges: dict[tuple[int, int], list[tuple[Any, dt.date, dt.date | None]]] = defaultdict(list)

    def key_label(self, values):
        start = values.get("start")
        return f"{values.get('instructor_name', '')} → {values.get('enterprise', '')}（{start or ''}）"

    def plan_chunk(self, rows: list[Row]) -> None:
        names = {r.values["instructor_name"] for r in rows} - set(self.instructors)
        if names:
            for name in names:
                self.instructors[name] = []
            for instructor in Instructor.objects.filter(name__in=names).select_related("area"):
                self.instructors[instructor.name].append(instructor)
        self.load_enterprises(r.values["enterprise"] for r in rows)
        resolved = [
            (row, self.instructor(row), self.enterprise(row, row.values["enterprise"], "enterprise"))
            for row in rows
        ]
        instructor_ids = {i.pk for _r, i, e in resolved if i and e}
        enterprise_ids = {e.pk for _r, i, e in resolved if i and e}
        for a in InstructorAssignment.objects.filter(
            instructor_id__in=instructor_ids, enterprise_id__in=enterprise_ids
        ):
            ranges = self.ranges[(a.instructor_id, a.enterprise_id)]
            if not any(r[0] == a.pk for r in ranges):
                ranges.append((a.pk, a.start, a.end))
                self.existing[a.pk] = a
        for row, instructor, enterprise in resolved:
            if instructor and enterprise:
                self.plan_row(row, instructor, enterprise)

    def instructor(self, row: Row) -> Instructor | None:
        v = row.values
        found = [i for i in self.instructors.get(v["instructor_name"], []) if self.access.covers(i.area)]
        if v.get("instructor_area"):
            found = [i for i in found if i.area.code == v["instructor_area"]]
        header = self.kind.header_of("instructor_name")
        if not found:
            self.error(
                row.number,
                header,
                _("未找到党建指导员“%(name)s”，请先在系统中登记。") % {"name": v["instructor_name"]},
            )
            return None
        if len(found) > 1:
            self.error(
                row.number,
                header,
                _("有 %(n)s 名同名指导员“%(name)s”，请填写“指导员所属区域代码”加以区分。")
                % {"n": len(found), "name": v["instructor_name"]},
            )
            return None
        return found[0]

    def plan_row(self, row: Row, instructor: Instructor, enterprise: Enterprise) -> None:
        v = row.values
        pair = (instructor.pk, enterprise.pk)
        old_pk = next(
            (pk for pk, start, _e in self.ranges[pair] if start == v["start"] and isinstance(pk, int)), None
        )
        old = self.existing.get(old_pk) if old_pk else None
        end = v.get("end") if "end" in v else (old.end if old else None)
        extra: dict[str, list[str]] = defaultdict(list)
        me = old_pk if old else ("row", row.number)
        for name, message in assignment_errors(
            start=v["start"],
            end=end,
            clashes=any(pk != me and overlaps(v["start"], end, s, e) for pk, s, e in self.ranges[pair]),
            instructor_ended_on=instructor.ended_on if old is None else None,
        ).items():
            extra[name].append(message)
        if old is None:
            instance = InstructorAssignment(
                instructor=instructor, enterprise=enterprise, start=v["start"], end=end
            )
            if not self.clean(row, instance, ["instructor", "enterprise"], extra):
                return
            self.ranges[pair].append((me, v["start"], end))
            self.plans.append(Plan(row, CREATE, instance))
            self.outcome(
                row,
                CREATE,
                [f for f in v if self.kind.column(f).importable and v[f] not in ("", None)],
                {},
                v,
            )
            return
        current = assignment_values(old)
        changed = self.diff(current, {"end": end} if "end" in v else {})
        instance = copy.copy(old)
        instance.end = end
        if changed and not self.clean(row, instance, ["instructor", "enterprise"], extra):
            return
        self.ranges[pair] = [(pk, s, end if pk == old_pk else e) for pk, s, e in self.ranges[pair]]
        self.outcome(row, UPDATE if changed else UNCHANGED, changed, current, v)
        if changed:
            self.plans.append(Plan(row, UPDATE, instance, old=old, changed=changed))

    def apply(self) -> list[tuple[int, dt.date | None]]:
        creates = [p for p in self.plans if p.action == CREATE]
        updates = [p for p in self.plans if p.action == UPDATE]
        InstructorAssignment.objects.bulk_create([p.instance for p in creates], batch_size=BATCH)
        InstructorAssignment.objects.bulk_update([p.instance for p in updates], ["end"], batch_size=BATCH)
        pairs = [(p.instance.enterprise.area_id, p.instance.start) for p in creates]
        pairs += [(p.instance.enterprise.area_id, _earliest(p.old.end, p.instance.end)) for p in updates]
        return pairs


IMPORTERS: dict[str, type[Importer]] = {
    ENTERPRISES.name: EnterpriseImporter,
    ORGANIZATIONS.name: OrganizationImporter,
    MEMBERS.name: MemberImporter,
    ASSIGNMENTS.name: AssignmentImporter,
}


def run_job(job_id: int) -> None:
    """Run a stored :class:`reports.models.ImportJob`; progress and the result JSON are saved on the job."""
    from .models import ImportJob

    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING, progress=1)

    def progress(done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job_id).update(progress=max(1, min(99, done * 100 // max(total, 1))))

    try:
        with job.file.open("rb") as handle:
            result = run_import(job.kind, handle, dry_run=job.dry_run, user=job.created_by, progress=progress)
    except Exception as exc:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE, progress=100, result=result.to_dict(), finished_at=timezone.now()
    )


def start_job(*, kind: str, upload, dry_run: bool, user, source=None):
    """Store the upload (or reuse ``source``'s file) as an ImportJob and queue it after commit."""
    from .models import ImportJob
    from .tasks import run_import_job

    job = ImportJob(kind=kind, dry_run=dry_run, created_by=user)
    if source is not None:
        job.file.name = source.file.name
        job.original_name = source.original_name
    else:
        job.original_name = (getattr(upload, "name", "") or "")[:200]
        job.file.save(f"{kind}.xlsx", upload, save=False)
    job.save()
    run_import_job.delay_on_commit(job.pk)
    return job
