"""A member's dated history: memberships (组织关系), employers, category and mobility.

The Member row mirrors the current (or last) state for lists and the v1 API; the rows here are what every figure as
of a date counts. :func:`mirror_columns` derives the mirror from the rows, so the two cannot disagree after a
service has written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from .choices import MemberCategory, MembershipStart
from .models import Employment, Member, Membership, Mobility


@dataclass(frozen=True)
class Span:
    """Where a member counted over [start, end): an area, for recompute requests."""

    area_id: int
    start: dt.date
    end: dt.date | None


def spans(member: Member) -> list[Span]:
    """Every area the member counts or counted in: their organisations' and their employers' areas."""
    memberships = Membership.objects.filter(member=member).values_list(
        "organization__area_id", "start", "end"
    )
    employments = Employment.objects.filter(member=member).values_list("enterprise__area_id", "start", "end")
    return [Span(*row) for row in [*memberships, *employments]]


def reach(spans_: Iterable[Span], since: dt.date) -> list[tuple[int, dt.date]]:
    """The (area id, from) recompute requests of a change that alters the member's figures from ``since`` on:
    every area the member counted in on or after that day, from the later of ``since`` and the span's start."""
    return [(s.area_id, max(s.start, since)) for s in spans_ if s.end is None or s.end > since]


def first_start(member: Member) -> dt.date:
    """The earliest day the member counted anywhere in the registry."""
    first = Membership.objects.filter(member=member).order_by("start").values_list("start", flat=True).first()
    return min(d for d in (first, member.joined_on) if d is not None)


def how_started(member: Member) -> str:
    """A member registered on the day they joined the Party was developed (发展) here; otherwise transferred in."""
    if member.joined_party_on and member.joined_party_on < member.joined_on:
        return MembershipStart.TRANSFER_IN
    return MembershipStart.DEVELOPED


def first_rows(members: Iterable[Member]) -> list:
    """The history rows a newly registered member starts with, from their current columns (unsaved)."""
    rows: list = []
    for member in members:
        rows.append(
            Membership(
                member=member,
                organization_id=member.organization_id,
                start=member.joined_on,
                end=member.ended_on,
                how_started=how_started(member),
                how_ended=member.end_reason,
            )
        )
        if member.enterprise_id:
            rows.append(
                Employment(
                    member=member,
                    enterprise_id=member.enterprise_id,
                    start=member.joined_on,
                    end=member.ended_on,
                )
            )
        if member.is_mobile:
            rows.append(Mobility(member=member, start=member.joined_on, end=member.ended_on))
    return rows


def create_first_rows(members: Iterable[Member]) -> list:
    """Insert :func:`first_rows` of saved members, one query per table; returns the rows."""
    rows = first_rows(members)
    for model in (Membership, Employment, Mobility):
        model.objects.bulk_create([r for r in rows if isinstance(r, model)], batch_size=2000)
    return rows


def mirror_columns(member: Member) -> list[str]:
    """Set the member's mirror columns from their rows; returns the names that changed."""
    memberships = list(Membership.objects.filter(member=member).order_by("start"))
    last = memberships[-1]
    open_employment = Employment.objects.filter(member=member, end__isnull=True).first()
    ended = last.end is not None
    values = {
        "organization_id": last.organization_id,
        "joined_on": last.start,
        "ended_on": last.end,
        "end_reason": last.how_ended if ended else "",
        "enterprise_id": open_employment.enterprise_id if open_employment else None,
        "is_mobile": Mobility.objects.filter(member=member, end__isnull=True).exists(),
    }
    if ended:  # the workplace and mobility of a member who left stay as they were on the last day
        last_day = last.end - dt.timedelta(days=1)
        at_end = Employment.objects.filter(member=member).active_on(last_day).first()
        values["enterprise_id"] = at_end.enterprise_id if at_end else None
        values["is_mobile"] = Mobility.objects.filter(member=member).active_on(last_day).exists()
    changed = []
    for name, value in values.items():
        if getattr(member, name) != value:
            setattr(member, name, value)
            changed.append(name.removesuffix("_id"))
    return changed


def category_spans(member: Member) -> list[dict]:
    """预备 from the party join date until 转正, 正式 after it (one span when there is no 转正 date on record)."""
    if member.confirmed_on:
        return [
            {
                "category": MemberCategory.PROBATIONARY.value,
                "start": member.joined_party_on,
                "end": member.confirmed_on,
            },
            {"category": MemberCategory.FULL.value, "start": member.confirmed_on, "end": None},
        ]
    return [{"category": member.category, "start": member.joined_party_on, "end": None}]


def history_of(member: Member) -> dict[str, list[dict]]:
    """The member's history, oldest first (the API's ``history/`` answer and the member page's timeline)."""
    memberships = (
        Membership.objects.filter(member=member).select_related("organization").order_by("start", "pk")
    )
    employments = (
        Employment.objects.filter(member=member).select_related("enterprise").order_by("start", "pk")
    )
    mobility = Mobility.objects.filter(member=member).order_by("start", "pk")
    return {
        "memberships": [
            {
                "organization": m.organization,
                "start": m.start,
                "end": m.end,
                "how_started": m.how_started,
                "how_ended": m.how_ended,
            }
            for m in memberships
        ],
        "employments": [{"enterprise": e.enterprise, "start": e.start, "end": e.end} for e in employments],
        "categories": category_spans(member),
        "mobility": [{"start": m.start, "end": m.end, "destination": m.destination} for m in mobility],
    }
