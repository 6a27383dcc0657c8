"""Excel downloads of instructors' visits and enterprise requests: one column definition each (export only)."""

from __future__ import annotations

from typing import IO

from registry.excel.cells import Column, Kind, choice_formatter, parse_date
from registry.excel.sheets import Heading, save_workbook

from .choices import RequestCategory, VisitKind

CHUNK = 2000  # rows per query when exporting

VISITS = Kind(
    name="instructor_visits",
    title="走访记录",
    key=("instructor", "enterprise", "visited_on"),
    columns=(
        Column("走访日期", "visited_on", parse_date, width=12),
        Column("党建指导员", "instructor", width=10),
        Column("单位", "enterprise", width=30),
        Column("统一社会信用代码", "credit_code", width=20),
        Column("所在区域", "area", width=14),
        Column("类型", "kind", format=choice_formatter(VisitKind), width=10),
        Column("走访内容", "content", width=50),
        Column("发现的问题", "problems", width=40),
    ),
)

REQUESTS = Kind(
    name="enterprise_requests",
    title="企业诉求",
    key=("enterprise", "received_on"),
    columns=(
        Column("受理日期", "received_on", parse_date, width=12),
        Column("单位", "enterprise", width=30),
        Column("统一社会信用代码", "credit_code", width=20),
        Column("所在区域", "area", width=14),
        Column("类别", "category", format=choice_formatter(RequestCategory), width=10),
        Column("诉求内容", "content", width=50),
        Column("经办指导员", "instructor", width=10),
        Column("办结日期", "closed_on", parse_date, width=12),
        Column("办理结果", "result", width=40),
    ),
)


def _firm(row) -> dict:
    enterprise = row.enterprise
    return {
        "enterprise": enterprise.name,
        "credit_code": enterprise.credit_code,
        "area": enterprise.area.name,
    }


def export_visits(queryset, *, heading: Heading | None = None) -> IO[bytes]:
    """The visits of ``queryset`` (filtered and scoped by the caller), newest first."""
    visits = queryset.select_related("instructor", "enterprise__area").order_by("-visited_on", "-pk")
    rows = (
        {
            **_firm(v),
            "visited_on": v.visited_on,
            "instructor": v.instructor.name,
            "kind": v.kind,
            "content": v.content,
            "problems": v.problems,
        }
        for v in visits.iterator(CHUNK)
    )
    return save_workbook([(VISITS, rows, None)], heading=heading)


def export_requests(queryset, *, heading: Heading | None = None) -> IO[bytes]:
    """The requests of ``queryset`` (filtered and scoped by the caller), newest first."""
    requests = queryset.select_related("instructor", "enterprise__area").order_by("-received_on", "-pk")
    rows = (
        {
            **_firm(r),
            "received_on": r.received_on,
            "category": r.category,
            "content": r.content,
            "instructor": r.instructor.name if r.instructor else "",
            "closed_on": r.closed_on,
            "result": r.result,
        }
        for r in requests.iterator(CHUNK)
    )
    return save_workbook([(REQUESTS, rows, None)], heading=heading)
