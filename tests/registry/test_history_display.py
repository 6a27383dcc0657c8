"""Change history as people read it (registry.audit.shown_changes, shown by templates/includes/history.html):
Chinese labels, choice labels, 是/否, ISO dates, related records by name; no ids, reverse relations or
empty-to-empty changes; a creation lists its filled fields only."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from members import services
from members.models import Instructor, Member
from registry.audit import record_bulk_changes, shown_changes
from tests.factories import AreaFactory, OrganizationFactory, make_id_number, make_user

pytestmark = pytest.mark.django_db

BORN = dt.date(1985, 6, 1)


@pytest.fixture
def park():
    return AreaFactory(code="A", name="园区A")


@pytest.fixture
def member(park):
    return services.create_member(
        name="张三",
        gender="M",
        ethnicity="汉族",
        birth_date=BORN,
        education="bachelor",
        id_number=make_id_number(5, born=BORN),
        phone="13812345678",
        category="full",
        joined_party_on=None,
        joined_on=dt.date(2019, 1, 1),
        organization=OrganizationFactory(area=park, name="甲党支部"),
        enterprise=None,
        is_mobile=False,
        retired=False,
    )


def entries(obj) -> list[LogEntry]:
    content_type = ContentType.objects.get_for_model(obj)
    return list(LogEntry.objects.filter(content_type=content_type, object_pk=str(obj.pk)).order_by("pk"))


def lines(entry, reveal=False) -> list[str]:
    return [str(change) for change in shown_changes(entry, reveal=reveal)]


def test_a_creation_lists_its_filled_fields_with_labels_and_display_values(member):
    (created,) = entries(member)
    assert lines(created) == [
        "姓名：张三",
        "性别：男",
        "民族：汉族",
        "出生年份：1985年",
        "学历：大学本科",
        f"身份证号码：{member.masked_id_number}",
        "联系电话：138****5678",
        "党员类别：正式党员",
        "入党日期：2019-01-01",
        "转入本组织日期：2019-01-01",
        "所在党组织（组织关系）：甲党支部",
        "流动党员：否",
        "离退休：否",
    ]
    assert "出生日期：1985-06-01" in lines(created, reveal=True)


def test_an_update_shows_old_and_new_values_and_leaves_out_what_did_not_change(member):
    services.update_member(
        member=Member.objects.get(pk=member.pk), ended_on=dt.date(2024, 1, 1), end_reason="death"
    )
    ended = entries(member)[-1]
    assert lines(ended) == ["减少日期：— → 2024-01-01", "减少原因：— → 死亡"]


def test_an_instructor_shows_full_time_as_yes_and_no_id(park):
    instructor = services.create_instructor(
        name="王指导", unit="区委组织部", full_time=True, phone="", area=park
    )
    assert lines(entries(instructor)[0]) == [
        "姓名：王指导",
        "派出单位：区委组织部",
        "专职：是",
        "所属区域：园区A",
    ]


def test_internal_values_of_older_entries_are_left_out(park):
    # As the issue saw them: an id, a reverse relation, None → None, a boolean as False.
    instructor = Instructor.objects.create(name="旧指导员", unit="组织部", area=park)
    legacy = LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Instructor),
        object_pk=str(instructor.pk),
        object_repr=str(instructor),
        action=LogEntry.Action.UPDATE,
        changes={
            "id": ["None", "125"],
            "full_time": ["None", "False"],
            "instructor_assignments": ["None", "members.InstructorAssignment.None"],
            "assignments": ["None", "members.InstructorAssignment.None"],
            "ended_on": ["None", "None"],
            "unit": ["", ""],
            "name": ["旧名", "旧指导员"],
            "no_such_field": ["a", "b"],
        },
    )
    assert lines(legacy) == ["姓名：旧名 → 旧指导员", "专职：— → 否"]  # in the model's field order


def test_entries_of_an_import_read_like_the_forms(member, park):
    record_bulk_changes(
        actor=None,
        entries=[
            (
                member,
                "update",
                {
                    "is_mobile": [False, True],
                    "organization": [member.organization, OrganizationFactory(area=park, name="乙党支部")],
                    "end_reason": ["", ""],
                    "phone": ["13812345678", "13900001111"],
                },
            )
        ],
        source="import:members",
    )
    assert lines(entries(member)[-1]) == [  # in the model's field order, whatever order the import logged
        "联系电话：138****5678 → 139****1111",
        "所在党组织（组织关系）：甲党支部 → 乙党支部",
        "流动党员：否 → 是",
    ]


def test_the_member_page_shows_the_readable_history(client, member, park):
    client.force_login(make_user("clerk", role="staff", area=park))
    services.update_member(
        member=Member.objects.get(pk=member.pk), ended_on=dt.date(2024, 1, 1), end_reason="death"
    )
    html = client.get(f"/members/{member.pk}/").content.decode()
    history = html[html.index('id="history"') :]
    for expected in ("<li>姓名：张三</li>", "<li>流动党员：否</li>", "<li>减少原因：— → 死亡</li>"):
        assert expected in history
    for internal in ("ID：", "None", "False", "memberships", "减少原因：—</li>", "出生日期"):
        assert internal not in history, internal
