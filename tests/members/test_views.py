"""Member and instructor pages through the test client; the full ID number never reaches a page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

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


@pytest.fixture
def admin_client(client):
    """Pages are scoped by role (registry.access): these tests act as an administrator, who sees every area."""
    client.force_login(make_user("administrator", role="admin"))
    return client


MEMBERS = "/members/"
INSTRUCTORS = "/instructors/"
ID_NUMBER = make_id_number(321)  # born 1985-06-01, male


def names(response) -> set[str]:
    return {row.name for row in response.context["object_list"]}


def member_data(org, **overrides) -> dict:
    data = {
        "name": "李新党",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "1985-06-01",
        "education": "bachelor",
        "id_number": ID_NUMBER,
        "phone": "13812345678",
        "category": "full",
        "joined_on": "2020-07-01",
        "organization": org.pk,
        "enterprise": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "url",
    [
        MEMBERS,
        "/members/new/",
        "/members/{member}/",
        "/members/{member}/edit/",
        "/members/{member}/end/",
        INSTRUCTORS,
        "/instructors/new/",
        "/instructors/{instructor}/",
        "/instructors/{instructor}/edit/",
        "/instructors/{instructor}/end/",
    ],
)
def test_pages_require_login(client, url):
    member, instructor = MemberFactory(), InstructorFactory()
    response = client.get(url.format(member=member.pk, instructor=instructor.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_assignment_actions_require_login(client):
    assignment = AssignmentFactory()
    base = f"/instructors/{assignment.instructor_id}/assignments/"
    for url in (base + "new/", base + f"{assignment.pk}/end/"):
        assert client.post(url, {"on": "2025-01-01"})["Location"].startswith("/accounts/login/")
    assignment.refresh_from_db()
    assert assignment.end is None


def test_member_list_filters(admin_client):
    district = AreaFactory(code="D", kind="district")
    park = AreaFactory(code="P1", parent=district)
    other = AreaFactory(code="P2")
    park_org = OrganizationFactory(area=park)
    other_org = OrganizationFactory(area=other)
    MemberFactory(name="张园区", organization=park_org)
    MemberFactory(name="王预备", organization=park_org, category="probationary")
    MemberFactory(name="赵外区", organization=other_org, is_mobile=True)
    MemberFactory(
        name="钱转出", organization=other_org, ended_on=dt.date(2021, 1, 1), end_reason="transfer_out"
    )
    assert names(admin_client.get(MEMBERS, {"q": "园区"})) == {"张园区"}
    assert names(admin_client.get(MEMBERS, {"area": "D"})) == {"张园区", "王预备"}
    assert names(admin_client.get(MEMBERS, {"category": "probationary"})) == {"王预备"}
    # The organisation means "held there on the query date" (today by default): 钱转出 left in 2021.
    assert names(admin_client.get(MEMBERS, {"organization": other_org.pk})) == {"赵外区"}
    assert names(admin_client.get(MEMBERS, {"organization": other_org.pk, "date": "2020-06-01"})) == {
        "赵外区",
        "钱转出",
    }
    assert names(admin_client.get(MEMBERS, {"is_mobile": "true"})) == {"赵外区"}
    assert names(admin_client.get(MEMBERS, {"status": "ended"})) == {"钱转出"}


def test_member_search_by_id_number_matches_the_whole_number_only(admin_client):
    MemberFactory(name="被查找", id_number=ID_NUMBER)
    MemberFactory(name="其他人")
    assert names(admin_client.get(MEMBERS, {"q": ID_NUMBER.lower()})) == {"被查找"}
    assert names(admin_client.get(MEMBERS, {"q": ID_NUMBER[-6:]})) == set()


def test_full_id_number_and_phone_never_in_member_pages(admin_client):
    member = MemberFactory(id_number=ID_NUMBER, phone="13812345678")
    masked = ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
    for url in (
        MEMBERS,
        f"/members/{member.pk}/",
        f"/members/{member.pk}/edit/",
        f"/members/{member.pk}/end/",
    ):
        html = admin_client.get(url).content.decode()
        assert ID_NUMBER not in html, url
        assert ID_NUMBER[6:14] not in html, url  # not even the birth-date part of it
    for url in (MEMBERS, f"/members/{member.pk}/"):
        html = admin_client.get(url).content.decode()
        assert masked in html
        assert "138****5678" in html and "13812345678" not in html


def test_edit_form_shows_the_id_masked_and_has_no_id_field(admin_client):
    member = MemberFactory(id_number=ID_NUMBER)
    response = admin_client.get(f"/members/{member.pk}/edit/")
    assert "id_number" not in response.context["form"].fields
    assert 'name="id_number"' not in response.content.decode()
    assert ID_NUMBER[:6] + "********" + ID_NUMBER[-4:] in response.content.decode()


def test_create_member_normalises_id_and_records_recompute(admin_client):
    org = OrganizationFactory()
    enterprise = EnterpriseFactory(area=AreaFactory(code="W"))
    data = member_data(org, id_number=" " + ID_NUMBER[:-1] + ID_NUMBER[-1].lower(), enterprise=enterprise.pk)
    response = admin_client.post("/members/new/", data)
    member = Member.objects.get()
    assert response["Location"] == f"/members/{member.pk}/"
    assert (member.id_number, member.organization_id, member.enterprise_id) == (
        ID_NUMBER,
        org.pk,
        enterprise.pk,
    )
    assert set(RecomputeRequest.objects.values_list("area_id", "since")) == {
        (org.area_id, dt.date(2020, 7, 1)),
        (enterprise.area_id, dt.date(2020, 7, 1)),
    }


@pytest.mark.parametrize(
    ("id_number", "message"),
    [
        (
            ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1"),
            f"身份证号码校验位错误：最后一位应为 {ID_NUMBER[17]}，请核对。",
        ),
        ("44080219850601", "身份证号码应为 18 位，当前为 14 位。"),
        ("4.40802E+17", "身份证号码被 Excel 转成了数字"),
    ],
)
def test_bad_id_number_shows_chinese_error_and_saves_nothing(admin_client, id_number, message):
    org = OrganizationFactory()
    response = admin_client.post("/members/new/", member_data(org, id_number=id_number))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].errors["id_number"][0].startswith(message)
    assert (Member.objects.count(), RecomputeRequest.objects.count()) == (0, 0)


def test_service_errors_land_next_to_their_fields(admin_client):
    org = OrganizationFactory(founded_on=dt.date(2018, 1, 1))
    response = admin_client.post("/members/new/", member_data(org, gender="F", joined_on="2017-01-01"))
    errors = response.context["form"].errors
    assert errors["gender"] == ["性别与身份证号码不一致。"]
    assert errors["organization"] == ["该党组织在 2017-01-01 不存续（成立于 2018-01-01），不能接收组织关系。"]
    assert Member.objects.count() == 0


def test_edit_member_keeps_id_number(admin_client):
    member = MemberFactory(id_number=ID_NUMBER, name="旧名")
    data = member_data(
        member.organization,
        name="新名",
        joined_on="2019-01-01",
        joined_party_on="2019-01-01",
        education="postgraduate",
    )
    del data["id_number"]
    response = admin_client.post(f"/members/{member.pk}/edit/", data)
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.name, member.id_number, member.phone) == ("新名", ID_NUMBER, "13812345678")
    # Education is in every figure the member counts in: the request reaches back to their first day.
    assert list(RecomputeRequest.objects.values_list("area_id", "since")) == [
        (member.organization.area_id, dt.date(2019, 1, 1))
    ]


def test_end_member_with_date_and_reason(admin_client):
    member = MemberFactory()
    response = admin_client.post(f"/members/{member.pk}/end/", {"on": "2025-02-01", "reason": "transfer_out"})
    assert response["Location"] == f"/members/{member.pk}/"
    member.refresh_from_db()
    assert (member.ended_on, member.end_reason) == (dt.date(2025, 2, 1), "transfer_out")
    assert Member.objects.count() == 1
    # Quarters before the end keep the member: figures move from the end date only.
    assert list(RecomputeRequest.objects.values_list("since", flat=True)) == [dt.date(2025, 2, 1)]


def test_end_member_before_joining_is_refused(admin_client):
    member = MemberFactory(joined_on=dt.date(2019, 1, 1))
    response = admin_client.post(f"/members/{member.pk}/end/", {"on": "2018-01-01", "reason": "death"})
    assert response.context["form"].errors["on"] == ["减少日期应晚于转入本组织日期（2019-01-01）。"]
    response = admin_client.post(f"/members/{member.pk}/end/", {"on": "2020-01-01", "reason": ""})
    assert response.context["form"].errors["reason"] == ["该字段是必填项。"]
    member.refresh_from_db()
    assert member.ended_on is None


def _populate_members(count: int) -> None:
    area = AreaFactory(code="Q")
    for _ in range(count):
        MemberFactory(organization__area=area, enterprise=EnterpriseFactory(area=area))


def test_member_list_query_count_does_not_grow_with_rows(admin_client):
    _populate_members(5)
    with CaptureQueriesContext(connection) as five:
        assert len(admin_client.get(MEMBERS).context["object_list"]) == 5
    _populate_members(25)
    with CaptureQueriesContext(connection) as thirty:
        assert len(admin_client.get(MEMBERS).context["object_list"]) == 30
    assert len(thirty) == len(five)


def _populate_instructors(count: int) -> None:
    area = AreaFactory(code="Q")
    for _ in range(count):
        AssignmentFactory(instructor__area=area, enterprise__area=area)


def test_instructor_list_query_count_does_not_grow_with_rows(admin_client):
    _populate_instructors(5)
    with CaptureQueriesContext(connection) as five:
        assert len(admin_client.get(INSTRUCTORS).context["object_list"]) == 5
    _populate_instructors(25)
    with CaptureQueriesContext(connection) as thirty:
        assert len(admin_client.get(INSTRUCTORS).context["object_list"]) == 30
    assert len(thirty) == len(five)


def test_instructor_list_filters_and_counts(admin_client):
    district = AreaFactory(code="D", kind="district")
    park = AreaFactory(code="P1", parent=district)
    busy = InstructorFactory(name="专职甲", full_time=True, area=park)
    AssignmentFactory(instructor=busy)
    AssignmentFactory(instructor=busy, start=dt.date(2016, 1, 1), end=dt.date(2017, 1, 1))
    InstructorFactory(name="兼职乙", unit="街道党工委", area=AreaFactory(code="P2"))
    InstructorFactory(name="离任丙", ended_on=dt.date(2022, 1, 1))
    assert names(admin_client.get(INSTRUCTORS, {"q": "街道"})) == {"兼职乙"}
    assert names(admin_client.get(INSTRUCTORS, {"area": "D"})) == {"专职甲"}
    assert names(admin_client.get(INSTRUCTORS, {"full_time": "true"})) == {"专职甲"}
    assert names(admin_client.get(INSTRUCTORS, {"status": "ended"})) == {"离任丙"}
    rows = {row.name: row.active_assignments for row in admin_client.get(INSTRUCTORS).context["object_list"]}
    assert rows == {"专职甲": 1, "兼职乙": 0, "离任丙": 0}


def test_create_and_edit_instructor(admin_client):
    area = AreaFactory()
    data = {
        "name": "周指导",
        "unit": "区委组织部",
        "full_time": "on",
        "phone": "13900001111",
        "area": area.pk,
    }
    response = admin_client.post("/instructors/new/", data)
    instructor = Instructor.objects.get()
    assert response["Location"] == f"/instructors/{instructor.pk}/"
    assert (instructor.name, instructor.full_time, instructor.area_id) == ("周指导", True, area.pk)
    response = admin_client.post(
        f"/instructors/{instructor.pk}/edit/", {**data, "full_time": "", "unit": "区两新工委"}
    )
    instructor.refresh_from_db()
    assert (instructor.unit, instructor.full_time) == ("区两新工委", False)


def test_add_and_end_an_assignment(admin_client):
    area = AreaFactory()
    instructor = InstructorFactory(area=area)
    enterprise = EnterpriseFactory(area=area, name="被指导公司")
    response = admin_client.post(
        f"/instructors/{instructor.pk}/assignments/new/", {"enterprise": enterprise.pk, "start": "2024-01-01"}
    )
    assert response["Location"] == f"/instructors/{instructor.pk}/"
    assignment = InstructorAssignment.objects.get()
    assert (assignment.enterprise_id, assignment.start, assignment.end) == (
        enterprise.pk,
        dt.date(2024, 1, 1),
        None,
    )
    assert list(RecomputeRequest.objects.values_list("area_id", "since")) == [(area.pk, dt.date(2024, 1, 1))]

    # The same enterprise again over an overlapping period is refused on the instructor page.
    response = admin_client.post(
        f"/instructors/{instructor.pk}/assignments/new/", {"enterprise": enterprise.pk, "start": "2024-06-01"}
    )
    assert response.status_code == 200
    assert response.context["assignment_form"].errors["enterprise"] == ["该指导员在此期间已联系该单位。"]
    assert "该指导员在此期间已联系该单位。" in response.content.decode()

    response = admin_client.post(
        f"/instructors/{instructor.pk}/assignments/{assignment.pk}/end/", {"on": "2025-01-01"}
    )
    assert response["Location"] == f"/instructors/{instructor.pk}/"
    assignment.refresh_from_db()
    assert assignment.end == dt.date(2025, 1, 1)
    assert InstructorAssignment.objects.count() == 1
    assert RecomputeRequest.objects.count() == 2


def test_ending_an_assignment_of_another_instructor_is_404(admin_client):
    assignment = AssignmentFactory()
    other = InstructorFactory()
    response = admin_client.post(
        f"/instructors/{other.pk}/assignments/{assignment.pk}/end/", {"on": "2025-01-01"}
    )
    assert response.status_code == 404


def test_end_instructor_ends_open_assignments(admin_client):
    assignment = AssignmentFactory(start=dt.date(2019, 1, 1))
    instructor = assignment.instructor
    response = admin_client.post(f"/instructors/{instructor.pk}/end/", {"on": "2025-06-30"})
    assert response["Location"] == f"/instructors/{instructor.pk}/"
    instructor.refresh_from_db()
    assignment.refresh_from_db()
    assert (instructor.ended_on, assignment.end) == (dt.date(2025, 6, 30), dt.date(2025, 6, 30))
    assert list(RecomputeRequest.objects.values_list("since", flat=True)) == [dt.date(2025, 6, 30)]


def test_instructor_detail_shows_assignments_with_state(admin_client):
    instructor = InstructorFactory(phone="13912345678")
    AssignmentFactory(instructor=instructor, enterprise__name="现联系公司", start=dt.date(2020, 1, 1))
    AssignmentFactory(
        instructor=instructor,
        enterprise__name="曾联系公司",
        start=dt.date(2017, 1, 1),
        end=dt.date(2018, 1, 1),
    )
    response = admin_client.get(f"/instructors/{instructor.pk}/")
    html = response.content.decode()
    assert [(a.enterprise.name, a.is_current) for a in response.context["assignments"]] == [
        ("现联系公司", True),
        ("曾联系公司", False),
    ]
    assert "139****5678" in html and "13912345678" not in html
    assert html.count("结束联系") == 1
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in html


def test_admin_shows_members_masked_and_read_only(admin_client):
    member = MemberFactory(id_number=ID_NUMBER, phone="13812345678")
    for url in ("/admin/members/member/", f"/admin/members/member/{member.pk}/change/"):
        response = admin_client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert ID_NUMBER not in html and "13812345678" not in html
        assert ID_NUMBER[:6] + "********" + ID_NUMBER[-4:] in html
    assert admin_client.get("/admin/members/member/add/").status_code == 403
