"""The quarterly workbook on the demo zone: a park's workbook has charts of its own; the district's sub-area bars
run in the table's order with no legend for their one series; the 组建方式 header fits its columns, the 汇总
sentences wrap within the page, and every section sheet prints with a title row and its header on each page."""

import io
import math

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from openpyxl.chart import BarChart, LineChart

from registry.excel.sheets import display_width
from registry.models import Area
from registry.periods import Quarter
from reports.engine.recompute import recompute
from reports.quarterly.report import build_quarterly_report
from reports.quarterly.workbook import write_quarterly_workbook

pytestmark = pytest.mark.django_db
Q3 = Quarter(2025, 3)


@pytest.fixture
def demo():
    call_command("loaddata", "demo", verbosity=0)
    recompute(periods=[Q3.year_ago(), Q3.previous(), Q3])
    return Area.objects.get(code="KFQ")


def workbook_of(area):
    stream = io.BytesIO()
    write_quarterly_workbook(build_quarterly_report(area, Q3), stream)
    return load_workbook(io.BytesIO(stream.getvalue()))


def chart_refs(chart) -> tuple[str, str]:
    """(values, categories) references of a chart's only series."""
    (series,) = chart.series
    categories = series.cat.numRef or series.cat.strRef
    return series.val.numRef.f, categories.f


def cells(sheet, ref: str) -> list:
    """The values of a reference such as '分区域'!$A$3:$A$5."""
    _sheet, _sep, cols = ref.rpartition("!")
    return [c.value for row in sheet[cols.replace("$", "")] for c in row]


def assert_one_series_without_legend(chart) -> None:
    assert len(chart.series) == 1
    assert chart.legend is None


def test_a_parks_workbook_has_charts_of_its_own(demo):
    park = Area.objects.get(code="KFQ-P02")  # 装备制造产业园: no sub-areas
    assert park.kind == "park" and not park.children.exists()
    book = workbook_of(park)
    assert book["分区域"]._charts == []  # no sub-areas, so no sub-area chart…
    (setup_chart,) = book["组建方式"]._charts  # …but the coverage breakdown…
    assert isinstance(setup_chart, BarChart)
    values, categories = chart_refs(setup_chart)
    setup = book["组建方式"]
    assert cells(setup, categories) == ["单独组建", "联合组建", "工作覆盖（仅选派指导员）", "未覆盖"]
    assert sum(cells(setup, values)) == setup.cell(row=7, column=2).value  # the 合计 row
    assert_one_series_without_legend(setup_chart)
    (trend_chart,) = book["覆盖率趋势"]._charts  # …and the quarter trend
    assert isinstance(trend_chart, LineChart)
    values, categories = chart_refs(trend_chart)
    trend = book["覆盖率趋势"]
    assert cells(trend, categories) == [q.label for q in (Q3.year_ago(), Q3.previous(), Q3)]
    assert all(0 <= v <= 1 for v in cells(trend, values))
    assert_one_series_without_legend(trend_chart)


def test_the_districts_bars_run_in_the_tables_order_without_a_legend(demo):
    book = workbook_of(demo)
    areas = book["分区域"]
    (chart,) = areas._charts
    assert chart.type == "bar"  # horizontal bars: Excel draws the first category at the bottom…
    assert chart.x_axis.scaling.orientation == "maxMin"  # …unless the category axis runs from max to min
    assert chart.y_axis.crosses == "max"  # the value axis then stays at the bottom
    assert_one_series_without_legend(chart)
    values, categories = chart_refs(chart)
    names = [row[0] for row in areas.iter_rows(min_row=3, values_only=True)]
    assert cells(areas, categories) == names and len(names) >= 2
    assert cells(areas, values) == [row[3] for row in areas.iter_rows(min_row=3, values_only=True)]
    for chart in (c for sheet in book.worksheets for c in sheet._charts):
        assert chart.x_axis.delete is False and chart.y_axis.delete is False  # axes shown in Excel


def test_the_setup_sheets_header_fits_its_columns(demo):
    sheet = workbook_of(demo)["组建方式"]
    header_row = next(row for row in sheet.iter_rows(max_row=2) if row[0].value == "覆盖状态")
    header = [c for c in header_row if c.value]
    assert [c.value for c in header] == ["覆盖状态", "规上非公企业（家）", "占比"]
    for cell in header:
        assert sheet.column_dimensions[cell.column_letter].width >= display_width(cell.value), cell.value


def test_the_summary_sentences_wrap_within_the_table(demo):
    sheet = workbook_of(demo)["汇总"]
    width = sum(sheet.column_dimensions[col].width for col in "ABCD")
    merged = {str(r) for r in sheet.merged_cells.ranges}
    sentences = [
        c for c in sheet["A"][2:] if isinstance(c.value, str) and c.value.endswith("。") and len(c.value) > 20
    ]
    assert len(sentences) >= 3
    for cell in sentences:
        assert cell.alignment.wrap_text, cell.value
        assert f"A{cell.row}:D{cell.row}" in merged  # across the table, not overflowing past column D
        lines = math.ceil(display_width(cell.value) / (width - 1))
        assert sheet.row_dimensions[cell.row].height >= 15 * lines, cell.value
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage


def test_every_section_sheet_prints_with_a_title_row_and_its_header_on_each_page(demo):
    book = workbook_of(demo)
    for sheet in book.worksheets[1:]:
        title = sheet["A1"].value
        assert f"区域：{demo.name}" in title and Q3.label in title and "生成时间：" in title, sheet.title
        assert sheet.print_title_rows == "$1:$2" and sheet.freeze_panes == "A3", sheet.title
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert all(c.font.b for c in sheet[2] if c.value), sheet.title
