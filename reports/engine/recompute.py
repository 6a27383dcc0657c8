"""Recompute stored figures: enterprise states, indicator snapshots and member snapshots per quarter.

Set-based (a handful of grouped queries per quarter, never a query per enterprise) and idempotent: rows are
compared with what is stored and only differences are written, so a second run writes nothing. Closed quarters are
skipped. The Celery tasks and the ``recompute`` command are thin wrappers over :func:`recompute` and
:func:`process_outbox`.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min
from django.utils import timezone

from orgs.models import PartyOrganization
from registry.models import Enterprise, RecomputeRequest
from registry.periods import Quarter, quarters_between

from ..models import (
    EnterpriseState,
    Indicator,
    MemberDirect,
    MemberSnapshot,
    OrganizationState,
    PeriodLock,
    Snapshot,
    StateDirect,
    is_computed,
)
from .coverage import (
    AreaTree,
    Breakdown,
    employed_member_counts,
    enterprise_states_on,
    member_figures_by_organization,
    member_figures_direct,
    roll_up_members,
    roll_up_states,
    unit_counts,
)
from .effective import covered_areas
from .figures import figures_changed

logger = logging.getLogger(__name__)

# An arbitrary constant shared by every recompute, so two workers never recompute at once on PostgreSQL.
ADVISORY_LOCK_KEY = 725_001


@dataclass
class Written:
    """Rows created, updated and deleted by one recompute."""

    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.deleted

    def add(self, other: Written) -> None:
        self.created += other.created
        self.updated += other.updated
        self.deleted += other.deleted


def first_period() -> Quarter:
    return Quarter.parse(getattr(settings, "COVERAGE_FIRST_PERIOD", "2023Q1"))


def all_periods() -> list[Quarter]:
    return quarters_between(first_period(), Quarter.current())


def periods_since(day: dt.date) -> list[Quarter]:
    """The quarters whose figures a change dated ``day`` can move: from its quarter to the current one."""
    return quarters_between(max(Quarter.containing(day), first_period()), Quarter.current())


def locked_periods() -> set[Quarter]:
    return set(PeriodLock.objects.values_list("period", flat=True))


def _stored(queryset, key_fields: tuple[str, ...], fields: tuple[str, ...]) -> dict:
    """Stored rows as key → (pk, field values): plain tuples, no model instances (100k rows load in ~0.1 s).

    One plain fetch rather than a server-side cursor: the dict holds every row anyway, and a scoped recompute's few
    reads each cost one round trip instead of three (DECLARE, FETCH, CLOSE)."""
    width = len(key_fields)
    out = {}
    for pk, *values in queryset.values_list("pk", *key_fields, *fields):
        key = values[0] if width == 1 else tuple(values[:width])
        out[key] = (pk, tuple(values[width:]))
    return out


def _sync(model, existing: dict, desired: dict, fields: tuple[str, ...], now=None) -> Written:
    """Make the stored rows equal ``desired`` (key → field dict), writing only the differences."""
    create, update = [], []
    for key, values in desired.items():
        stored = existing.pop(key, None)
        wanted = tuple(values[f] for f in fields)
        if stored is None:
            create.append(model(**values, **({"computed_at": now} if now else {})))
        elif stored[1] != wanted:
            row = model(pk=stored[0], **values)
            if now:
                row.computed_at = now
            update.append(row)
    if create:
        model.objects.bulk_create(create, batch_size=2000)
    if update:
        _bulk_update(model, update, [*fields, *(["computed_at"] if now else [])])
    if existing:
        model.objects.filter(pk__in=[pk for pk, _values in existing.values()]).delete()
    return Written(created=len(create), updated=len(update), deleted=len(existing))


def _bulk_update(model, rows: list, fields: list[str], batch_size: int = 2000) -> None:
    """``bulk_update`` as one ``UPDATE … FROM (VALUES …)`` per batch on PostgreSQL.

    Django's ``bulk_update`` builds a ``CASE WHEN pk = … THEN …`` expression per row and field; resolving those took
    most of a one-park recompute's Python time (15 rows: ~90 ms) and grows quadratically in the SQL for large
    batches. Other databases keep Django's version."""
    if connection.vendor != "postgresql":
        model.objects.bulk_update(rows, fields, batch_size=batch_size)
        return
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    casts = ", ".join(f"%s::{field.db_type(connection)}" for field in columns)
    assignments = ", ".join(f'"{field.column}" = v."{field.column}"' for field in columns[1:])
    names = ", ".join(f'"{field.column}"' for field in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            values = ", ".join([f"({casts})"] * len(batch))
            params = [
                field.get_db_prep_save(getattr(row, field.attname), connection)
                for row in batch
                for field in columns
            ]
            cursor.execute(
                f'UPDATE "{meta.db_table}" AS t SET {assignments} FROM (VALUES {values}) AS v({names}) '
                f'WHERE t."{meta.pk.column}" = v."{meta.pk.column}"',
                params,
            )


def _sync_scoped(
    model, key_field: str, period: Quarter, scope_ids: set[int] | None, desired: dict, fields
) -> Written:
    """Sync one quarter's per-unit rows (keyed by ``key_field``) within the area scope (None: everywhere)."""
    stored = model.objects.filter(period=period)
    if scope_ids is not None:
        stored = stored.filter(area_id__in=scope_ids)
    existing = _stored(stored, (key_field,), fields)
    if scope_ids is not None:
        # A unit that moved into the scope still has its row under its old area.
        moved = model.objects.filter(period=period, **{f"{key_field}__in": list(desired)}).exclude(
            area_id__in=scope_ids
        )
        existing.update(_stored(moved, (key_field,), fields))
    return _sync(model, existing, desired, fields)


@dataclass
class _Pass:
    """One quarter's recompute: the date, and which areas it covers (shared by its steps)."""

    period: Quarter
    on: dt.date
    now: dt.datetime
    tree: AreaTree
    scope_ids: set[int] | None  # areas whose units are recomputed (None: every area)
    figure_area_ids: set[int]  # areas whose subtree figures are rewritten: the scope and its ancestors

    def scoped(self, queryset):
        return queryset if self.scope_ids is None else queryset.filter(area_id__in=self.scope_ids)


def recompute_period(
    period: Quarter, *, area_ids: set[int] | None = None, tree: AreaTree | None = None, people: bool = True
) -> Written:
    """Recompute one quarter; with ``area_ids`` only those subtrees' states and the figures they roll into (and
    with ``people=False`` not their member and organisation figures)."""
    tree = tree or AreaTree()
    if area_ids is not None and not is_computed(period):
        area_ids = None  # a quarter never computed in full: the subtree sums need every area's rows first
    if area_ids is None:
        people = True
    if area_ids is not None and people:
        # A change of members or of an organisation moves the effective coverage (reports.engine.effective) of
        # the units its organisations cover, wherever those sit: their areas are recomputed too.
        area_ids = set(area_ids) | covered_areas(period.last_day, tree.subtree_ids(area_ids))
    if area_ids is None:
        scope_ids, figure_area_ids = None, set(tree.ids())
    else:
        scope_ids = tree.subtree_ids(area_ids)
        figure_area_ids = tree.with_ancestors(area_ids) | scope_ids
    q = _Pass(period, period.last_day, timezone.now(), tree, scope_ids, figure_area_ids)
    if scope_ids is not None:
        _plan_for_index_probes()
    written = Written()
    written.add(_sync_enterprise_states(q))
    written.add(_sync_indicator_snapshots(q))
    if people:
        by_organization = member_figures_by_organization(q.on, None if scope_ids is None else figure_area_ids)
        written.add(_sync_organization_states(q, by_organization))
        written.add(_sync_member_figures(q, by_organization))
    return written


def _plan_for_index_probes() -> None:
    """A scoped recompute reads a few thousand rows by index: tell PostgreSQL so for this transaction only.

    Its defaults assume spinning disks (random_page_cost 4) and start parallel workers for any estimate above a few
    thousand rows, so a one-park recompute scanned all 1,000,000 memberships (and paid for worker start-up) instead
    of probing the organisation index: 355 ms against 60 ms for the probes."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL random_page_cost = 1.1; SET LOCAL max_parallel_workers_per_gather = 0")


def _sync_enterprise_states(q: _Pass) -> Written:
    """Each operating enterprise's state (and effective coverage) at the quarter's end, with the members employed
    there."""
    desired = {
        pk: {
            "enterprise_id": pk,
            "period": q.period,
            "area_id": area_id,
            "category": category,
            "above_scale": above_scale,
            "state": state,
            "effective": effective,
            "party_members": 0,
            "full_members": 0,
        }
        for pk, area_id, category, above_scale, state, effective in enterprise_states_on(
            q.on, q.scoped(Enterprise.objects)
        )
    }
    # A scope's units by id (an index probe each), every unit in one grouped scan otherwise.
    employed = employed_member_counts(q.on, None if q.scope_ids is None else list(desired))
    for pk, (party_members, full_members) in employed.items():
        if pk in desired:
            desired[pk].update(party_members=party_members, full_members=full_members)
    fields = ("area_id", "category", "above_scale", "state", "effective", "party_members", "full_members")
    return _sync_scoped(EnterpriseState, "enterprise_id", q.period, q.scope_ids, desired, fields)


def _sync_organization_states(q: _Pass, by_organization: dict[int, dict]) -> Written:
    """Each active organisation's members and covered units at the quarter's end."""
    organizations = q.scoped(PartyOrganization.objects.active_on(q.on))
    scoped_orgs = None if q.scope_ids is None else organizations.values("pk")
    units = unit_counts(q.on, scoped_orgs)
    desired = {}
    for pk, area_id in organizations.values_list("pk", "area_id"):
        held = by_organization.get(pk, {})
        desired[pk] = {
            "organization_id": pk,
            "period": q.period,
            "area_id": area_id,
            "member_count": held.get("total", 0),
            "full_member_count": held.get("full", 0),
            "overdue_probation": held.get("overdue_probation", 0),
            "unit_count": units.get(pk, 0),
        }
    fields = ("area_id", "member_count", "full_member_count", "overdue_probation", "unit_count")
    return _sync_scoped(OrganizationState, "organization_id", q.period, q.scope_ids, desired, fields)


def _sync_indicator_snapshots(q: _Pass) -> Written:
    """Indicator snapshots of every affected area: the scope's states counted per area first (StateDirect), then
    every affected subtree summed from the stored per-area rows."""
    written = Written()
    state_key = ("area_id", "category", "above_scale", "state", "effective")
    grouped = (
        q.scoped(EnterpriseState.objects.filter(period=q.period))
        .values_list(*state_key)
        .annotate(n=Count("pk"))
    )
    desired = {
        (area_id, category, above_scale, state, effective): {
            "area_id": area_id,
            "period": q.period,
            "category": category,
            "above_scale": above_scale,
            "state": state,
            "effective": effective,
            "n": n,
        }
        for area_id, category, above_scale, state, effective, n in grouped.order_by()
    }
    stored = _stored(q.scoped(StateDirect.objects.filter(period=q.period)), state_key, ("n",))
    written.add(_sync(StateDirect, stored, desired, ("n",)))
    if q.scope_ids is None:
        rows = [(*row_key, values["n"]) for row_key, values in desired.items()]
    else:
        rows = StateDirect.objects.filter(period=q.period).values_list(*state_key, "n")
    counts = roll_up_states(rows, q.tree, only=q.figure_area_ids)

    desired = {}
    for indicator in Indicator.objects.valid_on(q.on):
        for area_id in q.figure_area_ids:
            breakdown = counts.get(area_id, {}).get(indicator.population) or Breakdown()
            numerator, denominator, shown = breakdown.fraction(indicator)
            desired[(indicator.pk, area_id)] = {
                "indicator_id": indicator.pk,
                "area_id": area_id,
                "period": q.period,
                "as_of": q.on,
                "numerator": numerator,
                "denominator": denominator,
                **shown.as_dict(),
            }
    fields = ("as_of", "numerator", "denominator", "single", "joint", "work", "none")
    stored = _stored(
        Snapshot.objects.filter(period=q.period, area_id__in=q.figure_area_ids),
        ("indicator_id", "area_id"),
        fields,
    )
    written.add(_sync(Snapshot, stored, desired, fields, q.now))
    return written


def _sync_member_figures(q: _Pass, by_organization: dict[int, dict]) -> Written:
    """Member figures, by the area of the holding organisation: direct figures of the affected areas first
    (MemberDirect), then every affected subtree summed from the stored direct rows (MemberSnapshot)."""
    written = Written()
    direct = member_figures_direct(by_organization)
    zero = dict.fromkeys(MemberSnapshot.FIGURES, 0)
    desired = {
        area_id: {"area_id": area_id, "period": q.period, **direct.get(area_id, zero)}
        for area_id in q.figure_area_ids
    }
    stored = _stored(
        MemberDirect.objects.filter(period=q.period, area_id__in=q.figure_area_ids),
        ("area_id",),
        MemberSnapshot.FIGURES,
    )
    written.add(_sync(MemberDirect, stored, desired, MemberSnapshot.FIGURES))
    all_direct = {
        area_id: dict(zip(MemberSnapshot.FIGURES, values, strict=True))
        for area_id, (_pk, values) in _stored(
            MemberDirect.objects.filter(period=q.period), ("area_id",), MemberSnapshot.FIGURES
        ).items()
    }
    members = roll_up_members(all_direct, q.tree)
    desired = {}
    for area_id in q.figure_area_ids:
        figures = members[area_id].as_dict() if area_id in members else zero
        desired[area_id] = {"area_id": area_id, "period": q.period, "as_of": q.on, **figures}
    fields = ("as_of", *MemberSnapshot.FIGURES)
    stored = _stored(
        MemberSnapshot.objects.filter(period=q.period, area_id__in=q.figure_area_ids), ("area_id",), fields
    )
    written.add(_sync(MemberSnapshot, stored, desired, fields, q.now))
    return written


def recompute(
    *, periods: list[Quarter] | None = None, area_ids: set[int] | None = None, people: bool = True
) -> Written:
    """Recompute ``periods`` (default: every reporting quarter up to now), skipping closed ones.

    ``people=False`` (with ``area_ids``) keeps the member and organisation figures: the change behind it cannot
    move them."""
    written = Written()
    locked = locked_periods()
    tree = AreaTree()
    for period in periods if periods is not None else all_periods():
        if period in locked:
            continue
        with transaction.atomic():
            period_written = recompute_period(period, area_ids=area_ids, tree=tree, people=people)
            written.add(period_written)
        if period_written.total:
            figures_changed()  # cached figures of the API are now stale
    return written


def _try_lock() -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
        return cursor.fetchone()[0]


def process_outbox() -> Written | None:
    """Drain the recompute outbox: every pending request coalesces into one recompute.

    Returns None when another worker holds the lock (it will see the requests: they stay until processed).
    """
    with transaction.atomic():
        if not _try_lock():
            return None
        pending = RecomputeRequest.objects.all()
        if connection.features.has_select_for_update_skip_locked:
            pending = pending.select_for_update(skip_locked=True)
        rows = list(pending.values_list("pk", "area_id", "since", "people"))
        if not rows:
            return Written()
        area_ids = {row[1] for row in rows}
        since = min(row[2] for row in rows)
        people = any(row[3] for row in rows)
        written = recompute(periods=periods_since(since), area_ids=area_ids, people=people)
        RecomputeRequest.objects.filter(pk__in=[row[0] for row in rows]).delete()
    logger.info("Recomputed %s area(s) from %s: %s rows written.", len(area_ids), since, written.total)
    return written


def pending_count() -> int:
    return RecomputeRequest.objects.count()


def oldest_pending():
    return RecomputeRequest.objects.aggregate(Min("created_at"))["created_at__min"]
