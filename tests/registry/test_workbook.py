"""The enterprise workbook (registry/workbook.py): import planning and what the bulk service writes, the
ledger downloads, and an import that leaves the same rows, audit entries and recompute requests as the forms."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.excel.importer import run_import
from registry.excel.sheets import template_workbook
from registry.models import AboveScalePeriod, Enterprise, RecomputeRequest
from registry.workbook import ENTERPRISES, export_enterprises
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
    AboveScalePeriodFactory,
    AreaFactory,
    EnterpriseFactory,
    LinkFactory,
    make_credit_code,
    make_user,
)

# The Excel tests' shared fixtures (zone, staff, api, ledger, world).
pytest_plugins = ["tests.excel"]
pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- import ----


def test_template_example_row_is_valid_input(zone, staff):
    """The example row of the enterprise template validates (its area code aside)."""
    AreaFactory(code="KFQ", parent=zone)
    result = run_import("enterprises", template_workbook(ENTERPRISES), dry_run=True, user=staff)
    assert result.errors == []
    assert result.summary["created"] == 1


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


@pytest.mark.parametrize(
    ("kind", "export"),
    [
        ("enterprises", lambda: export_enterprises(Enterprise.objects.all())),
    ],
)
def test_an_exported_ledger_imports_back_with_zero_changes(staff, ledger, kind, export):
    rows = {"enterprises": 4, "organizations": 3, "members": 2, "assignments": 2}[kind]
    assert_imports_back_unchanged(kind, export().read(), staff, rows)


# ---------------------------------------------------------------- downloads ----


def test_enterprise_ledger_has_frozen_header_widths_dates_coverage_and_members(client, world):
    login(client, world[0])
    ws = sheet_of(client.get("/enterprises/export.xlsx"))
    assert ws.title == "单位台账" and ws.freeze_panes == "A3"  # under the title row and the header
    assert ws.column_dimensions["A"].width == 22 and ws.column_dimensions["B"].width == 30
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    header = rows[0]
    assert header[:3] == ("统一社会信用代码", "单位名称", "类别") and header[-2:] == ("覆盖状态", "党员数")
    first = dict(zip(header, rows[1], strict=True))
    assert first["单位名称"] == "丙公司"  # ordered by name
    by_name = {r[1]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert by_name["甲公司"]["成立日期"] == dt.datetime(2016, 5, 4)
    assert by_name["甲公司"]["规上起始日期"] == dt.datetime(2020, 1, 1)
    assert (by_name["甲公司"]["覆盖状态"], by_name["甲公司"]["党员数"]) == ("单独组建", 1)
    assert (by_name["乙公司"]["覆盖状态"], by_name["乙公司"]["规模以上"]) == ("工作覆盖", "是")
    assert ws["K3"].number_format == "yyyy-mm-dd"  # 成立日期 is a real date cell


def test_export_honours_the_list_filters(client, world):
    login(client, world[0])
    ws = sheet_of(client.get("/enterprises/export.xlsx", {"area": "P1", "coverage": "work"}))
    assert [r[1] for r in ws.iter_rows(min_row=3, values_only=True)] == ["乙公司"]


def test_export_is_scoped_to_the_users_area(client, world):
    login(client, world[2])  # staff of park 2
    ws = sheet_of(client.get("/enterprises/export.xlsx"))
    assert [r[1] for r in ws.iter_rows(min_row=3, values_only=True)] == ["丙公司"]


def test_a_user_without_a_role_gets_an_empty_ledger(client, world):
    client.force_login(make_user("nobody", role=None))
    ws = sheet_of(client.get("/enterprises/export.xlsx"))
    assert list(ws.iter_rows(min_row=3, values_only=True)) == []


def test_anonymous_users_are_sent_to_login(client, world):
    assert client.get("/enterprises/export.xlsx").status_code == 302


def test_uncovered_above_scale_firms(client, world):
    AboveScalePeriodFactory(enterprise=EnterpriseFactory(name="丁公司", area=world[2]))
    login(client, world[0])
    ws = sheet_of(client.get("/enterprises/uncovered.xlsx"))
    assert ws.title == "未覆盖规上企业"
    assert [r[1] for r in ws.iter_rows(min_row=3, values_only=True)] == ["丁公司"]


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
        f"导出：单位台账-{park.name}-" + date.today().strftime("%Y%m%d") + ".xlsx?category=enterprise",
        "登录",
    ]


@pytest.mark.parametrize(
    ("page", "link"),
    [
        ("/enterprises/", "/enterprises/export.xlsx?area=P1"),
    ],
)
def test_list_pages_link_to_the_filtered_download(client, world, page, link):
    login(client, world[0])
    html = client.get(page, {"area": "P1"}).content.decode()
    assert link in html


# ---------------------------------------------------------------- an import writes as the forms do ----


def _firms():
    firms = Enterprise.objects.values_list(
        "credit_code", "name", "category", "economic_type", "industry", "area__code", "employees",
        "established_on", "deregistered_on", "address", "contact_person", "contact_phone",
    )  # fmt: skip
    periods = AboveScalePeriod.objects.values_list("enterprise__credit_code", "start", "end")
    return sorted(firms), sorted(periods)


def test_an_import_leaves_the_same_rows_audit_and_recompute_requests_as_the_forms(client, zone, staff):
    """Two new firms (one 规上) and a changed one, entered once through a workbook and once through the forms,
    by the same user in two equal worlds."""
    p3 = AreaFactory(code="P3", parent=zone, name="园区三")
    areas = {a.code: a.pk for a in zone.children.all()}
    client.force_login(staff)

    def build():
        return EnterpriseFactory(credit_code=make_credit_code(7), name="旧名称", area=p3, industry="制造业")

    def by_workbook(old):
        data = workbook(
            [*ENT_HEADERS, "从业人员数", "规上起始日期"],
            [
                firm_row(1) + [None, None],
                firm_row(2, area="P2", above="是", established=dt.date(2019, 5, 1)) + [50, None],
                firm_row(7, name="新名称", area="P3", above="是", established=dt.date(2015, 1, 1))
                + [35, dt.date(2025, 1, 1)],
            ],
        )
        result = run_import("enterprises", data, dry_run=False, user=staff)
        assert (result.errors, result.applied) == ([], True)

    def by_forms(old):
        blank = {"industry": "", "address": "", "contact_person": "", "contact_phone": "", "employees": ""}
        firm = {"category": "enterprise", "economic_type": "private", "above_scale_since": ""}
        posts = [
            ("/enterprises/new/", blank | firm | {"credit_code": make_credit_code(1), "name": "导入企业1",
             "area": areas["P1"], "established_on": "2020-01-01"}),
            ("/enterprises/new/", blank | firm | {"credit_code": make_credit_code(2), "name": "导入企业2",
             "area": areas["P2"], "established_on": "2019-05-01", "employees": "50", "above_scale": "on"}),
            (f"/enterprises/{old.pk}/edit/", blank | firm | {"credit_code": old.credit_code, "name": "新名称",
             "industry": "制造业", "area": areas["P3"], "established_on": "2015-01-01", "employees": "35",
             "above_scale": "on", "above_scale_since": "2025-01-01"}),
        ]  # fmt: skip
        for url, data in posts:
            response = client.post(url, data)
            assert response.status_code == 302, response.content.decode()[-2000:]

    imported = in_world(build, by_workbook, _firms)
    entered = in_world(build, by_forms, _firms)
    assert imported["rows"] == entered["rows"]
    assert imported["audit"] == entered["audit"]
    assert imported["recompute"] == entered["recompute"]
    # And what the forms leave is what it should be.
    assert entered["rows"][1] == [
        (make_credit_code(2), dt.date(2019, 5, 1), None),
        (make_credit_code(7), dt.date(2025, 1, 1), None),
    ]
    assert [(model, record, action) for model, record, action, _user, _f in entered["audit"]] == [
        ("abovescaleperiod", "导入企业2 2019-05-01–", "create"),
        ("abovescaleperiod", "新名称 2025-01-01–", "create"),
        ("enterprise", "导入企业1", "create"),
        ("enterprise", "导入企业2", "create"),
        ("enterprise", "新名称", "update"),
    ]
    assert {user for _m, _r, _a, user, _f in entered["audit"]} == {"clerk"}
    assert [fields for model, record, action, _u, fields in entered["audit"] if action == "update"] == [
        ("employees", "name")
    ]
    assert entered["recompute"] == [
        ("P1", dt.date(2020, 1, 1)),
        ("P2", dt.date(2019, 5, 1)),
        ("P3", dt.date(2025, 1, 1)),
    ]
