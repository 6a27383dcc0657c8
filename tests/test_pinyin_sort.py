"""Lists sort Chinese names by pinyin (issue 16, point 15): PostgreSQL's ICU collation, a stable code-point order on
SQLite; and the member list shows current members by default, with a switch for those who left.

The pinyin test needs PostgreSQL (DATABASE_URL=postgres://…); the rest run on either database.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from rest_framework.test import APIClient

from members.filtersets import MemberFilterSet
from members.models import Member
from orgs.filtersets import OrganizationFilterSet
from orgs.models import PartyOrganization
from registry.filtersets import EnterpriseFilterSet
from registry.models import Enterprise
from registry.querysets import PINYIN_COLLATION, pinyin_order
from tests.factories import AreaFactory, EnterpriseFactory, MemberFactory, OrganizationFactory, make_user

pytestmark = pytest.mark.django_db

# Pinyin: an, bai, li, zhang, zhao. Code points: 安 U+5B89, 张 U+5F20, 李 U+674E, 白 U+767D, 赵 U+8D75.
SURNAMES = ["赵", "张", "白", "李", "安"]
PINYIN = ["安", "白", "李", "张", "赵"]
CODE_POINTS = sorted(SURNAMES)


@pytest.fixture
def park():
    return AreaFactory(code="P1", name="园区一")


@pytest.fixture
def page(client, park):
    client.force_login(make_user("clerk", role="staff", area=park))
    return client


def expected_order() -> list[str]:
    return PINYIN if connection.vendor == "postgresql" else CODE_POINTS


def test_the_order_is_a_pinyin_collation_with_pk_for_ties():
    order = pinyin_order("name")
    assert order[1] == "pk"
    assert order[0].expression.collation == PINYIN_COLLATION
    sql = str(Enterprise.objects.order_by(*order).query)
    if connection.vendor == "postgresql":
        assert f'COLLATE "{PINYIN_COLLATION}"' in sql
    else:
        assert "COLLATE" not in sql  # SQLite has no Chinese collation: plain column, stable by pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pinyin order needs PostgreSQL's ICU collation")
def test_pinyin_on_postgresql(page, park):
    for surname in SURNAMES:
        EnterpriseFactory(area=park, name=f"{surname}氏有限公司")
    response = page.get("/enterprises/")
    assert [e.name[0] for e in response.context["object_list"]] == PINYIN


def test_enterprise_organization_and_member_lists_share_one_order(page, park):
    for surname in SURNAMES:
        firm = EnterpriseFactory(area=park, name=f"{surname}氏有限公司")
        org = OrganizationFactory(area=park, name=f"{surname}氏党支部")
        MemberFactory(organization=org, enterprise=firm, name=f"{surname}一")
    for url in ("/enterprises/", "/organizations/", "/members/"):
        names = [o.name[0] for o in page.get(url).context["object_list"]]
        assert names == expected_order(), url
    # The API and the downloads filter through the same FilterSets, so they list rows in the same order.
    api = APIClient()
    api.force_login(make_user("reader", role="reader", area=park))
    for url in ("/api/v1/enterprises/", "/api/v1/organizations/", "/api/v1/members/"):
        names = [row["name"][0] for row in api.get(url).json()["results"]]
        assert names == expected_order(), url


def test_filtersets_order_by_pinyin_then_pk(park):
    for filterset, model in (
        (EnterpriseFilterSet, Enterprise),
        (OrganizationFilterSet, PartyOrganization),
        (MemberFilterSet, Member),
    ):
        qs = filterset({}, queryset=model.objects.all()).qs
        assert [str(o) for o in qs.query.order_by] == [str(o) for o in pinyin_order("name")], model


# ---------------------------------------------------------------- member list: current by default ----


@pytest.fixture
def members(park):
    org = OrganizationFactory(area=park)
    current = [MemberFactory(organization=org, name=n) for n in ("甲一", "乙二", "丙三")]
    gone = MemberFactory(
        organization=org, name="丁四", ended_on=dt.date(2024, 1, 1), end_reason="transfer_out"
    )
    return current, gone


def test_member_list_defaults_to_current_members(page, members):
    current, gone = members
    response = page.get("/members/")
    assert {m.name for m in response.context["object_list"]} == {m.name for m in current}
    html = response.content.decode()
    assert "在册党员 3 名" in html
    assert "丁四" not in html
    # The download button gets the rows the page shows.
    assert "/members/export.xlsx?status=active" in html


def test_member_list_switches_to_ended_and_to_all(page, members):
    current, gone = members
    ended = page.get("/members/", {"status": "ended"})
    assert [m.name for m in ended.context["object_list"]] == ["丁四"]
    everyone = page.get("/members/", {"status": ""})
    assert len(everyone.context["object_list"]) == 4
    assert "全部党员（含已减少） 4 名" in everyone.content.decode()
    html = page.get("/members/").content.decode()
    assert 'href="?status=ended"' in html
    assert 'href="?status="' in html


def test_member_list_default_keeps_other_filters(page, members, park):
    response = page.get("/members/", {"q": "甲"})
    assert [m.name for m in response.context["object_list"]] == ["甲一"]
    response = page.get("/members/", {"q": "丁"})
    assert list(response.context["object_list"]) == []


def test_api_member_list_still_lists_everyone_by_default(park, members):
    """Documented choice: clients of /api/v1/members/ got every member so far; ``?status=active`` narrows."""
    api = APIClient()
    api.force_login(make_user("reader", role="reader", area=park))
    assert api.get("/api/v1/members/").json()["count"] == 4
    assert api.get("/api/v1/members/", {"status": "active"}).json()["count"] == 3
    assert api.get("/api/v1/members/", {"status": "ended"}).json()["count"] == 1
