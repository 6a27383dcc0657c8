"""Excel ledgers: valid xlsx, frozen header, widths, real dates, filters honoured, rows scoped, personal data masked."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    InstructorFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_id_number,
    make_user,
)

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    p1 = AreaFactory(code="P1", parent=zone, name="园区一")
    p2 = AreaFactory(code="P2", parent=zone, name="园区二")
    covered = EnterpriseFactory(name="甲公司", area=p1, established_on=dt.date(2016, 5, 4))
    AboveScalePeriodFactory(enterprise=covered, start=dt.date(2020, 1, 1))
    bare = EnterpriseFactory(name="乙公司", area=p1)
    AboveScalePeriodFactory(enterprise=bare)
    EnterpriseFactory(name="丙公司", area=p2)
    org = OrganizationFactory(name="甲支部", area=p1)
    LinkFactory(organization=org, enterprise=covered)
    MemberFactory(organization=org, enterprise=covered, phone="13812345678", id_number=make_id_number(3))
    instructor = InstructorFactory(name="赵指导", area=p1, phone="13900001111")
    AssignmentFactory(instructor=instructor, enterprise=bare, start=dt.date(2024, 1, 1))
    return zone, p1, p2


def sheet_of(response, index: int = 0):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    content = b"".join(response.streaming_content)
    return openpyxl.load_workbook(io.BytesIO(content)).worksheets[index]


def login(client, zone, role="staff"):
    client.force_login(make_user(f"u-{role}-{zone.code}", role=role, area=zone))


def test_enterprise_ledger_has_frozen_header_widths_dates_coverage_and_members(client, world):
    login(client, world[0])
    ws = sheet_of(client.get("/enterprises/export.xlsx"))
    assert ws.title == "单位台账" and ws.freeze_panes == "A2"
    assert ws.column_dimensions["A"].width == 22 and ws.column_dimensions["B"].width == 30
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    assert header[:3] == ("统一社会信用代码", "单位名称", "类别") and header[-2:] == ("覆盖状态", "党员数")
    first = dict(zip(header, rows[1], strict=True))
    assert first["单位名称"] == "丙公司"  # ordered by name
    by_name = {r[1]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert by_name["甲公司"]["成立日期"] == dt.datetime(2016, 5, 4)
    assert by_name["甲公司"]["规上起始日期"] == dt.datetime(2020, 1, 1)
    assert (by_name["甲公司"]["覆盖状态"], by_name["甲公司"]["党员数"]) == ("单独组建", 1)
    assert (by_name["乙公司"]["覆盖状态"], by_name["乙公司"]["规模以上"]) == ("工作覆盖", "是")
    assert ws["K2"].number_format == "yyyy-mm-dd"  # 成立日期 is a real date cell


def test_export_honours_the_list_filters(client, world):
    login(client, world[0])
    ws = sheet_of(client.get("/enterprises/export.xlsx", {"area": "P1", "coverage": "work"}))
    assert [r[1] for r in ws.iter_rows(min_row=2, values_only=True)] == ["乙公司"]


def test_export_is_scoped_to_the_users_area(client, world):
    login(client, world[2])  # staff of park 2
    ws = sheet_of(client.get("/enterprises/export.xlsx"))
    assert [r[1] for r in ws.iter_rows(min_row=2, values_only=True)] == ["丙公司"]


def test_a_user_without_a_role_gets_an_empty_ledger(client, world):
    client.force_login(make_user("nobody", role=None))
    ws = sheet_of(client.get("/enterprises/export.xlsx"))
    assert list(ws.iter_rows(min_row=2, values_only=True)) == []


def test_anonymous_users_are_sent_to_login(client, world):
    assert client.get("/enterprises/export.xlsx").status_code == 302


def test_uncovered_above_scale_firms(client, world):
    AboveScalePeriodFactory(enterprise=EnterpriseFactory(name="丁公司", area=world[2]))
    login(client, world[0])
    ws = sheet_of(client.get("/enterprises/uncovered.xlsx"))
    assert ws.title == "未覆盖规上企业"
    assert [r[1] for r in ws.iter_rows(min_row=2, values_only=True)] == ["丁公司"]


def test_organisation_ledger(client, world):
    login(client, world[0])
    ws = sheet_of(client.get("/organizations/export.xlsx"))
    rows = list(ws.iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["组织名称"], row["区域代码"], row["组建方式"], row["覆盖单位"], row["党员数"]) == (
        "甲支部", "P1", "单独组建", "甲公司", 1,
    )  # fmt: skip
    assert row["成立日期"] == dt.datetime(2018, 1, 1)


def test_member_ledger_masks_id_and_phone(client, world):
    login(client, world[0])
    ws = sheet_of(client.get("/members/export.xlsx"))
    rows = list(ws.iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["身份证号码"] == "440802********0076"
    assert row["联系电话"] == "138****5678"
    assert row["工作单位"] == "甲公司"


def test_member_ledger_reveals_only_when_asked():
    from members.models import Member
    from reports.exports import export_members

    MemberFactory(id_number=make_id_number(3), phone="13812345678")
    wb = openpyxl.load_workbook(export_members(Member.objects.all(), reveal=True))
    assert wb.active["B2"].value == make_id_number(3) and wb.active["G2"].value == "13812345678"


def test_instructor_ledger_lists_firms_and_all_assignments(client, world):
    login(client, world[0])
    response = client.get("/instructors/export.xlsx")
    content = b"".join(response.streaming_content)
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["党建指导员", "指导员联系单位"]
    first = list(wb["党建指导员"].iter_rows(values_only=True))
    row = dict(zip(first[0], first[1], strict=True))
    assert (row["姓名"], row["联系电话"], row["当前联系单位数"], row["当前联系单位"]) == (
        "赵指导",
        "139****1111",
        1,
        "乙公司",
    )
    second = list(wb["指导员联系单位"].iter_rows(values_only=True))
    assert second[1][:5] == ("赵指导", "P1", world[1].enterprises.get(name="乙公司").credit_code, "乙公司",
                             dt.datetime(2024, 1, 1))  # fmt: skip
    assert wb["指导员联系单位"].freeze_panes == "A2"


@pytest.mark.parametrize(
    ("page", "link"),
    [
        ("/enterprises/", "/enterprises/export.xlsx?area=P1"),
        ("/organizations/", "/organizations/export.xlsx?area=P1"),
        ("/members/", "/members/export.xlsx?area=P1"),
        ("/instructors/", "/instructors/export.xlsx?area=P1"),
    ],
)
def test_list_pages_link_to_the_filtered_download(client, world, page, link):
    login(client, world[0])
    html = client.get(page, {"area": "P1"}).content.decode()
    assert link in html


def test_downloads_are_audited(client):
    from datetime import date

    from auditlog.models import LogEntry

    from registry.models import Area
    from tests.factories import AreaFactory, make_user

    park = AreaFactory(code="AUD")
    client.force_login(make_user("auditor", role="park", area=Area.objects.get(pk=park.pk)))
    assert client.get("/enterprises/export.xlsx", {"category": "enterprise"}).status_code == 200
    events = sorted(e.changes_text for e in LogEntry.objects.all() if e.action == LogEntry.Action.ACCESS)
    assert events == [
        "导出：单位台账-" + date.today().strftime("%Y%m%d") + ".xlsx?category=enterprise",
        "登录",
    ]
