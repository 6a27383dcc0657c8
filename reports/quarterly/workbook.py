"""The quarterly report as a workbook: a summary sheet, one sheet per section and native Excel charts.

Every sheet prints on A4 one page wide with a title row (area, quarter, generated at) and its header repeated on
each page (registry.excel.sheets.apply_print_layout). Charts: coverage by sub-area (when the area has any), the
coverage breakdown (single / joint / work / none) and the coverage trend by quarter, so a park's workbook has
charts of its own. Write-only mode streams rows, so a big area's workbook does not sit in memory cell by cell.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import IO

from django.core.files.base import ContentFile
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from registry.excel.cells import safe_cell, safe_row
from registry.excel.sheets import WRAP, Heading, apply_print_layout, set_page, wrapped_height

from ..engine.figures import series
from .report import QuarterlyReport, build_quarterly_report, enterprise_rows, quarterly_filename

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
TREND_QUARTERS = 8  # quarters in the trend sheet and chart, as on the dashboard
FIRST_DATA_ROW = 3  # row 1: title, row 2: header (apply_print_layout)


def _cell(sheet, value, *, font=None, number_format=None, alignment=None):
    return safe_cell(sheet, value, font=font, number_format=number_format, alignment=alignment)


def _append(sheet, values) -> None:
    """Every row goes through safe_row(): names of units and areas are data, never formulas."""
    sheet.append(safe_row(sheet, values))


def _ratio(value: Decimal | None):
    """A percentage (51.5) as an Excel fraction (0.515) shown with one decimal."""
    return None if value is None else float(value) / 100


def _percent(sheet, value):
    return _cell(sheet, _ratio(value), number_format="0.0%")


def _table_sheet(wb: Workbook, name: str, heading: Heading, title: str, columns, *, landscape: bool = False):
    """A section sheet: title row, header row (``columns``: (header, width) pairs), print layout."""
    sheet = wb.create_sheet(name)
    apply_print_layout(
        sheet,
        title=title,
        headers=[h for h, _w in columns],
        widths=[w for _h, w in columns],
        heading=heading,
        landscape=landscape,
    )
    return sheet


def _one_series_chart(chart, *, title: str, percent: bool) -> None:
    """What every chart of the workbook shares: a title, visible axes, values on the marks, no legend for its
    single series (the title says what it shows)."""
    chart.title = title
    chart.legend = None
    chart.x_axis.delete = False  # openpyxl 3.1 leaves <c:delete> out: Excel then hides the axes
    chart.y_axis.delete = False
    chart.y_axis.majorGridlines = None
    if percent:
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True


def _bar_chart(sheet, *, title: str, value_col: int, rows: int, percent: bool) -> BarChart:
    """Horizontal bars of column ``value_col`` against the names in column A, in the table's order (top to
    bottom): a bar chart draws its first category at the bottom, so the category axis runs max → min, and the
    value axis then crosses at the maximum to stay at the bottom."""
    chart = BarChart()
    chart.type = "bar"
    _one_series_chart(chart, title=title, percent=percent)
    chart.x_axis.scaling.orientation = "maxMin"
    chart.y_axis.crosses = "max"
    last = FIRST_DATA_ROW + rows - 1
    chart.add_data(
        Reference(sheet, min_col=value_col, min_row=FIRST_DATA_ROW - 1, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(sheet, min_col=1, min_row=FIRST_DATA_ROW, max_row=last))
    chart.height, chart.width = 4 + 0.8 * rows, 16
    return chart


class _Page:
    """A write-only sheet of text and small tables, its rows counted so that a line of text can be merged
    across the columns, wrapped and given the height of its lines as it is written (Excel does not grow a
    merged row to fit): long sentences then print within the page instead of running off its right edge."""

    def __init__(self, sheet, widths: tuple[int, ...]):
        self.sheet, self.widths, self.rows = sheet, widths, 0
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width

    def append(self, values) -> None:
        _append(self.sheet, values)
        self.rows += 1

    def text(self, text: str, *, font: Font | None = None) -> None:
        row = self.rows + 1
        size = font.size if font is not None and font.size else 11
        self.sheet.row_dimensions[row].height = wrapped_height(text, sum(self.widths)) * size / 11
        self.sheet.merged_cells.add(f"A{row}:{get_column_letter(len(self.widths))}{row}")
        self.append([_cell(self.sheet, text, font=font, alignment=WRAP)])

    def header(self, *titles) -> None:
        self.append([_cell(self.sheet, t, font=BOLD) for t in titles])


def _development_block(page: _Page, d) -> None:
    """发展党员 on the summary sheet: the sentences, then plan, admissions and the pipeline by stage."""
    page.append([])
    page.append([_cell(page.sheet, "发展党员", font=BOLD)])
    for sentence in (d.sentence, d.stage_sentence):
        page.text(sentence)
    page.header("项目", "人数（名）")
    page.append(["计划发展党员", "未下达" if d.planned is None else d.planned])
    for label, count in (
        ("已发展党员", d.admitted),
        ("入党申请人", d.applicants),
        ("入党积极分子", d.activists),
        ("发展对象", d.candidates),
    ):
        page.append([label, count])
    page.append(["计划完成比例", _percent(page.sheet, d.percent)])


def _summary_sheet(wb: Workbook, report: QuarterlyReport, heading: Heading) -> None:
    summary = wb.create_sheet("汇总")
    set_page(summary, landscape=False)
    page = _Page(summary, (44, 12, 12, 12))
    page.text(f"{report.area.name}{report.period.label}“两新”组织党建工作调研报告", font=TITLE)
    generated = timezone.localtime(heading.generated_at or timezone.now())
    page.text(f"统计截止日期：{report.as_of:%Y-%m-%d}　生成时间：{generated:%Y-%m-%d %H:%M}")
    for sentence in report.narrative.replace("。", "。\n").split("\n"):
        if sentence.strip():
            page.text(sentence.strip())
    page.append([])
    page.header("指标", "分子", "分母", "比率")
    for figure in report.figures:
        page.append(
            [
                _cell(summary, figure.indicator.name, alignment=WRAP),
                figure.numerator,
                figure.denominator,
                _percent(summary, figure.percent),
            ]
        )
    page.append(["党员总数", report.members.total])
    if report.development is not None:
        _development_block(page, report.development)


def _areas_sheet(wb: Workbook, report: QuarterlyReport, heading: Heading) -> None:
    areas = _table_sheet(
        wb,
        "分区域",
        heading,
        "各下级区域党组织覆盖情况",
        (("区域", 24), ("规上企业", 10), ("建立党组织", 12), ("覆盖率", 10), ("单独组建", 10),
         ("联合组建", 10), ("工作覆盖", 10), ("未覆盖", 10)),
        landscape=True,
    )  # fmt: skip
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
        chart = _bar_chart(
            areas, title="各下级区域党组织覆盖率", value_col=4, rows=len(report.sub_areas), percent=True
        )
        areas.add_chart(chart, f"J{FIRST_DATA_ROW}")


SETUP_ROWS = (
    ("单独组建", "single"),
    ("联合组建", "joint"),
    ("工作覆盖（仅选派指导员）", "work"),
    ("未覆盖", "none"),
)


def _setup_sheet(wb: Workbook, report: QuarterlyReport, heading: Heading) -> None:
    setup = _table_sheet(
        wb,
        "组建方式",
        heading,
        "规上非公企业党组织组建方式",
        (("覆盖状态", 26), ("规上非公企业（家）", 20), ("占比", 10)),
        landscape=True,
    )
    h = report.headline
    for label, name in SETUP_ROWS:
        count = getattr(h.breakdown, name)
        share = count / h.denominator if h.denominator else None
        _append(setup, [label, count, _cell(setup, share, number_format="0.0%")])
    _append(setup, ["合计", h.denominator])
    chart = _bar_chart(
        setup, title="规上非公企业覆盖情况（家）", value_col=2, rows=len(SETUP_ROWS), percent=False
    )
    setup.add_chart(chart, f"E{FIRST_DATA_ROW}")


def _members_sheet(wb: Workbook, report: QuarterlyReport, heading: Heading) -> None:
    members = _table_sheet(
        wb, "党员构成", heading, "党员队伍构成", (("项目", 20), ("人数", 10), ("占比", 10))
    )
    m = report.members
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


def _changes_sheet(wb: Workbook, report: QuarterlyReport, heading: Heading) -> None:
    changed = _table_sheet(
        wb,
        "变化情况",
        heading,
        "覆盖状态变化情况",
        (("比较", 12), ("单位", 34), ("所在区域", 16), ("变化前", 18), ("变化后", 18), ("原因", 60)),
        landscape=True,
    )
    for label, rows in (("较上季度", report.changes_quarter), ("较上年同期", report.changes_year)):
        for c in rows:
            _append(
                changed,
                [
                    label,
                    _cell(changed, c.enterprise.name, alignment=WRAP),
                    c.enterprise.area.name,
                    c.before_label + (" · 规上" if c.above_scale_before else ""),
                    c.after_label + (" · 规上" if c.above_scale_after else ""),
                    _cell(changed, "；".join(c.reasons), alignment=WRAP),
                ],
            )


def _bridge_sheet(wb: Workbook, report: QuarterlyReport, heading: Heading) -> None:
    """数字衔接: opening, each line entered (+) and left (−), closing; the signed column sums to the closing."""
    b = report.bridge
    if b is None:
        return
    sheet = _table_sheet(
        wb,
        "数字衔接",
        heading,
        f"与上季度数字衔接：{b.indicator.name}",
        (("项目", 34), ("分子", 10), ("分母", 10), ("单位数", 10)),
        landscape=True,
    )
    _append(sheet, [f"期初（{b.previous} 末）", b.opening.numerator, b.opening.denominator, None])
    for title, sign, lines in (("增加", 1, b.entered), ("减少", -1, b.left)):
        _append(sheet, [_cell(sheet, title, font=BOLD)])
        for line in lines:
            count = len(line.enterprise_ids)
            _append(sheet, [f"　{line.label}", sign * line.numerator, sign * line.denominator, count])
    _append(sheet, [f"期末（{b.period} 末）", b.closing.numerator, b.closing.denominator, None])


def _detail_sheet(wb: Workbook, report: QuarterlyReport, heading: Heading) -> None:
    detail = _table_sheet(
        wb,
        "单位明细",
        heading,
        "单位明细",
        (("单位名称", 34), ("统一社会信用代码", 22), ("所在区域", 18), ("类别", 10), ("规上", 8),
         ("覆盖状态", 12), ("党员（工作单位）", 10)),
        landscape=True,
    )  # fmt: skip
    for row in enterprise_rows(report):
        _append(detail, row)


def _todo_sheet(wb: Workbook, report: QuarterlyReport, heading: Heading) -> None:
    todo = _table_sheet(
        wb,
        "待办事项",
        heading,
        "待办事项",
        (("事项", 34), ("数量", 8), ("名单（前 20 项）", 60)),
        landscape=True,
    )
    for item, count, names in report.work_items:
        _append(
            todo,
            [
                _cell(todo, str(item.title), alignment=WRAP),
                count,
                _cell(todo, "、".join(names), alignment=WRAP),
            ],
        )


def _trend_sheet(wb: Workbook, report: QuarterlyReport, heading: Heading) -> None:
    """The headline coverage of the last quarters (the stored ones), with a line chart: every area has one."""
    trend = _table_sheet(
        wb,
        "覆盖率趋势",
        heading,
        f"{report.headline.indicator.name}：近{TREND_QUARTERS}个季度",
        (("季度", 16), ("分子", 10), ("分母", 10), ("覆盖率", 10)),
        landscape=True,
    )
    points = series(report.area, report.headline.indicator, last=report.period, count=TREND_QUARTERS)
    for point in points:
        _append(
            trend,
            [
                point["period"].label,
                point["numerator"],
                point["denominator"],
                _percent(trend, point["percent"]),
            ],
        )
    if points:
        chart = LineChart()
        _one_series_chart(chart, title="党组织覆盖率（按季度）", percent=True)
        chart.dataLabels.position = "t"  # above the point, clear of the line and the axis
        last = FIRST_DATA_ROW + len(points) - 1
        chart.add_data(
            Reference(trend, min_col=4, min_row=FIRST_DATA_ROW - 1, max_row=last), titles_from_data=True
        )
        chart.set_categories(Reference(trend, min_col=1, min_row=FIRST_DATA_ROW, max_row=last))
        chart.height, chart.width = 8, 18
        trend.add_chart(chart, f"F{FIRST_DATA_ROW}")


RED = Font(bold=True, color="C00000")


def _reconciliation_sheet(wb: Workbook, report: QuarterlyReport, heading: Heading) -> None:
    """上报核对: each indicator's reported figure beside the registry's, a difference in red (reported − computed)."""
    sheet = _table_sheet(
        wb,
        "上报核对",
        heading,
        "上报数字核对（上报数 − 台账计算数）",
        (("指标", 34), ("上报分子", 10), ("上报分母", 10), ("上报比率", 10), ("台账分子", 10),
         ("台账分母", 10), ("台账比率", 10), ("是否一致", 10), ("分子差异", 10), ("分母差异", 10)),
        landscape=True,
    )  # fmt: skip
    for row in report.reconciliation:
        reported, computed = row.reported or (None, None), row.computed or (None, None)
        flagged = row.compared and not row.matches
        _append(
            sheet,
            [
                _cell(sheet, row.indicator.name, alignment=WRAP),
                *reported,
                _percent(sheet, row.reported_percent),
                *computed,
                _percent(sheet, row.computed_percent),
                _cell(sheet, str(row.status), font=RED if flagged else None),
                row.numerator_difference,
                row.denominator_difference,
            ],
        )


def write_quarterly_workbook(report: QuarterlyReport, stream: IO[bytes]) -> None:
    """The report as .xlsx into ``stream``: 汇总 and one sheet per section, each laid out for printing."""
    wb = Workbook(write_only=True)
    heading = Heading(
        area=report.area.name,
        as_of=f"{report.period.label}（截至 {report.as_of:%Y-%m-%d}）",
        generated_at=timezone.now(),
    )
    _summary_sheet(wb, report, heading)
    _areas_sheet(wb, report, heading)
    _setup_sheet(wb, report, heading)
    _members_sheet(wb, report, heading)
    _changes_sheet(wb, report, heading)
    _bridge_sheet(wb, report, heading)
    _detail_sheet(wb, report, heading)
    _todo_sheet(wb, report, heading)
    _trend_sheet(wb, report, heading)
    _reconciliation_sheet(wb, report, heading)
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
