"""Areas and enterprises over REST: the contract, writes through services, error shapes, filters, files, queries."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from registry.models import AboveScalePeriod, Area, Enterprise, RecomputeRequest
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_credit_code,
    make_user,
)

pytestmark = pytest.mark.django_db

ENTERPRISES = "/api/v1/enterprises/"
AREAS = "/api/v1/areas/"
ENTERPRISE_FIELDS = {
    "id",
    "name",
    "credit_code",
    "category",
    "area",
    "above_scale",
    "employees",
    "industry",
    "established_on",
    "deregistered_on",
    "party_members",
    "coverage",
}
VALID = make_credit_code(779)
WRONG_CHECK = VALID[:17] + ("1" if VALID[17] == "0" else "0")


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(make_user("root", role="admin"))
    return client


@pytest.fixture
def world():
    """Zone Z ⊃ park P1 ⊃ community C1, and park P2. Four firms with one of each coverage state."""
    zone = AreaFactory(code="Z", name="开发区", kind="district")
    p1 = AreaFactory(code="P1", name="一园", parent=zone)
    c1 = AreaFactory(code="C1", name="一社区", kind="community", parent=p1)
    p2 = AreaFactory(code="P2", name="二园", parent=zone)
    single = EnterpriseFactory(name="甲单建公司", area=p1, employees=120, industry="制造业")
    joint_a = EnterpriseFactory(name="乙联建公司", area=c1)
    joint_b = EnterpriseFactory(name="丙联建协会", area=p2, category="social_org")
    work = EnterpriseFactory(name="丁指导公司", area=p2)
    bare = EnterpriseFactory(name="戊未覆盖公司", area=p2, credit_code=make_credit_code(4242))
    AboveScalePeriodFactory(enterprise=single)
    AboveScalePeriodFactory(enterprise=bare, start=dt.date(2015, 1, 1), end=dt.date(2020, 1, 1))
    org = LinkFactory(enterprise=single, organization=OrganizationFactory(area=p1)).organization
    joint = OrganizationFactory(area=zone, setup="joint", name="联合党支部")
    LinkFactory(organization=joint, enterprise=joint_a)
    LinkFactory(organization=joint, enterprise=joint_b)
    AssignmentFactory(enterprise=work, instructor__area=zone)
    MemberFactory(organization=org, enterprise=single)
    MemberFactory(organization=org, enterprise=single, category="probationary")
    MemberFactory(
        organization=org,
        enterprise=single,
        joined_on=dt.date(2019, 1, 1),
        ended_on=dt.date(2020, 1, 1),
        end_reason="transfer_out",
    )
    return {
        "zone": zone,
        "p1": p1,
        "c1": c1,
        "p2": p2,
        "single": single,
        "joint_a": joint_a,
        "joint_b": joint_b,
        "work": work,
        "bare": bare,
    }


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


def test_unauthenticated_is_401(world):
    client = APIClient()
    assert client.get(ENTERPRISES).status_code == 401
    assert client.get(AREAS).status_code == 401
    assert client.post(ENTERPRISES, {}, format="json").status_code == 401


def test_token_auth_works_on_crud(world):
    make_user("api", role="reader", area=world["zone"], password="s3cret-pass-Long")
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": "api", "password": "s3cret-pass-Long"}, format="json"
    )
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert client.get(ENTERPRISES).json()["count"] == 5


@pytest.mark.parametrize("role", ["reader", "park"])
def test_read_only_roles_get_403_on_writes(world, role):
    client = APIClient()
    client.force_authenticate(make_user("ro", role=role, area=world["zone"]))
    assert client.get(f"{ENTERPRISES}{world['bare'].pk}/").status_code == 200
    created = client.post(ENTERPRISES, create_body(), format="json")
    assert created.status_code == 403
    assert created.json() == {"detail": "当前账号只能查看，不能修改台账。"}
    patched = client.patch(f"{ENTERPRISES}{world['bare'].pk}/", {"name": "改名"}, format="json")
    assert patched.status_code == 403
    area = client.post(AREAS, {"code": "N1", "name": "新园", "kind": "park", "parent": "Z"}, format="json")
    assert area.status_code == 403
    assert Enterprise.objects.filter(name__in=["新登记科技有限公司", "改名"]).count() == 0
    assert not Area.objects.filter(code="N1").exists()


def test_scoping_to_the_users_subtree(world):
    """Staff of park P1 see P1 and C1 only; everything else is 404 or an unknown choice."""
    client = APIClient()
    client.force_authenticate(make_user("staff-p1", role="staff", area=world["p1"]))
    assert sorted(names(client.get(ENTERPRISES))) == ["乙联建公司", "甲单建公司"]
    assert [a["code"] for a in client.get(AREAS).json()["results"]] == ["P1", "C1"]
    assert client.get(f"{ENTERPRISES}{world['bare'].pk}/").status_code == 404
    assert client.patch(f"{ENTERPRISES}{world['bare'].pk}/", {"name": "x"}, format="json").status_code == 404
    assert client.get(f"{AREAS}P2/").status_code == 404
    assert client.get(ENTERPRISES, {"area": "P2"}).status_code == 400
    outside = client.post(ENTERPRISES, create_body(area="P2"), format="json")
    assert (outside.status_code, list(outside.json())) == (400, ["area"])
    inside = client.post(ENTERPRISES, create_body(area="C1"), format="json")
    assert inside.status_code == 201, inside.content
    moved = client.patch(f"{ENTERPRISES}{inside.json()['id']}/", {"area": "Z"}, format="json")
    assert (moved.status_code, list(moved.json())) == (400, ["area"])
    top = client.post(AREAS, {"code": "Y", "name": "新区", "kind": "district", "parent": None}, format="json")
    assert top.json() == {"parent": ["只有系统管理员可以新建顶级区域。"]}
    child = client.post(
        AREAS, {"code": "C9", "name": "九社区", "kind": "community", "parent": "P1"}, format="json"
    )
    assert child.status_code == 201


def test_user_without_role_sees_nothing(world):
    client = APIClient()
    client.force_authenticate(User.objects.create_user("nobody", password="pw"))
    assert client.get(ENTERPRISES).json()["count"] == 0
    assert client.get(f"{ENTERPRISES}{world['bare'].pk}/").status_code == 404
    assert client.post(ENTERPRISES, create_body(), format="json").status_code == 403


def test_enterprise_contract(api, world):
    response = api.get(f"{ENTERPRISES}{world['single'].pk}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ENTERPRISE_FIELDS
    assert body == {
        "id": world["single"].pk,
        "name": "甲单建公司",
        "credit_code": world["single"].credit_code,
        "category": "enterprise",
        "area": "P1",
        "above_scale": True,
        "employees": 120,
        "industry": "制造业",
        "established_on": "2015-01-01",
        "deregistered_on": None,
        "party_members": 2,
        "coverage": "single",
    }


def test_enterprise_list_is_paginated_with_today_states(api, world):
    body = api.get(ENTERPRISES).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 5
    by_name = {row["name"]: row for row in body["results"]}
    assert {n: (r["coverage"], r["above_scale"], r["party_members"]) for n, r in by_name.items()} == {
        "甲单建公司": ("single", True, 2),
        "乙联建公司": ("joint", False, 0),
        "丙联建协会": ("joint", False, 0),
        "丁指导公司": ("work", False, 0),
        "戊未覆盖公司": ("none", False, 0),  # was 规上 until 2020 only
    }
    page = api.get(ENTERPRISES, {"page_size": 2, "page": 2}).json()
    assert len(page["results"]) == 2
    assert page["next"].endswith("page=3&page_size=2")
    assert page["previous"] is not None


def test_page_size_is_capped_at_1000(api, world):
    EnterpriseFactory.create_batch(3, area=world["p1"])
    assert len(api.get(ENTERPRISES, {"page_size": 5000}).json()["results"]) == 8


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"area": "P1"}, ["乙联建公司", "甲单建公司"]),  # the subtree: P1 and C1
        ({"area": "C1"}, ["乙联建公司"]),
        ({"category": "social_org"}, ["丙联建协会"]),
        ({"above_scale": "true"}, ["甲单建公司"]),
        ({"above_scale": "false", "area": "P1"}, ["乙联建公司"]),
        ({"coverage": "joint"}, ["丙联建协会", "乙联建公司"]),
        ({"coverage": "none"}, ["戊未覆盖公司"]),
        ({"coverage": "work", "area": "P2"}, ["丁指导公司"]),
        ({"search": "协会"}, ["丙联建协会"]),
        ({"search": make_credit_code(4242)[-8:]}, ["戊未覆盖公司"]),
        ({"search": " " + make_credit_code(4242).lower()}, ["戊未覆盖公司"]),
    ],
)
def test_enterprise_filters(api, world, params, expected):
    assert sorted(names(api.get(ENTERPRISES, params))) == sorted(expected)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"area": "NOPE"}, "area"),
        ({"category": "bank"}, "category"),
        ({"coverage": "full"}, "coverage"),
        ({"above_scale": "maybe"}, "above_scale"),
    ],
)
def test_bad_filter_values_are_400(api, world, params, field):
    response = api.get(ENTERPRISES, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def create_body(**overrides) -> dict:
    body = {
        "name": "新登记科技有限公司",
        "credit_code": VALID,
        "category": "enterprise",
        "area": "P2",
        "employees": 30,
        "industry": "软件",
        "established_on": "2020-03-01",
    }
    body.update(overrides)
    return body


def test_create_enterprise_through_the_service(api, world):
    response = api.post(ENTERPRISES, create_body(above_scale=True), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == ENTERPRISE_FIELDS
    firm = Enterprise.objects.get(pk=body["id"])
    assert (body["above_scale"], body["coverage"], body["party_members"], body["area"]) == (
        True,
        "none",
        0,
        "P2",
    )
    # 规上 from the founding date when no above_scale_since is given
    assert list(firm.above_scale_periods.values_list("start", "end")) == [(dt.date(2020, 3, 1), None)]
    assert RecomputeRequest.objects.filter(area=world["p2"], since=dt.date(2020, 3, 1)).exists()


def test_create_above_scale_since(api, world):
    body = create_body(
        above_scale=True, above_scale_since="2023-01-01", credit_code=" " + VALID.lower() + " "
    )
    response = api.post(ENTERPRISES, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["credit_code"] == VALID  # normalised by the rule
    firm = Enterprise.objects.get(pk=response.json()["id"])
    assert list(firm.above_scale_periods.values_list("start", flat=True)) == [dt.date(2023, 1, 1)]


def test_bad_credit_code_is_400_and_nothing_saved(api, world):
    before = (Enterprise.objects.count(), AboveScalePeriod.objects.count(), RecomputeRequest.objects.count())
    response = api.post(ENTERPRISES, create_body(credit_code=WRONG_CHECK, above_scale=True), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "credit_code": [f"统一社会信用代码校验位错误：最后一位应为 {VALID[17]}，请核对。"]
    }
    assert (
        Enterprise.objects.count(),
        AboveScalePeriod.objects.count(),
        RecomputeRequest.objects.count(),
    ) == before


def test_duplicate_credit_code_and_cross_field_rules(api, world):
    dup = api.post(ENTERPRISES, create_body(credit_code=world["bare"].credit_code), format="json")
    assert dup.status_code == 400
    assert list(dup.json()) == ["credit_code"]
    early = api.post(ENTERPRISES, create_body(deregistered_on="2019-01-01"), format="json")
    assert early.status_code == 400
    assert early.json() == {"deregistered_on": ["注销/迁出日期应晚于成立日期。"]}
    assert not Enterprise.objects.filter(name="新登记科技有限公司").exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"area": "NOPE"}, "area"),
        ({"area": 5}, "area"),
        ({"category": "bank"}, "category"),
        ({"employees": "many"}, "employees"),
        ({"employees": -1}, "employees"),
        ({"employees": 10**30}, "employees"),
        ({"established_on": "2020-13-01"}, "established_on"),
        ({"above_scale": "perhaps"}, "above_scale"),
        ({"name": ""}, "name"),
        ({"credit_code": None}, "credit_code"),
    ],
)
def test_wrong_types_are_400(api, world, overrides, field):
    response = api.post(ENTERPRISES, create_body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_non_object_body_is_400(api, world):
    response = api.post(ENTERPRISES, [1, 2], format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


def test_patch_above_scale_holds_from_today(api, world):
    firm = world["work"]
    response = api.patch(f"{ENTERPRISES}{firm.pk}/", {"above_scale": True, "employees": 80}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["above_scale"], response.json()["employees"]) == (True, 80)
    assert list(firm.above_scale_periods.values_list("start", "end")) == [(timezone.localdate(), None)]
    off = api.patch(
        f"{ENTERPRISES}{world['single'].pk}/",
        {"above_scale": False, "above_scale_since": "2024-01-01"},
        format="json",
    )
    assert off.json()["above_scale"] is False
    assert list(world["single"].above_scale_periods.values_list("start", "end")) == [
        (dt.date(2015, 1, 1), dt.date(2024, 1, 1))
    ]


def test_patch_deregistered_on_ends_links(api, world):
    firm = world["joint_a"]
    response = api.patch(f"{ENTERPRISES}{firm.pk}/", {"deregistered_on": "2024-06-30"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["deregistered_on"] == "2024-06-30"
    assert response.json()["coverage"] == "none"
    assert list(firm.org_links.values_list("end", flat=True)) == [dt.date(2024, 6, 30)]


def test_put_replaces_fields(api, world):
    firm = world["bare"]
    body = create_body(name="戊改名公司", credit_code=firm.credit_code)
    response = api.put(f"{ENTERPRISES}{firm.pk}/", body, format="json")
    assert response.status_code == 200, response.content
    firm.refresh_from_db()
    assert (firm.name, firm.area.code, firm.employees) == ("戊改名公司", "P2", 30)


def test_unknown_enterprise_is_404_and_delete_is_405(api, world):
    assert api.get(f"{ENTERPRISES}999999/").status_code == 404
    assert api.get(f"{ENTERPRISES}abc/").status_code == 404
    assert api.get(f"{ENTERPRISES}{10**30}/").status_code == 404
    assert api.patch(f"{ENTERPRISES}999999/", {"name": "x"}, format="json").status_code == 404
    assert api.delete(f"{ENTERPRISES}{world['bare'].pk}/").status_code == 405
    assert Enterprise.objects.filter(pk=world["bare"].pk).exists()


def test_csv_and_xlsx_honour_filters(api, world):
    response = api.get(ENTERPRISES, {"area": "P2", "coverage": "joint", "format": "csv", "page_size": 1})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["name"], r["area"], r["coverage"], r["category"]) for r in rows] == [
        ("丙联建协会", "P2", "joint", "social_org")
    ]
    response = api.get(ENTERPRISES, {"area": "P2", "format": "xlsx", "page_size": 1})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][:2] == ("id", "name")
    assert sorted(row[1] for row in values[1:]) == sorted(["丙联建协会", "丁指导公司", "戊未覆盖公司"])


def list_queries(api, url, page_size: int, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(url, {"page_size": page_size, **params})
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(ctx.captured_queries)


def test_enterprise_list_queries_do_not_grow_with_page_size(api, world):
    for i in range(20):
        firm = EnterpriseFactory(area=world["p1"])
        MemberFactory(organization=OrganizationFactory(area=world["p1"]), enterprise=firm)
        AboveScalePeriodFactory(enterprise=firm)
        if i % 2:
            AssignmentFactory(enterprise=firm)
    assert list_queries(api, ENTERPRISES, 2) == list_queries(api, ENTERPRISES, 20) == 2
    # Filtering adds one query (the area code is looked up), not one per row.
    filtered = {"area": "Z", "coverage": "work", "above_scale": "true"}
    assert (
        list_queries(api, ENTERPRISES, 2, **filtered) == list_queries(api, ENTERPRISES, 10, **filtered) == 3
    )


# --- areas -------------------------------------------------------------------------------------------------


def test_area_contract_and_lookup_by_code(api, world):
    body = api.get(f"{AREAS}C1/").json()
    assert body == {"code": "C1", "name": "一社区", "kind": "community", "parent": "P1"}
    listing = api.get(AREAS).json()
    assert [a["code"] for a in listing["results"]] == ["Z", "P1", "C1", "P2"]
    assert listing["results"][0]["parent"] is None
    assert api.get(f"{AREAS}NOPE/").status_code == 404


def test_create_area(api, world):
    response = api.post(
        AREAS, {"code": "C2", "name": "二社区", "kind": "community", "parent": "P2"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"code": "C2", "name": "二社区", "kind": "community", "parent": "P2"}
    assert Area.objects.get(code="C2").path == "/Z/P2/C2/"
    top = api.post(AREAS, {"code": "Y", "name": "新区", "kind": "district", "parent": None}, format="json")
    assert (top.status_code, Area.objects.get(code="Y").path) == (201, "/Y/")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "P1", "name": "重复", "kind": "park"}, "code"),
        ({"code": "A/B", "name": "斜杠", "kind": "park"}, "code"),
        ({"code": "N1", "name": "孤儿", "kind": "park", "parent": "NOPE"}, "parent"),
        ({"code": "N1", "name": "错类", "kind": "planet"}, "kind"),
        ({"name": "无码", "kind": "park"}, "code"),
    ],
)
def test_area_errors(api, world, body, field):
    response = api.post(AREAS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Area.objects.count() == 4


def test_area_is_not_changed_or_deleted(api, world):
    assert api.patch(f"{AREAS}P1/", {"name": "x"}, format="json").status_code == 405
    assert api.delete(f"{AREAS}P1/").status_code == 405


def test_area_list_queries_do_not_grow(api, world):
    for i in range(20):
        AreaFactory(code=f"K{i:02d}", parent=world["p2"])
    with CaptureQueriesContext(connection) as small:
        api.get(AREAS, {"page_size": 2})
    with CaptureQueriesContext(connection) as big:
        api.get(AREAS, {"page_size": 20})
    assert len(small.captured_queries) == len(big.captured_queries) == 2
