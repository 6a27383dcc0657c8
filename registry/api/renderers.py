"""``format=csv`` and ``format=xlsx`` on any API response: the same data as a file.

Nested objects flatten to dotted columns (``breakdown.single``); a paginated or plain list gives one row per item.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework.renderers import BaseRenderer

from registry.excel.cells import safe_csv_value, safe_row


def _flatten(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        out = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}{key}."))
        return out
    if isinstance(value, list):
        return {prefix[:-1]: "、".join(str(v) for v in value)}
    return {prefix[:-1]: value}


def table(data) -> tuple[list[str], list[list]]:
    """Header and rows from a response body."""
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        items = data["results"]
    elif isinstance(data, list):
        items = data
    else:
        items = [data]
    rows = [_flatten(item) if isinstance(item, dict) else {"value": item} for item in items]
    header: list[str] = []
    for row in rows:
        header += [k for k in row if k not in header]
    return header, [[row.get(k) for k in header] for row in rows]


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        header, rows = table(data)
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese text correctly only with a BOM
        writer = csv.writer(buffer)
        # Every value is data, never a formula, when Excel or LibreOffice opens the file.
        writer.writerow(safe_csv_value(v) for v in header)
        writer.writerows(["" if v is None else safe_csv_value(v) for v in row] for row in rows)
        return buffer.getvalue().encode("utf-8")


def _cell(value):
    """A value a worksheet accepts: control characters (which Excel cannot store) are dropped."""
    if value is None or isinstance(value, int | float):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))


class XLSXRenderer(BaseRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        header, rows = table(data)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("data")
        sheet.freeze_panes = "A2"
        sheet.append(safe_row(sheet, header))
        for row in rows:
            sheet.append(safe_row(sheet, [_cell(v) for v in row]))
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Disposition"] = 'attachment; filename="data.xlsx"'
        return buffer.getvalue()
