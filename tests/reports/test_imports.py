"""Excel import: dry run diffs, all-or-nothing writes, real-world cells, the malformed-file corpus, jobs, query counts."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from members.models import Instructor, InstructorAssignment, Member
from orgs.models import PartyOrganization
from registry.models import AboveScalePeriod, Enterprise, RecomputeRequest
from reports.exports import export_enterprises, export_instructors, export_members, export_organizations
from reports.imports import run_import, start_job
from reports.models import ImportJob
from reports.workbooks import ENTERPRISES, KINDS, MEMBERS, ORGANIZATIONS
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    InstructorFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_credit_code,
    make_id_number,
    make_user,
)

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ENT_HEADERS = ["统一社会信用代码", "单位名称", "类别", "经济类型", "区域代码", "规模以上", "成立日期"]


def workbook(headers: list[str], rows: list[list], title: str = "Sheet") -> bytes:
    """A workbook as a person would make it (normal mode, cells typed as given)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def firm_row(n: int, **over) -> list:
    values = {
        "code": make_credit_code(n),
        "name": f"导入企业{n}",
        "category": "非公企业",
        "economic": "私营企业",
        "area": "P1",
        "above": "否",
        "established": dt.date(2020, 1, 1),
    } | over
    return list(values.values())


@pytest.fixture
def zone():
    z = AreaFactory(code="Z", kind="district", name="示范区")
    AreaFactory(code="P1", parent=z, name="园区一")
    AreaFactory(code="P2", parent=z, name="园区二")
    return z


@pytest.fixture
def staff(zone):
    return make_user("clerk", role="staff", area=zone)


@pytest.fixture
def api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


def post(api, kind: str, data: bytes, dry_run: str = "true", name: str = "upload.xlsx"):
    upload = io.BytesIO(data)
    upload.name = name
    return api.post(f"/api/v1/imports/{kind}/", {"file": upload, "dry_run": dry_run}, format="multipart")


# ---------------------------------------------------------------- template ----


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_template_has_chinese_headers_an_example_row_and_notes(api, kind):
    response = api.get(f"/api/v1/imports/{kind}/template/")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == [KINDS[kind].title, "填写说明"]
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    assert list(rows[0]) == [c.header for c in KINDS[kind].importable]
    assert len(rows) == 2 and rows[1][0] is not None
    assert wb.worksheets[0].freeze_panes == "A2"
    notes = [r[0] for r in wb["填写说明"].iter_rows(values_only=True)]
    assert notes[0] == "列名" and notes[1] == KINDS[kind].importable[0].header


def test_template_example_row_is_valid_input(zone, staff):
    """The example row of the enterprise template validates (its area code aside)."""
    from reports.workbooks import template_workbook

    AreaFactory(code="KFQ", parent=zone)
    result = run_import("enterprises", template_workbook(ENTERPRISES), dry_run=True, user=staff)
    assert result.errors == []
    assert result.summary["created"] == 1


# ---------------------------------------------------------------- dry run and commit ----


def test_dry_run_lists_creates_and_writes_nothing(api):
    data = workbook(ENT_HEADERS, [firm_row(1), firm_row(2, above="是")])
    response = post(api, "enterprises", data)
    assert response.status_code == 200
    body = response.json()
    assert body["summary"] == {
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "changes": 2,
        "errors": 0,
    }
    assert body["applied"] is False
    assert [r["action"] for r in body["rows"]] == ["create", "create"]
    assert body["rows"][0]["row"] == 2 and body["rows"][0]["key"] == make_credit_code(1)
    assert Enterprise.objects.count() == 0


def test_commit_creates_with_above_scale_period_and_outbox_rows(api, zone):
    data = workbook(ENT_HEADERS, [firm_row(1), firm_row(2, above="是", area="P2")])
    response = post(api, "enterprises", data, dry_run="false")
    assert response.status_code == 200
    assert response.json()["applied"] is True
    second = Enterprise.objects.get(credit_code=make_credit_code(2))
    assert second.name == "导入企业2" and second.area.code == "P2"
    assert list(AboveScalePeriod.objects.values_list("enterprise__credit_code", "start", "end")) == [
        (make_credit_code(2), dt.date(2020, 1, 1), None)
    ]
    assert sorted(RecomputeRequest.objects.values_list("area__code", "since")) == [
        ("P1", dt.date(2020, 1, 1)),
        ("P2", dt.date(2020, 1, 1)),
    ]


def test_dry_run_shows_field_by_field_changes_then_commit_applies_them(api, zone):
    firm = EnterpriseFactory(
        credit_code=make_credit_code(7), name="旧名称", area=zone.children.get(code="P1")
    )
    data = workbook(
        [*ENT_HEADERS, "从业人员数", "规上起始日期"],
        [firm_row(7, name="新名称", above="是", established=dt.date(2015, 1, 1)) + [35, dt.date(2025, 1, 1)]],
    )
    body = post(api, "enterprises", data).json()
    assert body["summary"]["updated"] == 1
    assert body["rows"][0]["changes"] == [
        {"column": "单位名称", "old": "旧名称", "new": "新名称"},
        {"column": "规模以上", "old": "否", "new": "是"},
        {"column": "从业人员数", "old": "", "new": "35"},
        {"column": "规上起始日期", "old": "", "new": "2025-01-01"},
    ]
    firm.refresh_from_db()
    assert firm.name == "旧名称"
    assert post(api, "enterprises", data, dry_run="false").status_code == 200
    firm.refresh_from_db()
    assert (firm.name, firm.employees) == ("新名称", 35)
    assert list(firm.above_scale_periods.values_list("start", "end")) == [(dt.date(2025, 1, 1), None)]
    # The same file again: nothing left to change.
    assert post(api, "enterprises", data).json()["summary"]["changes"] == 0


def test_deregistering_through_import_ends_open_links(api, zone):
    firm = EnterpriseFactory(credit_code=make_credit_code(3), area=zone.children.get(code="P1"))
    link = LinkFactory(enterprise=firm, start=dt.date(2018, 1, 1))
    data = workbook(
        [*ENT_HEADERS, "注销/迁出日期"], [firm_row(3, established=dt.date(2015, 1, 1)) + ["2024/6/30"]]
    )
    assert post(api, "enterprises", data, dry_run="false").status_code == 200
    link.refresh_from_db()
    assert link.end == dt.date(2024, 6, 30)


# ---------------------------------------------------------------- all or nothing ----


def test_a_bad_row_writes_nothing_and_names_row_and_column(api):
    data = workbook(
        ENT_HEADERS,
        [
            firm_row(1),
            firm_row(2, category="国企"),
            firm_row(3, code="91440800000000003X"),
            firm_row(4, area="NOPE"),
        ],
    )
    response = post(api, "enterprises", data, dry_run="false")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors == [
        {"row": 3, "column": "类别", "message": "“国企”不是有效的选项，可选：非公企业、社会组织。"},
        {
            "row": 4,
            "column": "统一社会信用代码",
            "message": "统一社会信用代码校验位错误：最后一位应为 H，请核对。",
        },
        {"row": 5, "column": "区域代码", "message": "未知的区域代码“NOPE”。"},
    ]
    assert response.json()["applied"] is False
    assert Enterprise.objects.count() == 0 and RecomputeRequest.objects.count() == 0


def test_duplicate_key_in_file_and_model_rule_are_reported(api):
    data = workbook(
        [*ENT_HEADERS, "注销/迁出日期"],
        [firm_row(1) + [None], firm_row(1) + [None], firm_row(2) + [dt.date(2019, 1, 1)]],
    )
    errors = post(api, "enterprises", data).json()["errors"]
    assert errors == [
        {"row": 3, "column": "统一社会信用代码", "message": f"与第 2 行重复（{make_credit_code(1)}）。"},
        {"row": 4, "column": "注销/迁出日期", "message": "注销/迁出日期应晚于成立日期。"},
    ]


def test_area_outside_the_users_scope_is_refused(zone):
    other = AreaFactory(code="Y", kind="district")
    park_user = make_user("p1", role="staff", area=zone.children.get(code="P1"))
    result = run_import(
        "enterprises", workbook(ENT_HEADERS, [firm_row(1, area="P2")]), dry_run=False, user=park_user
    )
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (2, "区域代码", "区域“P2”不在您的管辖范围内。")
    ]
    EnterpriseFactory(credit_code=make_credit_code(5), area=other)
    result = run_import("enterprises", workbook(ENT_HEADERS, [firm_row(5)]), dry_run=True, user=park_user)
    assert [(e.row, e.column) for e in result.errors] == [(2, "统一社会信用代码")]
    assert "不在您的管辖范围内" in result.errors[0].message


@pytest.mark.parametrize("role", ["reader", "park", None])
def test_only_writers_may_import(zone, role):
    client = APIClient()
    client.force_authenticate(make_user("someone", role=role, area=zone))
    response = post(client, "enterprises", workbook(ENT_HEADERS, [firm_row(1)]))
    assert response.status_code == 403
    assert Enterprise.objects.count() == 0


def test_unknown_kind_is_404(api):
    assert api.get("/api/v1/imports/people/template/").status_code == 404
    assert post(api, "people", b"x").status_code == 404


# ---------------------------------------------------------------- real-world input ----


def test_codes_excel_turned_into_numbers_are_rejected_with_a_message_saying_so(api, zone):
    OrganizationFactory(name="一支部", area=zone.children.get(code="P1"))
    headers = [c.header for c in MEMBERS.importable if c.required]
    base = [
        "张三",
        None,
        "男",
        "汉族",
        dt.date(1985, 6, 1),
        "大学本科",
        "正式党员",
        dt.date(2019, 1, 1),
        "一支部",
        "P1",
    ]
    rows = []
    for value in (440802198506010017.0, "4.40802E+17"):
        row = list(base)
        row[1] = value
        rows.append(row)
    response = post(api, "members", workbook(headers, rows))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": r, "column": "身份证号码",
         "message": "身份证号码被 Excel 转成了数字（4.40802E+17），请把该列设为文本后重新填写。"}
        for r in (2, 3)
    ]  # fmt: skip
    firms = post(api, "enterprises", workbook(ENT_HEADERS, [firm_row(1, code=914408000000000008)])).json()
    assert (
        firms["errors"][0]["message"]
        == "统一社会信用代码被 Excel 转成了数字（9.14408E+17），请把该列设为文本后重新填写。"
    )


def test_full_width_digits_and_stray_spaces_are_normalised(api):
    code = make_credit_code(1)
    wide = (
        " "
        + "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in code[:9])
        + " "
        + code[9:]
        + "\u3000"
    )
    data = workbook(ENT_HEADERS, [firm_row(1, code=wide, name="  全角企业 ", area=" p1 ")])
    body = post(api, "enterprises", data, dry_run="false").json()
    assert body["errors"] == []
    firm = Enterprise.objects.get()
    assert (firm.credit_code, firm.name, firm.area.code) == (code, "全角企业", "P1")


@pytest.mark.parametrize(
    "cell", [dt.datetime(2025, 3, 1), "2025-03-01", "2025/3/1", "2025年3月1日", "２０２５－０３－０１"]
)
def test_dates_as_excel_dates_or_text(api, cell):
    body = post(
        api, "enterprises", workbook(ENT_HEADERS, [firm_row(1, established=cell)]), dry_run="false"
    ).json()
    assert body["errors"] == []
    assert Enterprise.objects.get().established_on == dt.date(2025, 3, 1)


def test_unreadable_date_is_reported(api):
    errors = post(api, "enterprises", workbook(ENT_HEADERS, [firm_row(1, established="去年")])).json()[
        "errors"
    ]
    assert errors == [
        {
            "row": 2,
            "column": "成立日期",
            "message": "无法识别的日期“去年”，请填写如 2025-03-01、2025/3/1 或 2025年3月1日。",
        }
    ]


def test_empty_trailing_rows_are_ignored(api):
    rows = [
        firm_row(1),
        [None] * 7,
        ["", " ", None, None, None, None, None],
        firm_row(2),
        [None] * 7,
        [None] * 7,
    ]
    body = post(api, "enterprises", workbook(ENT_HEADERS, rows)).json()
    assert body["errors"] == []
    assert [r["row"] for r in body["rows"]] == [2, 5]


def test_missing_required_column_is_a_file_error(api):
    body = post(api, "enterprises", workbook(ENT_HEADERS[:2], [firm_row(1)[:2]])).json()
    assert body["errors"] == [
        {"row": None, "column": "",
         "message": "第 1 行缺少必填列：类别、经济类型、区域代码、成立日期。请使用导入模板。"}
    ]  # fmt: skip


# ---------------------------------------------------------------- malformed-file corpus ----


def _rewrite(data: bytes, member: str, content: bytes) -> bytes:
    """Replace (or add, registered in [Content_Types].xml) one part of a workbook."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = content if info.filename == member else source.read(info.filename)
            if info.filename == "[Content_Types].xml" and member not in source.namelist():
                override = (
                    f'<Override PartName="/{member}" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
                )
                body = body.replace(b"</Types>", override.encode())
            target.writestr(info.filename, body)
        if member not in source.namelist():
            target.writestr(member, content)
    return out.getvalue()


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    return out.getvalue()


def _corpus():
    good = workbook(ENT_HEADERS, [firm_row(1)])
    sst = (
        LAUGHS
        + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol3;</t></si></sst>'
    )
    sheet = LAUGHS + (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
    )
    return {
        "not-xlsx": (b"name,code\n\xe4\xbc\x81\xe4\xb8\x9a,123\n", "不是 Excel 工作簿"),
        "encrypted": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4088, "文件已加密"),
        "zip-not-xlsx": (_rewrite(good, "xl/workbook.xml", b"")[:0] or _plain_zip(), "不是 Excel 工作簿"),
        "zip-bomb": (_zip_bomb(), "压缩炸弹"),
        "laughs-shared-strings": (_rewrite(good, "xl/sharedStrings.xml", sst), "不安全的 XML"),
        "laughs-sheet": (_rewrite(good, "xl/worksheets/sheet1.xml", sheet), "不安全的 XML"),
        "truncated": (good[: len(good) // 2], "不是 Excel 工作簿"),
        "empty": (b"", "文件是空的"),
    }


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


def test_openpyxl_parses_through_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize("case", list(_corpus()))
def test_malformed_files_get_a_chinese_message_a_400_and_no_rows(api, case):
    data, expected = _corpus()[case]
    response = post(api, "enterprises", data, dry_run="false")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 1 and errors[0]["row"] is None
    assert expected in errors[0]["message"]
    assert Enterprise.objects.count() == 0


def test_size_and_row_limits_are_settings(api):
    data = workbook(ENT_HEADERS, [firm_row(1), firm_row(2), firm_row(3)])
    with override_settings(IMPORT_MAX_ROWS=2):
        errors = post(api, "enterprises", data).json()["errors"]
    assert errors[0]["message"] == "数据行超过上限 2 行，请拆分文件后分批导入。"
    with override_settings(IMPORT_MAX_BYTES=1000):
        response = post(api, "enterprises", data)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("文件过大")


# ---------------------------------------------------------------- round trips ----


@pytest.fixture
def ledger(zone):
    p1, p2 = zone.children.get(code="P1"), zone.children.get(code="P2")
    firms = [
        EnterpriseFactory(area=p1 if i % 2 else p2, employees=10 * i, industry="制造业") for i in range(4)
    ]
    AboveScalePeriodFactory(enterprise=firms[0], start=dt.date(2016, 1, 1))
    firms[3].deregistered_on = dt.date(2023, 5, 1)
    firms[3].save()
    parent = OrganizationFactory(name="园区党委", kind="committee", area=p1)
    single = OrganizationFactory(name="一支部", area=p1, parent=parent, term_ends_on=dt.date(2027, 1, 1))
    LinkFactory(organization=single, enterprise=firms[1])
    joint = OrganizationFactory(name="联合支部", setup="joint", area=p2)
    for firm in firms[:3:2]:
        LinkFactory(organization=joint, enterprise=firm)
    LinkFactory(organization=parent, enterprise=firms[2], start=dt.date(2018, 1, 1), end=dt.date(2019, 1, 1))
    LinkFactory(organization=parent, enterprise=firms[0])
    MemberFactory(organization=single, enterprise=firms[1], phone="13812345678", gender="F",
                  id_number=make_id_number(1, male=False))  # fmt: skip
    MemberFactory(organization=joint, ended_on=dt.date(2024, 1, 1), end_reason="transfer_out")
    instructor = InstructorFactory(area=p1)
    AssignmentFactory(
        instructor=instructor, enterprise=firms[3], start=dt.date(2019, 1, 1), end=dt.date(2020, 1, 1)
    )
    AssignmentFactory(instructor=instructor, enterprise=firms[2], start=dt.date(2021, 3, 1))
    return firms


@pytest.mark.parametrize(
    ("kind", "export"),
    [
        ("enterprises", lambda: export_enterprises(Enterprise.objects.all())),
        ("organizations", lambda: export_organizations(PartyOrganization.objects.all())),
        ("members", lambda: export_members(Member.objects.all(), reveal=True)),
        ("assignments", lambda: export_instructors(Instructor.objects.all())),
    ],
)
def test_an_exported_ledger_imports_back_with_zero_changes(staff, ledger, kind, export):
    data = export().read()
    result = run_import(kind, data, dry_run=False, user=staff)
    assert result.errors == []
    assert result.summary["changes"] == 0
    assert (
        result.summary["unchanged"]
        == {"enterprises": 4, "organizations": 3, "members": 2, "assignments": 2}[kind]
    )
    assert RecomputeRequest.objects.count() == 0


def test_a_masked_member_ledger_cannot_be_imported(staff, ledger):
    result = run_import("members", export_members(Member.objects.all()).read(), dry_run=True, user=staff)
    assert {(e.column, e.message) for e in result.errors} == {
        ("身份证号码", "身份证号码已脱敏（含 *），不能用于导入，请填写完整号码。"),
        ("联系电话", "联系电话已脱敏（含 *），不能用于导入，请填写完整号码或删除该列。"),
    }
    assert Member.objects.filter(id_number__contains="*").count() == 0


# ---------------------------------------------------------------- organisations, members, assignments ----


ORG_HEADERS = [c.header for c in ORGANIZATIONS.importable if c.required] + ["上级党组织"]


def test_new_organisation_links_start_at_founding_and_parent_may_be_in_the_same_file(api, ledger):
    codes = "、".join(e.credit_code for e in ledger[:2])
    rows = [
        ["新联合支部", "P1", "党支部", "联合组建", codes, dt.date(2024, 7, 1), "新党委"],
        ["新党委", "P1", "党委", "单独组建", ledger[0].credit_code, dt.date(2024, 1, 1), None],
    ]
    body = post(api, "organizations", workbook(ORG_HEADERS, rows), dry_run="false").json()
    assert body["errors"] == []
    org = PartyOrganization.objects.get(name="新联合支部")
    assert org.parent.name == "新党委"
    assert sorted(org.links.values_list("enterprise__credit_code", "start", "end")) == sorted(
        (e.credit_code, dt.date(2024, 7, 1), None) for e in ledger[:2]
    )


def test_organisation_rules_come_from_orgs_rules(api, ledger):
    codes = "、".join(e.credit_code for e in ledger[:2])
    rows = [["两家单建", "P1", "党支部", "单独组建", codes, dt.date(2024, 7, 1), None]]
    errors = post(api, "organizations", workbook(ORG_HEADERS, rows)).json()["errors"]
    assert errors == [
        {
            "row": 2,
            "column": "覆盖单位信用代码",
            "message": "单独组建的党组织应覆盖且只覆盖 1 个单位，当前选择了 2 个。",
        }
    ]


def test_changing_an_organisations_enterprises_ends_and_starts_links_today(api, ledger):
    from django.utils import timezone

    joint = PartyOrganization.objects.get(name="联合支部")
    codes = "、".join(e.credit_code for e in (ledger[0], ledger[1]))
    rows = [["联合支部", "P2", "党支部", "联合组建", codes, dt.date(2018, 1, 1), None]]
    body = post(api, "organizations", workbook(ORG_HEADERS, rows), dry_run="false").json()
    assert body["rows"][0]["changes"] == [
        {"column": "覆盖单位信用代码",
         "old": f"{ledger[0].credit_code}、{ledger[2].credit_code}",
         "new": f"{ledger[0].credit_code}、{ledger[1].credit_code}"}
    ]  # fmt: skip
    today = timezone.localdate()
    assert sorted(joint.links.values_list("enterprise_id", "end")) == sorted(
        [(ledger[0].pk, None), (ledger[2].pk, today), (ledger[1].pk, None)]
    )
    assert joint.links.get(enterprise=ledger[1]).start == today


def test_member_rules_come_from_members_rules(api, ledger):
    headers = [c.header for c in MEMBERS.importable if c.required] + ["减少日期"]
    row = ["王芳", make_id_number(9, male=False), "男", "汉族", dt.date(1990, 1, 1), "大学本科", "正式党员",
           dt.date(2010, 1, 1), "一支部", "P1", dt.date(2024, 1, 1)]  # fmt: skip
    errors = post(api, "members", workbook(headers, [row])).json()["errors"]
    assert errors == [
        {"row": 2, "column": "减少原因", "message": "填写减少日期时必须选择减少原因。"},
        {"row": 2, "column": "出生日期", "message": "出生日期与身份证号码不一致（身份证为 1985-06-01）。"},
        {"row": 2, "column": "性别", "message": "性别与身份证号码不一致。"},
        {"row": 2, "column": "所在党组织",
         "message": "该党组织在 2010-01-01 不存续（成立于 2018-01-01），不能接收组织关系。"},
    ]  # fmt: skip


def test_member_import_creates_and_records_recompute(api, ledger):
    headers = [c.header for c in MEMBERS.importable if c.required] + ["工作单位信用代码", "联系电话"]
    row = ["王芳", make_id_number(9, male=False), "女", "汉族", dt.date(1985, 6, 1), "大学本科", "预备党员",
           "2024年7月1日", "一支部", "P1", ledger[2].credit_code, 13900001111]  # fmt: skip
    body = post(api, "members", workbook(headers, [row]), dry_run="false").json()
    assert body["errors"] == []
    assert body["rows"][0]["key"] == "王芳（440802********0180）"
    member = Member.objects.get(name="王芳")
    assert (member.phone, member.enterprise, member.category) == ("13900001111", ledger[2], "probationary")
    assert sorted(RecomputeRequest.objects.values_list("area__code", "since")) == [
        ("P1", dt.date(2024, 7, 1)),
        ("P2", dt.date(2024, 7, 1)),
    ]
    # Imported rows are in the audit log too, with personal data masked.
    from auditlog.models import LogEntry

    logged = LogEntry.objects.get_for_object(member).get(action=LogEntry.Action.CREATE).changes
    assert (logged["id_number"][1], logged["phone"][1]) == ("440802********0180", "139****1111")


def test_assignment_import_checks_overlap_and_ends_an_assignment(api, ledger):
    headers = ["指导员姓名", "联系单位信用代码", "开始日期", "结束日期"]
    name = Instructor.objects.get().name
    rows = [
        [name, ledger[2].credit_code, dt.date(2021, 3, 1), dt.date(2025, 1, 1)],  # ends the open one
        [name, ledger[1].credit_code, dt.date(2022, 1, 1), None],
        [name, ledger[1].credit_code, dt.date(2023, 1, 1), None],  # overlaps the row above
        ["无此人", ledger[1].credit_code, dt.date(2023, 1, 1), None],
    ]
    body = post(api, "assignments", workbook(headers, rows)).json()
    assert body["errors"] == [
        {"row": 4, "column": "联系单位信用代码", "message": "该指导员在此期间已联系该单位。"},
        {"row": 5, "column": "指导员姓名", "message": "未找到党建指导员“无此人”，请先在系统中登记。"},
    ]
    body = post(api, "assignments", workbook(headers, rows[:2]), dry_run="false").json()
    assert body["summary"] == {
        "rows": 2,
        "created": 1,
        "updated": 1,
        "unchanged": 0,
        "changes": 2,
        "errors": 0,
    }
    assert InstructorAssignment.objects.get(enterprise=ledger[2]).end == dt.date(2025, 1, 1)
    assert InstructorAssignment.objects.get(enterprise=ledger[1]).start == dt.date(2022, 1, 1)


# ---------------------------------------------------------------- jobs and pages ----


def test_the_celery_job_gives_the_same_result_as_the_inline_path(
    staff, ledger, django_capture_on_commit_callbacks
):
    data = workbook(ENT_HEADERS, [firm_row(50), firm_row(51, category="坏值"), firm_row(1, area="P1")])
    inline = run_import("enterprises", data, dry_run=True, user=staff).to_dict()
    upload = io.BytesIO(data)
    upload.name = "firms.xlsx"
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        job = start_job(
            kind="enterprises", upload=SimpleUploadedFile("firms.xlsx", data), dry_run=True, user=staff
        )
    job.refresh_from_db()
    assert (job.status, job.progress) == ("done", 100)
    assert job.result == inline
    assert job.result["errors"] == [
        {"row": 3, "column": "类别", "message": "“坏值”不是有效的选项，可选：非公企业、社会组织。"}
    ]


def test_large_upload_through_the_api_becomes_a_job(api, django_capture_on_commit_callbacks):
    data = workbook(ENT_HEADERS, [firm_row(1)])
    with override_settings(IMPORT_INLINE_MAX_BYTES=100), django_capture_on_commit_callbacks(execute=True):
        response = post(api, "enterprises", data, dry_run="false")
    assert response.status_code == 202
    job_id = response.json()["id"]
    status = api.get(f"/api/v1/imports/jobs/{job_id}/").json()
    assert (status["status"], status["result"]["applied"]) == ("done", True)
    assert Enterprise.objects.count() == 1


def test_upload_page_previews_then_confirms(client, staff, django_capture_on_commit_callbacks):
    client.force_login(staff)
    page = client.get("/imports/enterprises/")
    assert page.status_code == 200 and "/api/v1/imports/enterprises/template/" in page.content.decode()
    upload = io.BytesIO(workbook(ENT_HEADERS, [firm_row(1)]))
    upload.name = "firms.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/enterprises/", {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/jobs/{job.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "预览：共 1 行，1 处变更" in html and "确认导入" in html
    assert Enterprise.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(f"/imports/jobs/{job.pk}/confirm/")
    html = client.get(confirmed["Location"]).content.decode()
    assert "已导入：共 1 行，1 处变更" in html
    assert Enterprise.objects.count() == 1


def test_job_page_polls_with_htmx_while_running(client, staff):
    client.force_login(staff)
    job = ImportJob.objects.create(kind="enterprises", created_by=staff, file="imports/x.xlsx", progress=40)
    html = client.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert f'hx-get="/imports/jobs/{job.pk}/progress/"' in html and "40%" in html
    assert "django_htmx/htmx-2.min.js" in html and "<script>" not in html
    job.status = "done"
    job.result = {"summary": {}, "rows": [], "errors": []}
    job.save()
    assert client.get(f"/imports/jobs/{job.pk}/progress/")["HX-Refresh"] == "true"
    other = make_user("other", role="staff", area=staff.profile.area)
    client.force_login(other)
    assert client.get(f"/imports/jobs/{job.pk}/").status_code == 404


def test_page_shows_errors_with_400(client, staff, django_capture_on_commit_callbacks):
    client.force_login(staff)
    upload = io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    upload.name = "secret.xlsx"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/imports/enterprises/", {"file": upload})
    page = client.get(response["Location"])
    assert page.status_code == 400
    assert "文件已加密" in page.content.decode() and "整个文件" in page.content.decode()


# ---------------------------------------------------------------- query counts ----


def _firms_file(n: int, offset: int) -> bytes:
    return workbook(ENT_HEADERS, [firm_row(offset + i, above="是" if i % 2 else "否") for i in range(n)])


@pytest.mark.parametrize("dry_run", [True, False])
def test_query_count_does_not_grow_per_row(staff, zone, dry_run):
    from django.contrib.contenttypes.models import ContentType

    # The audit log's content type is cached after its first lookup: look it up before counting.
    ContentType.objects.get_for_model(Enterprise)
    counts = []
    # Both sizes fit one bulk batch (SQLite caps a statement at 999 parameters: ~70 audit rows); batches, not
    # rows, add queries.
    for n, offset in ((10, 1000), (60, 2000)):
        # half the rows update existing firms, half create new ones
        for i in range(0, n, 2):
            EnterpriseFactory(credit_code=make_credit_code(offset + i), area=zone.children.get(code="P1"))
        user = User.objects.get(pk=staff.pk)  # a fresh user: its access is looked up once per import
        with CaptureQueriesContext(connection) as queries:
            result = run_import("enterprises", _firms_file(n, offset), dry_run=dry_run, user=user)
        assert result.errors == []
        counts.append(len(queries))
    assert counts[0] == counts[1]
