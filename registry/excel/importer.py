"""The import engine: parse → validate → diff, for any kind an app registers; the owning app's bulk service writes.

``run_import(kind, file, dry_run=, user=)`` returns an :class:`ImportResult`: per row created / updated (field by
field, old → new) / unchanged, and every problem as (row, column header, Chinese message). Any problem → nothing is
written. An app registers each kind it owns (``register(kind, importer=, apply=)``, from its AppConfig.ready()):
its :class:`Importer` subclass looks records up by natural key once per chunk and validates each row with the same
rule functions and model validation its forms use, producing :class:`Plan` objects; ``apply(plans, actor=,
source=)`` is the app's bulk service, which writes, records the recompute requests and the audit rows in the
caller's transaction. Nothing here knows a model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.access import Access, access_for

from .cells import Column, Kind
from .sheets import BadFile, check_upload, read_sheet, read_upload

CHUNK = 1000
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


@dataclass
class Row:
    number: int
    values: dict[str, Any]  # parsed values of the columns present in the file
    key: tuple = ()


@dataclass
class Plan:
    """One row to write: what the owning app's bulk service receives."""

    row: Row
    action: str  # create | update
    instance: models.Model  # the record as it should be (not saved)
    old: Any = None  # the record before the change (updates)
    changed: list[str] = field(default_factory=list)  # sheet fields that change
    extra: dict[str, Any] = field(default_factory=dict)  # what the kind's bulk service needs besides


class Importer:
    """Per-kind planning: the subclass looks records up, validates rows and appends :class:`Plan` objects."""

    kind: Kind
    field_aliases: dict[str, str] = {}  # model field → sheet field, for error messages

    def __init__(self, kind: Kind, access: Access, result: ImportResult):
        self.kind = kind
        self.access = access
        self.result = result
        self.today = timezone.localdate()
        self.plans: list[Plan] = []

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

    def plan_chunk(self, rows: list[Row]) -> None:
        """Look up the chunk's records and plan each row (``self.plans``, ``self.outcome``, ``self.error``)."""
        raise NotImplementedError

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
        """The sheet fields whose parsed value differs from the record's (``current``, in sheet form)."""
        return [
            f
            for f, v in values.items()
            if f not in skip
            and f in current
            and (self.kind.column(f) and self.kind.column(f).importable)
            and v != current[f]
        ]

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

    # -- checks ----------------------------------------------------------------------------------------------
    def may_change(self, row: Row, area) -> bool:
        """Whether the user's access covers ``area`` (an existing record's area); else a row error."""
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


# ---------------------------------------------------------------- kinds the apps register ----

ApplyRows = Callable[..., None]  # apply(plans, *, actor, source) -> None: the owning app's bulk service


@dataclass(frozen=True)
class Registration:
    kind: Kind
    importer: type[Importer]
    apply: ApplyRows


REGISTRY: dict[str, Registration] = {}
KINDS: dict[str, Kind] = {}  # the importable kinds, in registration order


def register(kind: Kind, *, importer: type[Importer], apply: ApplyRows) -> None:
    """Make ``kind`` importable: ``importer`` plans its rows, ``apply(plans, actor=, source=)`` writes them.

    Called from the owning app's AppConfig.ready(); registering a kind again replaces it."""
    REGISTRY[kind.name] = Registration(kind, importer, apply)
    KINDS[kind.name] = kind


def preflight(kind: str, file, *, dry_run: bool) -> ImportResult | None:
    """The refusal of an upload that fails the checks made before any row is parsed (size, package, declared
    row count), or None: lets a request refuse a big file at once instead of queuing a job for it."""
    try:
        check_upload(read_upload(file), REGISTRY[kind].kind)
    except BadFile as exc:
        result = ImportResult(kind=kind, dry_run=dry_run)
        result.errors.append(RowError(None, "", exc.message))
        return result
    return None


def run_import(kind: str, file, *, dry_run: bool, user, progress: Progress | None = None) -> ImportResult:
    """Import one workbook of ``kind``; with ``dry_run`` (or any error) nothing is written."""
    registration = REGISTRY[kind]
    result = ImportResult(kind=kind, dry_run=dry_run)
    access = access_for(user)
    if not access.can_write:
        result.errors.append(RowError(None, "", _("您没有导入数据的权限。")))
        return result
    try:
        sheet = read_sheet(read_upload(file), registration.kind)
    except BadFile as exc:
        result.errors.append(RowError(None, "", exc.message))
        return result
    if not sheet.rows:
        result.errors.append(RowError(None, "", _("文件中没有数据行。")))
        return result
    importer = registration.importer(registration.kind, access, result)
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
    try:
        with transaction.atomic():
            # The bulk service writes the rows, their recompute requests and their audit entries.
            registration.apply(importer.plans, actor=user, source=f"import:{kind}")
    except (
        ValidationError
    ) as exc:  # a rule only the write can check (a row reaching into a submitted quarter)
        result.errors.extend(RowError(None, "", message) for message in exc.messages)
        return result
    result.applied = True
    return result
