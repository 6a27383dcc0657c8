"""The member and instructor workbooks (members/workbook.py): import planning, what the bulk services write,
the ledgers, and an import that leaves the same rows, audit entries and recompute requests as the forms."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from auditlog.context import set_actor
from django.utils import timezone

from members.models import Employment, Instructor, InstructorAssignment, Member, Membership, Mobility
from members.services import update_member
from members.workbook import MEMBERS, export_instructors, export_members
from registry.excel.importer import run_import
from registry.models import RecomputeRequest
from tests.excel import (
    ENT_HEADERS,
    assert_imports_back_unchanged,
    firm_row,
    in_world,
    login,
    post,
    sheet_of,
    workbook,
)
from tests.factories import (
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    make_credit_code,
    make_id_number,
)

# The Excel tests' shared fixtures (zone, staff, api, ledger, world).
pytest_plugins = ["tests.excel"]
pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- import ----


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


def test_assignment_import_cannot_move_an_end_once_set(api, ledger):
    """The rule the API and the end form follow: an ended assignment is not reopened or re-dated by a file."""
    headers = ["指导员姓名", "联系单位信用代码", "开始日期", "结束日期"]
    name = Instructor.objects.get().name
    ended = [name, ledger[2].credit_code, dt.date(2021, 3, 1), dt.date(2025, 1, 1)]
    post(api, "assignments", workbook(headers, [ended]), dry_run="false")
    for end in (dt.date(2025, 2, 1), None):
        body = post(api, "assignments", workbook(headers, [[*ended[:3], end]])).json()
        assert body["errors"] == [
            {"row": 2, "column": "结束日期", "message": "该联系已结束，不能再修改结束日期。"}
        ]
    assert InstructorAssignment.objects.get(enterprise=ledger[2]).end == dt.date(2025, 1, 1)


@pytest.mark.parametrize(
    ("kind", "export"),
    [
        ("members", lambda: export_members(Member.objects.all(), reveal=True)),
        ("assignments", lambda: export_instructors(Instructor.objects.all())),
    ],
)
def test_an_exported_ledger_imports_back_with_zero_changes(staff, ledger, kind, export):
    rows = {"enterprises": 4, "organizations": 3, "members": 2, "assignments": 2}[kind]
    assert_imports_back_unchanged(kind, export().read(), staff, rows)


def test_a_masked_member_ledger_cannot_be_imported(staff, ledger):
    result = run_import("members", export_members(Member.objects.all()).read(), dry_run=True, user=staff)
    assert {(e.column, e.message) for e in result.errors} == {
        ("身份证号码", "身份证号码已脱敏（含 *），不能用于导入，请填写完整号码。"),
        ("联系电话", "联系电话已脱敏（含 *），不能用于导入，请填写完整号码或删除该列。"),
        ("出生日期", "出生日期已脱敏（仅有出生年份），不能用于导入，请填写完整出生日期。"),
    }
    assert Member.objects.filter(id_number__contains="*").count() == 0


# ---------------------------------------------------------------- downloads ----


def test_member_ledger_masks_id_and_phone(client, world):
    login(client, world[0])
    ws = sheet_of(client.get("/members/export.xlsx"))
    rows = list(ws.iter_rows(min_row=2, values_only=True))  # row 1: the title
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["身份证号码"] == "440802********0076"
    assert row["联系电话"] == "138****5678"
    assert row["工作单位"] == "甲公司"


def test_member_ledger_reveals_only_when_asked():
    from members.models import Member
    from members.workbook import export_members

    MemberFactory(id_number=make_id_number(3), phone="13812345678")
    wb = openpyxl.load_workbook(export_members(Member.objects.all(), reveal=True))
    assert wb.active["B3"].value == make_id_number(3) and wb.active["G3"].value == "13812345678"


def test_instructor_ledger_lists_firms_and_all_assignments(client, world):
    login(client, world[0])
    response = client.get("/instructors/export.xlsx")
    content = b"".join(response.streaming_content)
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["党建指导员", "指导员联系单位"]
    first = list(wb["党建指导员"].iter_rows(min_row=2, values_only=True))
    row = dict(zip(first[0], first[1], strict=True))
    assert (row["姓名"], row["联系电话"], row["当前联系单位数"], row["当前联系单位"]) == (
        "赵指导",
        "139****1111",
        1,
        "乙公司",
    )
    second = list(wb["指导员联系单位"].iter_rows(min_row=2, values_only=True))
    assert second[1][:5] == ("赵指导", "P1", world[1].enterprises.get(name="乙公司").credit_code, "乙公司",
                             dt.datetime(2024, 1, 1))  # fmt: skip
    assert wb["指导员联系单位"].freeze_panes == "A3"


@pytest.mark.parametrize(
    ("page", "link"),
    [
        ("/members/", "/members/export.xlsx?area=P1"),
        ("/instructors/", "/instructors/export.xlsx?area=P1"),
    ],
)
def test_list_pages_link_to_the_filtered_download(client, world, page, link):
    login(client, world[0])
    html = client.get(page, {"area": "P1"}).content.decode()
    assert link in html


# ---------------------------------------------------------------- an import writes as the forms do ----


def _members():
    """Members and their history rows, by natural keys (primary keys differ between the two worlds)."""
    members = Member.objects.values_list(
        "id_number", "name", "gender", "ethnicity", "birth_date", "education", "phone", "category",
        "joined_party_on", "confirmed_on", "joined_on", "organization__name", "enterprise__credit_code",
        "is_mobile", "retired", "ended_on", "end_reason",
    )  # fmt: skip
    memberships = Membership.objects.values_list(
        "member__id_number", "organization__name", "start", "end", "how_started", "how_ended"
    )
    employments = Employment.objects.values_list(
        "member__id_number", "enterprise__credit_code", "start", "end"
    )
    mobility = Mobility.objects.values_list("member__id_number", "start", "end", "destination")
    return {
        "members": sorted(members),
        "memberships": sorted(memberships),
        "employments": sorted(employments),
        "mobility": sorted(mobility),
    }


def _two_branches(zone):
    """一支部 in P1 with a firm, 二支部 in P2 holding 李明 (probationary since 2023-01-01, in the Party since 2020)."""
    p1, p2 = zone.children.get(code="P1"), zone.children.get(code="P2")
    firm = EnterpriseFactory(name="甲公司", credit_code=make_credit_code(3), area=p1)
    branch = OrganizationFactory(name="一支部", area=p1)
    other = OrganizationFactory(name="二支部", area=p2)
    member = MemberFactory(name="李明", id_number=make_id_number(5), organization=other, phone="13800000000",
                           category="probationary", joined_on=dt.date(2023, 1, 1),
                           joined_party_on=dt.date(2020, 7, 1))  # fmt: skip
    return firm, branch, other, member


LI_MING = ["李明", make_id_number(5), "男", "汉族", dt.date(1985, 6, 1), "大学本科"]


def test_an_import_leaves_the_same_rows_audit_and_recompute_requests_as_the_forms(client, zone, staff):
    """A new member (with a workplace) and a changed one, entered once through a workbook and once through the
    forms, by the same user in two equal worlds: the same members, history rows, audit and recompute requests."""
    client.force_login(staff)
    headers = [c.header for c in MEMBERS.importable if c.required] + [
        "工作单位信用代码",
        "联系电话",
        "入党日期",
    ]
    rows = [
        ["王芳", make_id_number(9, male=False), "女", "汉族", dt.date(1985, 6, 1), "大学本科", "预备党员",
         dt.date(2024, 7, 1), "一支部", "P1", make_credit_code(3), "13900001111", None],
        [*LI_MING, "正式党员", dt.date(2023, 1, 1), "二支部", "P2", None, "13911112222", dt.date(2020, 7, 1)],
    ]  # fmt: skip

    def by_workbook(world):
        result = run_import("members", workbook(headers, rows), dry_run=False, user=staff)
        assert (result.errors, result.summary["created"], result.summary["updated"]) == ([], 1, 1)

    def by_forms(world):
        firm, branch, other, member = world
        person = {"ethnicity": "汉族", "birth_date": "1985-06-01", "education": "bachelor"}
        posts = [
            ("/members/new/", person | {"name": "王芳", "id_number": make_id_number(9, male=False),
             "gender": "F", "phone": "13900001111", "category": "probationary", "joined_on": "2024-07-01",
             "organization": branch.pk, "enterprise": firm.pk}),
            (f"/members/{member.pk}/edit/", person | {"name": "李明", "gender": "M", "phone": "13911112222",
             "category": "full", "joined_party_on": "2020-07-01", "joined_on": "2023-01-01",
             "organization": other.pk, "enterprise": ""}),
        ]  # fmt: skip
        for url, data in posts:
            response = client.post(url, data)
            assert response.status_code == 302, response.content.decode()[-2000:]

    imported = in_world(lambda: _two_branches(zone), by_workbook, _members)
    entered = in_world(lambda: _two_branches(zone), by_forms, _members)
    assert imported["rows"] == entered["rows"]
    assert imported["audit"] == entered["audit"]
    assert imported["recompute"] == entered["recompute"]
    today = timezone.localdate()
    assert [row[:2] + row[6:10] for row in entered["rows"]["members"]] == [
        (make_id_number(5), "李明", "13911112222", "full", dt.date(2020, 7, 1), today),
        (make_id_number(9, male=False), "王芳", "13900001111", "probationary", dt.date(2024, 7, 1), None),
    ]
    assert entered["rows"]["memberships"] == [
        (make_id_number(5), "二支部", dt.date(2023, 1, 1), None, "transfer_in", ""),
        (make_id_number(9, male=False), "一支部", dt.date(2024, 7, 1), None, "developed", ""),
    ]
    assert entered["rows"]["employments"] == [
        (make_id_number(9, male=False), make_credit_code(3), dt.date(2024, 7, 1), None)
    ]
    assert [(model, record, action, user) for model, record, action, user, _f in entered["audit"]] == [
        ("employment", "王芳 → 甲公司", "create", "clerk"),
        ("member", "李明", "update", "clerk"),
        ("member", "王芳", "create", "clerk"),
        ("membership", "王芳 @ 一支部", "create", "clerk"),
    ]
    assert entered["audit"][1][4] == ("category", "confirmed_on", "phone")
    assert entered["recompute"] == [("P1", dt.date(2024, 7, 1)), ("P2", today)]


def test_an_imported_transfer_writes_the_history_update_member_writes(zone, staff):
    """A row moving 李明 to another organisation from its 转入本组织日期 is 组织关系转接, written exactly as
    members.services.update_member writes it (the service the edit form and the API call)."""
    headers = [c.header for c in MEMBERS.importable if c.required] + ["联系电话"]
    row = [*LI_MING, "预备党员", dt.date(2024, 9, 1), "一支部", "P1", "13800000000"]

    def by_workbook(world):
        result = run_import("members", workbook(headers, [row]), dry_run=False, user=staff)
        assert (result.errors, result.summary["updated"]) == ([], 1)
        assert [(c.column, c.old, c.new) for c in result.rows[0].changes] == [
            ("转入本组织日期", "2023-01-01", "2024-09-01"),
            ("所在党组织", "二支部", "一支部"),
            ("党组织区域代码", "P2", "P1"),
        ]

    def by_service(world):
        _firm, branch, _other, member = world
        with set_actor(staff):
            update_member(member=member, organization=branch, joined_on=dt.date(2024, 9, 1))

    imported = in_world(lambda: _two_branches(zone), by_workbook, _members)
    served = in_world(lambda: _two_branches(zone), by_service, _members)
    assert imported == served
    assert imported["rows"]["memberships"] == [
        (make_id_number(5), "一支部", dt.date(2024, 9, 1), None, "transfer_in", ""),
        (make_id_number(5), "二支部", dt.date(2023, 1, 1), dt.date(2024, 9, 1), "transfer_in", "transfer"),
    ]
    assert imported["recompute"] == [("P1", dt.date(2024, 9, 1)), ("P2", dt.date(2024, 9, 1))]


def test_an_imported_transfer_dated_before_the_current_membership_is_a_row_error(api, zone, staff):
    _two_branches(zone)
    headers = [c.header for c in MEMBERS.importable if c.required]
    rows = [
        [*LI_MING, "预备党员", dt.date(2022, 6, 1), "一支部", "P1"],  # before 2023-01-01, the current start
        ["王芳", make_id_number(9, male=False), "女", "汉族", dt.date(1985, 6, 1), "大学本科", "预备党员",
         dt.date(2024, 7, 1), "一支部", "P1"],  # fine, but nothing is written while a row is wrong
    ]  # fmt: skip
    for dry_run in ("true", "false"):
        body = post(api, "members", workbook(headers, rows), dry_run=dry_run).json()
        assert body["errors"] == [
            {
                "row": 2,
                "column": "转入本组织日期",
                "message": "转接日期应晚于转入当前党组织的日期（2023-01-01）。",
            }
        ]
    assert list(Member.objects.values_list("name", "organization__name", "joined_on")) == [
        ("李明", "二支部", dt.date(2023, 1, 1))
    ]
    assert Membership.objects.count() == 1
    assert RecomputeRequest.objects.count() == 0


def test_party_join_date_defaults_to_joining_here_and_may_predate_it(api, ledger):
    headers = [c.header for c in MEMBERS.importable if c.required] + ["入党日期"]
    person = ["女", "汉族", dt.date(1985, 6, 1), "大学本科", "正式党员", dt.date(2024, 7, 1), "一支部", "P1"]
    rows = [
        ["甲", make_id_number(21, male=False), *person, None],
        ["乙", make_id_number(22, male=False), *person, dt.date(2009, 7, 1)],
        ["丙", make_id_number(23, male=False), *person, dt.date(2024, 8, 1)],  # after joining here
        ["丁", make_id_number(24, male=False), *person, dt.date(2003, 5, 31)],  # aged 17
    ]
    body = post(api, "members", workbook(headers, rows)).json()
    assert body["errors"] == [
        {"row": 4, "column": "入党日期", "message": "入党日期不能晚于转入本组织日期（2024-07-01）。"},
        {"row": 5, "column": "入党日期", "message": "入党时应年满十八岁（2003-06-01 起）。"},
    ]
    body = post(api, "members", workbook(headers, rows[:2]), dry_run="false").json()
    assert body["errors"] == []
    assert dict(Member.objects.filter(name__in=["甲", "乙"]).values_list("name", "joined_party_on")) == {
        "甲": dt.date(2024, 7, 1),
        "乙": dt.date(2009, 7, 1),
    }
    # Blank on a member already registered: their date stays; a new one is corrected like any field.
    changed = [rows[0][:-1] + [None], rows[1][:-1] + [dt.date(2010, 7, 1)]]
    body = post(api, "members", workbook(headers, changed), dry_run="false").json()
    assert (body["errors"], body["summary"]["updated"], body["summary"]["unchanged"]) == ([], 1, 1)
    assert Member.objects.get(name="乙").joined_party_on == dt.date(2010, 7, 1)
    assert Member.objects.get(name="甲").joined_party_on == dt.date(2024, 7, 1)


def test_a_ledger_of_transferred_members_imports_back_unchanged(staff, zone):
    """入党日期 before the membership here and a member with two memberships (the export shows the current one)."""
    firm, branch, _other, member = _two_branches(zone)
    update_member(member=member, organization=branch, joined_on=dt.date(2024, 9, 1), enterprise=firm,
                  enterprise_since=dt.date(2024, 9, 1))  # fmt: skip
    MemberFactory(organization=branch, joined_on=dt.date(2021, 3, 1), joined_party_on=dt.date(2011, 7, 1))
    RecomputeRequest.objects.all().delete()
    data = export_members(Member.objects.all(), reveal=True).read()
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    li = next(dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] == "李明")
    assert (li["姓名"], li["入党日期"], li["转入本组织日期"], li["所在党组织"]) == (
        "李明",
        dt.datetime(2020, 7, 1),
        dt.datetime(2024, 9, 1),
        "一支部",
    )
    assert_imports_back_unchanged("members", data, staff, 2)
    assert Membership.objects.filter(member=member).count() == 2
