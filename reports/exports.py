"""Excel ledgers, written with openpyxl's write-only mode to a temporary file (memory stays flat).

Each ledger uses its kind's column definition (reports.workbooks), so what is downloaded imports back unchanged.
Callers pass a queryset already filtered (FilterSet) and scoped (``restrict(access_for(user))``).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from typing import IO

import openpyxl
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone

from members.models import InstructorAssignment
from members.rules import mask_phone
from orgs.models import OrganizationLink
from registry.choices import CoverageState
from registry.dating import active_q
from registry.models import AboveScalePeriod

from .workbooks import (
    ASSIGNMENTS,
    ENTERPRISES,
    INSTRUCTORS,
    MEMBERS,
    ORGANIZATIONS,
    Kind,
    assignment_values,
    enterprise_values,
    member_values,
    organization_values,
    write_sheet,
)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK = 2000


def _save(sheets: list[tuple[Kind, Iterator[dict], str | None]]) -> IO[bytes]:
    workbook = openpyxl.Workbook(write_only=True)
    for kind, rows, title in sheets:
        write_sheet(workbook, kind, rows, title=title)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 — returned open; FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return handle


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


def export_enterprises(queryset, *, today: dt.date | None = None, title: str | None = None) -> IO[bytes]:
    """单位台账: every column of the enterprise kind, with coverage state and member count as of today."""
    today = today or timezone.localdate()
    rows = (enterprise_values(e) for e in enterprise_ledger_queryset(queryset, today).iterator(CHUNK))
    return _save([(ENTERPRISES, rows, title)])


def export_uncovered(queryset, *, today: dt.date | None = None) -> IO[bytes]:
    today = today or timezone.localdate()
    rows = (enterprise_values(e) for e in uncovered_above_scale(queryset, today).iterator(CHUNK))
    return _save([(ENTERPRISES, rows, "未覆盖规上企业")])


def export_organizations(queryset, *, today: dt.date | None = None) -> IO[bytes]:
    today = today or timezone.localdate()
    links = OrganizationLink.objects.select_related("enterprise").order_by("start", "pk")
    orgs = (
        queryset.select_related("area", "parent__area")
        .with_counts(today)
        .prefetch_related(Prefetch("links", queryset=links))
        .order_by("name", "pk")
    )
    rows = (organization_values(o, today=today) for o in orgs.iterator(CHUNK))
    return _save([(ORGANIZATIONS, rows, None)])


def export_members(queryset, *, reveal: bool = False) -> IO[bytes]:
    """Members; ID number and phone are masked unless ``reveal`` (a masked ledger cannot be re-imported)."""
    members = queryset.select_related("organization__area", "enterprise").order_by("name", "pk")
    rows = (member_values(m, reveal=reveal) for m in members.iterator(CHUNK))
    return _save([(MEMBERS, rows, None)])


def export_instructors(queryset, *, today: dt.date | None = None, reveal: bool = False) -> IO[bytes]:
    """Sheet 1: instructors with their current firms; sheet 2: every assignment (the importable kind)."""
    today = today or timezone.localdate()
    instructors = queryset.select_related("area").order_by("name", "pk")
    current = (
        InstructorAssignment.objects.filter(active_q(today)).select_related("enterprise").order_by("start")
    )
    instructors = instructors.prefetch_related(Prefetch("assignments", queryset=current, to_attr="current"))

    def instructor_rows():
        for i in instructors.iterator(CHUNK):
            yield {
                "name": i.name,
                "unit": i.unit,
                "full_time": i.full_time,
                "phone": i.phone if reveal else mask_phone(i.phone),
                "area": i.area.code,
                "area_name": i.area.name,
                "ended_on": i.ended_on,
                "firm_count": len(i.current),
                "firms": "、".join(a.enterprise.name for a in i.current),
            }

    assignments = (
        InstructorAssignment.objects.filter(instructor__in=queryset.values("pk"))
        .select_related("instructor__area", "enterprise")
        .order_by("instructor__name", "instructor_id", "start", "pk")
    )
    rows = (assignment_values(a) for a in assignments.iterator(CHUNK))
    return _save([(INSTRUCTORS, instructor_rows(), None), (ASSIGNMENTS, rows, None)])
