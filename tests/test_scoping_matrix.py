"""Who sees and changes what: every page × every persona × an object in park A and one in park B.

Personas: an administrator, staff of the zone (above both parks), staff of park A, the park committee of A
(read and download), a reader of A (API read-only) and a user with no role. Out-of-scope objects are 404 and
their names never appear; writes by roles that may not write are 403 and change nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from members.models import Instructor, InstructorAssignment, Member
from orgs.models import OrganizationLink, PartyOrganization
from registry.models import Enterprise
from registry.periods import Quarter
from reports.models import PeriodLock
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    InstructorFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_credit_code,
    make_id_number,
    make_user,
)
from tests.personas import PARKS, PERSONAS

pytestmark = pytest.mark.django_db

Q = Quarter(2025, 3)


@dataclass
class Park:
    area: object
    firm: Enterprise
    spare: Enterprise  # operating, 规上, uncovered: for assignments, the drill-through and the work queue
    org: PartyOrganization
    member: Member
    instructor: Instructor
    assignment: InstructorAssignment


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    parks = {}
    for n, code in enumerate(PARKS):
        area = AreaFactory(code=code, parent=zone, name=f"园区{code}")
        firm = EnterpriseFactory(
            area=area, name=f"firm-{code}", credit_code=make_credit_code(100 + n), contact_phone="13900001111"
        )
        spare = EnterpriseFactory(area=area, name=f"spare-{code}", credit_code=make_credit_code(200 + n))
        for e in (firm, spare):
            AboveScalePeriodFactory(enterprise=e)
        org = OrganizationFactory(area=area, name=f"org-{code}")
        LinkFactory(organization=org, enterprise=firm)
        member = MemberFactory(
            organization=org,
            enterprise=firm,
            name=f"member-{code}",
            id_number=make_id_number(300 + n),
            phone="13812345678",
        )
        instructor = InstructorFactory(area=area, name=f"instructor-{code}", phone="13711112222")
        assignment = AssignmentFactory(instructor=instructor, enterprise=firm)
        parks[code] = Park(area, firm, spare, org, member, instructor, assignment)
    return parks


@pytest.fixture
def as_persona(client, world):
    def log_in(persona: str):
        role, area_code, _, _ = PERSONAS[persona]
        area = next((p.area for p in world.values() if p.area.code == area_code), None)
        if area_code == "Z":
            area = world["A"].area.parent
        client.force_login(make_user(persona, role=role, area=area))
        return client

    return log_in


def sees(persona: str, park: str) -> bool:
    return park in PERSONAS[persona][2]


def writes(persona: str) -> bool:
    return PERSONAS[persona][3]


def body(response) -> str:
    return response.content.decode()


CASES = [(persona, park) for persona in PERSONAS for park in PARKS]


# --- lists: only in-scope rows, and out-of-scope names appear nowhere (not even in filter choices) -------------

LISTS = [
    ("/enterprises/", lambda p: p.firm.name),
    ("/organizations/", lambda p: p.org.name),
    ("/members/", lambda p: p.member.name),
    ("/instructors/", lambda p: p.instructor.name),
]


@pytest.mark.parametrize("url,name", LISTS, ids=[u for u, _ in LISTS])
@pytest.mark.parametrize("persona,park", CASES)
def test_lists(as_persona, world, persona, park, url, name):
    response = as_persona(persona).get(url)
    assert response.status_code == 200
    assert (name(world[park]) in body(response)) is sees(persona, park)


# --- details: 404 outside the subtree; write buttons only for roles that write ----------------------------------

DETAILS = [
    ("/enterprises/{pk}/", lambda p: p.firm, "/edit/"),
    ("/organizations/{pk}/", lambda p: p.org, "/edit/"),
    ("/members/{pk}/", lambda p: p.member, "/edit/"),
    ("/instructors/{pk}/", lambda p: p.instructor, "/edit/"),
]


@pytest.mark.parametrize("url,obj,edit", DETAILS, ids=[u for u, _, _ in DETAILS])
@pytest.mark.parametrize("persona,park", CASES)
def test_details(as_persona, world, persona, park, url, obj, edit):
    target = obj(world[park])
    response = as_persona(persona).get(url.format(pk=target.pk))
    if not sees(persona, park):
        assert response.status_code == 404
        assert target.name not in body(response)
        return
    assert response.status_code == 200
    assert target.name in body(response)
    edit_url = url.format(pk=target.pk) + edit.lstrip("/")
    assert (f'href="{edit_url}"' in body(response)) is writes(persona)


# --- edit and end forms, GET and POST ---------------------------------------------------------------------------


def enterprise_edit(p: Park) -> dict:
    return {
        "name": "renamed",
        "credit_code": p.firm.credit_code,
        "category": "enterprise",
        "economic_type": "private",
        "area": p.area.pk,
        "established_on": "2015-01-01",
        "above_scale": "on",
    }


def org_edit(p: Park) -> dict:
    return {
        "name": "renamed",
        "kind": "branch",
        "setup": "single",
        "area": p.area.pk,
        "founded_on": "2018-01-01",
        "enterprises": [p.firm.pk],
    }


def member_edit(p: Park) -> dict:
    return {
        "name": "renamed",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "1985-06-01",
        "education": "bachelor",
        "category": "full",
        "joined_on": "2019-01-01",
        "joined_party_on": "2019-01-01",
        "organization": p.org.pk,
        "enterprise": p.firm.pk,
    }


def instructor_edit(p: Park) -> dict:
    return {"name": "renamed", "unit": "区委组织部", "area": p.area.pk}


WRITES = {
    # name: (url, obj, POST data, "has it changed?")
    "enterprise-edit": (
        "/enterprises/{pk}/edit/",
        lambda p: p.firm,
        enterprise_edit,
        lambda p: Enterprise.objects.get(pk=p.firm.pk).name == "renamed",
    ),
    "enterprise-end": (
        "/enterprises/{pk}/end/",
        lambda p: p.firm,
        lambda p: {"on": "2024-01-01"},
        lambda p: Enterprise.objects.get(pk=p.firm.pk).deregistered_on == dt.date(2024, 1, 1),
    ),
    "org-edit": (
        "/organizations/{pk}/edit/",
        lambda p: p.org,
        org_edit,
        lambda p: PartyOrganization.objects.get(pk=p.org.pk).name == "renamed",
    ),
    "org-end": (
        "/organizations/{pk}/end/",
        lambda p: p.org,
        lambda p: {"on": "2024-01-01"},
        lambda p: PartyOrganization.objects.get(pk=p.org.pk).dissolved_on == dt.date(2024, 1, 1),
    ),
    "member-edit": (
        "/members/{pk}/edit/",
        lambda p: p.member,
        member_edit,
        lambda p: Member.objects.get(pk=p.member.pk).name == "renamed",
    ),
    "member-end": (
        "/members/{pk}/end/",
        lambda p: p.member,
        lambda p: {"on": "2024-01-01", "reason": "transfer_out"},
        lambda p: Member.objects.get(pk=p.member.pk).ended_on == dt.date(2024, 1, 1),
    ),
    "instructor-edit": (
        "/instructors/{pk}/edit/",
        lambda p: p.instructor,
        instructor_edit,
        lambda p: Instructor.objects.get(pk=p.instructor.pk).name == "renamed",
    ),
    "instructor-end": (
        "/instructors/{pk}/end/",
        lambda p: p.instructor,
        lambda p: {"on": "2024-01-01"},
        lambda p: Instructor.objects.get(pk=p.instructor.pk).ended_on == dt.date(2024, 1, 1),
    ),
}


def expected_write_status(persona: str, park: str, success: int) -> int:
    if not writes(persona):
        return 403
    return success if sees(persona, park) else 404


@pytest.mark.parametrize("page", list(WRITES))
@pytest.mark.parametrize("persona,park", CASES)
def test_write_forms_get(as_persona, world, persona, park, page):
    url, obj, _, _ = WRITES[page]
    target = obj(world[park])
    response = as_persona(persona).get(url.format(pk=target.pk))
    assert response.status_code == expected_write_status(persona, park, 200)
    if response.status_code != 200:
        assert target.name not in body(response)


@pytest.mark.parametrize("page", list(WRITES))
@pytest.mark.parametrize("persona,park", CASES)
def test_write_forms_post(as_persona, world, persona, park, page):
    url, obj, data, changed = WRITES[page]
    p = world[park]
    response = as_persona(persona).post(url.format(pk=obj(p).pk), data(p))
    expected = expected_write_status(persona, park, 302)
    assert response.status_code == expected, body(response)[:2000]
    assert changed(p) is (expected == 302)


# --- creating in park A or B ------------------------------------------------------------------------------------

CREATES = {
    "enterprise": (
        "/enterprises/new/",
        lambda p: {**enterprise_edit(p), "name": "created", "credit_code": make_credit_code(999)},
        lambda: Enterprise.objects.filter(name="created").count(),
    ),
    "org": (
        "/organizations/new/",
        lambda p: {**org_edit(p), "name": "created", "enterprises": [p.spare.pk]},
        lambda: PartyOrganization.objects.filter(name="created").count(),
    ),
    "member": (
        "/members/new/",
        lambda p: {**member_edit(p), "name": "created", "id_number": make_id_number(999)},
        lambda: Member.objects.filter(name="created").count(),
    ),
    "instructor": (
        "/instructors/new/",
        lambda p: {**instructor_edit(p), "name": "created"},
        lambda: Instructor.objects.filter(name="created").count(),
    ),
}


@pytest.mark.parametrize("kind", list(CREATES))
@pytest.mark.parametrize("persona,park", CASES)
def test_create(as_persona, world, persona, park, kind):
    url, data, count = CREATES[kind]
    client = as_persona(persona)
    assert client.get(url).status_code == (200 if writes(persona) else 403)
    response = client.post(url, data(world[park]))
    if not writes(persona):
        assert response.status_code == 403
        assert count() == 0
    elif sees(persona, park):
        assert response.status_code == 302, body(response)[:2000]
        assert count() == 1
    else:
        # The area (or organisation, enterprise) of the other park is not a choice: a field error, no row.
        assert response.status_code == 200
        assert "不在您的管辖范围内" in body(response)
        assert count() == 0


# --- instructor assignments -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona,park", CASES)
def test_assignment_create(as_persona, world, persona, park):
    p = world[park]
    response = as_persona(persona).post(
        f"/instructors/{p.instructor.pk}/assignments/new/", {"enterprise": p.spare.pk, "start": "2024-01-01"}
    )
    expected = expected_write_status(persona, park, 302)
    assert response.status_code == expected
    created = InstructorAssignment.objects.filter(instructor=p.instructor, enterprise=p.spare).exists()
    assert created is (expected == 302)


@pytest.mark.parametrize("persona,park", CASES)
def test_assignment_end(as_persona, world, persona, park):
    p = world[park]
    response = as_persona(persona).post(
        f"/instructors/{p.instructor.pk}/assignments/{p.assignment.pk}/end/", {"on": "2024-06-01"}
    )
    expected = expected_write_status(persona, park, 302)
    assert response.status_code == expected
    ended = InstructorAssignment.objects.get(pk=p.assignment.pk).end == dt.date(2024, 6, 1)
    assert ended is (expected == 302)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_staff_of_a_cannot_assign_a_firm_of_b(as_persona, world, persona):
    """Choices are scoped: the instructor of A (in scope) cannot be linked to a firm of B by staff of A."""
    a, b = world["A"], world["B"]
    response = as_persona(persona).post(
        f"/instructors/{a.instructor.pk}/assignments/new/", {"enterprise": b.spare.pk, "start": "2024-01-01"}
    )
    created = InstructorAssignment.objects.filter(enterprise=b.spare).exists()
    if persona in ("admin", "staff_zone"):
        assert (response.status_code, created) == (302, True)
    elif persona == "staff_a":
        assert (response.status_code, created) == (200, False)
        assert "不在您的管辖范围内" in body(response)
        assert b.spare.name not in body(response)
    else:
        assert (response.status_code, created) == (403, False)


# --- reveal -----------------------------------------------------------------------------------------------------

REVEALS = {
    "member": ("/members/{pk}/reveal/", lambda p: p.member, lambda p: p.member.id_number),
    "instructor": ("/instructors/{pk}/reveal/", lambda p: p.instructor, lambda p: p.instructor.phone),
    "enterprise": ("/enterprises/{pk}/reveal/", lambda p: p.firm, lambda p: p.firm.contact_phone),
}


@pytest.mark.parametrize("kind", list(REVEALS))
@pytest.mark.parametrize("persona,park", CASES)
def test_reveal(as_persona, world, persona, park, kind):
    url, obj, secret = REVEALS[kind]
    p = world[park]
    client = as_persona(persona)
    detail = client.get(url.format(pk=obj(p).pk).replace("reveal/", ""))
    assert secret(p) not in body(detail)
    assert client.get(url.format(pk=obj(p).pk)).status_code == 405  # POST only
    response = client.post(url.format(pk=obj(p).pk))
    expected = expected_write_status(persona, park, 200)  # the roles that reveal are the roles that write
    assert response.status_code == expected
    assert (secret(p) in body(response)) is (expected == 200)


# --- coverage pages ---------------------------------------------------------------------------------------------


@pytest.fixture
def figures(world):
    from reports.engine.recompute import recompute

    recompute(periods=[Q.previous(), Q])


REPORTS = {
    "dashboard": ("/", lambda p: p.area.name),
    "drill": (
        "/coverage/enterprises/?indicator=org-coverage-above-scale&part=denominator",
        lambda p: p.spare.name,
    ),
    "drill-live": (
        "/coverage/enterprises/?indicator=org-coverage-above-scale&part=denominator&date=2025-09-30",
        lambda p: p.spare.name,
    ),
    "changes": ("/coverage/changes/", lambda p: p.area.name),
    "work-queue": ("/workqueue/uncovered-above-scale/", lambda p: p.spare.name),
    "quarterly": ("/reports/quarterly/", lambda p: p.area.name),
}


@pytest.mark.parametrize("page", list(REPORTS))
@pytest.mark.parametrize("persona,park", CASES)
def test_coverage_pages(as_persona, world, figures, persona, park, page):
    url, name = REPORTS[page]
    joiner = "&" if "?" in url else "?"
    period = "" if "date=" in url else f"&period={Q}"
    response = as_persona(persona).get(f"{url}{joiner}area={park}{period}")
    if sees(persona, park):
        assert response.status_code == 200
        assert name(world[park]) in body(response)
    else:
        assert response.status_code == 404
        assert name(world[park]) not in body(response)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_periods(as_persona, world, persona):
    client = as_persona(persona)
    assert client.get("/periods/").status_code == 200
    response = client.post("/periods/", {"period": str(Q), "action": "close"})
    assert response.status_code == (302 if writes(persona) else 403)
    assert PeriodLock.objects.filter(period=str(Q)).exists() is writes(persona)


def test_matrix_is_large_enough():
    per_case = len(LISTS) + len(DETAILS) + 2 * len(WRITES) + len(CREATES) + 2 + len(REVEALS) + len(REPORTS)
    assert per_case * len(CASES) + 2 * len(PERSONAS) >= 120


def test_links_stay_in_scope(as_persona, world):
    """A joint organisation of the zone covers firms of both parks: the zone's staff see it, park A's do not."""
    zone_org = OrganizationFactory(area=world["A"].area.parent, name="zone-org", setup="joint")
    for code in PARKS:
        LinkFactory(organization=zone_org, enterprise=world[code].spare)
    assert OrganizationLink.objects.filter(organization=zone_org).count() == 2
    response = as_persona("staff_zone").get(f"/organizations/{zone_org.pk}/")
    assert "spare-A" in body(response) and "spare-B" in body(response)
    assert as_persona("staff_a").get(f"/organizations/{zone_org.pk}/").status_code == 404
