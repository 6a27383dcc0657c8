"""The instructor's own account (issue 15): it sees the firms assigned to it today and its own records, records its
own visits and requests of those firms from its phone, and changes nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from members import work
from members.models import EnterpriseRequest, Instructor, InstructorAssignment, InstructorVisit, Member
from registry.models import Enterprise, UserProfile
from tests.factories import (
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    InstructorFactory,
    OrganizationFactory,
    make_credit_code,
    make_id_number,
    make_user,
)

pytestmark = pytest.mark.django_db

VISITS = "/api/v1/instructor-visits/"
REQUESTS = "/api/v1/enterprise-requests/"


@pytest.fixture
def world():
    today = timezone.localdate()
    zone = AreaFactory(code="Z", name="开发区", kind="district")
    park = AreaFactory(code="A", name="一园", parent=zone)
    other_park = AreaFactory(code="B", name="二园", parent=zone)
    mine = EnterpriseFactory(area=park, name="甲公司")
    ended = EnterpriseFactory(area=park, name="丙公司")  # its assignment ended yesterday
    unassigned = EnterpriseFactory(area=park, name="丁公司")
    far = EnterpriseFactory(area=other_park, name="乙公司")
    zhao = InstructorFactory(area=park, name="赵指导")
    qian = InstructorFactory(area=park, name="钱指导")
    AssignmentFactory(instructor=zhao, enterprise=mine, start=dt.date(2020, 1, 1))
    AssignmentFactory(instructor=zhao, enterprise=ended, start=dt.date(2020, 1, 1), end=today)
    AssignmentFactory(instructor=qian, enterprise=unassigned, start=dt.date(2020, 1, 1))
    user = make_user("zhao", role="instructor", area=zhao.area)
    zhao.user = user
    zhao.save()
    # Records made by staff before: its own at both firms, and another instructor's.
    own_visit = work.create_visit(
        instructor=zhao, enterprise=mine, visited_on=dt.date(2024, 5, 6), kind="visit", content="走访"
    )
    old_visit = work.create_visit(
        instructor=zhao, enterprise=ended, visited_on=today - dt.timedelta(days=3), kind="visit", content="旧"
    )
    other_visit = work.create_visit(
        instructor=qian, enterprise=unassigned, visited_on=dt.date(2024, 5, 6), kind="visit", content="别人的"
    )
    for received in (dt.date(2024, 5, 6), dt.date(2024, 6, 1)):
        work.create_request(
            enterprise=mine, instructor=zhao, received_on=received, category="labour", content="招工"
        )
    work.create_request(
        enterprise=mine,
        instructor=zhao,
        received_on=dt.date(2024, 1, 1),
        category="safety",
        content="已办的",
        closed_on=dt.date(2024, 1, 5),
        result="已办",
    )
    return {
        "today": today,
        "zone": zone,
        "park": park,
        "mine": mine,
        "ended": ended,
        "unassigned": unassigned,
        "far": far,
        "zhao": zhao,
        "qian": qian,
        "user": user,
        "own_visit": own_visit,
        "old_visit": old_visit,
        "other_visit": other_visit,
    }


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(world["user"])
    return client


@pytest.fixture
def phone(client, world):
    client.force_login(world["user"])
    return client


def names(response) -> set[str]:
    return {row["name"] for row in response.json()["results"]}


# --- what it sees -----------------------------------------------------------------------------------------------


def test_enterprises_api_and_pages_show_only_its_firms_today(world, api, phone):
    assert names(api.get("/api/v1/enterprises/")) == {"甲公司"}
    assert api.get(f"/api/v1/enterprises/{world['mine'].pk}/").status_code == 200
    for firm in ("ended", "unassigned", "far"):
        assert api.get(f"/api/v1/enterprises/{world[firm].pk}/").status_code == 404
        assert phone.get(f"/enterprises/{world[firm].pk}/").status_code == 404
    page = phone.get("/enterprises/").content.decode()
    assert "甲公司" in page and "丙公司" not in page and "丁公司" not in page
    assert phone.get(f"/enterprises/{world['mine'].pk}/").status_code == 200


def test_its_firm_disappears_when_the_assignment_ends(world, api):
    assignment = InstructorAssignment.objects.get(enterprise=world["mine"])
    assignment.end = world["today"]  # the last day it held was yesterday
    assignment.save()
    assert names(api.get("/api/v1/enterprises/")) == set()


def test_it_sees_its_own_records_only(world, api):
    visits = {row["id"] for row in api.get(VISITS).json()["results"]}
    assert visits == {world["own_visit"].pk, world["old_visit"].pk}
    assert api.get(f"{VISITS}{world['other_visit'].pk}/").status_code == 404
    assert api.get(REQUESTS).json()["count"] == 3
    assert api.get(VISITS, {"instructor": world["zhao"].pk}).json()["count"] == 2
    assert api.get(VISITS, {"instructor": world["qian"].pk}).status_code == 400  # not a choice
    assert api.get(VISITS, {"enterprise": world["ended"].pk}).json()["count"] == 1  # its firm, once
    assert api.get(VISITS, {"enterprise": world["unassigned"].pk}).status_code == 400
    assert api.get("/api/v1/members/").json()["count"] == 0
    assert api.get("/api/v1/instructor-assignments/").json()["count"] == 0


# --- what it may not change -------------------------------------------------------------------------------------


def test_other_writes_are_403(world, api, phone):
    enterprise = {
        "name": "新公司",
        "credit_code": make_credit_code(999),
        "category": "enterprise",
        "area": "A",
        "established_on": "2020-01-01",
    }
    assert api.post("/api/v1/enterprises/", enterprise, format="json").status_code == 403
    assert (
        api.patch(f"/api/v1/enterprises/{world['mine'].pk}/", {"name": "x"}, format="json").status_code == 403
    )
    org = OrganizationFactory(area=world["park"])
    member = {
        "name": "新党员",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "1985-06-01",
        "education": "bachelor",
        "id_number": make_id_number(42),
        "category": "full",
        "joined_party_on": "2019-01-01",
        "joined_on": "2019-01-01",
        "organization": org.pk,
    }
    assert api.post("/api/v1/members/", member, format="json").status_code == 403
    assignment = {"instructor": world["zhao"].pk, "enterprise": world["unassigned"].pk, "start": "2024-01-01"}
    assert api.post("/api/v1/instructor-assignments/", assignment, format="json").status_code == 403
    assert phone.get("/enterprises/new/").status_code == 403
    assert phone.post("/enterprises/new/", {**enterprise, "area": world["park"].pk}).status_code == 403
    assert phone.post("/members/new/", {**member, "organization": org.pk}).status_code == 403
    assert phone.post(f"/enterprises/{world['mine'].pk}/end/", {"on": "2024-01-01"}).status_code == 403
    assert not Enterprise.objects.filter(name="新公司").exists()
    assert not Member.objects.exists()
    assert InstructorAssignment.objects.count() == 3
    assert Enterprise.objects.get(pk=world["mine"].pk).deregistered_on is None


def test_another_instructors_visit_is_404_and_an_ended_firms_record_403(world, api, phone):
    other, old = world["other_visit"], world["old_visit"]
    assert api.patch(f"{VISITS}{other.pk}/", {"content": "改"}, format="json").status_code == 404
    assert phone.get(f"/instructor/visits/{other.pk}/edit/").status_code == 404
    refused = api.patch(f"{VISITS}{old.pk}/", {"content": "改"}, format="json")
    assert refused.status_code == 403
    assert "不是您的联系单位" in refused.json()["detail"]
    assert phone.get(f"/instructor/visits/{old.pk}/edit/").status_code == 403
    assert InstructorVisit.objects.get(pk=other.pk).content == "别人的"
    assert InstructorVisit.objects.get(pk=old.pk).content == "旧"


# --- what it records --------------------------------------------------------------------------------------------


def test_it_records_and_edits_its_own_visits(world, api):
    today = world["today"].isoformat()
    created = api.post(
        VISITS, {"enterprise": world["mine"].pk, "visited_on": today, "kind": "visit", "content": "走访"}
    )
    assert created.status_code == 201, created.json()
    assert created.json()["instructor"] == world["zhao"].pk  # its own, filled in
    as_other = api.post(
        VISITS,
        {"instructor": world["qian"].pk, "enterprise": world["mine"].pk, "visited_on": today, "content": "x"},
    )
    assert as_other.status_code == 400 and "instructor" in as_other.json()
    for firm in ("ended", "unassigned", "far"):
        refused = api.post(VISITS, {"enterprise": world[firm].pk, "visited_on": today, "content": "x"})
        assert refused.status_code == 400 and "enterprise" in refused.json()
    edited = api.patch(f"{VISITS}{created.json()['id']}/", {"problems": "缺场地"}, format="json")
    assert edited.status_code == 200 and edited.json()["problems"] == "缺场地"
    handed = api.patch(f"{VISITS}{created.json()['id']}/", {"instructor": world["qian"].pk}, format="json")
    assert handed.status_code == 400
    assert InstructorVisit.objects.filter(instructor=world["zhao"]).count() == 3


def test_it_records_and_closes_its_own_requests(world, api):
    created = api.post(
        REQUESTS,
        {
            "enterprise": world["mine"].pk,
            "received_on": "2025-08-01",
            "category": "dispute",
            "content": "欠薪",
        },
    )
    assert created.status_code == 201, created.json()
    assert created.json()["instructor"] == world["zhao"].pk
    closed = api.patch(
        f"{REQUESTS}{created.json()['id']}/", {"closed_on": "2025-08-10", "result": "已调解"}, format="json"
    )
    assert closed.status_code == 200 and closed.json()["closed_on"] == "2025-08-10"
    assert api.get(REQUESTS, {"open": "true"}).json()["count"] == 2
    summary = api.get(f"{REQUESTS}summary/", {"period": "2025Q3"}).json()
    assert summary == {"received": 1, "closed": 1, "percent": "100.0"}
    assert api.get(f"{REQUESTS}summary/", {"area": "A"}).status_code == 404  # no area's figures: its own only


# --- the phone pages --------------------------------------------------------------------------------------------


def test_home_sends_it_to_its_firms_and_the_menu_has_only_them(world, phone):
    response = phone.get("/")
    assert response.status_code == 302 and response["Location"] == "/instructor/"
    page = phone.get("/instructor/").content.decode()
    assert "我的联系单位" in page
    for other in ("单位台账", "季度报告", "发展党员"):
        assert other not in page


def test_my_firms_page(world, phone, django_assert_max_num_queries):
    response = phone.get("/instructor/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert "甲公司" in page and "丙公司" not in page and "丁公司" not in page
    (firm,) = response.context["object_list"]
    assert (firm.last_visit, firm.open_requests) == (dt.date(2024, 5, 6), 2)
    assert "2024-05-06" in page and "2 件" in page
    assert f"/instructor/visits/new/?enterprise={world['mine'].pk}" in page
    assert f"/instructor/requests/new/?enterprise={world['mine'].pk}" in page
    assert 'style="' not in page and "<script>" not in page  # CSP: no inline style or script
    # More firms do not cost more queries.
    with CaptureQueriesContext(connection) as one:
        phone.get("/instructor/")
    for _n in range(3):
        AssignmentFactory(instructor=world["zhao"], enterprise=EnterpriseFactory(area=world["park"]))
    with django_assert_max_num_queries(len(one)):
        assert len(phone.get("/instructor/").context["object_list"]) == 4


def test_short_visit_form_from_a_firm(world, phone):
    url = f"/instructor/visits/new/?enterprise={world['mine'].pk}"
    form = phone.get(url)
    assert form.status_code == 200
    assert "instructor" not in form.context["form"].fields and "enterprise" not in form.context["form"].fields
    assert "甲公司" in form.content.decode()
    for firm in ("ended", "unassigned", "far"):
        assert phone.get(f"/instructor/visits/new/?enterprise={world[firm].pk}").status_code == 404
    assert phone.get("/instructor/visits/new/").status_code == 404
    future = (world["today"] + dt.timedelta(days=1)).isoformat()
    refused = phone.post(url, {"visited_on": future, "kind": "visit", "content": "走访"})
    assert refused.status_code == 200 and "不能晚于今天" in refused.content.decode()
    done = phone.post(url, {"visited_on": world["today"].isoformat(), "kind": "training", "content": "党课"})
    assert done.status_code == 302 and done["Location"] == "/instructor/"
    recorded = InstructorVisit.objects.get(content="党课")
    assert (recorded.instructor, recorded.enterprise) == (world["zhao"], world["mine"])
    listed = phone.get("/instructor/visits/").content.decode()
    assert "党课" in listed and "别人的" not in listed and 'data-label="单位"' in listed


def test_short_request_form_and_closing_from_the_phone(world, phone):
    url = f"/instructor/requests/new/?enterprise={world['mine'].pk}"
    done = phone.post(url, {"received_on": "2025-08-01", "category": "environment", "content": "排污"})
    assert done.status_code == 302
    received = EnterpriseRequest.objects.get(content="排污")
    assert received.instructor == world["zhao"]
    close = f"/instructor/requests/{received.pk}/close/"
    version = phone.get(close).context["form"].initial["version"]
    closed = phone.post(close, {"closed_on": "2025-08-02", "result": "已协调环保部门", "version": version})
    assert closed.status_code == 302 and closed["Location"] == "/instructor/requests/"
    assert EnterpriseRequest.objects.get(pk=received.pk).closed_on == dt.date(2025, 8, 2)
    page = phone.get("/instructor/requests/", {"open": "true"}).content.decode()
    assert "排污" not in page and "招工" in page


def test_staff_do_not_use_the_instructors_pages_nor_it_staffs_forms(world, client, phone):
    assert phone.get("/instructors/visits/new/").status_code == 403
    client.force_login(make_user("staff", role="staff", area=world["zone"]))
    assert client.get("/instructor/").status_code == 403
    assert client.get(f"/instructor/visits/new/?enterprise={world['mine'].pk}").status_code == 403
    assert client.get("/").status_code == 200


# --- its login ----------------------------------------------------------------------------------------------------


def test_create_user_links_an_instructor(world, monkeypatch, capsys):
    monkeypatch.setenv("NEW_USER_PASSWORD", "pw-Quite-Long-2")
    call_command("create_user", "qian", role="instructor", instructor=world["qian"].pk)
    qian = Instructor.objects.get(pk=world["qian"].pk)
    assert qian.user.username == "qian"
    profile = UserProfile.objects.get(user=qian.user)
    assert (profile.role, profile.area) == ("instructor", world["park"])
    assert "created qian" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("instructor", "message"),
    [
        (None, "指导员账号必须指定一名党建指导员"),
        (0, "指导员账号必须指定一名党建指导员"),
        ("zhao", "该党建指导员已有登录账号"),
    ],
    ids=["missing", "unknown", "already-linked"],
)
def test_create_user_refuses_a_missing_or_linked_instructor(world, monkeypatch, instructor, message):
    monkeypatch.setenv("NEW_USER_PASSWORD", "pw-Quite-Long-2")
    options = (
        {} if instructor is None else {"instructor": world["zhao"].pk if instructor == "zhao" else 999999}
    )
    with pytest.raises(CommandError, match=message):
        call_command("create_user", "someone", role="instructor", **options)
    assert not UserProfile.objects.filter(user__username="someone").exists()


# --- nothing else of its area ---------------------------------------------------------------------------------------

SWEEP = [
    "/enterprises/",
    "/organizations/",
    "/members/",
    "/members/transfers/",
    "/instructors/",
    "/applicants/",
    "/development/",
    "/development/plans/",
    "/instructors/visits/",
    "/instructors/requests/",
    "/instructor/visits/",
    "/instructor/requests/",
    "/coverage/enterprises/?part=denominator&date=2025-09-30",
    "/coverage/changes/",
    "/workqueue/uncovered-above-scale/",
    "/submissions/",
    "/reports/quarterly/",
    "/api/v1/enterprises/",
    "/api/v1/areas/",
    "/api/v1/organizations/",
    "/api/v1/members/",
    "/api/v1/instructors/",
    "/api/v1/instructor-assignments/",
    "/api/v1/applicants/",
    "/api/v1/instructor-visits/",
    "/api/v1/enterprise-requests/",
    "/api/v1/coverage/enterprises/?part=denominator&date=2025-09-30",
]


def test_nothing_else_of_its_area_reaches_it(world, phone):
    """Its profile's area is the instructor's, but no page or list shows that area's other firms, people or
    records: the firm next door, its members, organisation and another instructor's work stay hidden."""
    from tests.factories import ApplicantFactory, LinkFactory, MemberFactory

    secret = EnterpriseFactory(area=world["park"], name="秘密公司")
    org = OrganizationFactory(area=world["park"], name="秘密支部")
    LinkFactory(organization=org, enterprise=secret)
    MemberFactory(organization=org, enterprise=secret, name="秘密党员", id_number=make_id_number(7))
    ApplicantFactory(organization=org, name="秘密申请人")
    spy = InstructorFactory(area=world["park"], name="秘密指导员")
    AssignmentFactory(instructor=spy, enterprise=secret, start=dt.date(2020, 1, 1))
    work.create_visit(
        instructor=spy, enterprise=secret, visited_on=dt.date(2024, 5, 6), kind="visit", content="秘密走访"
    )
    work.create_request(
        enterprise=secret, received_on=dt.date(2024, 5, 6), category="other", content="秘密诉求"
    )
    leaks = []
    for url in SWEEP:
        response = phone.get(url)
        text = response.content.decode()
        if response.status_code >= 500 or any(
            name in text
            for name in (
                "秘密公司",
                "秘密支部",
                "秘密党员",
                "秘密申请人",
                "秘密指导员",
                "秘密走访",
                "秘密诉求",
            )
        ):
            leaks.append((url, response.status_code))
    assert leaks == []
