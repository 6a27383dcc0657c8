"""Party organisations over REST: the contract, links written through orgs.services, dissolving, errors, queries."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from orgs.models import OrganizationLink, PartyOrganization
from registry.models import RecomputeRequest
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

ORGS = "/api/v1/organizations/"
FIELDS = {
    "id",
    "name",
    "kind",
    "setup",
    "area",
    "parent",
    "enterprises",
    "founded_on",
    "dissolved_on",
    "secretary",
}


@pytest.fixture
def api():
    client = APIClient()
    client.force_authenticate(make_user("root", role="admin"))
    return client


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", name="开发区", kind="district")
    park = AreaFactory(code="P1", name="一园", parent=zone)
    other = AreaFactory(code="P2", name="二园", parent=zone)
    firms = [EnterpriseFactory(area=park, name=f"企业{i}") for i in range(4)]
    committee = OrganizationFactory(area=zone, kind="committee", name="园区党委", setup="single")
    LinkFactory(organization=committee, enterprise=firms[3])
    joint = OrganizationFactory(area=park, setup="joint", name="联合党支部", parent=committee)
    LinkFactory(organization=joint, enterprise=firms[0])
    LinkFactory(organization=joint, enterprise=firms[1])
    # a link that ended: not listed among the enterprises covered today
    LinkFactory(organization=joint, enterprise=firms[2], end=dt.date(2020, 1, 1))
    secretary = MemberFactory(organization=joint)
    joint.secretary = secretary
    joint.save()
    return {
        "zone": zone,
        "park": park,
        "other": other,
        "firms": firms,
        "committee": committee,
        "joint": joint,
    }


def test_unauthenticated_is_401(world):
    assert APIClient().get(ORGS).status_code == 401


def test_contract(api, world):
    joint, firms = world["joint"], world["firms"]
    body = api.get(f"{ORGS}{joint.pk}/").json()
    assert set(body) == FIELDS
    assert body == {
        "id": joint.pk,
        "name": "联合党支部",
        "kind": "branch",
        "setup": "joint",
        "area": "P1",
        "parent": world["committee"].pk,
        "enterprises": [firms[0].pk, firms[1].pk],
        "founded_on": "2018-01-01",
        "dissolved_on": None,
        "secretary": joint.secretary_id,
    }
    listing = api.get(ORGS).json()
    assert set(listing) == {"count", "next", "previous", "results"}
    rows = [("园区党委", [firms[3].pk]), ("联合党支部", [firms[0].pk, firms[1].pk])]
    assert [(o["name"], o["enterprises"]) for o in listing["results"]] == in_name_order(rows)


def in_name_order(rows: list) -> list:
    """Rows in the registry's name order: pinyin on PostgreSQL (联 lian before 园 yuan), code points on SQLite
    (园 U+56ED before 联 U+8054). Both names of this module's world differ in their first character."""
    return list(reversed(rows)) if connection.vendor == "postgresql" else rows


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"area": "P1"}, ["联合党支部"]),
        ({"area": "Z"}, ["园区党委", "联合党支部"]),
        ({"kind": "committee"}, ["园区党委"]),
        ({"setup": "joint"}, ["联合党支部"]),
        ({"q": "党委"}, ["园区党委"]),
        ({"status": "ended"}, []),
    ],
)
def test_filters(api, world, params, expected):
    response = api.get(ORGS, params)
    assert response.status_code == 200
    assert [o["name"] for o in response.json()["results"]] == in_name_order(expected)


@pytest.mark.parametrize("params", [{"area": "NOPE"}, {"kind": "club"}, {"setup": "both"}, {"status": "x"}])
def test_bad_filters_are_400(api, world, params):
    response = api.get(ORGS, params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)


def test_create_links_from_founding(api, world):
    firms = world["firms"]
    body = {
        "name": "新联合支部",
        "kind": "branch",
        "setup": "joint",
        "area": "P2",
        "parent": world["committee"].pk,
        "enterprises": [firms[2].pk, firms[3].pk],
        "founded_on": "2024-03-01",
    }
    response = api.post(ORGS, body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert set(created) == FIELDS
    assert (created["enterprises"], created["area"], created["dissolved_on"], created["secretary"]) == (
        [firms[2].pk, firms[3].pk],
        "P2",
        None,
        None,
    )
    org = PartyOrganization.objects.get(pk=created["id"])
    assert sorted(org.links.values_list("enterprise_id", "start", "end")) == [
        (firms[2].pk, dt.date(2024, 3, 1), None),
        (firms[3].pk, dt.date(2024, 3, 1), None),
    ]
    assert set(RecomputeRequest.objects.values_list("area__code", flat=True)) == {"P1", "P2"}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"setup": "single"},
            {"enterprises": ["单独组建的党组织应覆盖且只覆盖 1 个单位，当前选择了 2 个。"]},
        ),
        ({"enterprises": []}, {"enterprises": ["联合组建的党组织应覆盖 2 个及以上单位，当前选择了 0 个。"]}),
        ({"enterprises": [999999, 1]}, "enterprises"),
        ({"enterprises": "1,2"}, "enterprises"),
        ({"area": "NOPE"}, "area"),
        ({"parent": 999999}, "parent"),
        ({"secretary": 999999}, "secretary"),
        ({"kind": "club"}, "kind"),
        ({"founded_on": "yesterday"}, "founded_on"),
        ({"dissolved_on": "2020-01-01"}, "non_field_errors"),  # the check constraint, in Chinese
    ],
)
def test_create_errors_save_nothing(api, world, overrides, expected):
    firms = world["firms"]
    body = {
        "name": "新联合支部",
        "kind": "branch",
        "setup": "joint",
        "area": "P2",
        "enterprises": [firms[2].pk, firms[3].pk],
        "founded_on": "2024-03-01",
        **overrides,
    }
    before = (
        PartyOrganization.objects.count(),
        OrganizationLink.objects.count(),
        RecomputeRequest.objects.count(),
    )
    response = api.post(ORGS, body, format="json")
    assert response.status_code == 400
    if isinstance(expected, dict):
        assert response.json() == expected
    else:
        assert list(response.json()) == [expected]
    after = (
        PartyOrganization.objects.count(),
        OrganizationLink.objects.count(),
        RecomputeRequest.objects.count(),
    )
    assert after == before


def test_duplicate_name_in_area_is_an_error_on_the_name(api, world):
    """Issue 16: the error names the organisation holding the name (tests/test_duplicate_messages.py)."""
    body = {
        "name": "联合党支部",
        "setup": "single",
        "area": "P1",
        "enterprises": [world["firms"][2].pk],
        "founded_on": "2024-03-01",
    }
    response = api.post(ORGS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["name"]
    assert "已登记「联合党支部」" in response.json()["name"][0]


def test_patch_enterprises_changes_links_from_today(api, world):
    joint, firms = world["joint"], world["firms"]
    today = timezone.localdate()
    response = api.patch(f"{ORGS}{joint.pk}/", {"enterprises": [firms[1].pk, firms[2].pk]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["enterprises"] == [firms[1].pk, firms[2].pk]
    assert sorted(joint.links.values_list("enterprise_id", "start", "end")) == sorted(
        [
            (firms[0].pk, dt.date(2018, 1, 1), today),
            (firms[1].pk, dt.date(2018, 1, 1), None),
            (firms[2].pk, dt.date(2018, 1, 1), dt.date(2020, 1, 1)),
            (firms[2].pk, today, None),
        ]
    )


def test_patch_other_fields_keeps_links(api, world):
    joint = world["joint"]
    response = api.patch(
        f"{ORGS}{joint.pk}/", {"name": "第一联合党支部", "kind": "general_branch"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["kind"], len(response.json()["enterprises"])) == (
        "第一联合党支部",
        "general_branch",
        2,
    )
    bad = api.patch(f"{ORGS}{joint.pk}/", {"setup": "single"}, format="json")
    assert bad.status_code == 400
    assert list(bad.json()) == ["enterprises"]
    joint.refresh_from_db()
    assert joint.setup == "joint"


def test_patch_dissolved_on_dissolves(api, world):
    joint = world["joint"]
    response = api.patch(f"{ORGS}{joint.pk}/", {"dissolved_on": "2024-12-31"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["dissolved_on"], response.json()["enterprises"]) == ("2024-12-31", [])
    assert sorted(joint.links.values_list("end", flat=True)) == [
        dt.date(2020, 1, 1),
        dt.date(2024, 12, 31),
        dt.date(2024, 12, 31),
    ]
    too_early = api.patch(f"{ORGS}{world['committee'].pk}/", {"dissolved_on": "2017-01-01"}, format="json")
    assert too_early.status_code == 400
    assert too_early.json() == {"dissolved_on": ["撤销日期应晚于成立日期。"]}


def test_a_dissolved_organisation_can_still_be_renamed(api, world):
    joint = world["joint"]
    assert api.patch(f"{ORGS}{joint.pk}/", {"dissolved_on": "2024-12-31"}, format="json").status_code == 200
    renamed = api.patch(f"{ORGS}{joint.pk}/", {"name": "已撤销的联合支部"}, format="json")
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["name"] == "已撤销的联合支部"


def test_constraint_message_is_chinese(api, world):
    firms = world["firms"]
    body = {
        "name": "X",
        "kind": "branch",
        "setup": "joint",
        "area": "P2",
        "enterprises": [firms[2].pk, firms[3].pk],
        "founded_on": "2024-03-01",
        "dissolved_on": "2020-01-01",
    }
    response = api.post(ORGS, body, format="json")
    assert response.json() == {"non_field_errors": ["撤销日期应晚于成立日期。"]}


def test_unknown_is_404_and_delete_is_405(api, world):
    assert api.get(f"{ORGS}999999/").status_code == 404
    assert api.delete(f"{ORGS}{world['joint'].pk}/").status_code == 405
    assert PartyOrganization.objects.filter(pk=world["joint"].pk).exists()


def test_csv_download_honours_filters(api, world):
    firms = world["firms"]
    response = api.get(ORGS, {"setup": "joint", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["name"], r["enterprises"]) for r in rows] == [("联合党支部", f"{firms[0].pk}、{firms[1].pk}")]


def test_list_queries_do_not_grow_with_page_size(api, world):
    for _ in range(20):
        org = OrganizationFactory(area=world["other"], setup="joint")
        LinkFactory(organization=org, enterprise=EnterpriseFactory(area=world["other"]))
        LinkFactory(organization=org, enterprise=EnterpriseFactory(area=world["other"]))
    counts = []
    for size in (2, 20):
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(ORGS, {"page_size": size})
        assert len(response.json()["results"]) == size
        assert all(len(o["enterprises"]) in (1, 2) for o in response.json()["results"])
        counts.append(len(ctx.captured_queries))
    assert counts == [3, 3]  # count, page, active links


def test_scoping_and_read_only(world):
    firms = world["firms"]
    staff = APIClient()
    staff.force_authenticate(make_user("staff-p1", role="staff", area=world["park"]))
    assert [o["name"] for o in staff.get(ORGS).json()["results"]] == ["联合党支部"]
    assert staff.get(f"{ORGS}{world['committee'].pk}/").status_code == 404
    # the parent lies outside P1: it "does not exist" for this user
    body = {
        "name": "新支部",
        "setup": "single",
        "area": "P1",
        "enterprises": [firms[2].pk],
        "founded_on": "2024-01-01",
    }
    outside = staff.post(ORGS, {**body, "parent": world["committee"].pk}, format="json")
    assert (outside.status_code, list(outside.json())) == (400, ["parent"])
    assert staff.post(ORGS, body, format="json").status_code == 201
    reader = APIClient()
    reader.force_authenticate(make_user("reader", role="reader", area=world["zone"]))
    assert reader.get(ORGS).json()["count"] == 3
    assert reader.post(ORGS, {**body, "name": "再一个"}, format="json").status_code == 403
    assert reader.patch(f"{ORGS}{world['joint'].pk}/", {"name": "x"}, format="json").status_code == 403
