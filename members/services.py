"""Writes to members, instructors and instructor assignments, each recording the recompute request.

Single (a page, the API) and bulk (an import) writes call the same rules (members.rules): which areas a change
touches from when, what 离任 ends.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
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
from registry.validators import full_clean_naming_duplicates

from .choices import STAGE_DATE, MemberCategory, MembershipEnd, MembershipStart, Stage
from .history import Span, create_first_rows, first_rows, first_start, mirror_columns, reach, spans
from .models import (
    Applicant,
    DevelopmentPlan,
    Employment,
    Instructor,
    InstructorAssignment,
    Member,
    Membership,
    Mobility,
)
from .rules import (
    advance_errors,
    assignment_change_errors,
    assignment_errors,
    assignment_recompute,
    confirm_errors,
    extension_errors,
    identity_errors,
    membership_errors,
    party_join_errors,
    pipeline_errors,
    transfer_errors,
)

UNSET: Any = object()


def _validate_member(member: Member) -> None:
    errors: dict[str, list[str]] = {}
    try:
        full_clean_naming_duplicates(member)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "id_number" not in errors:
        for field, message in identity_errors(
            id_number=member.id_number, birth_date=member.birth_date, gender=member.gender
        ).items():
            errors.setdefault(field, []).append(message)
    organization = member.organization if member.organization_id else None
    rule_errors = membership_errors(
        joined_on=member.joined_on,
        organization=organization,
        ended_on=member.ended_on,
        end_reason=member.end_reason,
    )
    first = first_start(member) if member.pk and member.joined_on else member.joined_on
    rule_errors.update(
        party_join_errors(
            joined_party_on=member.joined_party_on, joined_on=first, birth_date=member.birth_date
        )
    )
    for field, message in rule_errors.items():
        errors.setdefault(field, []).append(message)
    if {"ended_on", "end_reason"} & errors.keys():
        # The table constraint repeats the field errors less precisely: keep only those.
        rest = [m for m in errors.pop("__all__", []) if m != str(Member.END_CONSTRAINT_MESSAGE)]
        if rest:
            errors["__all__"] = rest
    if errors:
        raise ValidationError(errors)


# --- members ----------------------------------------------------------------------------------------------------

# Fields whose change is a dated event (a row of the member's history), not an overwrite of the member row.
HISTORY_FIELDS = (
    "organization",
    "joined_on",
    "enterprise",
    "is_mobile",
    "category",
    "ended_on",
    "end_reason",
)
# When such an event happens (default today) and where the member goes (mobility).
EVENT_FIELDS = ("enterprise_since", "mobile_since", "mobile_destination")
# Personal fields counted in every figure the member is in: a change reaches back to their first day here.
COUNTED_FIELDS = {"gender", "ethnicity", "birth_date", "education", "retired"}


def _fail(field: str, message: str):
    raise ValidationError({field: [message]})


def _raise(errors: dict[str, str], aliases: dict[str, str] | None = None) -> None:
    if errors:
        aliases = aliases or {}
        raise ValidationError({aliases.get(k, k): [v] for k, v in errors.items()})


@transaction.atomic
def create_member(**fields: Any) -> Member:
    """Register a member: the member row and the first rows of their history (membership, workplace, mobility)
    from ``joined_on``. ``joined_party_on`` (入党日期) defaults to ``joined_on``."""
    destination = fields.pop("mobile_destination", "") or ""
    for name in EVENT_FIELDS:
        fields.pop(name, None)
    if not fields.get("joined_party_on"):
        fields["joined_party_on"] = fields.get("joined_on")
    member = Member(**fields)
    _validate_member(member)
    save_new(member)
    for row in first_rows([member]):  # one by one, so auditlog logs them (an import logs the same rows)
        if isinstance(row, Mobility):
            row.destination = destination
        row.save()
    record_recompute(reach(first_spans(member), member.joined_on))
    return member


@transaction.atomic
def update_member(*, member: Member, **fields: Any) -> Member:
    """Change the given fields of a member (others stay as stored, whoever changed them) and return it.

    A change of organisation is a transfer (from ``joined_on`` when given with it, else today), of workplace an
    employment from ``enterprise_since`` (default today), of ``is_mobile`` a mobility row from ``mobile_since``;
    probationary → full is 转正 today; ``ended_on`` with ``end_reason`` is 减少 (counted until the day before).
    Past quarters keep the member where they were."""
    current = locked(Member.objects.select_related("organization", "enterprise"), member.pk)
    changed = _update(current, fields, today=timezone.localdate())
    mirror(member, current, changed)
    return current


def _update(current: Member, fields: dict[str, Any], *, today: dt.date) -> list[str]:
    """The body of :func:`update_member` on a locked member (also used row by row by the import)."""
    fields = dict(fields)
    events = {name: fields.pop(name) for name in (*HISTORY_FIELDS, *EVENT_FIELDS) if name in fields}
    before, stored = spans(current), _values(current)
    apply_fields(current, fields)
    touched = _apply_events(current, events, today=today)
    mirror_columns(current)
    changed = [name for name, value in _values(current).items() if stored[name] != value]
    if COUNTED_FIELDS & set(changed):
        touched.append(first_start(current))
    _validate_member(current)
    save_changed(current, changed)
    if touched:
        record_recompute(reach(before + spans(current), min(touched)))
    return changed


def _values(member: Member) -> dict[str, Any]:
    return {f.name: getattr(member, f.attname) for f in Member._meta.concrete_fields}


def _apply_events(member: Member, events: dict[str, Any], *, today: dt.date) -> list[dt.date]:
    """Write the history rows the changed event fields stand for; returns the dates from which figures move."""
    touched: list[dt.date] = []
    organization = events.get("organization")
    joined_on = events.get("joined_on", member.joined_on)
    if organization is not None and organization.pk != member.organization_id:
        on = joined_on if joined_on != member.joined_on else today
        touched.append(_transfer(member, organization, on, on_field="joined_on"))
    elif joined_on != member.joined_on:
        touched.append(_move_start(member, joined_on))
    if "enterprise" in events and _id(events["enterprise"]) != member.enterprise_id:
        on = events.get("enterprise_since") or today
        touched.append(_change_employer(member, events["enterprise"], on))
    if "is_mobile" in events and events["is_mobile"] != member.is_mobile:
        on = events.get("mobile_since") or today
        touched.append(
            _change_mobility(member, events["is_mobile"], on, events.get("mobile_destination") or "")
        )
    elif events.get("mobile_destination") is not None and member.is_mobile:
        Mobility.objects.filter(member=member, end__isnull=True).update(
            destination=events["mobile_destination"]
        )
    category = events.get("category", member.category)
    if category != member.category:
        touched.append(_change_category(member, category, today))
    ended_on = events.get("ended_on", member.ended_on)
    end_reason = events.get("end_reason", member.end_reason)
    if (ended_on, end_reason) != (member.ended_on, member.end_reason):
        touched += _change_end(member, ended_on, end_reason)
    return touched


def _id(value) -> int | None:
    return value.pk if value is not None and hasattr(value, "pk") else value


def _open_membership(member: Member) -> Membership | None:
    return Membership.objects.filter(member=member, end__isnull=True).first()


def _last_membership(member: Member) -> Membership:
    return Membership.objects.filter(member=member).order_by("-start").first()


def _transfer(member: Member, organization, on: dt.date, *, on_field: str = "on") -> dt.date:
    """组织关系转接: the open membership ends at ``on`` and one in ``organization`` starts; with no open membership
    (the member left) it is 转回. On the open membership's own first day it is a correction of that row."""
    current = _open_membership(member)
    if current is not None and on == current.start:
        if not organization.active_on(on):
            _fail("organization", _("该党组织在 %(d)s 不存续，不能接收组织关系。") % {"d": on.isoformat()})
        current.organization = organization
        current.save(update_fields=["organization"])
        return on
    last = None if current is not None else _last_membership(member)
    _raise(
        transfer_errors(
            current=current, organization=organization, on=on, last_end=last.end if last else None
        ),
        {"on": on_field},
    )
    if current is not None:
        current.end, current.how_ended = on, MembershipEnd.TRANSFER
        current.save(update_fields=["end", "how_ended"])
    Membership.objects.create(
        member=member, organization=organization, start=on, how_started=MembershipStart.TRANSFER_IN
    )
    return on


def _move_start(member: Member, start: dt.date) -> dt.date:
    """Correct the first day of the current (or last) membership; rows of the workplace and mobility that began
    with it move along."""
    row = _last_membership(member)
    previous = Membership.objects.filter(member=member, start__lt=row.start).order_by("-start").first()
    if previous is not None and previous.end and start < previous.end:
        _fail(
            "joined_on",
            _("转入日期不能早于上一段组织关系的结束日期（%(d)s）。") % {"d": previous.end.isoformat()},
        )
    if row.end is not None and start >= row.end:
        _fail("joined_on", _("转入日期应早于减少日期（%(d)s）。") % {"d": row.end.isoformat()})
    old = row.start
    for model in (Employment, Mobility):
        model.objects.filter(member=member, start=old).update(start=start)
    row.start = start
    row.save(update_fields=["start"])
    return min(old, start)


def _change_employer(member: Member, enterprise, on: dt.date) -> dt.date:
    """工作单位变更 from ``on``; ``enterprise`` None: no longer works in a registered unit."""
    if _open_membership(member) is None:
        _fail("enterprise", _("该党员已减少，不能变更工作单位。"))
    current = Employment.objects.filter(member=member, end__isnull=True).first()
    if current is not None and on < current.start:
        _fail(
            "enterprise_since",
            _("变更日期不能早于在现工作单位的起始日期（%(d)s）。") % {"d": current.start.isoformat()},
        )
    if current is not None and on == current.start:
        if enterprise is None:
            current.delete()
        else:
            current.enterprise_id = _id(enterprise)
            current.save(update_fields=["enterprise"])
        return on
    if current is not None:
        current.end = on
        current.save(update_fields=["end"])
    if enterprise is not None:
        Employment.objects.create(member=member, enterprise_id=_id(enterprise), start=on)
    return on


def _change_mobility(member: Member, mobile: bool, on: dt.date, destination: str) -> dt.date:
    """外出流动 from ``on`` (``mobile``), or back from it."""
    if _open_membership(member) is None:
        _fail("is_mobile", _("该党员已减少，不能变更流动情况。"))
    current = Mobility.objects.filter(member=member, end__isnull=True).first()
    if mobile:
        Mobility.objects.create(member=member, start=on, destination=destination)
        return on
    if on < current.start:
        _fail("mobile_since", _("返回日期不能早于外出日期（%(d)s）。") % {"d": current.start.isoformat()})
    if on == current.start:
        current.delete()
    else:
        current.end = on
        current.save(update_fields=["end"])
    return on


def _change_category(member: Member, category: str, today: dt.date) -> dt.date:
    """预备 → 正式 is 转正 today (the rules of :func:`confirm_member`); 正式 → 预备 only corrects a category entered
    wrongly (no 转正 on record)."""
    if category == MemberCategory.FULL:
        _raise(confirm_errors(member, today), {"on": "category"})
        member.confirmed_on = today
        member.category = category
        return today
    if member.confirmed_on is not None:
        _fail("category", _("该党员已于 %(d)s 转正。") % {"d": member.confirmed_on.isoformat()})
    member.category = category
    return first_start(member)


def _change_end(member: Member, ended_on: dt.date | None, reason: str) -> list[dt.date]:
    """减少 (set), its correction (moved) or its withdrawal (cleared) on the last membership; the workplace and
    mobility rows open at the end follow it."""
    row = _last_membership(member)
    old = row.end if row.how_ended != MembershipEnd.TRANSFER else None
    if row.end is not None and old is None:  # cannot happen: a transfer always opens the next row
        _fail("ended_on", _("组织关系已转接。"))
    if ended_on is not None and ended_on <= row.start:
        _fail("ended_on", _("减少日期应晚于转入本组织日期（%(d)s）。") % {"d": row.start.isoformat()})
    for model in (Employment, Mobility):
        following = model.objects.filter(member=member)
        following = following.filter(end=old) if old else following.filter(end__isnull=True)
        if ended_on is not None and following.filter(start__gte=ended_on).exists():
            _fail("ended_on", _("减少日期应晚于最近一次工作单位或流动情况的变更日期。"))
        following.update(end=ended_on)
    row.end, row.how_ended = ended_on, (reason if ended_on else "")
    row.save(update_fields=["end", "how_ended"])
    return [d for d in (old, ended_on) if d] if old != ended_on else []


def end_member(*, member: Member, on: dt.date, reason: str) -> Member:
    """A member leaves (转出, 死亡, 停止党籍…): never deleted, counted until the day before ``on``."""
    return update_member(member=member, ended_on=on, end_reason=reason)


@transaction.atomic
def transfer_member(*, member: Member, organization, on: dt.date, enterprise: Any = UNSET) -> Member:
    """组织关系转接 on ``on`` into ``organization`` (转回 when the member had left); with ``enterprise`` (None
    allowed) the workplace changes the same day. The member counts in the old organisation until the day before."""
    current = locked(Member.objects.select_related("organization", "enterprise"), member.pk)
    before = spans(current)
    touched = [_transfer(current, organization, on)]
    if enterprise is not UNSET and _id(enterprise) != current.enterprise_id:
        touched.append(_change_employer(current, enterprise, on))
    changed = mirror_columns(current)
    _validate_member(current)
    save_changed(current, changed, touch=True)
    record_recompute(reach(before + spans(current), min(touched)))
    mirror(member, current, changed)
    return current


@transaction.atomic
def confirm_member(*, member: Member, on: dt.date) -> Member:
    """转正 from ``on``: full from that day, probationary before it."""
    current = locked(Member.objects.all(), member.pk)
    _raise(confirm_errors(current, on))
    current.confirmed_on, current.category = on, MemberCategory.FULL
    save_changed(current, ["confirmed_on", "category"])
    record_recompute(reach(spans(current), on))
    mirror(member, current, ["confirmed_on", "category"])
    return current


@transaction.atomic
def extend_probation(*, member: Member, until: dt.date, on: dt.date | None = None) -> Member:
    """延长预备期 to ``until`` (at most a year), decided on ``on`` (default today). Figures do not move: the member
    stays probationary until 转正."""
    current = locked(Member.objects.all(), member.pk)
    _raise(extension_errors(current, until))
    current.probation_until, current.probation_extended_on = until, on or timezone.localdate()
    save_changed(current, ["probation_until", "probation_extended_on"])
    mirror(member, current, ["probation_until", "probation_extended_on"])
    return current


@transaction.atomic
def apply_member_rows(plans: Sequence, *, actor, source: str = "import") -> None:
    """Write planned member rows in bulk, exactly as :func:`create_member` / :func:`update_member` would one by
    one: same rows, one audit entry per changed record, one recompute request per area.

    ``plans``: the importer's plans (``instance`` the new state with its organisation and workplace set;
    ``extra["model_fields"]`` the model fields an update writes). Updates lock and re-read their rows; an update
    that changes the organisation, workplace, category or end writes the member's history as
    :func:`update_member` does (a transfer from the row's 转入本组织日期).
    """
    pairs: list[tuple[int, dt.date | None]] = []
    entries: list[AuditEntry | None] = []
    creates = [p for p in plans if p.action == "create"]
    updates = [p for p in plans if p.action == "update"]

    for plan in creates:
        if not plan.instance.joined_party_on:
            plan.instance.joined_party_on = plan.instance.joined_on
    Member.objects.bulk_create([p.instance for p in creates], batch_size=BATCH)
    rows = create_first_rows(p.instance for p in creates)
    entries += created_entries(p.instance for p in creates)
    entries += created_entries(rows)
    for plan in creates:
        pairs += reach(first_spans(plan.instance), plan.instance.joined_on)

    fresh = locked_in_bulk(
        Member.objects.select_related("organization", "enterprise"), [p.instance.pk for p in updates]
    )
    written: list[Member] = []
    names: set[str] = set()
    today = timezone.localdate()
    for plan in updates:
        old = fresh[plan.instance.pk]
        new = copy.copy(old)
        model_fields = list(plan.extra.get("model_fields", plan.changed))
        values = {f: getattr(plan.instance, f) for f in model_fields}
        if any(_differs(old, name, values[name]) for name in HISTORY_FIELDS if name in values):
            # A dated event: written row by row, exactly as a form or the API writes it (audited by auditlog).
            with set_actor(actor) if getattr(actor, "is_authenticated", False) else nullcontext():
                _update(new, values, today=today)
            continue
        if not apply_fields(new, values):
            continue
        written.append(new)
        names.update(model_fields)
        entries.append(updated_entry(old, new, model_fields))
        if COUNTED_FIELDS & set(model_fields):
            pairs += reach(spans(new), first_start(new))
    bulk_update(Member, written, sorted(names))
    write_audit(entries, actor=actor, source=source)
    record_recompute(pairs)


def _differs(member: Member, name: str, value) -> bool:
    field = Member._meta.get_field(name)
    if field.many_to_one:
        return getattr(member, field.attname) != _id(value)
    return getattr(member, name) != value


def first_spans(member: Member) -> list[Span]:
    """Where a newly registered member counts (their first rows, see members.history.first_rows)."""
    out = [Span(member.organization.area_id, member.joined_on, member.ended_on)]
    if member.enterprise_id:
        out.append(Span(member.enterprise.area_id, member.joined_on, member.ended_on))
    return out


# --- 发展党员: applicants and yearly plans ------------------------------------------------------------------------

APPLICANT_DATES = ("applied_on", "activist_on", "candidate_on", "admitted_on", "withdrawn_on")


def _validate_applicant(applicant: Applicant) -> None:
    errors: dict[str, list[str]] = {}
    try:
        applicant.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    rule_errors = pipeline_errors(
        birth_date=applicant.birth_date,
        applied_on=applicant.applied_on,
        activist_on=applicant.activist_on,
        candidate_on=applicant.candidate_on,
        admitted_on=applicant.admitted_on,
        withdrawn_on=applicant.withdrawn_on,
        withdraw_reason=applicant.withdraw_reason,
    )
    if "id_number" not in errors:
        rule_errors.update(
            identity_errors(
                id_number=applicant.id_number, birth_date=applicant.birth_date, gender=applicant.gender
            )
        )
    for field, message in rule_errors.items():
        errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_applicant(**fields: Any) -> Applicant:
    """Register an 入党申请人 (or someone already further on: an activist entered with both dates)."""
    if fields.get("admitted_on"):
        raise ValidationError({"admitted_on": [_("接收为预备党员请在登记后办理“接收”。")]})
    applicant = Applicant(**fields)
    _validate_applicant(applicant)
    save_new(applicant)
    return applicant


@transaction.atomic
def update_applicant(*, applicant: Applicant, **fields: Any) -> Applicant:
    """Change the given fields (a withdrawal is ``withdrawn_on`` + ``withdraw_reason``). Admission happens only
    through :func:`advance_applicant`; an admitted applicant's file is closed (the member's record goes on)."""
    current = locked(Applicant.objects.select_related("organization"), applicant.pk)
    if "admitted_on" in fields and fields["admitted_on"] != current.admitted_on:
        raise ValidationError({"admitted_on": [_("接收为预备党员请通过“接收”办理。")]})
    changed = apply_fields(current, fields)
    if changed and current.member_id:
        raise ValidationError({"__all__": [_("已接收为预备党员，发展档案不再修改；请在党员档案中修改。")]})
    _validate_applicant(current)
    save_changed(current, changed)
    mirror(applicant, current, changed)
    return current


@transaction.atomic
def advance_applicant(*, applicant: Applicant, stage: str, on: dt.date) -> Applicant:
    """One stage forward on ``on``. Admission (预备党员) registers the probationary member: party join date and
    membership in the training organisation from ``on``, employer as on file — counted from that day."""
    current = locked(Applicant.objects.select_related("organization", "enterprise"), applicant.pk)
    _raise(advance_errors(current, stage, on))
    setattr(current, STAGE_DATE[stage], on)
    changed = [STAGE_DATE[stage]]
    if stage == Stage.ADMITTED:
        if Member.objects.filter(id_number=current.id_number).exists():
            _fail("stage", _("该身份证号码已在党员名册中，不能重复接收。"))
        current.member = create_member(
            name=current.name,
            gender=current.gender,
            ethnicity=current.ethnicity,
            birth_date=current.birth_date,
            education=current.education,
            id_number=current.id_number,
            phone=current.phone,
            category=MemberCategory.PROBATIONARY,
            joined_party_on=on,
            joined_on=on,
            organization=current.organization,
            enterprise=current.enterprise,
        )
        changed.append("member")
    save_changed(current, changed)
    mirror(applicant, current, changed)
    return current


@transaction.atomic
def create_plan(**fields: Any) -> DevelopmentPlan:
    plan = DevelopmentPlan(**fields)
    plan.full_clean()
    save_new(plan)
    return plan


@transaction.atomic
def update_plan(*, plan: DevelopmentPlan, **fields: Any) -> DevelopmentPlan:
    current = locked(DevelopmentPlan.objects.all(), plan.pk)
    changed = apply_fields(current, fields)
    current.full_clean()
    save_changed(current, changed)
    mirror(plan, current, changed)
    return current


@transaction.atomic
def apply_applicant_rows(plans: Sequence, *, actor, source: str = "import") -> None:
    """Write planned applicant rows in bulk, as :func:`create_applicant` / :func:`update_applicant` would one by
    one: the same rows and one audit entry per changed record. Figures are computed from the files when read
    (reports.engine.development), so there is nothing to recompute.

    ``plans``: the importer's plans (``instance`` the new state with its organisation and workplace set;
    ``extra["model_fields"]`` the fields an update writes). Updates lock and re-read their rows and go first: a
    row withdrawing a file may make room for the same person's new application (one open file per ID number).
    """
    entries: list[AuditEntry | None] = []
    creates = [p for p in plans if p.action == "create"]
    updates = [p for p in plans if p.action == "update"]

    fresh = locked_in_bulk(Applicant.objects.all(), [p.instance.pk for p in updates])
    written: list[Applicant] = []
    names: set[str] = set()
    for plan in updates:
        old = fresh[plan.instance.pk]
        new = copy.copy(old)
        fields = plan.extra.get("model_fields", plan.changed)
        changed = apply_fields(new, {name: getattr(plan.instance, name) for name in fields})
        if not changed:
            continue
        if old.member_id:  # admitted since the file was planned: the member's record goes on instead
            raise ValidationError(
                {"__all__": [_("已接收为预备党员，发展档案不再修改；请在党员档案中修改。")]}
            )
        written.append(new)
        names.update(changed)
        entries.append(updated_entry(old, new, changed))
    bulk_update(Applicant, written, sorted(names))

    for plan in creates:
        if plan.instance.admitted_on or plan.instance.member_id:
            raise ValidationError({"admitted_on": [_("接收为预备党员请在登记后办理“接收”。")]})
    Applicant.objects.bulk_create([p.instance for p in creates], batch_size=BATCH)
    entries += created_entries(p.instance for p in creates)
    write_audit(entries, actor=actor, source=source)


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
        record_recompute(pairs, people=False)  # assignments move coverage states only
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
    record_recompute(assignment_recompute(None, assignment, area_id=enterprise.area_id), people=False)
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
        record_recompute(_end_assignment(current, end), people=False)
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
    record_recompute(pairs, people=False)
