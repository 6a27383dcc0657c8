"""Reading and writing sheets: the upload's checks, its rows keyed by field, the write-only ledger and the
import template.

Opening an uploaded file is defensive: size, CFB (encrypted or legacy .xls), zip declared sizes and ratios are
checked before openpyxl parses anything, and openpyxl parses XML through defusedxml (entity declarations refused).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import openpyxl
import openpyxl.xml
from defusedxml import DefusedXmlException
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter

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


# ---------------------------------------------------------------- writing ----


def cell_value(column: Column, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value if isinstance(value, dt.date) else column.format(value)


def write_sheet(workbook, kind: Kind, rows: Iterator[dict[str, Any]], *, title: str | None = None) -> None:
    """Append a write-only sheet: frozen header, column widths, dates as real dates (yyyy-mm-dd)."""
    sheet = workbook.create_sheet(title or kind.title)
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


def save_workbook(sheets: Iterable[tuple[Kind, Iterator[dict], str | None]]) -> IO[bytes]:
    """A write-only workbook of ``(kind, rows, title)`` sheets in a temporary file (memory stays flat), rewound."""
    workbook = openpyxl.Workbook(write_only=True)
    for kind, rows, title in sheets:
        write_sheet(workbook, kind, rows, title=title)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 — returned open; FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return handle


def template_workbook(kind: Kind) -> bytes:
    """The import template: the data sheet with one example row, and a 填写说明 sheet."""
    workbook = openpyxl.Workbook(write_only=True)
    columns = kind.importable
    example = {c.field: c.example for c in columns}
    # An example is already the text a user types into the cell ("否", a credit code), not a stored value:
    # formatting it again iterated a code string ("9、1、4…") and turned the truthy "否" into "是".
    as_typed = tuple(dataclasses.replace(c, format=format_plain) for c in columns)
    write_sheet(workbook, Kind(kind.name, kind.title, as_typed, kind.key), iter([example]))
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
    if last_row is not None and last_row - 1 > max_rows:  # row 1 is the header
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


def _read_rows(workbook, kind: Kind) -> Sheet:
    sheet = workbook[kind.title] if kind.title in workbook.sheetnames else workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    by_header = {normalize_text(c.header): c for c in kind.columns}  # NFKC: （） and () match
    positions: list[tuple[int, Column]] = []
    seen = set()
    for index, cell in enumerate(header or ()):
        column = by_header.get(normalize_text(cell))
        if column is not None and column.importable and column.header not in seen:
            positions.append((index, column))
            seen.add(column.header)
    missing = [c.header for c in kind.importable if c.required and c.header not in seen]
    if missing:
        raise BadFile(_("第 1 行缺少必填列：%(cols)s。请使用导入模板。") % {"cols": "、".join(missing)})
    width = max(i for i, _c in positions) + 1
    max_rows = settings.IMPORT_MAX_ROWS
    out: list[tuple[int, dict[str, Any]]] = []
    number = 1
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
