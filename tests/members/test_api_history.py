"""Members as dated history over REST (issue 12): 入党日期, transfer / 转回, 转正, 延长预备期, ``history/`` and the
list filters read as of a date. Every write goes through members.services; errors are Chinese 400s that save
nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from members.models import Employment, Member, Membership, Mobility
from registry.models import RecomputeRequest
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    make_id_number,
    make_user,
)

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/members/"
NEW_ID = make_id_number(88, born=dt.date(1990, 1, 1), male=False)


def url(member, action: str = "") -> str:
    return f"{MEMBERS}{member.pk}/{action + '/' if action else ''}"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api():
    return client_for(make_user("root", role="admin"))


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", name="开发区", kind="district")
    park = AreaFactory(code="P1", name="一园", parent=zone)
    other = AreaFactory(code="P2", name="二园", parent=zone)
    firm = EnterpriseFactory(area=park, name="甲公司")
    firm2 = EnterpriseFactory(area=park, name="乙公司")
    old = OrganizationFactory(area=park, name="甲公司党支部", founded_on=dt.date(2016, 3, 1))
    new = OrganizationFactory(area=park, name="乙公司党支部", founded_on=dt.date(2018, 1, 1))
    young = OrganizationFactory(area=park, name="新建党支部", founded_on=dt.date(2024, 1, 1))
    far = OrganizationFactory(area=other, name="二园党支部", founded_on=dt.date(2018, 1, 1))
    wang = MemberFactory(
        name="王芳",
        gender="F",
        id_number=make_id_number(1, male=False),
        phone="13812345678",
        organization=old,
        enterprise=firm,
    )
    li = MemberFactory(name="李强", organization=far)
    return {
        "zone": zone,
        "park": park,
        "other": other,
        "firm": firm,
        "firm2": firm2,
        "old": old,
        "new": new,
        "young": young,
        "far": far,
        "wang": wang,
        "li": li,
    }


def member_body(world, **overrides) -> dict:
    body = {
        "name": "孙丽",
        "gender": "F",
        "birth_date": "1990-01-01",
        "education": "bachelor",
        "id_number": NEW_ID,
        "category": "full",
        "joined_on": "2016-06-01",
        "organization": world["old"].pk,
    }
    body.update(overrides)
    return body


def history_rows() -> tuple[int, int, int, int, int]:
    return (
        Member.objects.count(),
        Membership.objects.count(),
        Employment.objects.count(),
        Mobility.objects.count(),
        RecomputeRequest.objects.count(),
    )


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(m["name"] for m in response.json()["results"])


# --- 入党日期 on create -------------------------------------------------------------------------------------------


def test_party_join_may_predate_every_organisation(api, world):
    # The bug: joined the Party in 2010, registered in a branch founded in 2016.
    response = api.post(MEMBERS, member_body(world, joined_party_on="2010-07-01"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["joined_party_on"], body["joined_on"], body["confirmed_on"]) == (
        "2010-07-01",
        "2016-06-01",
        None,
    )
    history = api.get(f"{MEMBERS}{body['id']}/history/").json()
    assert history["memberships"] == [
        {
            "organization": world["old"].pk,
            "organization_name": "甲公司党支部",
            "start": "2016-06-01",
            "end": None,
            "how_started": "transfer_in",
            "how_ended": "",
        }
    ]
    assert history["categories"] == [{"category": "full", "start": "2010-07-01", "end": None}]


@pytest.mark.parametrize(
    ("joined_party_on", "message"),
    [
        ("2016-06-02", "入党日期不能晚于转入本组织日期（2016-06-01）。"),
        ("2007-12-31", "入党时应年满十八岁（2008-01-01 起）。"),
    ],
)
def test_party_join_errors_are_chinese_and_save_nothing(api, world, joined_party_on, message):
    before = history_rows()
    response = api.post(MEMBERS, member_body(world, joined_party_on=joined_party_on), format="json")
    assert response.status_code == 400
    assert response.json() == {"joined_party_on": [message]}
    assert history_rows() == before


def test_probationary_member_is_probationary_from_party_join(api, world):
    body = member_body(world, category="probationary", joined_party_on="2024-03-01", joined_on="2024-07-01")
    created = api.post(MEMBERS, body, format="json")
    assert created.status_code == 201, created.content
    member = Member.objects.get(pk=created.json()["id"])
    assert api.get(url(member, "history")).json()["categories"] == [
        {"category": "probationary", "start": "2024-03-01", "end": None}
    ]


# --- 转正 and 延长预备期 --------------------------------------------------------------------------------------------


@pytest.fixture
def probationary(world):
    return MemberFactory(
        name="赵预备",
        organization=world["old"],
        category="probationary",
        joined_party_on=dt.date(2024, 3, 1),
        joined_on=dt.date(2024, 3, 1),
    )


def test_confirm_too_early_then_on_time(api, probationary):
    early = api.post(url(probationary, "confirm"), {"on": "2025-02-28"}, format="json")
    assert early.status_code == 400
    assert early.json() == {"on": ["预备期未满，最早可于 2025-03-01 转正。"]}
    probationary.refresh_from_db()
    assert (probationary.category, probationary.confirmed_on) == ("probationary", None)

    response = api.post(url(probationary, "confirm"), {"on": "2025-03-01"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["category"], body["confirmed_on"]) == (probationary.pk, "full", "2025-03-01")
    assert "*" in body["id_number"]  # the member as a retrieve shows it: masked
    probationary.refresh_from_db()
    assert (probationary.category, probationary.confirmed_on) == ("full", dt.date(2025, 3, 1))
    assert api.get(url(probationary, "history")).json()["categories"] == [
        {"category": "probationary", "start": "2024-03-01", "end": "2025-03-01"},
        {"category": "full", "start": "2025-03-01", "end": None},
    ]
    again = api.post(url(probationary, "confirm"), {"on": "2025-04-01"}, format="json")
    assert (again.status_code, again.json()) == (400, {"on": ["只有预备党员可以转正。"]})


def test_confirm_needs_a_date(api, probationary):
    response = api.post(url(probationary, "confirm"), {"on": "soon"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["on"]


def test_extend_probation(api, probationary):
    too_long = api.post(url(probationary, "extend-probation"), {"until": "2026-03-02"}, format="json")
    assert too_long.status_code == 400
    assert too_long.json() == {"until": ["延长预备期最长一年，最晚至 2026-03-01。"]}
    probationary.refresh_from_db()
    assert probationary.probation_until is None

    response = api.post(url(probationary, "extend-probation"), {"until": "2025-09-01"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["category"], response.json()["confirmed_on"]) == ("probationary", None)
    probationary.refresh_from_db()
    assert probationary.probation_until == dt.date(2025, 9, 1)
    # The extended probation is what 转正 now waits for.
    early = api.post(url(probationary, "confirm"), {"on": "2025-03-01"}, format="json")
    assert early.json() == {"on": ["预备期未满，最早可于 2025-09-01 转正。"]}


# --- transfer -----------------------------------------------------------------------------------------------------


def test_transfer(api, world):
    wang = world["wang"]
    response = api.post(
        url(wang, "transfer"),
        {"organization": world["far"].pk, "on": "2024-05-01", "enterprise": world["firm2"].pk},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["organization"], body["joined_on"], body["enterprise"]) == (
        world["far"].pk,
        "2024-05-01",
        world["firm2"].pk,
    )
    assert (body["id_number"], body["phone"]) == (
        wang.id_number[:6] + "********" + wang.id_number[-4:],
        "138****5678",
    )
    assert response["ETag"] == api.get(url(wang))["ETag"]
    wang.refresh_from_db()
    assert (wang.organization, wang.joined_on) == (world["far"], dt.date(2024, 5, 1))
    history = api.get(url(wang, "history")).json()
    assert [
        (m["organization"], m["start"], m["end"], m["how_started"], m["how_ended"])
        for m in history["memberships"]
    ] == [
        (world["old"].pk, "2019-01-01", "2024-05-01", "developed", "transfer"),
        (world["far"].pk, "2024-05-01", None, "transfer_in", ""),
    ]
    assert [(e["enterprise_name"], e["start"], e["end"]) for e in history["employments"]] == [
        ("甲公司", "2019-01-01", "2024-05-01"),
        ("乙公司", "2024-05-01", None),
    ]
    # Both areas' figures move from the transfer date.
    assert set(RecomputeRequest.objects.values_list("area__code", "since")) >= {
        ("P1", dt.date(2024, 5, 1)),
        ("P2", dt.date(2024, 5, 1)),
    }


def test_transfer_keeps_the_workplace_unless_given(api, world):
    wang = world["wang"]
    response = api.post(
        url(wang, "transfer"), {"organization": world["new"].pk, "on": "2024-05-01"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["enterprise"] == world["firm"].pk
    assert list(Employment.objects.filter(member=wang).values_list("enterprise__name", "start", "end")) == [
        ("甲公司", dt.date(2019, 1, 1), None)
    ]


@pytest.mark.parametrize(
    ("target", "on", "expected"),
    [
        ("young", "2023-06-01", {"organization": ["该党组织在 2023-06-01 不存续，不能接收组织关系。"]}),
        ("old", "2024-05-01", {"organization": ["转入的党组织与当前所在党组织相同。"]}),
        ("new", "2018-12-31", {"on": ["转接日期应晚于转入当前党组织的日期（2019-01-01）。"]}),
        ("new", "2019-01-01", None),  # the current start: a correction of the row, not a transfer
        ("missing", "2024-05-01", "organization"),
    ],
)
def test_transfer_errors_save_nothing(api, world, target, on, expected):
    wang = world["wang"]
    organization = 999999 if target == "missing" else world[target].pk
    before = history_rows()
    response = api.post(url(wang, "transfer"), {"organization": organization, "on": on}, format="json")
    if expected is None:
        assert response.status_code == 200, response.content
        assert list(Membership.objects.filter(member=wang).values_list("organization", "start", "end")) == [
            (world["new"].pk, dt.date(2019, 1, 1), None)
        ]
        return
    assert response.status_code == 400
    if isinstance(expected, dict):
        assert response.json() == expected
    else:
        assert list(response.json()) == [expected]
    assert history_rows() == before
    wang.refresh_from_db()
    assert (wang.organization, wang.joined_on) == (world["old"], dt.date(2019, 1, 1))


def test_transfer_of_a_member_who_left_is_a_return(api, world):
    wang = world["wang"]
    ended = api.patch(url(wang), {"ended_on": "2023-01-01", "end_reason": "transfer_out"}, format="json")
    assert ended.status_code == 200, ended.content
    early = api.post(
        url(wang, "transfer"), {"organization": world["new"].pk, "on": "2022-12-31"}, format="json"
    )
    assert (early.status_code, early.json()) == (
        400,
        {"on": ["转回日期不能早于上次减少日期（2023-01-01）。"]},
    )

    response = api.post(
        url(wang, "transfer"), {"organization": world["new"].pk, "on": "2024-01-01"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["organization"], body["joined_on"], body["ended_on"], body["end_reason"]) == (
        world["new"].pk,
        "2024-01-01",
        None,
        "",
    )
    memberships = api.get(url(wang, "history")).json()["memberships"]
    assert [(m["organization"], m["start"], m["end"], m["how_ended"]) for m in memberships] == [
        (world["old"].pk, "2019-01-01", "2023-01-01", "transfer_out"),
        (world["new"].pk, "2024-01-01", None, ""),
    ]
    assert api.get(MEMBERS, {"status": "active", "date": "2023-06-01"}).json()["count"] == 1  # 李强 only


# --- workplace and mobility changes by PATCH ---------------------------------------------------------------------


def test_patch_enterprise_is_dated(api, world):
    wang = world["wang"]
    early = api.patch(
        url(wang), {"enterprise": world["firm2"].pk, "enterprise_since": "2018-12-31"}, format="json"
    )
    assert early.status_code == 400
    assert early.json() == {"enterprise_since": ["变更日期不能早于在现工作单位的起始日期（2019-01-01）。"]}
    response = api.patch(
        url(wang), {"enterprise": world["firm2"].pk, "enterprise_since": "2024-03-01"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["enterprise"] == world["firm2"].pk
    assert "enterprise_since" not in response.json()  # write-only
    assert api.get(url(wang, "history")).json()["employments"] == [
        {
            "enterprise": world["firm"].pk,
            "enterprise_name": "甲公司",
            "start": "2019-01-01",
            "end": "2024-03-01",
        },
        {"enterprise": world["firm2"].pk, "enterprise_name": "乙公司", "start": "2024-03-01", "end": None},
    ]


def test_patch_mobility_is_dated(api, world):
    wang = world["wang"]
    response = api.patch(
        url(wang),
        {"is_mobile": True, "mobile_since": "2024-02-01", "mobile_destination": "广东深圳"},
        format="json",
    )
    assert response.status_code == 200, response.content
    back = api.patch(url(wang), {"is_mobile": False, "mobile_since": "2024-09-01"}, format="json")
    assert back.status_code == 200, back.content
    assert api.get(url(wang, "history")).json()["mobility"] == [
        {"start": "2024-02-01", "end": "2024-09-01", "destination": "广东深圳"}
    ]


# --- history ------------------------------------------------------------------------------------------------------


def test_history_shape(api, world):
    wang = world["wang"]
    assert api.get(url(wang, "history")).json() == {
        "memberships": [
            {
                "organization": world["old"].pk,
                "organization_name": "甲公司党支部",
                "start": "2019-01-01",
                "end": None,
                "how_started": "developed",
                "how_ended": "",
            }
        ],
        "employments": [
            {"enterprise": world["firm"].pk, "enterprise_name": "甲公司", "start": "2019-01-01", "end": None}
        ],
        "categories": [{"category": "full", "start": "2019-01-01", "end": None}],
        "mobility": [],
    }
    assert api.get(f"{MEMBERS}999999/history/").status_code == 404


# --- list filters as of a date ------------------------------------------------------------------------------------


def test_list_filters_read_as_of_a_date(api, world):
    wang, old, far = world["wang"], world["old"], world["far"]
    moved = api.post(url(wang, "transfer"), {"organization": far.pk, "on": "2024-05-01"}, format="json")
    assert moved.status_code == 200, moved.content
    assert names(api.get(MEMBERS, {"organization": old.pk, "date": "2024-04-30"})) == ["王芳"]
    assert names(api.get(MEMBERS, {"organization": old.pk, "date": "2024-05-01"})) == []
    assert names(api.get(MEMBERS, {"organization": far.pk, "date": "2024-04-30"})) == ["李强"]
    assert names(api.get(MEMBERS, {"organization": far.pk, "date": "2024-05-01"})) == ["李强", "王芳"]
    assert names(api.get(MEMBERS, {"organization": old.pk})) == []  # today
    assert names(api.get(MEMBERS, {"area": "P1", "date": "2024-04-30"})) == ["王芳"]
    assert names(api.get(MEMBERS, {"area": "P1", "date": "2024-05-01"})) == []
    assert names(api.get(MEMBERS, {"area": "P2", "date": "2024-04-30"})) == ["李强"]
    assert names(api.get(MEMBERS, {"area": "P2"})) == ["李强", "王芳"]
    assert names(api.get(MEMBERS, {"area": "Z", "date": "2018-12-31"})) == []  # before anyone joined
    assert names(api.get(MEMBERS, {"status": "active", "date": "2018-12-31"})) == []
    bad = api.get(MEMBERS, {"organization": old.pk, "date": "2024-13-01"})
    assert (bad.status_code, list(bad.json())) == (400, ["date"])


def test_list_queries_do_not_grow_with_page_size(api, world):
    for n in range(20):
        member = MemberFactory(organization=world["old"], enterprise=world["firm"], phone="13811112222")
        if n % 2:
            response = api.post(
                url(member, "transfer"), {"organization": world["new"].pk, "on": "2024-05-01"}, format="json"
            )
            assert response.status_code == 200, response.content
    params = {"area": "P1", "date": "2024-06-01", "status": "active"}
    counts = []
    for size in (2, 20):
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(MEMBERS, {**params, "page_size": size})
            assert len(response.json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts == [3, 3]  # the area looked up by its code, the count, the page
    half = api.get(MEMBERS, {"organization": world["new"].pk, "date": "2024-06-01"}).json()["count"]
    assert half == 10


# --- scope and roles ----------------------------------------------------------------------------------------------


def test_park_users_act_only_inside_their_area(world):
    wang, li = world["wang"], world["li"]
    staff = client_for(make_user("staff-p1", role="staff", area=world["park"]))
    before = history_rows()
    # 李强's membership is held in the other park: not found, whatever the action.
    for action, payload in (
        ("transfer", {"organization": world["new"].pk, "on": "2024-05-01"}),
        ("confirm", {"on": "2024-05-01"}),
        ("extend-probation", {"until": "2020-06-01"}),
    ):
        assert staff.post(url(li, action), payload, format="json").status_code == 404
    assert staff.get(url(li, "history")).status_code == 404
    # An organisation or workplace outside the area "does not exist".
    outside = staff.post(
        url(wang, "transfer"), {"organization": world["far"].pk, "on": "2024-05-01"}, format="json"
    )
    assert (outside.status_code, list(outside.json())) == (400, ["organization"])
    elsewhere = EnterpriseFactory(area=world["other"])
    bad_firm = staff.post(
        url(wang, "transfer"),
        {"organization": world["new"].pk, "on": "2024-05-01", "enterprise": elsewhere.pk},
        format="json",
    )
    assert (bad_firm.status_code, list(bad_firm.json())) == (400, ["enterprise"])
    assert history_rows() == before

    park = client_for(make_user("park-p1", role="park", area=world["park"]))
    assert [m["organization_name"] for m in park.get(url(wang, "history")).json()["memberships"]] == [
        "甲公司党支部"
    ]
    assert park.get(url(li, "history")).status_code == 404
    assert names(park.get(MEMBERS, {"organization": world["old"].pk})) == ["王芳"]
    assert park.get(MEMBERS, {"organization": world["far"].pk}).status_code == 400
    refused = park.post(
        url(wang, "transfer"), {"organization": world["new"].pk, "on": "2024-05-01"}, format="json"
    )
    assert refused.status_code == 403
    assert park.post(url(wang, "confirm"), {"on": "2024-05-01"}, format="json").status_code == 403
    assert history_rows() == before

    # Within the area the park's staff transfers, and a member transferred out of it is no longer theirs.
    assert (
        staff.post(
            url(wang, "transfer"), {"organization": world["new"].pk, "on": "2024-05-01"}, format="json"
        ).status_code
        == 200
    )
    zone = client_for(make_user("staff-z", role="staff", area=world["zone"]))
    assert (
        zone.post(
            url(wang, "transfer"), {"organization": world["far"].pk, "on": "2024-08-01"}, format="json"
        ).status_code
        == 200
    )
    assert staff.get(url(wang, "history")).status_code == 404
