"""Downloaded workbooks print well: a title row (what, area, day, generated at), the header frozen and repeated on
every page, A4 landscape one page wide, a file name with the area and day; the LibreOffice PDF of the uncovered
units' workbook on the demo data is a page or two holding every column. The importer still reads them back."""

import io
import math
import re
import shutil
import subprocess
from urllib.parse import quote

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from registry.excel.importer import KINDS
from registry.excel.sheets import apply_print_layout, template_workbook
from registry.models import Area, Enterprise
from registry.workbook import ENTERPRISES, export_enterprises, export_uncovered
from tests.excel import assert_imports_back_unchanged
from tests.factories import make_user

# The Excel tests' shared fixtures (zone, staff, api, ledger, world).
pytest_plugins = ["tests.excel"]

pytestmark = pytest.mark.django_db

ROWS_PER_PAGE = 25  # a landscape A4 page one page wide holds more rows of 17 columns than this
LEDGERS = (
    ("/enterprises/export.xlsx", "单位台账"),
    ("/enterprises/uncovered.xlsx", "未覆盖规上企业"),
    ("/organizations/export.xlsx", "党组织"),
    ("/members/export.xlsx", "党员"),
    ("/members/transfers.xlsx", "组织关系转接"),
    ("/instructors/export.xlsx", "党建指导员"),
    ("/applicants/export.xlsx", "发展党员"),
)


def content(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def assert_prints_well(sheet, headers: list[str]) -> None:
    assert sheet.print_title_rows == "$1:$2"
    assert sheet.freeze_panes == "A3"
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert [c.value for c in sheet[2]][: len(headers)] == headers
    assert all(c.font.b for c in sheet[2] if c.value)


@pytest.fixture
def demo():
    call_command("loaddata", "demo", verbosity=0)
    return Area.objects.get(code="KFQ")


# ---------------------------------------------------------------- every ledger ----


@pytest.mark.parametrize(("url", "title"), LEDGERS)
def test_every_ledger_download_has_a_title_row_print_layout_and_a_named_file(client, world, url, title):
    zone, p1, _p2 = world
    client.force_login(make_user("clerk", role="staff", area=zone))
    response = client.get(url, {"area": "P1"})
    book = openpyxl.load_workbook(io.BytesIO(content(response)))
    day = timezone.localdate()
    for sheet in book.worksheets:
        first = sheet["A1"].value
        assert first.startswith(sheet.title)
        assert "区域：园区一" in first and "生成时间：" in first
        assert f"{day:%Y-%m-%d}" in first
        assert sheet["A1"].font.b
        assert any(str(r).startswith("A1:") for r in sheet.merged_cells.ranges)
        assert sheet.print_title_rows == "$1:$2" and sheet.freeze_panes == "A3"
        assert sheet.page_setup.orientation == "landscape"
        assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    name = f"{title}-园区一-{day:%Y%m%d}.xlsx"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="export_')
    assert f"-P1-{day:%Y%m%d}.xlsx\"; filename*=UTF-8''{quote(name)}" in disposition


def test_without_an_area_filter_the_file_names_the_users_area(client, world):
    zone, _p1, _p2 = world
    client.force_login(make_user("clerk", role="staff", area=zone))
    response = client.get("/enterprises/uncovered.xlsx")
    book = openpyxl.load_workbook(io.BytesIO(content(response)))
    assert "区域：示范区" in book.active["A1"].value
    assert (
        quote(f"未覆盖规上企业-示范区-{timezone.localdate():%Y%m%d}.xlsx") in response["Content-Disposition"]
    )


def test_the_ledger_writers_lay_their_sheets_out_for_printing(world):
    assert_prints_well(
        openpyxl.load_workbook(export_uncovered(Enterprise.objects.all()))["未覆盖规上企业"],
        [c.header for c in ENTERPRISES.columns],
    )
    sheet = openpyxl.load_workbook(export_enterprises(Enterprise.objects.all()))["单位台账"]
    assert_prints_well(sheet, [c.header for c in ENTERPRISES.columns])
    assert sheet["A1"].value.startswith("单位台账\u3000区域：全部区域\u3000截至 ")
    assert [r[1] for r in sheet.iter_rows(min_row=3, values_only=True)] == ["丙公司", "乙公司", "甲公司"]
    # No header is cut off: each column is at least as wide as its header's text (a Chinese character is two).
    for cell in sheet[2]:
        width = sheet.column_dimensions[cell.column_letter].width
        assert width >= sum(2 if ord(ch) > 0x2E80 else 1 for ch in cell.value), cell.value


def test_apply_print_layout_on_a_normal_sheet(settings):
    """The helper other downloads (drill-through, work queue) call works on normal sheets as on write-only ones."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "钻取明细"
    assert apply_print_layout(sheet, title="钻取明细", headers=["单位名称", "=危险"], widths=[30]) == 2
    sheet.append(["甲公司", 1])
    buffer = io.BytesIO()
    book.save(buffer)
    again = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))["钻取明细"]
    assert_prints_well(again, ["单位名称", "=危险"])
    assert again["B2"].data_type == "s"  # a header is data, never a formula
    assert again["A1"].value.startswith("钻取明细\u3000区域：全部区域\u3000截至 ")
    assert again.column_dimensions["A"].width == 30


# ---------------------------------------------------------------- they import back; templates unchanged ----


def test_a_downloaded_ledger_with_its_title_row_imports_back_unchanged(client, zone, staff, ledger):
    client.force_login(staff)
    data = content(client.get("/enterprises/export.xlsx"))
    assert openpyxl.load_workbook(io.BytesIO(data)).active["A1"].value.startswith("单位台账")
    assert_imports_back_unchanged("enterprises", data, staff, rows=4)


def test_row_numbers_of_a_downloaded_ledger_count_the_title_row(client, zone, staff, ledger):
    from registry.excel.importer import run_import

    client.force_login(staff)
    book = openpyxl.load_workbook(io.BytesIO(content(client.get("/enterprises/export.xlsx"))))
    sheet = book.active
    sheet["B4"].value = None  # 单位名称 of the second unit, on row 4 under the title and the header
    buffer = io.BytesIO()
    book.save(buffer)
    result = run_import("enterprises", buffer.getvalue(), dry_run=True, user=staff)
    assert [(e.row, e.column) for e in result.errors] == [(4, "单位名称")]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_import_templates_keep_the_header_in_row_one(kind):
    sheet = openpyxl.load_workbook(io.BytesIO(template_workbook(KINDS[kind]))).worksheets[0]
    assert [c.value for c in sheet[1]] == [c.header for c in KINDS[kind].importable]
    assert sheet.freeze_panes == "A2"


# ---------------------------------------------------------------- on paper (LibreOffice) ----


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of each page of a PDF LibreOffice wrote (page objects are not compressed)."""
    pages = []
    for match in re.finditer(rb"/Type\s*/Page\b(?!s)", pdf):
        start = pdf.rfind(b"obj", 0, match.start())
        end = pdf.find(b"endobj", match.end())
        box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", pdf[start:end])
        if box is None:  # inherited from the page tree
            box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", pdf)
        x0, y0, x1, y1 = (float(v) for v in box.groups())
        pages.append((x1 - x0, y1 - y0))
    return pages


def to_pdf(data: bytes, tmp_path) -> bytes:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    source = tmp_path / "ledger.xlsx"
    source.write_bytes(data)
    subprocess.run(
        [soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/lo",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True, timeout=180, capture_output=True,
    )  # fmt: skip
    return (tmp_path / "ledger.pdf").read_bytes()


def test_the_uncovered_units_ledger_prints_on_few_landscape_pages(client, demo, tmp_path):
    client.force_login(make_user("clerk", role="staff", area=demo))
    data = content(client.get("/enterprises/uncovered.xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = sheet.max_row - 2
    assert rows >= 10  # the demo zone has a real list of uncovered units
    assert sheet.max_column == 17
    pages = pdf_pages(to_pdf(data, tmp_path))
    # All 17 columns on each page: pages are only added for rows, never for columns.
    assert 1 <= len(pages) <= math.ceil(rows / ROWS_PER_PAGE)
    assert all(width > height for width, height in pages)  # landscape


def test_the_whole_enterprise_ledger_is_one_page_wide(client, demo, tmp_path):
    client.force_login(make_user("clerk", role="staff", area=demo))
    data = content(client.get("/enterprises/export.xlsx"))
    rows = openpyxl.load_workbook(io.BytesIO(data)).active.max_row - 2
    assert rows >= 100
    pages = pdf_pages(to_pdf(data, tmp_path))
    assert len(pages) <= math.ceil(rows / ROWS_PER_PAGE)
