"""Who sees and changes what over the REST API: every endpoint × every persona × an object in park A and one in B.

Personas as in tests/test_scoping_matrix.py (the pages): an administrator, staff of the zone (above both parks),
staff of park A, the park committee of A, a reader of A (API read-only) and a user with no role. Out-of-scope
objects are 404 and never appear in a body; writes by roles that may not write are 403 and change nothing.

The world is built once for the module (inside a transaction rolled back at the end); each test runs in its own
savepoint, so whatever a test writes is gone before the next one.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import openpyxl
import pytest
from django.core.cache import cache
from django.db import transaction
from rest_framework.test import APIClient

from members.models import Applicant, DevelopmentPlan, Instructor, InstructorAssignment, Member
from orgs.models import PartyOrganization
from registry.models import Area, Enterprise, ImportJob
from registry.periods import Quarter
from tests.factories import (
    AboveScalePeriodFactory,
    ApplicantFactory,
    AreaFactory,
    AssignmentFactory,
    DevelopmentPlanFactory,
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

CASES = [(persona, park) for persona in PERSONAS for park in PARKS]
Q = Quarter(2025, 3)
ID_NUMBERS = {"A": make_id_number(300), "B": make_id_number(301)}
MEMBER_PHONE = "13812345678"
INSTRUCTOR_PHONE = "13711112222"


@dataclass
class Park:
    area: Area
    firm: Enterprise
    spare: Enterprise  # operating, 规上, uncovered: for new links and assignments, and the drill-through
    org: PartyOrganization
    member: Member
    instructor: Instructor
    assignment: InstructorAssignment
    applicant: Applicant
    plan: DevelopmentPlan


@dataclass
class World:
    parks: dict[str, Park]
    users: dict


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    from reports.engine.recompute import recompute

    with django_db_blocker.unblock(), transaction.atomic():
        cache.clear()  # figures cached by other modules for areas of the same codes
        zone = AreaFactory(code="Z", kind="district", name="示范区")
        parks = {}
        for n, code in enumerate(PARKS):
            area = AreaFactory(code=code, parent=zone, name=f"园区{code}")
            firm = EnterpriseFactory(area=area, name=f"firm-{code}", credit_code=make_credit_code(100 + n))
            spare = EnterpriseFactory(area=area, name=f"spare-{code}", credit_code=make_credit_code(200 + n))
            for e in (firm, spare):
                AboveScalePeriodFactory(enterprise=e)
            org = OrganizationFactory(area=area, name=f"org-{code}")
            LinkFactory(organization=org, enterprise=firm)
            member = MemberFactory(
                organization=org,
                enterprise=firm,
                name=f"member-{code}",
                id_number=ID_NUMBERS[code],
                phone=MEMBER_PHONE,
            )
            instructor = InstructorFactory(area=area, name=f"instructor-{code}", phone=INSTRUCTOR_PHONE)
            assignment = AssignmentFactory(instructor=instructor, enterprise=firm)
            applicant = ApplicantFactory(organization=org, enterprise=firm, name=f"applicant-{code}")
            plan = DevelopmentPlanFactory(area=area, year=2024, planned=2)
            parks[code] = Park(area, firm, spare, org, member, instructor, assignment, applicant, plan)
        areas = {"Z": zone, "A": parks["A"].area, None: None}
        users = {
            persona: make_user(persona, role=role, area=areas[code])
            for persona, (role, code, _sees, _writes) in PERSONAS.items()
        }
        recompute(periods=[Q.previous(), Q])
        yield World(parks, users)
        transaction.set_rollback(True)
    cache.clear()


@pytest.fixture
def as_persona(world):
    def client_for(persona: str) -> APIClient:
        client = APIClient()
        client.force_authenticate(world.users[persona])
        return client

    return client_for


def sees(persona: str, park: str) -> bool:
    return park in PERSONAS[persona][2]


def writes(persona: str) -> bool:
    return PERSONAS[persona][3]


def read_status(persona: str, park: str) -> int:
    return 200 if sees(persona, park) else 404


def write_status(persona: str, park: str, success: int = 200) -> int:
    """Roles that may not write: 403 whatever the object; writers: 404 outside their subtree."""
    if not writes(persona):
        return 403
    return success if sees(persona, park) else 404


def create_status(persona: str, park: str) -> int:
    """Creating in another park: its area (organisation, instructor) is not a choice, a 400 on that field."""
    if not writes(persona):
        return 403
    return 201 if sees(persona, park) else 400


def text(response) -> str:
    return response.content.decode("utf-8", errors="replace")


# --- the records: list, retrieve, create, update, end, delete ---------------------------------------------------


@dataclass(frozen=True)
class Kind:
    url: str
    obj: object  # Park -> the record of that park
    label: object  # record -> a string that only its own responses hold
    create: object  # Park -> POST body
    created: object  # () -> how many rows the create made
    end: object  # (body, record -> has it ended?)
    model: type


KINDS = {
    "enterprises": Kind(
        "/api/v1/enterprises/",
        lambda p: p.firm,
        lambda o: o.name,
        lambda p: {
            "name": "created",
            "credit_code": make_credit_code(999),
            "category": "enterprise",
            "area": p.area.code,
            "established_on": "2015-01-01",
        },
        lambda: Enterprise.objects.filter(name="created").count(),
        ({"deregistered_on": "2024-01-01"}, lambda o: o.deregistered_on == dt.date(2024, 1, 1)),
        Enterprise,
    ),
    "organizations": Kind(
        "/api/v1/organizations/",
        lambda p: p.org,
        lambda o: o.name,
        lambda p: {
            "name": "created",
            "kind": "branch",
            "setup": "single",
            "area": p.area.code,
            "founded_on": "2018-01-01",
            "enterprises": [p.spare.pk],
        },
        lambda: PartyOrganization.objects.filter(name="created").count(),
        ({"dissolved_on": "2024-01-01"}, lambda o: o.dissolved_on == dt.date(2024, 1, 1)),
        PartyOrganization,
    ),
    "members": Kind(
        "/api/v1/members/",
        lambda p: p.member,
        lambda o: o.name,
        lambda p: {
            "name": "created",
            "gender": "F",
            "ethnicity": "汉族",
            "birth_date": "1990-01-01",
            "education": "bachelor",
            "id_number": make_id_number(999, born=dt.date(1990, 1, 1), male=False),
            "category": "full",
            "joined_on": "2020-01-01",
            "organization": p.org.pk,
            "enterprise": p.firm.pk,
        },
        lambda: Member.objects.filter(name="created").count(),
        (
            {"ended_on": "2024-01-01", "end_reason": "transfer_out"},
            lambda o: o.ended_on == dt.date(2024, 1, 1),
        ),
        Member,
    ),
    "instructors": Kind(
        "/api/v1/instructors/",
        lambda p: p.instructor,
        lambda o: o.name,
        lambda p: {"name": "created", "unit": "区委组织部", "area": p.area.code},
        lambda: Instructor.objects.filter(name="created").count(),
        ({"ended_on": "2024-01-01"}, lambda o: o.ended_on == dt.date(2024, 1, 1)),
        Instructor,
    ),
    "instructor-assignments": Kind(
        "/api/v1/instructor-assignments/",
        lambda p: p.assignment,
        lambda o: f'"instructor":{o.instructor_id},',
        lambda p: {"instructor": p.instructor.pk, "enterprise": p.spare.pk, "start": "2024-01-01"},
        lambda: InstructorAssignment.objects.filter(start=dt.date(2024, 1, 1)).count(),
        ({"end": "2024-06-01"}, lambda o: o.end == dt.date(2024, 6, 1)),
        InstructorAssignment,
    ),
    "applicants": Kind(
        "/api/v1/applicants/",
        lambda p: p.applicant,
        lambda o: o.name,
        lambda p: {
            "name": "created",
            "gender": "F",
            "ethnicity": "汉族",
            "birth_date": "1990-01-01",
            "education": "bachelor",
            "id_number": make_id_number(998, born=dt.date(1990, 1, 1), male=False),
            "organization": p.org.pk,
            "enterprise": p.firm.pk,
            "applied_on": "2023-01-01",
        },
        lambda: Applicant.objects.filter(name="created").count(),
        (
            {"withdrawn_on": "2024-01-01", "withdraw_reason": "本人申请"},
            lambda o: o.withdrawn_on == dt.date(2024, 1, 1),
        ),
        Applicant,
    ),
    "development-plans": Kind(
        "/api/v1/development-plans/",
        lambda p: p.plan,
        lambda o: f'"year":{o.year},"planned":{o.planned}',
        lambda p: {"area": p.area.code, "year": 2025, "planned": 3},
        lambda: DevelopmentPlan.objects.filter(year=2025).count(),
        ({"planned": 5}, lambda o: o.planned == 5),
        DevelopmentPlan,
    ),
}
RENAMABLE = [k for k in KINDS if k not in ("instructor-assignments", "development-plans")]


def reload(kind: Kind, park: Park):
    return kind.model.objects.get(pk=kind.obj(park).pk)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("persona,park", CASES)
def test_list(as_persona, world, persona, park, kind):
    k = KINDS[kind]
    target = k.obj(world.parks[park])
    response = as_persona(persona).get(k.url, {"page_size": 1000})
    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    assert (target.pk in ids) is sees(persona, park)
    per_park = 2 if kind == "enterprises" else 1  # a firm and a spare
    assert response.json()["count"] == per_park * len(PERSONAS[persona][2])


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("persona,park", CASES)
def test_retrieve(as_persona, world, persona, park, kind):
    k = KINDS[kind]
    target = k.obj(world.parks[park])
    response = as_persona(persona).get(f"{k.url}{target.pk}/")
    assert response.status_code == read_status(persona, park)
    if response.status_code == 200:
        assert response.json()["id"] == target.pk
    else:
        assert k.label(target) not in text(response)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("persona,park", CASES)
def test_create(as_persona, world, persona, park, kind):
    k = KINDS[kind]
    response = as_persona(persona).post(k.url, k.create(world.parks[park]), format="json")
    expected = create_status(persona, park)
    assert response.status_code == expected, text(response)[:500]
    assert k.created() == (1 if expected == 201 else 0)
    if expected == 400:
        assert "不存在" in text(response) or "无效" in text(response), text(response)


@pytest.mark.parametrize("kind", RENAMABLE)
@pytest.mark.parametrize("persona,park", CASES)
def test_update(as_persona, world, persona, park, kind):
    k = KINDS[kind]
    p = world.parks[park]
    response = as_persona(persona).patch(f"{k.url}{k.obj(p).pk}/", {"name": "renamed"}, format="json")
    expected = write_status(persona, park)
    assert response.status_code == expected, text(response)[:500]
    assert (reload(k, p).name == "renamed") is (expected == 200)
    if expected != 200:
        assert k.label(k.obj(p)) not in text(response)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("persona,park", CASES)
def test_end(as_persona, world, persona, park, kind):
    k = KINDS[kind]
    p = world.parks[park]
    body, ended = k.end
    response = as_persona(persona).patch(f"{k.url}{k.obj(p).pk}/", body, format="json")
    expected = write_status(persona, park)
    assert response.status_code == expected, text(response)[:500]
    assert ended(reload(k, p)) is (expected == 200)


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("persona,park", CASES)
def test_delete_is_never_offered(as_persona, world, persona, park, kind):
    k = KINDS[kind]
    p = world.parks[park]
    response = as_persona(persona).delete(f"{k.url}{k.obj(p).pk}/")
    assert response.status_code == (405 if writes(persona) else 403)
    assert k.model.objects.filter(pk=k.obj(p).pk).exists()


# --- areas ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona,park", CASES)
def test_areas(as_persona, world, persona, park):
    client = as_persona(persona)
    codes = [a["code"] for a in client.get("/api/v1/areas/").json()["results"]]
    assert (park in codes) is sees(persona, park)
    assert client.get(f"/api/v1/areas/{park}/").status_code == read_status(persona, park)
    response = client.post(
        "/api/v1/areas/",
        {"code": f"N{park}", "name": "新社区", "kind": "community", "parent": park},
        format="json",
    )
    expected = create_status(persona, park)
    assert response.status_code == expected, text(response)[:500]
    assert Area.objects.filter(code=f"N{park}").exists() is (expected == 201)


# --- personal data: masked in lists and downloads, revealed only on an explicit retrieve ------------------------


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
@pytest.mark.parametrize("persona,park", CASES)
def test_member_list_downloads_are_scoped_and_masked(as_persona, world, persona, park, fmt):
    response = as_persona(persona).get("/api/v1/members/", {"format": fmt, "reveal": "true"})
    assert response.status_code == 200
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        body = "\n".join(
            ",".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True)
        )
    else:
        body = text(response)
    assert (f"member-{park}" in body) is sees(persona, park)
    assert ID_NUMBERS[park] not in body
    assert MEMBER_PHONE not in body


REVEALS = {
    "members": (lambda p: p.member, lambda p: p.member.id_number),
    "instructors": (lambda p: p.instructor, lambda p: p.instructor.phone),
}


@pytest.mark.parametrize("kind", list(REVEALS))
@pytest.mark.parametrize("persona,park", CASES)
def test_reveal(as_persona, world, persona, park, kind):
    obj, secret = REVEALS[kind]
    p = world.parks[park]
    client = as_persona(persona)
    plain = client.get(f"/api/v1/{kind}/{obj(p).pk}/")
    assert secret(p) not in text(plain)
    response = client.get(f"/api/v1/{kind}/{obj(p).pk}/", {"reveal": "true"})
    expected = write_status(persona, park)  # the roles that reveal are the roles that write
    assert response.status_code == expected
    assert (secret(p) in text(response)) is (expected == 200)


# --- coverage statistics, drill-through, series, quarterly report -----------------------------------------------

INDICATOR = "org-coverage-above-scale"
STATS = {
    # name: (url, query, "what only this park's answer holds")
    "coverage": ("/api/v1/coverage/", {"period": str(Q)}, lambda p, r: r.json()["area"] == p.area.code),
    "coverage-date": (
        "/api/v1/coverage/",
        {"date": "2025-09-30"},
        lambda p, r: r.json()["area"] == p.area.code,
    ),
    "coverage-csv": (
        "/api/v1/coverage/",
        {"period": str(Q), "format": "csv"},
        lambda p, r: p.area.code in text(r),
    ),
    "drill": (
        "/api/v1/coverage/enterprises/",
        {"period": str(Q), "indicator": INDICATOR, "part": "denominator"},
        lambda p, r: [e["name"] for e in r.json()["results"]] == [p.firm.name, p.spare.name],
    ),
    "drill-live": (
        "/api/v1/coverage/enterprises/",
        {"date": "2025-09-30", "indicator": INDICATOR, "part": "denominator"},
        lambda p, r: [e["name"] for e in r.json()["results"]] == [p.firm.name, p.spare.name],
    ),
    "series": (
        "/api/v1/coverage/series/",
        {"indicator": INDICATOR},
        lambda p, r: [s["period"] for s in r.json()["results"]] == [str(Q.previous()), str(Q)],
    ),
    "quarterly-xlsx": (
        "/api/v1/reports/quarterly/",
        {"period": str(Q)},
        lambda p, r: b"".join(r.streaming_content)[:2] == b"PK",
    ),
    "quarterly-html": (
        "/api/v1/reports/quarterly/",
        {"period": str(Q), "format": "html"},
        lambda p, r: p.area.name in text(r),
    ),
}


@pytest.mark.parametrize("stat", list(STATS))
@pytest.mark.parametrize("persona,park", CASES)
def test_stats(as_persona, world, persona, park, stat):
    url, query, holds = STATS[stat]
    p = world.parks[park]
    response = as_persona(persona).get(url, {**query, "area": park})
    assert response.status_code == read_status(persona, park), text(response)[:500]
    if response.status_code == 200:
        assert holds(p, response)
    else:
        assert p.area.name not in text(response)
        assert p.spare.name not in text(response)


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_stats_without_area_answer_for_the_callers_own_area(as_persona, world, persona):
    response = as_persona(persona).get("/api/v1/coverage/", {"period": str(Q)})
    if persona == "no_role":
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert response.json()["area"] == {None: "Z", "Z": "Z", "A": "A"}[PERSONAS[persona][1]]


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_indicator_definitions_are_readable_by_every_user(as_persona, world, persona):
    response = as_persona(persona).get("/api/v1/coverage/indicators/")
    assert response.status_code == 200
    assert INDICATOR in [i["code"] for i in response.json()["results"]]


# --- imports ----------------------------------------------------------------------------------------------------

IMPORT_KINDS = ["enterprises", "organizations", "members", "assignments"]


@pytest.mark.parametrize("kind", IMPORT_KINDS)
@pytest.mark.parametrize("persona", list(PERSONAS))
def test_import_templates_hold_no_data(as_persona, world, persona, kind):
    """A template is headers, an example and notes: the same for everyone, with nobody's records in it."""
    response = as_persona(persona).get(f"/api/v1/imports/{kind}/template/")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = " ".join(str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row if v)
    for p in world.parks.values():
        assert p.firm.name not in cells and p.member.name not in cells


ENTERPRISE_HEADERS = ["统一社会信用代码", "单位名称", "类别", "经济类型", "区域代码", "规模以上", "成立日期"]


def enterprise_upload(area_code: str) -> io.BytesIO:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(ENTERPRISE_HEADERS)
    sheet.append(
        [make_credit_code(998), "imported", "非公企业", "私营企业", area_code, "否", dt.date(2020, 1, 1)]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "upload.xlsx"
    return buffer


@pytest.mark.parametrize("persona,park", CASES)
def test_import_dry_run(as_persona, world, persona, park):
    before = Enterprise.objects.count()
    response = as_persona(persona).post(
        "/api/v1/imports/enterprises/",
        {"file": enterprise_upload(park), "dry_run": "true"},
        format="multipart",
    )
    if not writes(persona):
        assert response.status_code == 403
    elif sees(persona, park):
        assert response.status_code == 200, text(response)[:500]
        body = response.json()
        assert (body["dry_run"], body["applied"], body["errors"]) == (True, False, [])
        assert [row["action"] for row in body["rows"]] == ["create"]
    else:
        assert response.status_code == 400
        assert [e["message"] for e in response.json()["errors"]] == [f"区域“{park}”不在您的管辖范围内。"]
    assert Enterprise.objects.count() == before
    assert not Enterprise.objects.filter(name="imported").exists()


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_import_jobs_are_seen_by_their_owner_and_admins(as_persona, world, persona):
    job = ImportJob.objects.create(kind="enterprises", created_by=world.users["staff_a"])
    response = as_persona(persona).get(f"/api/v1/imports/jobs/{job.pk}/")
    assert response.status_code == (200 if persona in ("admin", "staff_a") else 404)


def test_matrix_is_large_enough():
    per_case = (
        len(KINDS) * 4  # list, retrieve, create, end, delete (minus update of assignments below)
        + len(KINDS)
        + len(RENAMABLE)
        + 1  # areas
        + 3  # member list downloads
        + len(REVEALS)
        + len(STATS)
        + 1  # import dry run
    )
    per_persona = 2 + len(IMPORT_KINDS) + 1
    assert per_case * len(CASES) + per_persona * len(PERSONAS) >= 120
