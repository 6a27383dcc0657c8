"""Writes to members, instructors and instructor assignments, each recording the recompute request."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from registry.dating import overlaps
from registry.outbox import request_recompute

from .models import Instructor, InstructorAssignment, Member
from .rules import assignment_errors, identity_errors, membership_errors


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


def _member_areas(member: Member) -> set[int]:
    areas = {member.organization.area_id}
    if member.enterprise_id:
        areas.add(member.enterprise.area_id)
    return areas


@transaction.atomic
def create_member(**fields: Any) -> Member:
    member = Member(**fields)
    _validate_member(member)
    member.save()
    for area_id in _member_areas(member):
        request_recompute(area=area_id, since=member.joined_on)
    return member


@transaction.atomic
def update_member(*, member: Member, **fields: Any) -> Member:
    old = Member.objects.select_related("organization", "enterprise").get(pk=member.pk)
    for name, value in fields.items():
        setattr(member, name, value)
    _validate_member(member)
    member.save()
    dates = [old.joined_on, member.joined_on]
    dates += [d for d in (old.ended_on, member.ended_on) if d]
    for area_id in _member_areas(old) | _member_areas(member):
        request_recompute(area=area_id, since=min(dates))
    return member


@transaction.atomic
def end_member(*, member: Member, on: dt.date, reason: str) -> Member:
    """A member leaves (转出, 死亡, 停止党籍…): never deleted, counted until the day before ``on``."""
    return update_member(member=member, ended_on=on, end_reason=reason)


@transaction.atomic
def create_instructor(**fields: Any) -> Instructor:
    instructor = Instructor(**fields)
    instructor.full_clean()
    instructor.save()
    return instructor


@transaction.atomic
def update_instructor(*, instructor: Instructor, **fields: Any) -> Instructor:
    for name, value in fields.items():
        setattr(instructor, name, value)
    instructor.full_clean()
    instructor.save()
    return instructor


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
    request_recompute(area=enterprise.area_id, since=start)
    return assignment


@transaction.atomic
def end_assignment(*, assignment: InstructorAssignment, on: dt.date) -> InstructorAssignment:
    errors = assignment_errors(start=assignment.start, end=on, clashes=False, instructor_ended_on=None)
    if errors:
        raise ValidationError(errors)
    assignment.end = on
    assignment.save(update_fields=["end"])
    request_recompute(area=assignment.enterprise.area_id, since=on)
    return assignment


@transaction.atomic
def end_instructor(*, instructor: Instructor, on: dt.date) -> Instructor:
    """离任: the instructor and every open assignment end on ``on``."""
    instructor.ended_on = on
    instructor.save(update_fields=["ended_on", "updated_at"])
    for assignment in instructor.assignments.select_related("enterprise").filter(end__isnull=True):
        if assignment.start < on:
            end_assignment(assignment=assignment, on=on)
    return instructor
