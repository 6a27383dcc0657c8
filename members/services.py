"""Writes to members, instructors and instructor assignments, each recording the recompute request.

Single (a page, the API) and bulk (an import) writes call the same rules (members.rules): which areas a change
touches from when, what 离任 ends.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from registry.dating import overlaps
from registry.models import Enterprise
from registry.rules import newly_ended, split_open
from registry.services import (
    BATCH,
    AuditEntry,
    apply_fields,
    bulk_update,
    created_entries,
    end_rows,
    in_bulk,
    locked,
    locked_in_bulk,
    mirror,
    record_recompute,
    save_changed,
    save_new,
    updated_entry,
    write_audit,
)

from .models import Instructor, InstructorAssignment, Member
from .rules import (
    assignment_change_errors,
    assignment_errors,
    assignment_recompute,
    identity_errors,
    member_recompute,
    membership_errors,
)


def _validate_member(member: Member) -> None:
    errors: dict[str, list[str]] = {}
    try:
        member.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "id_number" not in errors:
        for field, message in identity_errors(
            id_number=member.id_number, birth_date=member.birth_date, gender=member.gender
        ).items():
            errors.setdefault(field, []).append(message)
    organization = member.organization if member.organization_id else None
    for field, message in membership_errors(
        joined_on=member.joined_on,
        organization=organization,
        ended_on=member.ended_on,
        end_reason=member.end_reason,
    ).items():
        errors.setdefault(field, []).append(message)
    if {"ended_on", "end_reason"} & errors.keys():
        # The table constraint repeats the field errors less precisely: keep only those.
        rest = [m for m in errors.pop("__all__", []) if m != str(Member.END_CONSTRAINT_MESSAGE)]
        if rest:
            errors["__all__"] = rest
    if errors:
        raise ValidationError(errors)


# --- members ----------------------------------------------------------------------------------------------------


@transaction.atomic
def create_member(**fields: Any) -> Member:
    member = Member(**fields)
    _validate_member(member)
    save_new(member)
    record_recompute(member_recompute(None, member))
    return member


@transaction.atomic
def update_member(*, member: Member, **fields: Any) -> Member:
    """Change the given fields of a member (others stay as stored, whoever changed them) and return it.

    An ``ended_on`` with an ``end_reason`` is 减少: the member is counted until the day before."""
    current = locked(Member.objects.select_related("organization", "enterprise"), member.pk)
    old = copy.copy(current)
    changed = apply_fields(current, fields)
    _validate_member(current)
    if changed:
        save_changed(current, changed)
        record_recompute(member_recompute(old, current))
    mirror(member, current, changed)
    return current


def end_member(*, member: Member, on: dt.date, reason: str) -> Member:
    """A member leaves (转出, 死亡, 停止党籍…): never deleted, counted until the day before ``on``."""
    return update_member(member=member, ended_on=on, end_reason=reason)


@transaction.atomic
def apply_member_rows(plans: Sequence, *, actor, source: str = "import") -> None:
    """Write planned member rows in bulk, exactly as :func:`create_member` / :func:`update_member` would one by
    one: same rows, one audit entry per changed record, one recompute request per area.

    ``plans``: the importer's plans (``instance`` the new state with its organisation and workplace set;
    ``extra["model_fields"]`` the model fields an update writes). Updates lock and re-read their rows.
    """
    pairs: list[tuple[int, dt.date | None]] = []
    entries: list[AuditEntry | None] = []
    creates = [p for p in plans if p.action == "create"]
    updates = [p for p in plans if p.action == "update"]

    Member.objects.bulk_create([p.instance for p in creates], batch_size=BATCH)
    entries += created_entries(p.instance for p in creates)
    for plan in creates:
        pairs += member_recompute(None, plan.instance)

    fresh = locked_in_bulk(
        Member.objects.select_related("organization", "enterprise"), [p.instance.pk for p in updates]
    )
    written: list[Member] = []
    names: set[str] = set()
    for plan in updates:
        old = fresh[plan.instance.pk]
        new = copy.copy(old)
        model_fields = list(plan.extra.get("model_fields", plan.changed))
        if not apply_fields(new, {f: getattr(plan.instance, f) for f in model_fields}):
            continue
        written.append(new)
        names.update(model_fields)
        entries.append(updated_entry(old, new, model_fields))
        pairs += member_recompute(old, new)
    bulk_update(Member, written, sorted(names))
    write_audit(entries, actor=actor, source=source)
    record_recompute(pairs)


# --- instructors and their assignments --------------------------------------------------------------------------


@transaction.atomic
def create_instructor(**fields: Any) -> Instructor:
    instructor = Instructor(**fields)
    instructor.full_clean()
    save_new(instructor)
    return instructor


@transaction.atomic
def update_instructor(*, instructor: Instructor, **fields: Any) -> Instructor:
    """Change the given fields of an instructor and return it. An ``ended_on`` newly set is 离任: every open
    assignment that started before it ends that day."""
    current = locked(Instructor.objects.all(), instructor.pk)
    old = copy.copy(current)
    changed = apply_fields(current, fields)
    current.full_clean()
    save_changed(current, changed)
    if newly_ended(old.ended_on, current.ended_on):
        open_rows = current.assignments.select_related("enterprise").filter(end__isnull=True)
        started, _later = split_open(list(open_rows), current.ended_on)
        pairs = []
        for assignment in started:
            pairs += _end_assignment(assignment, current.ended_on)
        record_recompute(pairs)
    mirror(instructor, current, changed)
    return current


def end_instructor(*, instructor: Instructor, on: dt.date) -> Instructor:
    """离任 on ``on``: :func:`update_instructor` with ``ended_on``."""
    return update_instructor(instructor=instructor, ended_on=on)


@transaction.atomic
def assign_instructor(
    *, instructor: Instructor, enterprise, start: dt.date, end: dt.date | None = None
) -> InstructorAssignment:
    """The instructor starts working with ``enterprise`` on ``start`` (工作覆盖 while no org covers it)."""
    assignment = InstructorAssignment(instructor=instructor, enterprise=enterprise, start=start, end=end)
    assignment.full_clean()
    others = InstructorAssignment.objects.filter(instructor=instructor, enterprise=enterprise).exclude(
        pk=assignment.pk
    )
    errors = assignment_errors(
        start=start,
        end=end,
        clashes=any(overlaps(start, end, other.start, other.end) for other in others),
        instructor_ended_on=instructor.ended_on,
    )
    if errors:
        raise ValidationError(errors)
    assignment.save()
    record_recompute(assignment_recompute(None, assignment, area_id=enterprise.area_id))
    return assignment


def _end_assignment(assignment: InstructorAssignment, on: dt.date | None) -> list[tuple[int, dt.date | None]]:
    """Save ``assignment`` ending on ``on``; returns what it asks to recompute."""
    old = copy.copy(assignment)
    errors = assignment_change_errors(old_end=old.end, new_end=on)
    errors = errors or assignment_errors(start=old.start, end=on, clashes=False, instructor_ended_on=None)
    if errors:
        raise ValidationError(errors)
    assignment.end = on
    assignment.save(update_fields=["end"])  # logged by django-auditlog
    return assignment_recompute(old, assignment, area_id=assignment.enterprise.area_id)


@transaction.atomic
def update_assignment(*, assignment: InstructorAssignment, **fields: Any) -> InstructorAssignment:
    """An assignment changes only by ending: ``end`` set where there was none. Its instructor, enterprise and
    start are fixed once created (given unchanged they are ignored)."""
    current = locked(InstructorAssignment.objects.select_related("enterprise", "instructor"), assignment.pk)
    end = fields.pop("end", current.end)
    fixed = apply_fields(copy.copy(current), fields)
    if fixed:
        raise ValidationError({name: _("创建后不能修改；请结束本条并新建一条。") for name in fixed})
    if end != current.end:
        record_recompute(_end_assignment(current, end))
    mirror(assignment, current, ["end"])
    return current


def end_assignment(*, assignment: InstructorAssignment, on: dt.date) -> InstructorAssignment:
    """The instructor stops working with the enterprise on ``on``: :func:`update_assignment` with ``end``."""
    return update_assignment(assignment=assignment, end=on)


@transaction.atomic
def apply_assignment_rows(plans: Sequence, *, actor, source: str = "import") -> None:
    """Write planned instructor assignments in bulk, exactly as :func:`assign_instructor` /
    :func:`update_assignment` would one by one: same rows, one audit entry per changed record (ends included),
    one recompute request per area.

    ``plans``: the importer's plans (``instance`` the new assignment or the existing one with its new ``end``).
    Updates lock and re-read their rows and write only ``end``.
    """
    pairs: list[tuple[int, dt.date | None]] = []
    entries: list[AuditEntry | None] = []
    creates = [p for p in plans if p.action == "create"]
    updates = [p for p in plans if p.action == "update"]
    area_of = {
        e.pk: e.area_id
        for e in in_bulk(
            Enterprise.objects.only("pk", "area_id"), [p.instance.enterprise_id for p in plans]
        ).values()
    }

    InstructorAssignment.objects.bulk_create([p.instance for p in creates], batch_size=BATCH)
    entries += created_entries(p.instance for p in creates)
    for plan in creates:
        pairs += assignment_recompute(None, plan.instance, area_id=area_of[plan.instance.enterprise_id])

    fresh = locked_in_bulk(
        InstructorAssignment.objects.select_related("instructor", "enterprise"),
        [p.instance.pk for p in updates],
    )
    ending: list[InstructorAssignment] = []
    old_ends: dict[int, dt.date | None] = {}
    for plan in updates:
        old = fresh[plan.instance.pk]
        if plan.instance.end == old.end:
            continue
        new = copy.copy(old)
        new.end = plan.instance.end
        ending.append(new)
        old_ends[new.pk] = old.end
        pairs += assignment_recompute(old, new, area_id=area_of[new.enterprise_id])
    entries += end_rows(ending, old_end=old_ends)
    write_audit(entries, actor=actor, source=source)
    record_recompute(pairs)
