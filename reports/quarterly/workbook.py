"""The quarterly report as a workbook: a summary sheet, one sheet per section and a native Excel bar chart.

Write-only mode streams rows, so a big area's workbook does not sit in memory cell by cell.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import IO

from django.core.files.base import ContentFile
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from registry.excel.cells import safe_cell, safe_row

from .report import QuarterlyReport, build_quarterly_report, enterprise_rows, quarterly_filename

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)


def _cell(sheet, value, *, font=None, number_format=None, alignment=None):
    return safe_cell(sheet, value, font=font, number_format=number_format, alignment=alignment)


def _append(sheet, values) -> None:
    """Every row goes through safe_row(): names of units and areas are data, never formulas."""
    sheet.append(safe_row(sheet, values))


def _ratio(value: Decimal | None):
    """A percentage (51.5) as an Excel fraction (0.515) shown with one decimal."""
    return None if value is None else float(value) / 100


def _new_sheet(wb: Workbook, title: str, *, landscape: bool = False):
    """A write-only sheet set to print on A4, one page wide (set before any row is written)."""
    sheet = wb.create_sheet(title)
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    return sheet


def _header(sheet, *titles):
    _append(sheet, [_cell(sheet, t, font=BOLD) for t in titles])


def _percent(sheet, value):
    return _cell(sheet, _ratio(value), number_format="0.0%")


def _development_block(sheet, d) -> None:
    """发展党员 on the summary sheet: the sentences, then plan, admissions and the pipeline by stage."""
    _append(sheet, [])
    _append(sheet, [_cell(sheet, "发展党员", font=BOLD)])
    for sentence in (d.sentence, d.stage_sentence):
        _append(sheet, [_cell(sheet, sentence)])
    _header(sheet, "项目", "人数（名）")
    _append(sheet, ["计划发展党员", "未下达" if d.planned is None else d.planned])
    for label, count in (
        ("已发展党员", d.admitted),
        ("入党申请人", d.applicants),
        ("入党积极分子", d.activists),
        ("发展对象", d.candidates),
    ):
        _append(sheet, [label, count])
    _append(sheet, ["计划完成比例", _percent(sheet, d.percent)])


def write_quarterly_workbook(report: QuarterlyReport, stream: IO[bytes]) -> None:
    wb = Workbook(write_only=True)
    title = f"{report.area.name}{report.period.label}“两新”组织党建工作调研报告"

    summary = _new_sheet(wb, "汇总")
    summary.column_dimensions["A"].width = 44
    for col in "BCD":
        summary.column_dimensions[col].width = 12
    _append(summary, [_cell(summary, title, font=TITLE)])
    _append(summary, [f"统计截止日期：{report.as_of:%Y-%m-%d}"])
    # One sentence a row: write-only sheets cannot merge cells, and a row per sentence reads and prints well.
    for sentence in report.narrative.replace("。", "。\n").split("\n"):
        if sentence.strip():
            _append(summary, [_cell(summary, sentence.strip())])
    _append(summary, [])
    _header(summary, "指标", "分子", "分母", "比率")
    for figure in (report.headline, report.single, report.work, report.social_org):
        if figure is not None:
            _append(
                summary,
                [
                    figure.indicator.name,
                    figure.numerator,
                    figure.denominator,
                    _percent(summary, figure.percent),
                ],
            )
    _append(summary, ["党员总数", report.members.total])
    if report.development is not None:
        _development_block(summary, report.development)

    areas = _new_sheet(wb, "分区域", landscape=True)
    for col, width in zip("ABCDEFGH", (24, 12, 12, 10, 10, 10, 10, 10), strict=True):
        areas.column_dimensions[col].width = width
    _header(areas, "区域", "规上企业", "建立党组织", "覆盖率", "单独组建", "联合组建", "工作覆盖", "未覆盖")
    for row in report.sub_areas:
        b = row["breakdown"]
        _append(
            areas,
            [
                row["area"].name,
                row["denominator"],
                row["numerator"],
                _percent(areas, row["percent"]),
                b.single,
                b.joint,
                b.work,
                b.none,
            ],
        )
    if report.sub_areas:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "各下级区域党组织覆盖率"
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        n = len(report.sub_areas)
        chart.add_data(Reference(areas, min_col=4, min_row=1, max_row=n + 1), titles_from_data=True)
        chart.set_categories(Reference(areas, min_col=1, min_row=2, max_row=n + 1))
        chart.height, chart.width = 7 + 0.6 * n, 16
        areas.add_chart(chart, "J2")

    setup = _new_sheet(wb, "组建方式")
    setup.column_dimensions["A"].width = 30
    _header(setup, "覆盖状态", "规上非公企业（家）", "占比")
    h = report.headline
    for label, count in (
        ("单独组建", h.breakdown.single),
        ("联合组建", h.breakdown.joint),
        ("工作覆盖（仅选派指导员）", h.breakdown.work),
        ("未覆盖", h.breakdown.none),
    ):
        _append(
            setup,
            [
                label,
                count,
                _cell(setup, count / h.denominator if h.denominator else None, number_format="0.0%"),
            ],
        )
    _append(setup, ["合计", h.denominator])

    members = _new_sheet(wb, "党员构成")
    members.column_dimensions["A"].width = 20
    m = report.members
    _header(members, "项目", "人数", "占比")
    for label, name in (
        ("党员总数", "total"),
        ("正式党员", "full"),
        ("预备党员", "probationary"),
        ("女性", "female"),
        ("少数民族", "minority"),
        ("大专及以上学历", "college_or_above"),
        ("35 岁以下", "under_35"),
        ("流动党员", "mobile"),
        ("离退休", "retired"),
    ):
        _append(members, [label, getattr(m, name), _percent(members, m.share(name))])
    _append(members, ["平均年龄（岁）", float(m.average_age) if m.average_age is not None else None])

    changed = _new_sheet(wb, "变化情况", landscape=True)
    for col, width in zip("ABCDEF", (14, 34, 16, 18, 18, 60), strict=True):
        changed.column_dimensions[col].width = width
    _header(changed, "比较", "单位", "所在区域", "变化前", "变化后", "原因")
    for label, rows in (("较上季度", report.changes_quarter), ("较上年同期", report.changes_year)):
        for c in rows:
            _append(
                changed,
                [
                    label,
                    c.enterprise.name,
                    c.enterprise.area.name,
                    c.before_label + (" · 规上" if c.above_scale_before else ""),
                    c.after_label + (" · 规上" if c.above_scale_after else ""),
                    "；".join(c.reasons),
                ],
            )

    detail = _new_sheet(wb, "单位明细", landscape=True)
    for col, width in zip("ABCDEFG", (34, 22, 18, 10, 8, 12, 10), strict=True):
        detail.column_dimensions[col].width = width
    detail.freeze_panes = "A2"
    _header(
        detail, "单位名称", "统一社会信用代码", "所在区域", "类别", "规上", "覆盖状态", "党员（工作单位）"
    )
    for row in enterprise_rows(report):
        _append(detail, row)

    todo = _new_sheet(wb, "待办事项")
    todo.column_dimensions["A"].width = 34
    todo.column_dimensions["B"].width = 8
    todo.column_dimensions["C"].width = 60
    _header(todo, "事项", "数量", "名单（前 20 项）")
    for item, count, names in report.work_items:
        _append(todo, [str(item.title), count, "、".join(names)])

    wb.save(stream)


def render_quarterly_run(run, *, progress=None) -> None:
    """Build the workbook of a ReportRun and keep it (the Celery task's body)."""

    def step(percent: int) -> None:
        run.progress = percent
        run.save(update_fields=["status", "progress"])

    run.status = run.Status.RUNNING
    step(10)
    report = build_quarterly_report(run.area, run.period)
    step(60)
    buffer = io.BytesIO()
    write_quarterly_workbook(report, buffer)
    run.file.save(quarterly_filename(report, "xlsx"), ContentFile(buffer.getvalue()), save=False)
    run.status, run.progress, run.finished_at = run.Status.DONE, 100, timezone.now()
    run.save()
