"""Reading and writing sheets: the upload's checks, its rows keyed by field, the write-only ledger and the
import template.

Opening an uploaded file is defensive: size, CFB (encrypted or legacy .xls), zip declared sizes and ratios are
checked before openpyxl parses anything, and openpyxl parses XML through defusedxml (entity declarations refused).
"""

from __future__ import annotations

import datetime as dt
import io
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
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from registry.rules import normalize_text

from .cells import Column, Kind

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DATE_FORMAT = "yyyy-mm-dd"


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
    sheet.append(list(c.header for c in kind.columns))
    date_columns = [i for i, c in enumerate(kind.columns) if c.is_date]
    for values in rows:
        out = [cell_value(c, values.get(c.field)) for c in kind.columns]
        for i in date_columns:
            if out[i] is not None:
                cell = WriteOnlyCell(sheet, value=out[i])
                cell.number_format = DATE_FORMAT
                out[i] = cell
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
    template_kind = Kind(kind.name, kind.title, columns, kind.key)
    write_sheet(workbook, template_kind, iter([example]))
    notes = workbook.create_sheet(_("填写说明"))
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 8
    notes.column_dimensions["C"].width = 80
    notes.append([_("列名"), _("必填"), _("说明")])
    for c in columns:
        notes.append([c.header, _("是") if c.required else "", c.note])
    notes.append([])
    for line in (
        _("第一行是列名，请勿修改；示例行请删除或改成实际数据。空行会被忽略。"),
        _("先“预览”（dry run）查看将新增、修改的内容，确认无误后再导入；任何一行有错误时不会写入任何数据。"),
        _("导出的台账可以直接修改后导入；“所在区域”“覆盖状态”“党员数”等只读列导入时忽略。"),
    ):
        notes.append([line])
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


def check_package(data: bytes) -> None:
    """Refuse what is not a plain .xlsx before any XML is parsed (raises BadFile)."""
    max_bytes = settings.IMPORT_MAX_BYTES
    if len(data) > max_bytes:
        raise BadFile(
            _("文件过大（%(size).1f MB），上限为 %(max).0f MB。")
            % {"size": len(data) / 1e6, "max": max_bytes / 1e6}
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
            _("文件解压后过大（%(size).0f MB）或压缩比异常，疑似“压缩炸弹”，已拒绝。") % {"size": total / 1e6}
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
    check_package(data)
    try:
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
        out.append((number, {c.field: (cells[i] if i < len(cells) else None) for i, c in positions}))
    return Sheet(columns=[c for _i, c in positions], rows=out)
