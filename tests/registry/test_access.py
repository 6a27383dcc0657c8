"""Roles and area scoping: one function decides, every QuerySet's restrict() obeys it."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from members.models import Instructor, Member
from orgs.models import PartyOrganization
from registry.access import access_for
from registry.models import Area, Enterprise
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    InstructorFactory,
    MemberFactory,
    OrganizationFactory,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_parks():
    zone = AreaFactory(code="Z", kind="district")
    a, b = AreaFactory(code="A", parent=zone), AreaFactory(code="B", parent=zone)
    for park in (a, b):
        firm = EnterpriseFactory(area=park, name=f"firm-{park.code}")
        org = OrganizationFactory(area=park, name=f"org-{park.code}")
        MemberFactory(organization=org, enterprise=firm, name=f"member-{park.code}")
        InstructorFactory(area=park, name=f"instructor-{park.code}")
    return zone, a, b


def visible(user):
    access = access_for(user)
    return {
        "areas": sorted(Area.objects.restrict(access).values_list("code", flat=True)),
        "firms": sorted(Enterprise.objects.restrict(access).values_list("name", flat=True)),
        "orgs": sorted(PartyOrganization.objects.restrict(access).values_list("name", flat=True)),
        "members": sorted(Member.objects.restrict(access).values_list("name", flat=True)),
        "instructors": sorted(Instructor.objects.restrict(access).values_list("name", flat=True)),
    }


def test_each_persona_sees_exactly_its_subtree(two_parks):
    zone, a, b = two_parks
    assert visible(make_user("root", role="admin")) == {
        "areas": ["A", "B", "Z"],
        "firms": ["firm-A", "firm-B"],
        "orgs": ["org-A", "org-B"],
        "members": ["member-A", "member-B"],
        "instructors": ["instructor-A", "instructor-B"],
    }
    assert visible(make_user("staff-z", role="staff", area=zone))["firms"] == ["firm-A", "firm-B"]
    assert visible(make_user("park-a", role="park", area=a)) == {
        "areas": ["A"],
        "firms": ["firm-A"],
        "orgs": ["org-A"],
        "members": ["member-A"],
        "instructors": ["instructor-A"],
    }
    assert visible(make_user("reader-b", role="reader", area=b))["members"] == ["member-B"]
    assert visible(make_user("nobody", role=None)) == {
        "areas": [],
        "firms": [],
        "orgs": [],
        "members": [],
        "instructors": [],
    }


def test_what_each_role_may_do(two_parks):
    zone, a, _ = two_parks
    rights = {
        role: (access_for(user).can_write, access_for(user).can_reveal, access_for(user).is_admin)
        for role, user in {
            "admin": make_user("u1", role="admin"),
            "staff": make_user("u2", role="staff", area=zone),
            "park": make_user("u3", role="park", area=a),
            "reader": make_user("u4", role="reader", area=a),
        }.items()
    }
    assert rights == {
        "admin": (True, True, True),
        "staff": (True, True, False),
        "park": (False, False, False),
        "reader": (False, False, False),
    }


def test_create_user_command(two_parks, monkeypatch, capsys):
    monkeypatch.setenv("NEW_USER_PASSWORD", "Another-Long-Pass-9")
    call_command("create_user", "parkclerk", "--role", "park", "--area", "A")
    from django.contrib.auth.models import User

    user = User.objects.get(username="parkclerk")
    assert user.check_password("Another-Long-Pass-9")
    assert (access_for(user).role, access_for(user).area.code) == ("park", "A")
    with pytest.raises(CommandError):
        call_command("create_user", "x", "--role", "park", "--area", "NOPE")
    with pytest.raises(CommandError):
        call_command("create_user", "y", "--role", "staff")  # staff needs an area
    monkeypatch.delenv("NEW_USER_PASSWORD")
    call_command("create_user", "z", "--role", "reader", "--area", "B")
    assert "password: " in capsys.readouterr().out
