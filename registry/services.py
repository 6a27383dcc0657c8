"""Writes that can change coverage. Each is one named thing, in a transaction, recording the recompute request.

A record is written the same way whether one arrives from a page, the API or an import: the single services
(``update_enterprise``…) and the bulk ones (``apply_enterprise_rows``) call the same rule functions
(registry.rules) for what a change touches and what an end date ends. The single services are logged by
django-auditlog's signals; the bulk ones log the same entries themselves (bulk writes fire no signals).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import record_bulk_changes
from .closing import check_reach
from .models import AboveScalePeriod, Area, Enterprise
from .outbox import request_recompute_many
from .rules import (
    deregistration_ends,
    earliest_per_area,
    enterprise_recompute,
    newly_ended,
    plan_above_scale,
)
from .validators import check_duplicate, full_clean_naming_duplicates

BATCH = 500  # rows per bulk statement

ENTERPRISE_FIELDS = (
    "name",
    "credit_code",
    "category",
    "economic_type",
    "industry",
    "area",
    "employees",
    "established_on",
    "deregistered_on",
    "address",
    "contact_person",
    "contact_phone",
)

Pairs = Iterable[tuple[int, dt.date | None]]
AuditEntry = tuple[models.Model, str, dict[str, list[Any]]]


# --- what every app's services share ----------------------------------------------------------------------------


def record_recompute(pairs: Pairs, *, people: bool = True, guard: bool = True) -> None:
    """Record the recompute requests of a change: one outbox row per area, from the earliest date touched there.

    Refused (registry.closing.QuarterClosed) when the change reaches into a quarter its park has submitted;
    ``guard=False`` only for a change that moves no figure (a new, empty area). ``people=False`` says the change
    cannot move member or organisation figures (an enterprise's own fields)."""
    rows = earliest_per_area(pairs)
    if rows:
        if guard:
            check_reach(rows)
        request_recompute_many(rows, people=people)


def apply_fields(instance: models.Model, fields: dict[str, Any]) -> list[str]:
    """Set ``fields`` on ``instance``; returns the names of those whose value changed (a relation by its id)."""
    changed = []
    for name, value in fields.items():
        field = instance._meta.get_field(name)
        if field.many_to_one or field.one_to_one:
            new_id = value.pk if isinstance(value, models.Model) else value
            if getattr(instance, field.attname) == new_id:
                continue
            setattr(
                instance, name if isinstance(value, models.Model) or value is None else field.attname, value
            )
        else:
            if getattr(instance, name) == value:
                continue
            setattr(instance, name, value)
        changed.append(name)
    return changed


def stamped(model: type[models.Model], names: Iterable[str]) -> list[str]:
    """``update_fields`` for a save of ``names``: with ``updated_at`` (the version, registry.concurrency) if the
    model has one, so a change moves the version forward."""
    out = list(dict.fromkeys(names))
    if any(f.name == "updated_at" for f in model._meta.concrete_fields) and "updated_at" not in out:
        out.append("updated_at")
    return out


def save_changed(instance: models.Model, changed: Iterable[str], *, touch: bool = False) -> None:
    """Save only the fields that changed (plus the version); ``touch``: save the version even if none did."""
    changed = list(changed)
    if changed or touch:
        with unique_as_field_error(instance):
            instance.save(update_fields=stamped(type(instance), changed))


def save_new(instance: models.Model) -> None:
    """Insert ``instance`` (validated already); losing a race for a unique value is that field's error."""
    with unique_as_field_error(instance):
        instance.save()


@contextmanager
def unique_as_field_error(instance: models.Model):
    """A unique value that another request committed between our check and our write (two creates of one credit
    code at once) is the ValidationError ``full_clean`` gives for it — a field error, never an IntegrityError."""
    try:
        with transaction.atomic():  # a savepoint: the check below must run in a usable transaction
            yield
    except IntegrityError:
        # The winner has committed (PostgreSQL waits on its unique index entry until then), so the check sees it.
        check_duplicate(instance)  # the message naming the record, as forms and serializers give it
        instance.validate_unique()
        instance.validate_constraints()
        raise


def locked(queryset: models.QuerySet, pk) -> models.Model:
    """The row ``pk`` of ``queryset``, locked until the transaction ends (PostgreSQL) and read afresh."""
    return queryset.select_for_update(of=("self",)).get(pk=pk)


def locked_in_bulk(queryset: models.QuerySet, pks: Sequence) -> dict[Any, models.Model]:
    """Rows ``pks`` of ``queryset`` by pk, locked and read afresh, one query per batch."""
    found: dict[Any, models.Model] = {}
    pks = list(dict.fromkeys(pks))
    for start in range(0, len(pks), BATCH):
        found.update(queryset.select_for_update(of=("self",)).in_bulk(pks[start : start + BATCH]))
    return found


def in_bulk(queryset: models.QuerySet, pks: Iterable) -> dict[Any, models.Model]:
    """Rows ``pks`` of ``queryset`` by pk, one query per batch."""
    found: dict[Any, models.Model] = {}
    pks = list(dict.fromkeys(pks))
    for start in range(0, len(pks), BATCH):
        found.update(queryset.in_bulk(pks[start : start + BATCH]))
    return found


def logged_changes(old: models.Model | None, new: models.Model, fields: Iterable[str] | None = None) -> dict:
    """``{field: [old, new]}`` of the fields django-auditlog would log for saving ``new`` over ``old`` (a create
    when ``old`` is None), limited to ``fields`` as a save's ``update_fields`` limits it. Values are the raw
    ones; registry.audit.record_bulk_changes turns them into text and masks personal data."""
    from auditlog.diff import model_instance_diff

    diff = model_instance_diff(old, new, fields_to_check=list(fields) if fields is not None else None) or {}
    concrete = {f.name for f in new._meta.concrete_fields}
    # auditlog's create entry also lists reverse relations (as text): those are kept as it wrote them.
    return {
        name: [getattr(old, name) if old is not None else None, getattr(new, name)]
        if name in concrete
        else [None if value == "None" else value for value in diff[name]]
        for name in diff
    }


def mirror(target: models.Model, source: models.Model, changed: Iterable[str]) -> None:
    """The caller's copy of a record (a form's or a serializer's instance) shows what the service wrote."""
    if target is source:
        return
    for name in [*changed, "updated_at"]:
        if hasattr(source, name):
            setattr(target, name, getattr(source, name))


def created_entries(objs: Iterable[models.Model]) -> list[AuditEntry]:
    """Audit entries of rows created in bulk, as django-auditlog logs a create."""
    return [(obj, "create", logged_changes(None, obj)) for obj in objs]


def updated_entry(old: models.Model, new: models.Model, fields: Iterable[str]) -> AuditEntry | None:
    """The audit entry of a row updated in bulk (None when nothing logged changed), as auditlog logs an update."""
    fields = list(fields)
    changes = logged_changes(old, new, fields) if fields else {}
    return (new, "update", changes) if changes else None


def write_audit(entries: Iterable[AuditEntry | None], *, actor, source: str) -> int:
    """Log the entries of a bulk write (one per changed row) with ``actor`` and ``source``."""
    return record_bulk_changes(actor=actor, entries=[e for e in entries if e], source=source)


def bulk_update(model: type[models.Model], objs: list[models.Model], names: Iterable[str]) -> None:
    """One UPDATE per batch of ``objs`` writing ``names`` (plus the version, set to now)."""
    fields = stamped(model, names)
    if not objs or not fields:
        return
    if "updated_at" in fields:
        now = timezone.now()
        for obj in objs:
            obj.updated_at = now
    model.objects.bulk_update(objs, fields, batch_size=BATCH)


def end_rows(
    rows: list[models.Model], *, old_end: dict[Any, dt.date | None] | None = None
) -> list[AuditEntry]:
    """Save the new ``end`` of dated rows in bulk; returns their audit entries (end: old → new)."""
    if not rows:
        return []
    type(rows[0]).objects.bulk_update(rows, ["end"], batch_size=BATCH)
    old_end = old_end or {}
    return [(row, "update", {"end": [old_end.get(row.pk), row.end]}) for row in rows]


# --- enterprises ------------------------------------------------------------------------------------------------


@transaction.atomic
def create_enterprise(
    *, above_scale: bool = False, above_scale_since: dt.date | None = None, **fields: Any
) -> Enterprise:
    """Create an enterprise; when ``above_scale`` it is 规上 from ``above_scale_since`` or its founding date."""
    enterprise = Enterprise(**fields)
    full_clean_naming_duplicates(enterprise)
    save_new(enterprise)
    if above_scale:
        AboveScalePeriod.objects.create(
            enterprise=enterprise, start=above_scale_since or enterprise.established_on
        )
    record_recompute(enterprise_recompute(None, enterprise), people=False)
    return enterprise


@transaction.atomic
def update_enterprise(
    *,
    enterprise: Enterprise,
    above_scale: bool | None = None,
    above_scale_since: dt.date | None = None,
    **fields: Any,
) -> Enterprise:
    """Change the given fields of an enterprise (others stay as stored, whoever changed them) and return it.

    A change of 规上 status holds from ``above_scale_since`` (default today). A ``deregistered_on`` newly set is
    注销/迁出: the firm's open organisation links and instructor assignments end that day."""
    current = locked(Enterprise.objects.select_related("area"), enterprise.pk)
    old = copy.copy(current)
    changed = apply_fields(current, fields)
    full_clean_naming_duplicates(current)
    since = None
    if above_scale is not None:
        since = set_above_scale(enterprise=current, above_scale=above_scale, since=above_scale_since)
    save_changed(current, changed, touch=since is not None)
    ended = newly_ended(old.deregistered_on, current.deregistered_on)
    if ended:
        for row in deregistration_ends(
            org_links=list(current.org_links.filter(end__isnull=True)),
            assignments=list(current.instructor_assignments.filter(end__isnull=True)),
            on=current.deregistered_on,
        ):
            row.save(update_fields=["end"])  # a handful: each save is logged by django-auditlog
    # Only a deregistration reaches organisation figures (the links it ends change their unit counts).
    record_recompute(enterprise_recompute(old, current, above_scale_since=since), people=ended)
    mirror(enterprise, current, changed)
    return current


def set_above_scale(
    *, enterprise: Enterprise, above_scale: bool, since: dt.date | None = None
) -> dt.date | None:
    """Make the dated 规上 status hold (or stop) from ``since`` (default today). Returns the date if anything changed."""
    since = since or timezone.localdate()
    change = plan_above_scale(
        list(enterprise.above_scale_periods.order_by("start")), above_scale=above_scale, since=since
    )
    if change is None:
        return None
    if change.create_from:
        AboveScalePeriod.objects.create(enterprise=enterprise, start=change.create_from)
    if change.moved:
        change.moved.save(update_fields=["start"])
    if change.ended:
        change.ended.save(update_fields=["end"])
    if change.dropped:
        change.dropped.delete()
    return since


def deregister_enterprise(*, enterprise: Enterprise, on: dt.date) -> Enterprise:
    """注销/迁出 from ``on``: :func:`update_enterprise` with ``deregistered_on``."""
    return update_enterprise(enterprise=enterprise, deregistered_on=on)


@transaction.atomic
def apply_enterprise_rows(plans: Sequence, *, actor, source: str = "import") -> None:
    """Write planned enterprise rows in bulk, exactly as :func:`create_enterprise` / :func:`update_enterprise`
    would one by one: same rows, same rules, one audit entry per changed record, one recompute request per area.

    ``plans``: the importer's plans (``action`` create|update; ``instance`` the new state; ``changed`` the sheet
    fields that changed; ``extra["model_fields"]`` the model fields to write, ``extra["above_scale_since"]`` for a
    create, ``extra["periods"]`` and ``extra["since"]`` for a change of 规上 status, read from
    ``row.values["above_scale"]``). Updates lock and re-read their rows and write only the planned fields.
    """
    pairs: list[tuple[int, dt.date | None]] = []
    entries: list[AuditEntry | None] = []
    creates = [p for p in plans if p.action == "create"]
    updates = [p for p in plans if p.action == "update"]

    Enterprise.objects.bulk_create([p.instance for p in creates], batch_size=BATCH)
    new_periods = [
        AboveScalePeriod(enterprise=p.instance, start=p.extra["above_scale_since"])
        for p in creates
        if p.extra.get("above_scale_since")
    ]
    entries += created_entries(p.instance for p in creates)
    for plan in creates:
        pairs += enterprise_recompute(None, plan.instance)

    fresh = locked_in_bulk(Enterprise.objects.select_related("area"), [p.instance.pk for p in updates])
    written: list[Enterprise] = []
    names: set[str] = set()
    moved: list[tuple[AboveScalePeriod, dt.date]] = []
    ended: list[AboveScalePeriod] = []
    ended_from: dict[int, dt.date | None] = {}
    dropped: list[int] = []
    leaving: list[Enterprise] = []
    for plan in updates:
        old = fresh[plan.instance.pk]
        new = copy.copy(old)
        model_fields = list(plan.extra.get("model_fields", ()))
        apply_fields(new, {f: getattr(plan.instance, f) for f in model_fields})
        since = None
        if "above_scale" in plan.changed:
            periods = {p.pk: (p.start, p.end) for p in plan.extra["periods"]}
            change = plan_above_scale(
                [copy.copy(p) for p in plan.extra["periods"]],
                above_scale=plan.row.values["above_scale"],
                since=plan.extra["since"],
            )
            if change is not None:
                since = plan.extra["since"]
                if change.create_from:
                    new_periods.append(AboveScalePeriod(enterprise=new, start=change.create_from))
                if change.moved:
                    moved.append((change.moved, periods[change.moved.pk][0]))
                if change.ended:
                    ended.append(change.ended)
                    ended_from[change.ended.pk] = periods[change.ended.pk][1]
                if change.dropped:
                    dropped.append(change.dropped.pk)
        if model_fields or since is not None:
            written.append(new)
            names.update(model_fields)
            entries.append(updated_entry(old, new, model_fields))
        if newly_ended(old.deregistered_on, new.deregistered_on):
            leaving.append(new)
        pairs += enterprise_recompute(old, new, above_scale_since=since)
    bulk_update(Enterprise, written, sorted(names))

    AboveScalePeriod.objects.bulk_create(new_periods, batch_size=BATCH)
    entries += created_entries(new_periods)
    AboveScalePeriod.objects.bulk_update([p for p, _s in moved], ["start"], batch_size=BATCH)
    entries += [(p, "update", {"start": [start, p.start]}) for p, start in moved]
    entries += end_rows(ended, old_end=ended_from)
    if dropped:
        AboveScalePeriod.objects.filter(pk__in=dropped).delete()  # each delete is logged by django-auditlog
    entries += _deregister_in_bulk(leaving)
    write_audit(entries, actor=actor, source=source)
    record_recompute(pairs, people=bool(leaving))


def _deregister_in_bulk(enterprises: list[Enterprise]) -> list[AuditEntry]:
    """:func:`registry.rules.deregistration_ends` for many firms: their open links end in one UPDATE per batch."""
    if not enterprises:
        return []
    by_pk = {e.pk: e for e in enterprises}
    open_rows: dict[int, dict[str, list]] = defaultdict(lambda: {"org_links": [], "assignments": []})
    # The link models live in apps above this one: reach them through the relations, never by import.
    for relation, key, related in (
        ("org_links", "org_links", ("organization",)),
        ("instructor_assignments", "assignments", ("instructor",)),
    ):
        model = Enterprise._meta.get_field(relation).related_model
        for start in range(0, len(enterprises), BATCH):
            ids = [e.pk for e in enterprises[start : start + BATCH]]
            for row in model.objects.filter(enterprise_id__in=ids, end__isnull=True).select_related(*related):
                row.enterprise = by_pk[row.enterprise_id]
                open_rows[row.enterprise_id][key].append(row)
    ending: list[models.Model] = []
    for pk, rows in open_rows.items():
        ending += deregistration_ends(**rows, on=by_pk[pk].deregistered_on)
    entries: list[AuditEntry] = []
    for model in {type(row) for row in ending}:
        entries += end_rows([row for row in ending if type(row) is model])
    return entries


# --- areas and users --------------------------------------------------------------------------------------------


@transaction.atomic
def save_area(*, area):
    """Create or move an area; figures of the old and the new ancestors roll up differently from then on."""
    old_parent = (
        Area.objects.filter(pk=area.pk).values_list("parent_id", flat=True).first() if area.pk else None
    )
    moved = area.pk is not None and old_parent != area.parent_id
    area.full_clean()
    area.save()
    # A new area holds no unit yet and a renamed one the same units: only a move changes what rolls up where.
    record_recompute([(area_id, None) for area_id in {area.pk, old_parent} - {None}], guard=moved)
    return area


@transaction.atomic
def create_user(
    *, username: str, password: str, role: str, area_code: str | None, instructor_id: int | None = None
):
    """A user with one role and one area; the password passes Django's validators. An ``instructor`` user is
    linked to one Instructor record (its area is the instructor's) and sees only what that instructor does."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    from .choices import Role
    from .models import UserProfile

    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ValidationError({"username": _("用户名“%(u)s”已存在。") % {"u": username}})
    area = None
    if area_code:
        area = Area.objects.filter(code=area_code).first()
        if area is None:
            raise ValidationError({"area": _("未知的区域代码“%(code)s”。") % {"code": area_code}})
    instructor = None
    if role == Role.INSTRUCTOR:
        # The Instructor model lives in members (above this app): reached through the reverse relation by name.
        instructor_model = user_model._meta.get_field("instructor").related_model
        instructor = instructor_model.objects.filter(pk=instructor_id).first() if instructor_id else None
        if instructor is None:
            raise ValidationError(
                {"instructor": _("指导员账号必须指定一名党建指导员（--instructor 编号）。")}
            )
        if instructor.user_id is not None:
            raise ValidationError({"instructor": _("该党建指导员已有登录账号。")})
        area = instructor.area
    elif instructor_id:
        raise ValidationError({"instructor": _("只有指导员账号才能关联党建指导员。")})
    user = user_model(username=username, is_staff=role == "admin", is_superuser=role == "admin")
    validate_password(password, user)
    user.set_password(password)
    user.save()
    profile = UserProfile(user=user, role=role, area=area)
    profile.full_clean()
    profile.save()
    if instructor is not None:
        instructor.user = user
        instructor.save(update_fields=["user"])
    return user
