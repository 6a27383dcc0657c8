"""Reading and writing sheets: the upload's checks, its rows keyed by field (the header found under a title row),
the write-only ledger, the import template, and the print layout every downloaded sheet shares
(:func:`apply_print_layout`: title row with area and day, frozen header repeated on each page, A4 one page wide).

Opening an uploaded file is defensive: size, CFB (encrypted or legacy .xls), zip declared sizes and ratios are
checked before openpyxl parses anything, and openpyxl parses XML through defusedxml (entity declarations refused).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import itertools
import math
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

import openpyxl
import openpyxl.xml
from defusedxml import DefusedXmlException
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from registry.rules import normalize_text

from .cells import Column, Kind, format_plain, safe_cell, safe_row, unquote_text

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DATE_FORMAT = "yyyy-mm-dd"
# <dimension ref="A1:K200001"/> near the top of a worksheet's XML: the used range Excel, WPS and openpyxl write.
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"\$?[A-Z]*\$?(\d*)(?::\$?[A-Z]*\$?(\d+))?\"")
_SHEET_HEAD_BYTES = 64 * 1024


class BadFile(Exception):
    """The upload cannot be read as a workbook; ``message`` is Chinese and names the reason."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- print layout ----
# Every sheet a user downloads prints the same way: a title row naming the sheet, the area, the day or quarter and
# when the file was made; the header under it, frozen and repeated on every printed page; A4 landscape, one page
# wide. Import templates keep their header in row 1 (users fill them in); the importer finds the header either way.

TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
WRAP = Alignment(vertical="top", wrap_text=True)
LINE_HEIGHT = 16  # points a wrapped line of 11 pt Chinese text takes
MAX_HEADER_WIDTH = 30  # a longer header wraps instead of widening its column further
HEADER_SEARCH_ROWS = 5  # the importer looks for the header among the first rows (a title row may come first)


@dataclass(frozen=True)
class Heading:
    """What a downloaded sheet's title row says besides its title: the area, the day or quarter, and when."""

    area: str = ""  # the area's name; empty: the whole registry
    as_of: str = ""  # "截至 2025-06-30", "2025年第三季度"…; empty: today
    generated_at: dt.datetime | None = None  # empty: now

    def line(self, title: str) -> str:
        """The title row's text, e.g. ``未覆盖规上企业　区域：开发区　截至 2025-06-30　生成时间：2025-07-01 09:30``."""
        generated = timezone.localtime(self.generated_at or timezone.now())
        as_of = self.as_of or _("截至 %(day)s") % {"day": f"{timezone.localdate():%Y-%m-%d}"}
        parts = [
            title,
            _("区域：%(area)s") % {"area": self.area or _("全部区域")},
            as_of,
            _("生成时间：%(at)s") % {"at": f"{generated:%Y-%m-%d %H:%M}"},
        ]
        return "\u3000".join(parts)


def display_width(text: Any) -> int:
    """Columns a text takes in a spreadsheet: a Chinese (wide) character counts two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text or ""))


def wrapped_height(text: Any, width: float) -> float:
    """The height in points of a row whose wrapping cell ``width`` columns wide holds ``text``."""
    lines = sum(max(1, math.ceil(display_width(line) / max(width - 1, 1))) for line in str(text).split("\n"))
    return LINE_HEIGHT * lines + 4


def set_page(sheet, *, landscape: bool = True) -> None:
    """A4, one page wide and as many pages tall as needed, narrow margins, "第 n 页，共 m 页" in the footer.

    Works on write-only sheets too (page setup is written after the rows)."""
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = _("第 &P 页，共 &N 页")


def _merge(sheet, ref: str) -> None:
    if isinstance(sheet, Worksheet):
        sheet.merge_cells(ref)
    else:  # write-only: the ranges are written after the rows
        sheet.merged_cells.add(ref)


def apply_print_layout(
    sheet,
    *,
    title: str,
    headers: Sequence[str],
    widths: Sequence[float] = (),
    heading: Heading | None = None,
    landscape: bool = True,
) -> int:
    """Lay out a fresh (empty) sheet for printing and write its title row and header row; returns the header's
    row number, so the data starts on the row after it.

    Row 1 is ``heading.line(title)`` across every column; row 2 holds ``headers`` in bold, wrapped. The panes are
    frozen under the header, rows 1–2 print on every page, and each column is ``widths[i]`` wide (14 when not
    given), widened to fit its header up to 30 (a longer header wraps). Use it for every sheet a user downloads
    (ledgers, report sections, drill-through lists); write the data rows with ``sheet.append`` afterwards."""
    heading = heading or Heading()
    fitted = []
    for index, header in enumerate(headers):
        given = widths[index] if index < len(widths) else 14
        fitted.append(max(given, min(display_width(header) + 2, MAX_HEADER_WIDTH)))
        sheet.column_dimensions[get_column_letter(index + 1)].width = fitted[-1]
    set_page(sheet, landscape=landscape)
    sheet.freeze_panes = "A3"  # before any row: a write-only sheet writes its view first
    sheet.print_title_rows = "1:2"
    text = heading.line(title)
    sheet.row_dimensions[1].height = max(24, wrapped_height(text, sum(fitted) or 60) * TITLE_FONT.size / 11)
    sheet.row_dimensions[2].height = max(
        [20] + [wrapped_height(h, w) for h, w in zip(headers, fitted, strict=True)]
    )
    if isinstance(sheet, Worksheet):  # a normal sheet: style the cells after writing them
        sheet.append(safe_row(sheet, [text]))
        sheet.append(safe_row(sheet, headers))
        for cell in sheet[1]:
            cell.font, cell.alignment = TITLE_FONT, WRAP
        for cell in sheet[2]:
            cell.font, cell.alignment = HEADER_FONT, HEADER_ALIGNMENT
    else:
        sheet.append([safe_cell(sheet, text, font=TITLE_FONT, alignment=WRAP)])
        sheet.append([safe_cell(sheet, h, font=HEADER_FONT, alignment=HEADER_ALIGNMENT) for h in headers])
    if len(headers) > 1:
        _merge(sheet, f"A1:{get_column_letter(len(headers))}1")
    return 2


# ---------------------------------------------------------------- writing ----


def cell_value(column: Column, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value if isinstance(value, dt.date) else column.format(value)


def write_sheet(
    workbook,
    kind: Kind,
    rows: Iterator[dict[str, Any]],
    *,
    title: str | None = None,
    heading: Heading | None = None,
    title_row: bool = True,
) -> None:
    """Append a write-only sheet: dates as real dates (yyyy-mm-dd) and, for a download, the print layout of
    :func:`apply_print_layout` (title row, frozen header repeated on every page, A4 landscape one page wide).

    ``title_row=False`` (the import template): the header in row 1, frozen, nothing above it."""
    sheet = workbook.create_sheet(title or kind.title)
    if title_row:
        apply_print_layout(
            sheet,
            title=title or kind.title,
            headers=[c.header for c in kind.columns],
            widths=[c.width for c in kind.columns],
            heading=heading,
        )
    else:
        sheet.freeze_panes = "A2"
        for index, column in enumerate(kind.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.append(safe_row(sheet, (c.header for c in kind.columns)))
    formats = [DATE_FORMAT if c.is_date else None for c in kind.columns]
    for values in rows:
        out = []
        for column, number_format in zip(kind.columns, formats, strict=True):
            value = cell_value(column, values.get(column.field))
            out.append(safe_cell(sheet, value, number_format=number_format if value is not None else None))
        sheet.append(out)


def save_workbook(
    sheets: Iterable[tuple[Kind, Iterator[dict], str | None]], *, heading: Heading | None = None
) -> IO[bytes]:
    """A write-only workbook of ``(kind, rows, title)`` sheets in a temporary file (memory stays flat), rewound.

    Every sheet gets the print layout and a title row saying ``heading`` (area, day, when generated)."""
    workbook = openpyxl.Workbook(write_only=True)
    for kind, rows, title in sheets:
        write_sheet(workbook, kind, rows, title=title, heading=heading)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 — returned open; FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return handle


def template_workbook(kind: Kind) -> bytes:
    """The import template: the data sheet with one example row (header in row 1), and a 填写说明 sheet."""
    workbook = openpyxl.Workbook(write_only=True)
    columns = kind.importable
    example = {c.field: c.example for c in columns}
    # An example is already the text a user types into the cell ("否", a credit code), not a stored value:
    # formatting it again iterated a code string ("9、1、4…") and turned the truthy "否" into "是".
    as_typed = tuple(dataclasses.replace(c, format=format_plain) for c in columns)
    write_sheet(workbook, Kind(kind.name, kind.title, as_typed, kind.key), iter([example]), title_row=False)
    notes = workbook.create_sheet(_("填写说明"))
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 8
    notes.column_dimensions["C"].width = 80
    notes.append(safe_row(notes, [_("列名"), _("必填"), _("说明")]))
    for c in columns:
        notes.append(safe_row(notes, [c.header, _("是") if c.required else "", c.note]))
    notes.append([])
    for line in (
        _("第一行是列名，请勿修改；示例行请删除或改成实际数据。空行会被忽略。"),
        _("先“预览”（dry run）查看将新增、修改的内容，确认无误后再导入；任何一行有错误时不会写入任何数据。"),
        _("导出的台账可以直接修改后导入；“所在区域”“覆盖状态”“党员数”等只读列导入时忽略。"),
    ):
        notes.append(safe_row(notes, [line]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- reading ----


def read_upload(file) -> bytes:
    """Bytes of an upload, a path or bytes; reads at most one byte past the size limit."""
    limit = settings.IMPORT_MAX_BYTES + 1
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    if isinstance(file, str):
        with open(file, "rb") as handle:
            return handle.read(limit)
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read(limit)


def megabytes(size: int) -> str:
    """A size as users' file managers show it: MB of 1024 × 1024 bytes, one decimal, rounded up so that a file
    just over the limit never reads as equal to it. The file and the limit go through this one function."""
    return f"{math.ceil(size * 10 / (1024 * 1024)) / 10:.1f}"


def check_package(data: bytes) -> None:
    """Refuse what is not a plain .xlsx before any XML is parsed (raises BadFile)."""
    max_bytes = settings.IMPORT_MAX_BYTES
    if len(data) > max_bytes:
        raise BadFile(
            _("文件过大（%(size)s MB），上限为 %(max)s MB。")
            % {"size": megabytes(len(data)), "max": megabytes(max_bytes)}
        )
    if not data:
        raise BadFile(_("文件是空的。"))
    if data[:8] == CFB_MAGIC:
        raise BadFile(
            _("文件已加密（设置了打开密码）或是旧版 .xls 格式，无法读取。请取消密码并另存为 .xlsx 后上传。")
        )
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise BadFile(_("文件不是 Excel 工作簿（.xlsx），请用 Excel 或 WPS 另存为 .xlsx 后上传。"))
    try:
        with zipfile.ZipFile(buffer) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as exc:
        raise BadFile(_("文件已损坏，无法作为 .xlsx 读取。")) from exc
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise BadFile(_("文件不是 Excel 工作簿（.xlsx），请用 Excel 或 WPS 另存为 .xlsx 后上传。"))
    # Python's zipfile never inflates past a member's declared size, so checking the declared sizes suffices.
    total = sum(i.file_size for i in infos)
    worst = max((i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > 1_000_000), default=0)
    if (
        len(infos) > settings.IMPORT_MAX_ZIP_ENTRIES
        or total > settings.IMPORT_MAX_UNCOMPRESSED_BYTES
        or worst > settings.IMPORT_MAX_ZIP_RATIO
    ):
        raise BadFile(
            _("文件解压后过大（%(size)s MB）或压缩比异常，疑似“压缩炸弹”，已拒绝。")
            % {"size": megabytes(total)}
        )


def declared_rows(data: bytes, title: str) -> int | None:
    """The last row number the data sheet declares in its ``<dimension>`` tag, read from the first bytes of its
    XML without parsing a row or the shared strings; None when the sheet declares none or the package cannot be
    read this far (the full read then reports why, in its own words)."""
    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True)
    except Exception:  # noqa: BLE001 — not a readable package: read_sheet() says why
        return None
    try:
        reader.read_manifest()
        reader.read_workbook()
        targets = [
            (sheet.name, rel.target)
            for sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        ]
        if not targets:
            return None
        target = next((t for name, t in targets if name == title), targets[0][1])  # as _read_rows picks
        with reader.archive.open(target) as handle:
            match = _DIMENSION.search(handle.read(_SHEET_HEAD_BYTES))
    except Exception:  # noqa: BLE001 — as above
        return None
    finally:
        reader.archive.close()
    if match is None:
        return None
    return int(match.group(2) or match.group(1) or 0)


def check_upload(data: bytes, kind: Kind) -> None:
    """Everything that can be refused before the rows are parsed: the package and the declared row count (so a
    200,000-row file is refused in a second instead of after parsing it). Raises BadFile."""
    check_package(data)
    last_row = declared_rows(data, kind.title)
    max_rows = settings.IMPORT_MAX_ROWS
    # The header may sit below a title row (a downloaded ledger): the rows the reader searches for it are not data.
    # The reader then counts the data rows exactly.
    if last_row is not None and last_row - HEADER_SEARCH_ROWS > max_rows:
        raise BadFile(
            _("工作表共有 %(rows)s 行（含空行），超过上限 %(max)s 行，请删除多余的空行或拆分文件后分批导入。")
            % {"rows": last_row - 1, "max": max_rows}
        )


@dataclass
class Sheet:
    """The rows of an uploaded sheet: ``rows`` holds (Excel row number, {field: raw cell}) for non-empty rows."""

    columns: list[Column]
    rows: list[tuple[int, dict[str, Any]]]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_sheet(data: bytes, kind: Kind) -> Sheet:
    """Open the upload safely and return its data rows keyed by field; raises BadFile with a Chinese reason."""
    if not openpyxl.xml.DEFUSEDXML:  # never parse uploads without defusedxml
        raise BadFile(_("服务器未启用安全的 XML 解析（defusedxml），暂不能导入。"))
    try:
        check_upload(data, kind)
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            return _read_rows(workbook, kind)
        finally:
            workbook.close()
    except BadFile:
        raise
    except Exception as exc:  # noqa: BLE001 — any parser failure is "this is not a readable workbook"
        cause: BaseException | None = exc
        while cause is not None:  # openpyxl wraps defusedxml's refusal in a ValueError
            if isinstance(cause, DefusedXmlException):
                raise BadFile(_("文件含有不安全的 XML 内容（实体声明等），已拒绝。")) from exc
            cause = cause.__cause__ or cause.__context__
        raise BadFile(
            _("无法读取该工作簿（%(reason)s），请确认是 Excel 保存的 .xlsx 文件。")
            % {"reason": type(exc).__name__}
        ) from exc


def _header_positions(kind: Kind, cells) -> list[tuple[int, Column]]:
    """(cell index, column) of each importable column a row names, the first of a repeated header winning."""
    by_header = {normalize_text(c.header): c for c in kind.columns}  # NFKC: （） and () match
    positions: list[tuple[int, Column]] = []
    seen = set()
    for index, cell in enumerate(cells or ()):
        column = by_header.get(normalize_text(cell)) if isinstance(cell, str) else None
        if column is not None and column.importable and column.header not in seen:
            positions.append((index, column))
            seen.add(column.header)
    return positions


def _read_rows(workbook, kind: Kind) -> Sheet:
    sheet = workbook[kind.title] if kind.title in workbook.sheetnames else workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    # The header is the row among the first few naming the most columns: row 1 in a template, row 2 in a
    # downloaded ledger (its title row comes first). Rows above the header are not data.
    head = [row for _n, row in zip(range(HEADER_SEARCH_ROWS), rows, strict=False)]
    found = [_header_positions(kind, row) for row in head]
    header_index = max(range(len(head)), key=lambda i: (len(found[i]), -i), default=0)
    positions = found[header_index] if head else []
    seen = {c.header for _i, c in positions}
    missing = [c.header for c in kind.importable if c.required and c.header not in seen]
    if missing:
        raise BadFile(
            _("第 %(row)s 行缺少必填列：%(cols)s。请使用导入模板。")
            % {"row": header_index + 1, "cols": "、".join(missing)}
        )
    rows = itertools.chain(head[header_index + 1 :], rows)
    width = max(i for i, _c in positions) + 1
    max_rows = settings.IMPORT_MAX_ROWS
    out: list[tuple[int, dict[str, Any]]] = []
    number = header_index + 1
    for row in rows:
        number += 1
        if number > 2 * max_rows + 1000:  # a sheet padded with empty rows: stop reading
            break
        cells = row[:width]
        if all(_blank(v) for v in cells):
            continue
        if len(out) >= max_rows:
            raise BadFile(_("数据行超过上限 %(max)s 行，请拆分文件后分批导入。") % {"max": max_rows})
        out.append(
            (number, {c.field: (unquote_text(cells[i]) if i < len(cells) else None) for i, c in positions})
        )
    return Sheet(columns=[c for _i, c in positions], rows=out)
