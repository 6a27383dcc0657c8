"""Member, instructor and assignment writes: the single services (pages, API) and the bulk ones (imports) leave
the same rows, the same audit entries and the same recompute requests; an end date means the same whichever way
it arrives."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.utils import timezone
from rest_framework.test import APIClient

from members.models import Instructor, InstructorAssignment, Member
from members.services import (
    apply_assignment_rows,
    apply_member_rows,
    assign_instructor,
    create_member,
    update_assignment,
    update_instructor,
    update_member,
)
from tests.factories import (
    AssignmentFactory,
    EnterpriseFactory,
    InstructorFactory,
    MemberFactory,
    OrganizationFactory,
    make_id_number,
)
from tests.registry.test_services import changed_copy, clerk, log, outbox, plan, reset_outbox, shape, zone

pytestmark = pytest.mark.django_db

__all__ = ["clerk", "zone"]  # fixtures shared with the registry's service tests

ON = dt.date(2024, 9, 1)


def loaded(member: Member) -> Member:
    """The member as the importer loads it."""
    return Member.objects.select_related("organization__area", "enterprise__area").get(pk=member.pk)


def member_fields(org, **overrides) -> dict:
    fields = {
        "name": "王芳",
        "gender": "F",
        "ethnicity": "汉族",
        "birth_date": dt.date(1985, 6, 1),
        "education": "bachelor",
        "phone": "13900001111",
        "category": "probationary",
        "joined_on": dt.date(2024, 7, 1),
        "organization": org,
    }
    return {**fields, **overrides}


# --- members in bulk --------------------------------------------------------------------------------------------


def test_bulk_create_writes_members_masked_audit_and_one_request_per_area(zone, clerk):
    _z, p1, p2 = zone
    org = OrganizationFactory(area=p1, founded_on=dt.date(2018, 1, 1))
    firm = EnterpriseFactory(area=p2)
    first = Member(id_number=make_id_number(9, male=False), enterprise=firm, **member_fields(org))
    second = Member(
        id_number=make_id_number(10, male=False),
        **member_fields(org, name="李娜", joined_on=dt.date(2023, 1, 1), phone=""),
    )
    apply_member_rows([plan("create", first), plan("create", second)], actor=clerk)
    assert sorted(Member.objects.values_list("name", "organization__name", "enterprise")) == [
        ("李娜", org.name, None),
        ("王芳", org.name, firm.pk),
    ]
    assert outbox() == [("P1", dt.date(2023, 1, 1)), ("P2", dt.date(2024, 7, 1))]
    entry = log(first, LogEntry.Action.CREATE)[0]
    assert (entry.actor, entry.additional_data) == (clerk, {"source": "import"})
    assert entry.changes_dict["id_number"] == ["", "440802********0180"]
    assert entry.changes_dict["phone"] == ["", "139****1111"]
    assert entry.changes_dict["organization"] == ["", org.name]
    assert entry.changes_dict["enterprise"] == ["", firm.name]


def test_bulk_create_logs_the_same_fields_as_a_form_create(zone, clerk):
    _z, p1, _p2 = zone
    org = OrganizationFactory(area=p1)
    with set_actor(clerk):
        by_form = create_member(id_number=make_id_number(9, male=False), **member_fields(org))
    by_import = Member(id_number=make_id_number(10, male=False), **member_fields(org, name="李娜"))
    apply_member_rows([plan("create", by_import)], actor=clerk)
    assert shape(by_import) == shape(by_form)
    concrete = {f.name for f in Member._meta.concrete_fields}
    assert [n for n in shape(by_form)[0][1] if n in concrete] == sorted(
        ["id", "name", "gender", "ethnicity", "birth_date", "education", "id_number", "phone", "category"]
        + ["joined_on", "joined_party_on", "organization", "is_mobile", "retired", "end_reason"]
    )


def test_bulk_update_changes_workplace_and_asks_old_and_new_areas(zone, clerk):
    _z, p1, p2 = zone
    org = OrganizationFactory(area=p1)
    old_firm, new_firm = EnterpriseFactory(area=p1, name="旧单位"), EnterpriseFactory(area=p2, name="新单位")
    member = MemberFactory(organization=org, enterprise=old_firm, joined_on=dt.date(2019, 1, 1))
    reset_outbox()
    before = loaded(member)
    apply_member_rows(
        [
            plan(
                "update",
                changed_copy(before, enterprise=new_firm, is_mobile=True),
                old=before,
                changed=["enterprise", "is_mobile"],
                model_fields=["is_mobile", "enterprise"],
            )
        ],
        actor=clerk,
    )
    assert Member.objects.values_list("enterprise", "is_mobile").get(pk=member.pk) == (new_firm.pk, True)
    assert [e.changes_dict for e in log(member, LogEntry.Action.UPDATE)] == [
        {"enterprise": ["旧单位", "新单位"], "is_mobile": ["False", "True"]}
    ]
    # An import row changes the workplace from the day it is imported: past quarters keep the old employer.
    today = timezone.localdate()
    assert outbox() == [("P1", today), ("P2", today)]


def test_bulk_update_writes_only_the_planned_fields(zone, clerk):
    _z, p1, _p2 = zone
    member = MemberFactory(organization=OrganizationFactory(area=p1), name="原名", phone="")
    before = loaded(member)
    Member.objects.filter(pk=member.pk).update(phone="13700000000")  # someone else, meanwhile
    apply_member_rows(
        [
            plan(
                "update",
                changed_copy(before, name="新名"),
                old=before,
                changed=["name"],
                model_fields=["name"],
            )
        ],
        actor=clerk,
    )
    assert Member.objects.values_list("name", "phone").get(pk=member.pk) == ("新名", "13700000000")


# --- 减少, whichever way it arrives ----------------------------------------------------------------------------------


def _end_member(way: str, member, user, client):
    if way == "patch":
        api = APIClient()
        api.force_authenticate(user)
        body = {"ended_on": ON.isoformat(), "end_reason": "transfer_out"}
        response = api.patch(f"/api/v1/members/{member.pk}/", body, format="json")
        assert response.status_code == 200, response.content
    elif way == "end_form":
        client.force_login(user)
        response = client.post(f"/members/{member.pk}/end/", {"on": ON.isoformat(), "reason": "transfer_out"})
        assert response.status_code == 302
    elif way == "service":
        with set_actor(user):
            update_member(member=Member.objects.get(pk=member.pk), ended_on=ON, end_reason="transfer_out")
    else:
        before = loaded(member)
        apply_member_rows(
            [
                plan(
                    "update",
                    changed_copy(before, ended_on=ON, end_reason="transfer_out"),
                    old=before,
                    changed=["ended_on", "end_reason"],
                    model_fields=["ended_on", "end_reason"],
                )
            ],
            actor=user,
        )


@pytest.mark.parametrize("way", ["patch", "end_form", "service", "import"])
def test_an_end_date_ends_a_member_the_same_way_everywhere(way, zone, clerk, client):
    _z, p1, p2 = zone
    member = MemberFactory(
        organization=OrganizationFactory(area=p1),
        enterprise=EnterpriseFactory(area=p2),
        joined_on=dt.date(2020, 5, 1),
    )
    reset_outbox()
    LogEntry.objects.all().delete()
    _end_member(way, member, clerk, client)
    assert Member.objects.values_list("ended_on", "end_reason").get(pk=member.pk) == (ON, "transfer_out")
    assert [(e.action, e.actor) for e in log(member)] == [(LogEntry.Action.UPDATE, clerk)]
    assert log(member)[0].changes_dict["ended_on"][1] == "2024-09-01"
    assert shape(member) == [(LogEntry.Action.UPDATE, ["end_reason", "ended_on"])]
    # Figures move from the end date on: earlier quarters keep the member.
    assert outbox() == [("P1", ON), ("P2", ON)]


def test_an_end_without_reason_is_refused_next_to_the_field(zone):
    _z, p1, _p2 = zone
    member = MemberFactory(organization=OrganizationFactory(area=p1))
    reset_outbox()
    with pytest.raises(Exception) as caught:
        update_member(member=member, ended_on=ON)
    assert caught.value.message_dict == {"end_reason": ["填写减少日期时必须选择减少原因。"]}
    assert Member.objects.get(pk=member.pk).ended_on is None
    assert outbox() == []


# --- assignments in bulk -----------------------------------------------------------------------------------------


def test_bulk_assignments_create_and_end_with_audit_and_requests(zone, clerk):
    _z, p1, p2 = zone
    instructor = InstructorFactory(area=p1, name="张指导")
    ending_firm, new_firm = (
        EnterpriseFactory(area=p1, name="旧联系"),
        EnterpriseFactory(area=p2, name="新联系"),
    )
    open_one = AssignmentFactory(instructor=instructor, enterprise=ending_firm, start=dt.date(2021, 3, 1))
    reset_outbox()
    existing = InstructorAssignment.objects.get(pk=open_one.pk)
    new = InstructorAssignment(instructor=instructor, enterprise=new_firm, start=dt.date(2022, 1, 1))
    apply_assignment_rows(
        [
            plan("update", changed_copy(existing, end=dt.date(2025, 1, 1)), old=existing, changed=["end"]),
            plan("create", new),
        ],
        actor=clerk,
    )
    assert sorted(InstructorAssignment.objects.values_list("enterprise__name", "start", "end")) == [
        ("新联系", dt.date(2022, 1, 1), None),
        ("旧联系", dt.date(2021, 3, 1), dt.date(2025, 1, 1)),
    ]
    assert [e.changes_dict for e in log(open_one, LogEntry.Action.UPDATE)] == [{"end": ["", "2025-01-01"]}]
    assert [(e.action, e.changes_dict) for e in log(new)] == [
        (
            LogEntry.Action.CREATE,
            {
                "id": ["", str(new.pk)],
                "instructor": ["", "张指导"],
                "enterprise": ["", "新联系"],
                "start": ["", "2022-01-01"],
            },
        )
    ]
    assert outbox() == [("P1", dt.date(2025, 1, 1)), ("P2", dt.date(2022, 1, 1))]


def test_bulk_assignment_logs_the_same_fields_as_the_page(zone, clerk):
    _z, p1, _p2 = zone
    instructor = InstructorFactory(area=p1)
    with set_actor(clerk):
        by_page = assign_instructor(instructor=instructor, enterprise=EnterpriseFactory(area=p1), start=ON)
    by_import = InstructorAssignment(instructor=instructor, enterprise=EnterpriseFactory(area=p1), start=ON)
    apply_assignment_rows([plan("create", by_import)], actor=clerk)
    assert (
        shape(by_import)
        == shape(by_page)
        == [(LogEntry.Action.CREATE, ["enterprise", "id", "instructor", "start"])]
    )


# --- an assignment's end and 离任, whichever way they arrive ------------------------------------------------------


def _end_assignment(way: str, assignment, user, client):
    if way == "patch":
        api = APIClient()
        api.force_authenticate(user)
        response = api.patch(
            f"/api/v1/instructor-assignments/{assignment.pk}/", {"end": ON.isoformat()}, format="json"
        )
        assert response.status_code == 200, response.content
    elif way == "end_form":
        client.force_login(user)
        url = f"/instructors/{assignment.instructor_id}/assignments/{assignment.pk}/end/"
        assert client.post(url, {"on": ON.isoformat()}).status_code == 302
    elif way == "service":
        with set_actor(user):
            update_assignment(assignment=InstructorAssignment.objects.get(pk=assignment.pk), end=ON)
    else:
        existing = InstructorAssignment.objects.get(pk=assignment.pk)
        apply_assignment_rows(
            [plan("update", changed_copy(existing, end=ON), old=existing, changed=["end"])], actor=user
        )


@pytest.mark.parametrize("way", ["patch", "end_form", "service", "import"])
def test_an_assignment_end_is_the_same_everywhere(way, zone, clerk, client):
    _z, p1, _p2 = zone
    assignment = AssignmentFactory(
        instructor=InstructorFactory(area=p1), enterprise=EnterpriseFactory(area=p1)
    )
    reset_outbox()
    LogEntry.objects.all().delete()
    _end_assignment(way, assignment, clerk, client)
    assert InstructorAssignment.objects.get(pk=assignment.pk).end == ON
    assert [(e.action, e.actor, e.changes_dict["end"][1]) for e in log(assignment)] == [
        (LogEntry.Action.UPDATE, clerk, "2024-09-01")
    ]
    assert outbox() == [("P1", ON)]


def test_an_ended_assignment_keeps_its_end(zone):
    _z, p1, _p2 = zone
    assignment = AssignmentFactory(enterprise=EnterpriseFactory(area=p1), end=dt.date(2023, 1, 1))
    with pytest.raises(Exception) as caught:
        update_assignment(assignment=assignment, end=ON)
    assert caught.value.message_dict == {"end": ["该联系已结束，不能再修改结束日期。"]}
    assert InstructorAssignment.objects.get(pk=assignment.pk).end == dt.date(2023, 1, 1)


@pytest.mark.parametrize("way", ["patch", "end_form", "service"])
def test_leaving_ends_open_assignments_the_same_way_everywhere(way, zone, clerk, client):
    _z, p1, p2 = zone
    instructor = InstructorFactory(area=p1)
    first = AssignmentFactory(instructor=instructor, enterprise=EnterpriseFactory(area=p1))
    second = AssignmentFactory(instructor=instructor, enterprise=EnterpriseFactory(area=p2))
    done = AssignmentFactory(instructor=instructor, end=dt.date(2020, 1, 1))
    reset_outbox()
    LogEntry.objects.all().delete()
    if way == "patch":
        api = APIClient()
        api.force_authenticate(clerk)
        body = {"ended_on": ON.isoformat()}
        assert api.patch(f"/api/v1/instructors/{instructor.pk}/", body, format="json").status_code == 200
    elif way == "end_form":
        client.force_login(clerk)
        assert client.post(f"/instructors/{instructor.pk}/end/", {"on": ON.isoformat()}).status_code == 302
    else:
        with set_actor(clerk):
            update_instructor(instructor=Instructor.objects.get(pk=instructor.pk), ended_on=ON)
    assert Instructor.objects.get(pk=instructor.pk).ended_on == ON
    assert sorted(instructor.assignments.values_list("pk", "end")) == sorted(
        [(first.pk, ON), (second.pk, ON), (done.pk, dt.date(2020, 1, 1))]
    )
    assert shape(instructor) == [(LogEntry.Action.UPDATE, ["ended_on"])]
    assert shape(first) == shape(second) == [(LogEntry.Action.UPDATE, ["end"])]
    assert log(done) == []
    assert outbox() == [("P1", ON), ("P2", ON)]
