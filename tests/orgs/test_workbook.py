"""The organisation workbook (orgs/workbook.py): import planning, what the bulk service writes, the ledger."""

from __future__ import annotations

import datetime as dt

import pytest

from orgs.models import PartyOrganization
from orgs.workbook import ORGANIZATIONS, export_organizations
from tests.excel import (
    assert_imports_back_unchanged,
    login,
    post,
    sheet_of,
    workbook,
)

# The Excel tests' shared fixtures (zone, staff, api, ledger, world).
pytest_plugins = ["tests.excel"]
pytestmark = pytest.mark.django_db


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


@pytest.mark.parametrize(
    ("kind", "export"),
    [
        ("organizations", lambda: export_organizations(PartyOrganization.objects.all())),
    ],
)
def test_an_exported_ledger_imports_back_with_zero_changes(staff, ledger, kind, export):
    rows = {"enterprises": 4, "organizations": 3, "members": 2, "assignments": 2}[kind]
    assert_imports_back_unchanged(kind, export().read(), staff, rows)


# ---------------------------------------------------------------- download ----


def test_organisation_ledger(client, world):
    login(client, world[0])
    ws = sheet_of(client.get("/organizations/export.xlsx"))
    rows = list(ws.iter_rows(min_row=2, values_only=True))  # row 1: the title
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["组织名称"], row["区域代码"], row["组建方式"], row["覆盖单位"], row["党员数"]) == (
        "甲支部", "P1", "单独组建", "甲公司", 1,
    )  # fmt: skip
    assert row["成立日期"] == dt.datetime(2018, 1, 1)


@pytest.mark.parametrize(
    ("page", "link"),
    [
        ("/organizations/", "/organizations/export.xlsx?area=P1"),
    ],
)
def test_list_pages_link_to_the_filtered_download(client, world, page, link):
    login(client, world[0])
    html = client.get(page, {"area": "P1"}).content.decode()
    assert link in html
