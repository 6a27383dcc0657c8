"""Members, instructors and assignments over REST: contract, masking, writes through members.services, errors."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from members.models import Instructor, InstructorAssignment, Member
from registry.models import RecomputeRequest
from tests.factories import (
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    InstructorFactory,
    MemberFactory,
    OrganizationFactory,
    make_id_number,
    make_user,
)

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/members/"
INSTRUCTORS = "/api/v1/instructors/"
ASSIGNMENTS = "/api/v1/instructor-assignments/"
MEMBER_FIELDS = {
    "id",
    "name",
    "gender",
    "ethnicity",
    "birth_date",
    "education",
    "id_number",
    "phone",
    "category",
    "joined_party_on",
    "confirmed_on",
    "joined_on",
    "organization",
    "enterprise",
    "is_mobile",
    "retired",
    "ended_on",
    "end_reason",
}
NEW_ID = make_id_number(77, born=dt.date(1990, 1, 1), male=False)


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
    firm = EnterpriseFactory(area=park, name="甲公司")
    org = OrganizationFactory(area=park, name="甲公司党支部")
    far = OrganizationFactory(area=other, name="二园党支部")
    wang = MemberFactory(
        name="王芳",
        gender="F",
        id_number=make_id_number(1, male=False),
        phone="13812345678",
        organization=org,
        enterprise=firm,
        is_mobile=True,
    )
    li = MemberFactory(name="李强", organization=far, category="probationary")
    zhao = InstructorFactory(name="赵指导", area=park, phone="13900001111", full_time=True)
    qian = InstructorFactory(name="钱指导", area=other)
    assignment = AssignmentFactory(instructor=zhao, enterprise=firm, start=dt.date(2020, 1, 1))
    return {
        "zone": zone,
        "park": park,
        "other": other,
        "firm": firm,
        "org": org,
        "far": far,
        "wang": wang,
        "li": li,
        "zhao": zhao,
        "qian": qian,
        "assignment": assignment,
    }


def test_unauthenticated_is_401(world):
    for url in (MEMBERS, INSTRUCTORS, ASSIGNMENTS):
        assert APIClient().get(url).status_code == 401


def test_member_contract_and_masking(api, world):
    wang = world["wang"]
    body = api.get(f"{MEMBERS}{wang.pk}/").json()
    assert set(body) == MEMBER_FIELDS
    # The birth date as its year only: beside the masked ID number a full date would rebuild it.
    assert body == {
        "id": wang.pk,
        "name": "王芳",
        "gender": "F",
        "ethnicity": "汉族",
        "birth_date": "1985年",
        "education": "bachelor",
        "id_number": wang.id_number[:6] + "********" + wang.id_number[-4:],
        "phone": "138****5678",
        "category": "full",
        "joined_party_on": "2019-01-01",
        "confirmed_on": None,
        "joined_on": "2019-01-01",
        "organization": world["org"].pk,
        "enterprise": world["firm"].pk,
        "is_mobile": True,
        "retired": False,
        "ended_on": None,
        "end_reason": "",
    }
    listing = api.get(MEMBERS).json()
    assert set(listing) == {"count", "next", "previous", "results"}
    assert all("*" in m["id_number"] for m in listing["results"])
    assert wang.id_number not in api.get(MEMBERS, {"format": "csv"}).content.decode("utf-8-sig")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"area": "P1"}, ["王芳"]),
        ({"area": "Z"}, ["李强", "王芳"]),
        ({"organization": "ORG_FAR"}, ["李强"]),
        ({"category": "probationary"}, ["李强"]),
        ({"is_mobile": "true"}, ["王芳"]),
        ({"is_mobile": "false"}, ["李强"]),
        ({"q": "王"}, ["王芳"]),
        ({"status": "active"}, ["李强", "王芳"]),
    ],
)
def test_member_filters(api, world, params, expected):
    params = {k: (world["far"].pk if v == "ORG_FAR" else v) for k, v in params.items()}
    response = api.get(MEMBERS, params)
    assert response.status_code == 200
    assert sorted(m["name"] for m in response.json()["results"]) == sorted(expected)


@pytest.mark.parametrize(
    "params", [{"area": "NOPE"}, {"organization": 999999}, {"organization": "x"}, {"is_mobile": "yes"}]
)
def test_member_bad_filters_are_400(api, world, params):
    response = api.get(MEMBERS, params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)


def member_body(world, **overrides) -> dict:
    body = {
        "name": "孙丽",
        "gender": "F",
        "ethnicity": "回族",
        "birth_date": "1990-01-01",
        "education": "postgraduate",
        "id_number": NEW_ID,
        "phone": "13700001234",
        "category": "probationary",
        "joined_on": "2024-07-01",
        "organization": world["org"].pk,
        "enterprise": world["firm"].pk,
        "is_mobile": False,
        "retired": False,
    }
    body.update(overrides)
    return body


def test_create_member(api, world):
    response = api.post(
        MEMBERS, member_body(world, id_number=NEW_ID.lower().replace("x", "x ")), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == MEMBER_FIELDS
    assert (body["id_number"], body["phone"], body["ended_on"], body["end_reason"]) == (
        NEW_ID[:6] + "********" + NEW_ID[-4:],
        "137****1234",
        None,
        "",
    )
    assert (body["joined_party_on"], body["confirmed_on"]) == ("2024-07-01", None)  # defaults to joined_on
    member = Member.objects.get(pk=body["id"])
    assert (member.id_number, member.phone, member.ethnicity) == (NEW_ID, "13700001234", "回族")
    assert RecomputeRequest.objects.filter(area=world["park"], since=dt.date(2024, 7, 1)).exists()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"id_number": NEW_ID[:17] + ("0" if NEW_ID[17] != "0" else "1")}, "id_number"),
        ({"id_number": "4.40802E+17"}, "id_number"),
        ({"id_number": "123"}, {"id_number": ["身份证号码应为 18 位，当前为 3 位。"]}),
        (
            {"birth_date": "1991-01-01"},
            {"birth_date": ["出生日期与身份证号码不一致（身份证为 1990-01-01）。"]},
        ),
        ({"gender": "M"}, {"gender": ["性别与身份证号码不一致。"]}),
        ({"gender": "X"}, "gender"),
        ({"organization": 999999}, "organization"),
        ({"organization": None}, "organization"),
        ({"enterprise": 999999}, "enterprise"),
        ({"joined_on": "2010-01-01"}, "organization"),  # the organisation did not exist yet
        ({"ended_on": "2025-01-01"}, "end_reason"),
        ({"is_mobile": "often"}, "is_mobile"),
    ],
)
def test_member_errors_save_nothing(api, world, overrides, expected):
    before = (Member.objects.count(), RecomputeRequest.objects.count())
    response = api.post(MEMBERS, member_body(world, **overrides), format="json")
    assert response.status_code == 400
    if isinstance(expected, dict):
        assert response.json() == expected
    else:
        assert expected in response.json()
    assert (Member.objects.count(), RecomputeRequest.objects.count()) == before


def test_bad_id_number_message(api, world):
    wrong = NEW_ID[:17] + ("0" if NEW_ID[17] != "0" else "1")
    response = api.post(MEMBERS, member_body(world, id_number=wrong), format="json")
    assert response.json() == {"id_number": [f"身份证号码校验位错误：最后一位应为 {NEW_ID[17]}，请核对。"]}


def test_duplicate_id_number(api, world):
    body = member_body(world, id_number=world["wang"].id_number, birth_date="1985-06-01")
    response = api.post(MEMBERS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["id_number"]


def test_end_member_with_patch_and_delete_is_405(api, world):
    wang = world["wang"]
    assert api.delete(f"{MEMBERS}{wang.pk}/").status_code == 405
    half = api.patch(f"{MEMBERS}{wang.pk}/", {"ended_on": "2025-03-31"}, format="json")
    assert half.status_code == 400
    assert half.json() == {"end_reason": ["填写减少日期时必须选择减少原因。"]}
    response = api.patch(
        f"{MEMBERS}{wang.pk}/", {"ended_on": "2025-03-31", "end_reason": "transfer_out"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["ended_on"], response.json()["end_reason"]) == ("2025-03-31", "transfer_out")
    wang.refresh_from_db()
    assert (wang.ended_on, wang.end_reason) == (dt.date(2025, 3, 31), "transfer_out")
    assert api.get(MEMBERS, {"status": "ended"}).json()["count"] == 1


def test_unknown_member_is_404(api, world):
    assert api.get(f"{MEMBERS}999999/").status_code == 404
    assert api.patch(f"{MEMBERS}999999/", {"name": "x"}, format="json").status_code == 404


def test_member_list_queries_do_not_grow(api, world):
    for _ in range(20):
        MemberFactory(organization=world["org"], enterprise=world["firm"], phone="13811112222")
    counts = []
    for size in (2, 20):
        with CaptureQueriesContext(connection) as ctx:
            assert len(api.get(MEMBERS, {"page_size": size}).json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts == [2, 2]


# --- instructors and assignments ------------------------------------------------------------------------------


def test_instructor_contract(api, world):
    zhao = world["zhao"]
    body = api.get(f"{INSTRUCTORS}{zhao.pk}/").json()
    assert body == {
        "id": zhao.pk,
        "name": "赵指导",
        "unit": "区委组织部",
        "full_time": True,
        "phone": "139****1111",
        "area": "P1",
        "ended_on": None,
    }
    assert [i["name"] for i in api.get(INSTRUCTORS, {"full_time": "true"}).json()["results"]] == ["赵指导"]
    assert [i["name"] for i in api.get(INSTRUCTORS, {"area": "P2"}).json()["results"]] == ["钱指导"]
    assert api.get(INSTRUCTORS, {"full_time": "sometimes"}).status_code == 400
    assert api.get(f"{INSTRUCTORS}999999/").status_code == 404
    assert api.delete(f"{INSTRUCTORS}{zhao.pk}/").status_code == 405


def test_create_and_end_instructor(api, world):
    response = api.post(
        INSTRUCTORS, {"name": "周指导", "unit": "街道", "area": "P2", "phone": "021-1234"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["area"], response.json()["phone"], response.json()["full_time"]) == (
        "P2",
        "021*1234",
        False,
    )
    assert Instructor.objects.get(pk=response.json()["id"]).phone == "021-1234"
    bad = api.post(INSTRUCTORS, {"name": "无区", "unit": "街道", "area": "NOPE"}, format="json")
    assert (bad.status_code, list(bad.json())) == (400, ["area"])
    # 离任 ends open assignments too
    zhao = world["zhao"]
    ended = api.patch(f"{INSTRUCTORS}{zhao.pk}/", {"ended_on": "2025-06-30"}, format="json")
    assert ended.status_code == 200, ended.content
    world["assignment"].refresh_from_db()
    assert world["assignment"].end == dt.date(2025, 6, 30)


def test_assignment_contract_create_and_end(api, world):
    a = world["assignment"]
    body = api.get(f"{ASSIGNMENTS}{a.pk}/").json()
    assert body == {
        "id": a.pk,
        "instructor": world["zhao"].pk,
        "enterprise": world["firm"].pk,
        "start": "2020-01-01",
        "end": None,
    }
    qian = world["qian"]
    created = api.post(
        ASSIGNMENTS,
        {"instructor": qian.pk, "enterprise": world["firm"].pk, "start": "2024-01-01"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert set(created.json()) == {"id", "instructor", "enterprise", "start", "end"}
    clash = api.post(
        ASSIGNMENTS,
        {"instructor": qian.pk, "enterprise": world["firm"].pk, "start": "2024-05-01"},
        format="json",
    )
    assert clash.status_code == 400
    assert clash.json() == {"enterprise": ["该指导员在此期间已联系该单位。"]}
    backwards = api.post(
        ASSIGNMENTS,
        {
            "instructor": qian.pk,
            "enterprise": EnterpriseFactory(area=world["park"]).pk,
            "start": "2024-05-01",
            "end": "2024-01-01",
        },
        format="json",
    )
    assert backwards.status_code == 400
    assert (
        api.post(
            ASSIGNMENTS,
            {"instructor": 999999, "enterprise": world["firm"].pk, "start": "2024-01-01"},
            format="json",
        ).status_code
        == 400
    )
    assert InstructorAssignment.objects.count() == 2

    moved = api.patch(
        f"{ASSIGNMENTS}{a.pk}/",
        {"enterprise": created.json()["enterprise"] + 0, "start": "2021-01-01"},
        format="json",
    )
    assert moved.status_code == 400
    assert list(moved.json()) == ["start"]
    early = api.patch(f"{ASSIGNMENTS}{a.pk}/", {"end": "2019-01-01"}, format="json")
    assert early.json() == {"end": ["结束日期应晚于开始日期。"]}
    ended = api.patch(f"{ASSIGNMENTS}{a.pk}/", {"end": "2025-01-01"}, format="json")
    assert (ended.status_code, ended.json()["end"]) == (200, "2025-01-01")
    again = api.patch(f"{ASSIGNMENTS}{a.pk}/", {"end": "2025-02-01"}, format="json")
    assert again.status_code == 400
    assert api.delete(f"{ASSIGNMENTS}{a.pk}/").status_code == 405


def test_assignment_filters_and_queries(api, world):
    for _ in range(20):
        AssignmentFactory(instructor=world["qian"], enterprise=EnterpriseFactory(area=world["other"]))
    assert api.get(ASSIGNMENTS, {"instructor": world["zhao"].pk}).json()["count"] == 1
    assert api.get(ASSIGNMENTS, {"instructor": "x"}).status_code == 400
    counts = []
    for size in (2, 20):
        with CaptureQueriesContext(connection) as ctx:
            assert len(api.get(ASSIGNMENTS, {"page_size": size}).json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts == [2, 2]
    counts = []
    for _ in range(20):
        InstructorFactory(area=world["other"])
    for size in (2, 20):
        with CaptureQueriesContext(connection) as ctx:
            assert len(api.get(INSTRUCTORS, {"page_size": size}).json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts == [2, 2]


def test_member_csv_honours_filters(api, world):
    response = api.get(MEMBERS, {"area": "P2", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["name"], r["category"]) for r in rows] == [("李强", "probationary")]


def test_scoping_and_read_only(world):
    staff = APIClient()
    staff.force_authenticate(make_user("staff-p1", role="staff", area=world["park"]))
    assert [m["name"] for m in staff.get(MEMBERS).json()["results"]] == ["王芳"]
    assert staff.get(f"{MEMBERS}{world['li'].pk}/").status_code == 404
    assert [i["name"] for i in staff.get(INSTRUCTORS).json()["results"]] == ["赵指导"]
    assert staff.get(ASSIGNMENTS).json()["count"] == 1
    outside = staff.post(MEMBERS, member_body(world, organization=world["far"].pk), format="json")
    assert (outside.status_code, list(outside.json())) == (400, ["organization"])
    assert staff.get(MEMBERS, {"organization": world["far"].pk}).status_code == 400
    reader = APIClient()
    reader.force_authenticate(make_user("reader", role="reader", area=world["zone"]))
    assert reader.get(MEMBERS).json()["count"] == 2
    body = reader.get(f"{MEMBERS}{world['wang'].pk}/").json()
    assert (body["id_number"].count("*"), body["phone"]) == (8, "138****5678")
    assert reader.post(MEMBERS, member_body(world), format="json").status_code == 403
    assert reader.patch(f"{MEMBERS}{world['wang'].pk}/", {"retired": True}, format="json").status_code == 403
    assert reader.post(INSTRUCTORS, {"name": "x", "unit": "y", "area": "Z"}, format="json").status_code == 403
    assert Member.objects.count() == 2
