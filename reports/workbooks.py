"""Workbook kinds: ONE column definition per kind, used by export, import and the template.

Each column names its Chinese header, the field it carries, how a cell is parsed (raising ValidationError with a
Chinese message) and how a value is written. ``current(obj)`` gives a record's values in sheet form (area code,
credit codes, labels' codes), and both the export and the import's diff read it, so an exported ledger imports
back as "0 changes".

Opening an uploaded file is defensive: size, CFB (encrypted or legacy .xls), zip declared sizes and ratios are
checked before openpyxl parses anything, and openpyxl parses XML through defusedxml (entity declarations refused).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import openpyxl.xml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from members.choices import Education, EndReason, Gender, MemberCategory
from members.rules import mask_phone, validate_id_number
from orgs.choices import OrgKind, Setup
from registry.choices import Category, CoverageState, EconomicType
from registry.dating import holds_on
from registry.rules import credit_code_check_char, normalize_code, normalize_text, validate_credit_code

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DATE_FORMAT = "yyyy-mm-dd"
CODE_SEPARATORS = re.compile(r"[、,，;；\s]+")
_TEXT_DATE = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?$")
TRUE_WORDS = {"是", "Y", "YES", "TRUE", "1", "√", "✓"}
FALSE_WORDS = {"否", "N", "NO", "FALSE", "0", "×", "✗"}


class BadFile(Exception):
    """The upload cannot be read as a workbook; ``message`` is Chinese and names the reason."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- cell parsers (raise ValidationError) ----


def _as_excel_number(value: Any) -> str:
    """How Excel shows a long code it turned into a number: 4.40802E+17."""
    return f"{value:.5E}"


def parse_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a phone number typed into a number cell
    if isinstance(value, dt.datetime | dt.date):
        value = value.strftime("%Y-%m-%d")
    return normalize_text(value)


def parse_code(value: Any) -> str:
    """A code cell: a number cell means Excel already rounded it; that is reported by the code's own rule."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _as_excel_number(value)
    return normalize_code(value)


def parse_credit_code(value: Any) -> str:
    return validate_credit_code(parse_code(value))


def parse_id_number(value: Any) -> str:
    code = parse_code(value)
    if "*" in code:
        raise ValidationError(_("身份证号码已脱敏（含 *），不能用于导入，请填写完整号码。"))
    return validate_id_number(code)


def parse_phone(value: Any) -> str:
    text = parse_text(value)
    if "*" in text:
        raise ValidationError(_("联系电话已脱敏（含 *），不能用于导入，请填写完整号码或删除该列。"))
    return text


def parse_credit_codes(value: Any) -> tuple[str, ...]:
    """Several credit codes in one cell, separated by 、 , ; or line breaks."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (parse_credit_code(value),)
    codes, errors = set(), []
    for part in CODE_SEPARATORS.split(normalize_text(value)):
        if not part:
            continue
        try:
            codes.add(validate_credit_code(part))
        except ValidationError as exc:
            errors += [f"{part}：{m}" for m in exc.messages]
    if errors:
        raise ValidationError(errors)
    return tuple(sorted(codes))


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
        return self.parse is parse_date

    def display(self, value: Any) -> str:
        """A value as text for the dry-run diff."""
        if isinstance(value, dt.date):
            return value.isoformat()
        shown = self.format(value)
        return "" if shown is None else str(shown)


@dataclass(frozen=True)
class Kind:
    name: str  # enterprises | organizations | members | assignments
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


def _example_credit_code(n: int) -> str:
    first17 = f"91440800{n:09d}"
    return first17 + credit_code_check_char(first17)


def _area_code_parse(value: Any) -> str:
    return normalize_code(value)


ENTERPRISES = Kind(
    name="enterprises",
    title="单位台账",
    key=("credit_code",),
    columns=(
        Column(
            "统一社会信用代码",
            "credit_code",
            parse_credit_code,
            required=True,
            width=22,
            example=_example_credit_code(1),
            note="18 位；请把该列设为“文本”，否则 Excel 会把代码变成数字。",
        ),
        Column("单位名称", "name", required=True, width=30, example="示例科技有限公司"),
        Column(
            "类别",
            "category",
            choice_parser(Category),
            choice_formatter(Category),
            required=True,
            width=10,
            example="非公企业",
            note="非公企业 / 社会组织",
        ),
        Column(
            "经济类型",
            "economic_type",
            choice_parser(EconomicType),
            choice_formatter(EconomicType),
            required=True,
            example="私营企业",
            note="、".join(str(x) for x in EconomicType.labels),
        ),
        Column("所属行业", "industry", example="制造业"),
        Column(
            "区域代码",
            "area",
            _area_code_parse,
            required=True,
            width=12,
            example="KFQ",
            note="系统中的区域代码（区域管理中可查）。",
        ),
        Column("所在区域", "area_name", importable=False, width=14),
        Column(
            "规模以上",
            "above_scale",
            parse_bool,
            format_bool,
            width=9,
            empty=False,
            example="是",
            note="是 / 否（截至今日）。",
        ),
        Column(
            "规上起始日期",
            "above_scale_since",
            parse_date,
            empty=None,
            width=12,
            example=dt.date(2024, 1, 1),
            note="仅在规上状态变化时使用：新建单位留空则自成立日期起算；已有单位留空则自今日起。",
        ),
        Column("从业人员数", "employees", parse_int, empty=None, width=10, example=120),
        Column(
            "成立日期",
            "established_on",
            parse_date,
            required=True,
            width=12,
            example=dt.date(2015, 3, 1),
            note="可填 2025-03-01、2025/3/1 或 2025年3月1日。",
        ),
        Column(
            "注销/迁出日期",
            "deregistered_on",
            parse_date,
            empty=None,
            width=12,
            note="在营单位留空；填写后该单位的党组织覆盖关系和指导员联系同日结束。",
        ),
        Column("地址", "address", width=30, example="示范路 1 号"),
        Column("联系人", "contact_person", width=10, example="张三"),
        Column("联系电话", "contact_phone", parse_phone, width=14, example="0759-1234567"),
        Column("覆盖状态", "coverage", format=choice_formatter(CoverageState), importable=False, width=10),
        Column("党员数", "party_members", importable=False, width=8),
    ),
)

ORGANIZATIONS = Kind(
    name="organizations",
    title="党组织",
    key=("name", "area"),
    columns=(
        Column("组织名称", "name", required=True, width=30, example="中共示例科技有限公司支部委员会"),
        Column(
            "区域代码",
            "area",
            _area_code_parse,
            required=True,
            width=12,
            example="KFQ",
            note="组织名称 + 区域代码 识别一个党组织。",
        ),
        Column("所在区域", "area_name", importable=False, width=14),
        Column(
            "组织类别",
            "kind",
            choice_parser(OrgKind),
            choice_formatter(OrgKind),
            required=True,
            width=10,
            example="党支部",
            note="党委 / 党总支 / 党支部",
        ),
        Column(
            "组建方式",
            "setup",
            choice_parser(Setup),
            choice_formatter(Setup),
            required=True,
            width=10,
            example="单独组建",
            note="单独组建 / 联合组建",
        ),
        Column(
            "覆盖单位信用代码",
            "enterprises",
            parse_credit_codes,
            format_codes,
            required=True,
            width=40,
            example=_example_credit_code(1),
            note="多个代码用顿号“、”分隔；单独组建 1 个，联合组建 2 个及以上。变更自今日起生效。",
        ),
        Column("覆盖单位", "enterprise_names", importable=False, width=40),
        Column("上级党组织", "parent_name", width=24, note="上级党组织的名称，可留空。"),
        Column("上级党组织区域代码", "parent_area", _area_code_parse, width=12),
        Column("成立日期", "founded_on", parse_date, required=True, width=12, example=dt.date(2018, 7, 1)),
        Column(
            "撤销日期",
            "dissolved_on",
            parse_date,
            empty=None,
            width=12,
            note="存续时留空；填写后覆盖关系同日结束。",
        ),
        Column("批复文号", "approval_no", width=18, example="示组〔2018〕12号"),
        Column("已设立委员会", "has_committee", parse_bool, format_bool, empty=False, width=10, example="否"),
        Column(
            "本届任期届满日期", "term_ends_on", parse_date, empty=None, width=14, example=dt.date(2027, 6, 30)
        ),
        Column("党员数", "member_count", importable=False, width=8),
    ),
)

MEMBERS = Kind(
    name="members",
    title="党员",
    key=("id_number",),
    columns=(
        Column("姓名", "name", required=True, width=10, example="李四"),
        Column(
            "身份证号码",
            "id_number",
            parse_id_number,
            required=True,
            width=22,
            example="11010519491231002X",
            note="18 位；请把该列设为“文本”。导出的脱敏号码不能导入。",
        ),
        Column(
            "性别",
            "gender",
            choice_parser(Gender),
            choice_formatter(Gender),
            required=True,
            width=6,
            example="女",
        ),
        Column("民族", "ethnicity", required=True, width=8, example="汉族"),
        Column("出生日期", "birth_date", parse_date, required=True, width=12, example=dt.date(1949, 12, 31)),
        Column(
            "学历",
            "education",
            choice_parser(Education),
            choice_formatter(Education),
            required=True,
            width=12,
            example="大学本科",
            note="、".join(str(x) for x in Education.labels),
        ),
        Column("联系电话", "phone", parse_phone, width=14, example="13800000000"),
        Column(
            "党员类别",
            "category",
            choice_parser(MemberCategory),
            choice_formatter(MemberCategory),
            required=True,
            width=10,
            example="正式党员",
        ),
        Column(
            "入党（转入）日期", "joined_on", parse_date, required=True, width=14, example=dt.date(2019, 7, 1)
        ),
        Column(
            "所在党组织",
            "organization_name",
            required=True,
            width=30,
            example="中共示例科技有限公司支部委员会",
            note="组织关系所在党组织的名称。",
        ),
        Column(
            "党组织区域代码", "organization_area", _area_code_parse, required=True, width=12, example="KFQ"
        ),
        Column(
            "工作单位信用代码",
            "enterprise",
            parse_credit_code,
            empty="",
            width=22,
            example=_example_credit_code(1),
        ),
        Column("工作单位", "enterprise_name", importable=False, width=30),
        Column("流动党员", "is_mobile", parse_bool, format_bool, empty=False, width=8, example="否"),
        Column("离退休", "retired", parse_bool, format_bool, empty=False, width=8, example="否"),
        Column("减少日期", "ended_on", parse_date, empty=None, width=12),
        Column(
            "减少原因",
            "end_reason",
            choice_parser(EndReason),
            choice_formatter(EndReason),
            width=14,
            note="、".join(str(x) for x in EndReason.labels),
        ),
    ),
)

ASSIGNMENTS = Kind(
    name="assignments",
    title="指导员联系单位",
    key=("instructor_name", "enterprise", "start"),
    columns=(
        Column(
            "指导员姓名",
            "instructor_name",
            required=True,
            width=10,
            example="王五",
            note="须是系统中已登记的党建指导员。",
        ),
        Column(
            "指导员所属区域代码",
            "instructor_area",
            _area_code_parse,
            width=12,
            example="KFQ",
            note="有同名指导员时用于区分。",
        ),
        Column(
            "联系单位信用代码",
            "enterprise",
            parse_credit_code,
            required=True,
            width=22,
            example=_example_credit_code(1),
        ),
        Column("联系单位", "enterprise_name", importable=False, width=30),
        Column("开始日期", "start", parse_date, required=True, width=12, example=dt.date(2025, 3, 1)),
        Column("结束日期", "end", parse_date, empty=None, width=12, note="仍在联系时留空。"),
    ),
)

INSTRUCTORS = Kind(  # export only: one row per instructor, their current firms listed
    name="instructors",
    title="党建指导员",
    key=("name",),
    columns=(
        Column("姓名", "name", width=10),
        Column("派出单位", "unit", width=20),
        Column("专职", "full_time", format=format_bool, width=6),
        Column("联系电话", "phone", width=14),
        Column("所属区域代码", "area", width=12),
        Column("所属区域", "area_name", width=14),
        Column("离任日期", "ended_on", parse_date, width=12),
        Column("当前联系单位数", "firm_count", width=10),
        Column("当前联系单位", "firms", width=50),
    ),
)

KINDS: dict[str, Kind] = {k.name: k for k in (ENTERPRISES, ORGANIZATIONS, MEMBERS, ASSIGNMENTS)}


# ---------------------------------------------------------------- records in sheet form ----


def enterprise_values(e, *, today: dt.date | None = None) -> dict[str, Any]:
    """An enterprise as a ledger row. Needs ``above_scale_since_now`` (start of today's 规上 period or None);
    ``coverage``/``party_members`` when exporting."""
    since = getattr(e, "above_scale_since_now", None)
    return {
        "credit_code": e.credit_code,
        "name": e.name,
        "category": e.category,
        "economic_type": e.economic_type,
        "industry": e.industry,
        "area": e.area.code,
        "area_name": e.area.name,
        "above_scale": since is not None,
        "above_scale_since": since,
        "employees": e.employees,
        "established_on": e.established_on,
        "deregistered_on": e.deregistered_on,
        "address": e.address,
        "contact_person": e.contact_person,
        "contact_phone": e.contact_phone,
        "coverage": getattr(e, "coverage", None),
        "party_members": getattr(e, "party_members", None),
    }


def links_reference_date(org, today: dt.date) -> dt.date:
    """The day an organisation's "current" enterprises are read: today, its founding day if later, or its last
    day if dissolved."""
    on = today
    if org.dissolved_on and org.dissolved_on <= on:
        on = org.dissolved_on - dt.timedelta(days=1)
    return max(on, org.founded_on)


def current_links(org, today: dt.date) -> list:
    """Links holding on the reference date; needs ``org.links`` prefetched with their enterprises."""
    on = links_reference_date(org, today)
    return [link for link in org.links.all() if holds_on(on, link.start, link.end)]


def organization_values(o, *, today: dt.date) -> dict[str, Any]:
    links = sorted(current_links(o, today), key=lambda link: link.enterprise.credit_code)
    parent = o.parent
    return {
        "name": o.name,
        "area": o.area.code,
        "area_name": o.area.name,
        "kind": o.kind,
        "setup": o.setup,
        "enterprises": tuple(link.enterprise.credit_code for link in links),
        "enterprise_names": "、".join(link.enterprise.name for link in links),
        "parent_name": parent.name if parent else "",
        "parent_area": parent.area.code if parent else "",
        "founded_on": o.founded_on,
        "dissolved_on": o.dissolved_on,
        "approval_no": o.approval_no,
        "has_committee": o.has_committee,
        "term_ends_on": o.term_ends_on,
        "member_count": getattr(o, "member_count", None),
    }


def member_values(m, *, reveal: bool = False) -> dict[str, Any]:
    from members.rules import mask_id_number

    return {
        "name": m.name,
        "id_number": m.id_number if reveal else mask_id_number(m.id_number),
        "gender": m.gender,
        "ethnicity": m.ethnicity,
        "birth_date": m.birth_date,
        "education": m.education,
        "phone": m.phone if reveal else mask_phone(m.phone),
        "category": m.category,
        "joined_on": m.joined_on,
        "organization_name": m.organization.name,
        "organization_area": m.organization.area.code,
        "enterprise": m.enterprise.credit_code if m.enterprise_id else "",
        "enterprise_name": m.enterprise.name if m.enterprise_id else "",
        "is_mobile": m.is_mobile,
        "retired": m.retired,
        "ended_on": m.ended_on,
        "end_reason": m.end_reason,
    }


def assignment_values(a) -> dict[str, Any]:
    return {
        "instructor_name": a.instructor.name,
        "instructor_area": a.instructor.area.code,
        "enterprise": a.enterprise.credit_code,
        "enterprise_name": a.enterprise.name,
        "start": a.start,
        "end": a.end,
    }


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
    from defusedxml import DefusedXmlException

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
