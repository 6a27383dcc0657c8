"""Cells and columns: how one cell is read (``parse_*``, raising ValidationError with a Chinese message) and
written (``format_*``), and the :class:`Column` / :class:`Kind` an app declares its workbook with.

Nothing here knows a model: the apps' workbook modules (registry/workbook.py, orgs/workbook.py,
members/workbook.py) declare their kinds with these pieces.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell

from registry.rules import check_not_future, normalize_code, normalize_text
from registry.validators import check_text

_TEXT_DATE = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?$")
TRUE_WORDS = {"是", "Y", "YES", "TRUE", "1", "√", "✓"}
FALSE_WORDS = {"否", "N", "NO", "FALSE", "0", "×", "✗"}


# ---------------------------------------------------------------- formula injection ----
# OWASP "CSV injection": a spreadsheet evaluates a cell typed as text that starts with one of these. Every value
# any of our files (xlsx or CSV) holds goes through safe_cell() / safe_csv_value() below, which both ask
# looks_like_formula(); the importer undoes the CSV quote with unquote_text().
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def looks_like_formula(value: Any) -> bool:
    """True for text an office suite would evaluate (or start evaluating) when it is typed or read from CSV."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def safe_csv_value(value: Any) -> Any:
    """A CSV value that is data: text that looks like a formula gets a leading ``'`` (OWASP's advice).

    CSV has no cell types, so the quote is the only defence; Excel and LibreOffice show it, and our importer
    removes it again (:func:`unquote_text`). Numbers stay numbers (a negative number is not text); text that
    happens to read as a number ("-2.5") is quoted too: simpler than deciding what a suite would parse."""
    return QUOTE + value if looks_like_formula(value) else value


def safe_cell(sheet, value: Any, **style: Any) -> Any:
    """A write-only xlsx cell (or the bare value) that no office suite evaluates; ``style``: font, number_format…

    For xlsx we do NOT prefix a quote: the value would then read back with the quote. Instead a text cell is
    written as an explicit string cell (data_type ``s``: openpyxl would otherwise turn text starting with ``=``
    into a formula) with Excel's ``quotePrefix`` style, so it stays text even when someone edits the cell and
    presses Enter. Numbers, dates and booleans are written as themselves."""
    risky = looks_like_formula(value)
    style = {name: setting for name, setting in style.items() if setting is not None}
    if not risky and not style:
        return value  # plain values: write-only sheets convert them without a Cell object per value
    cell = WriteOnlyCell(sheet, value=value)
    if risky:
        cell.data_type = "s"
        cell.quotePrefix = True
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def safe_row(sheet, values) -> list[Any]:
    """A row for ``sheet.append()`` with every value passed through :func:`safe_cell`."""
    return [safe_cell(sheet, v) for v in values]


def unquote_text(value: Any) -> Any:
    """Undo :func:`safe_csv_value` on an uploaded cell: ``'=1+1`` (a CSV export saved as xlsx) → ``=1+1``."""
    if isinstance(value, str) and value.startswith(QUOTE) and looks_like_formula(value[1:]):
        return value[1:]
    return value


# ---------------------------------------------------------------- parsers (raise ValidationError) ----


def as_excel_number(value: Any) -> str:
    """How Excel shows a long code it turned into a number: 4.40802E+17."""
    return f"{value:.5E}"


def parse_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into a number cell
    if isinstance(value, dt.datetime | dt.date):
        value = value.strftime("%Y-%m-%d")
    return check_text(normalize_text(value))  # no NUL or control character gets in (registry.validators)


def parse_code(value: Any) -> str:
    """A code cell: a number cell means Excel already rounded it; that is reported by the code's own rule."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return as_excel_number(value)
    return normalize_code(value)


def parse_phone(value: Any) -> str:
    text = parse_text(value)
    if "*" in text:
        raise ValidationError(_("联系电话已脱敏（含 *），不能用于导入，请填写完整号码或删除该列。"))
    return text


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValidationError(
            _("日期“%(v)s”是数字，请填写日期（如 2025-03-01）或设为日期格式。") % {"v": value}
        )
    text = normalize_text(value)
    match = _TEXT_DATE.match(text)
    if match:
        try:
            return dt.date(*(int(g) for g in match.groups()))
        except ValueError:
            pass
    raise ValidationError(
        _("无法识别的日期“%(v)s”，请填写如 2025-03-01、2025/3/1 或 2025年3月1日。") % {"v": text}
    )


def parse_past_date(value: Any) -> dt.date:
    """A date of something that has happened (成立, 入党, 递交申请…): refused when after today, as forms and the API
    refuse it (registry.rules.check_not_future)."""
    return check_not_future(parse_date(value))


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValidationError(_("应为整数。"))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = normalize_text(value).replace(",", "")
        if not re.fullmatch(r"\d+", text):
            raise ValidationError(_("“%(v)s”不是整数。") % {"v": text})
        number = int(text)
    if number < 0:
        raise ValidationError(_("不能为负数。"))
    return number


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = normalize_text(value).upper()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValidationError(_("应填写“是”或“否”，当前为“%(v)s”。") % {"v": normalize_text(value)})


def choice_parser(choices: type[models.TextChoices]) -> Callable[[Any], str]:
    """Chinese label (or the code) → code."""
    by_text = {str(label): value for value, label in choices.choices} | {v: v for v in choices.values}

    def parse(value: Any) -> str:
        text = normalize_text(value)
        if text in by_text:
            return by_text[text]
        raise ValidationError(
            _("“%(v)s”不是有效的选项，可选：%(options)s。")
            % {"v": text, "options": "、".join(str(label) for label in choices.labels)}
        )

    return parse


# ---------------------------------------------------------------- formatters ----


def choice_formatter(choices: type[models.TextChoices]) -> Callable[[Any], Any]:
    labels = dict(choices.choices)
    return lambda value: str(labels[value]) if value in labels else (value or None)


def format_plain(value: Any) -> Any:
    if value in ("", None):
        return None
    return value


def format_bool(value: Any) -> str:
    return _("是") if value else _("否")


def format_codes(value: tuple[str, ...]) -> str | None:
    return "、".join(value) if value else None


# ---------------------------------------------------------------- columns and kinds ----


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    parse: Callable[[Any], Any] = parse_text
    format: Callable[[Any], Any] = format_plain
    required: bool = False
    width: int = 14
    importable: bool = True  # False: export only (figures as of today), ignored by the import
    empty: Any = ""  # the value of a blank cell in an optional column
    example: Any = None
    note: str = ""

    @property
    def is_date(self) -> bool:
        return self.parse in (parse_date, parse_past_date)

    def display(self, value: Any) -> str:
        """A value as text for the dry-run diff."""
        if isinstance(value, dt.date):
            return value.isoformat()
        shown = self.format(value)
        return "" if shown is None else str(shown)


@dataclass(frozen=True)
class Kind:
    """One workbook kind: ONE column definition used by the export, the import and the template."""

    name: str  # enterprises | organizations | members | assignments | instructors
    title: str  # also the data sheet's title
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # natural key fields
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def importable(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.importable)

    def column(self, field_name: str) -> Column | None:
        return next((c for c in self.columns if c.field == field_name), None)

    def header_of(self, field_name: str) -> str:
        col = self.column(field_name)
        return col.header if col else ""
