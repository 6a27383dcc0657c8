"""The drill-through and work-queue lists as workbooks, written like the ledgers (registry.excel.sheets).

Each list declares its columns once, as an export-only :class:`~registry.excel.cells.Kind`; ``save_workbook``
writes them, so every text cell goes through the formula-injection guard and the sheet gets the ledgers' layout
and print setup. The rows are the page's own queryset, unpaginated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from django.utils.translation import gettext as _

from registry.choices import CoverageState
from registry.excel.cells import Column, Kind, choice_formatter, parse_date
from registry.excel.sheets import Heading, save_workbook

from .engine.workqueue import APPLICANT, AREA, ENTERPRISE, ORGANIZATION, TASK, WorkItem

CHUNK = 2000
_coverage = choice_formatter(CoverageState)


def _columns(*specs: tuple) -> tuple[Column, ...]:
    """Export-only columns from ``(header, field, width)`` or ``(header, field, width, parse)``."""
    out = []
    for header, field, width, *parse in specs:
        extra = {"parse": parse[0]} if parse else {}
        out.append(Column(header, field, width=width, importable=False, **extra))
    return tuple(out)


def _kind(name: str, title: str, *specs: tuple) -> Kind:
    return Kind(name, title, _columns(*specs), key=())


def drill_kind() -> Kind:
    return _kind(
        "drill",
        _("名单"),
        (_("单位名称"), "name", 36),
        (_("统一社会信用代码"), "credit_code", 22),
        (_("所在区域"), "area", 16),
        (_("覆盖状态"), "coverage", 12),
    )


# Built when a file is written (headers in the request's language), not at import.
WORK_KINDS = {
    ENTERPRISE: lambda: _kind(
        "work-enterprise",
        _("待办单位"),
        (_("单位名称"), "name", 36),
        (_("统一社会信用代码"), "credit_code", 22),
        (_("所在区域"), "area", 16),
        (_("党员"), "party_members", 8),
        (_("正式党员"), "full_members", 10),
        (_("覆盖状态"), "coverage", 12),
    ),
    ORGANIZATION: lambda: _kind(
        "work-organization",
        _("待办党组织"),
        (_("党组织"), "name", 36),
        (_("所在区域"), "area", 16),
        (_("组建方式"), "setup", 10),
        (_("党员"), "member_count", 8),
        (_("正式党员"), "full_member_count", 10),
        (_("覆盖单位"), "unit_count", 10),
        (_("任期届满"), "term_ends_on", 12, parse_date),
    ),
    APPLICANT: lambda: _kind(
        "work-applicant",
        _("待办人员"),
        (_("姓名"), "name", 12),
        (_("培养党组织"), "organization", 36),
        (_("确定为入党积极分子日期"), "activist_on", 22, parse_date),
    ),
    AREA: lambda: _kind(
        "work-area",
        _("待办区域"),
        (_("区域"), "area", 20),
        (_("年度"), "year", 8),
        (_("计划发展（名）"), "planned", 14),
        (_("已发展（名）"), "admitted", 14),
    ),
    TASK: lambda: _kind(
        "work-task",
        _("逾期任务"),
        (_("党建指导员"), "instructor", 12),
        (_("所属区域"), "area", 16),
        (_("任务名称"), "title", 36),
        (_("下达日期"), "published_on", 12, parse_date),
        (_("完成期限"), "due_on", 12, parse_date),
    ),
}


def _enterprise_row(e, live: bool) -> dict:
    return {
        "name": e.name,
        "credit_code": e.credit_code,
        "area": e.area.name,
        "coverage": _coverage(e.coverage if live else e.state),
        "party_members": getattr(e, "party_members", None),
        "full_members": getattr(e, "full_members", None),
    }


def _work_rows(item: WorkItem, queryset) -> Iterator[dict]:
    rows = queryset.iterator(CHUNK)
    if item.kind == ENTERPRISE:
        for e in rows:
            yield _enterprise_row(e, live=True)  # live and stored rows both carry ``coverage``
    elif item.kind == ORGANIZATION:
        for o in rows:
            yield {
                "name": o.name,
                "area": o.area.name,
                "setup": o.get_setup_display(),
                "member_count": o.member_count,
                "full_member_count": o.full_member_count,
                "unit_count": o.unit_count,
                "term_ends_on": o.term_ends_on,
            }
    elif item.kind == TASK:
        for r in rows:
            yield {
                "instructor": r.instructor.name,
                "area": r.instructor.area.name,
                "title": r.task.title,
                "published_on": r.task.published_on,
                "due_on": r.task.due_on,
            }
    elif item.kind == APPLICANT:
        for a in rows:
            yield {
                "name": a.name,
                "organization": a.organization.name if a.organization_id else None,
                "activist_on": a.activist_on,
            }
    else:  # AREA: two rows an area, one a year, as the page shows them
        for a in rows:
            for label in ("before", "last"):
                planned = getattr(a, f"planned_{label}")
                yield {
                    "area": a.name,
                    "year": getattr(a, f"year_{label}"),
                    "planned": _("未下达") if planned is None else planned,
                    "admitted": getattr(a, f"admitted_{label}"),
                }


def export_drill(queryset, *, live: bool, title: str, heading: Heading) -> IO[bytes]:
    """The enterprises of a figure's numerator or denominator (``drill_enterprises`` / ``drill_live``), with the
    state at the quarter's end (stored) or on the asked date (live)."""
    rows = (_enterprise_row(e, live) for e in queryset.iterator(CHUNK))
    return save_workbook([(drill_kind(), rows, sheet_title(title))], heading=heading)


def export_work_item(item: WorkItem, queryset, *, heading: Heading) -> IO[bytes]:
    """The rows of one work-queue entry, with the page's columns for its kind of row."""
    kind = WORK_KINDS[item.kind]()
    return save_workbook([(kind, _work_rows(item, queryset), sheet_title(str(item.title)))], heading=heading)


_NOT_IN_SHEET_TITLES = re.compile(r'[\\/:*?"<>|\[\]\s]+')


def sheet_title(text: str) -> str:
    """Excel refuses []:*?/\\ in a sheet title and more than 31 characters."""
    return _NOT_IN_SHEET_TITLES.sub("", text)[:31] or "Sheet"
