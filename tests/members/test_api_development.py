"""发展党员 over REST (issue 13): ``applicants/`` with ``advance/``, ``development-plans/`` and ``development/``.

Every write goes through members.services; a broken rule is a Chinese 400 that saves nothing. Applicants are seen
where the organisation training them is: a park's users see its applicants only (404 elsewhere). ID numbers and
phones are masked wherever they are read, downloads included.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from members import services
from members.models import Applicant, DevelopmentPlan, Member
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    make_id_number,
    make_user,
)

pytestmark = pytest.mark.django_db

APPLICANTS = "/api/v1/applicants/"
PLANS = "/api/v1/development-plans/"
DEVELOPMENT = "/api/v1/development/"
BORN = dt.date(1995, 6, 1)
PHONE = "13812345678"
CONTRACT = [
    "id",
    "name",
    "gender",
    "birth_date",
    "education",
    "ethnicity",
    "id_number",
    "phone",
    "organization",
    "enterprise",
    "applied_on",
    "activist_on",
    "candidate_on",
    "admitted_on",
    "withdrawn_on",
    "withdraw_reason",
    "stage",
    "member",
]


def id_number(n: int) -> str:
    return make_id_number(n, born=BORN)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", name="开发区", kind="district")
    park = AreaFactory(code="P1", name="一园", parent=zone)
    other = AreaFactory(code="P2", name="二园", parent=zone)
    org = OrganizationFactory(area=park, name="甲公司党支部", founded_on=dt.date(2018, 1, 1))
    far = OrganizationFactory(area=other, name="二园党支部", founded_on=dt.date(2018, 1, 1))
    firm = EnterpriseFactory(area=park, name="甲公司")
    return {"zone": zone, "park": park, "other": other, "org": org, "far": far, "firm": firm}


@pytest.fixture
def admin():
    return client_for(make_user("root", role="admin"))


def applicant_body(world, n: int = 1, **overrides) -> dict:
    body = {
        "name": f"申请人{n}",
        "gender": "M",
        "birth_date": BORN.isoformat(),
        "education": "bachelor",
        "id_number": id_number(n),
        "phone": PHONE,
        "organization": world["org"].pk,
        "enterprise": world["firm"].pk,
        "applied_on": "2021-03-01",
    }
    body.update(overrides)
    return body


def new_applicant(org, n: int, **fields) -> Applicant:
    data = {
        "name": f"申请人{n}",
        "gender": "M",
        "birth_date": BORN,
        "education": "bachelor",
        "id_number": id_number(n),
        "phone": PHONE,
        "organization": org,
        "applied_on": dt.date(2021, 3, 1),
    }
    data.update(fields)
    return services.create_applicant(**data)


def advance_url(applicant) -> str:
    return f"{APPLICANTS}{applicant.pk}/advance/"


def counts() -> tuple[int, int, int]:
    return Applicant.objects.count(), Member.objects.count(), DevelopmentPlan.objects.count()


# --- applicants/: the contract, masking, rules as 400s ------------------------------------------------------------


def test_create_returns_the_contract_with_personal_data_masked(admin, world):
    response = admin.post(APPLICANTS, applicant_body(world), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert list(body) == CONTRACT
    applicant = Applicant.objects.get()
    assert body == {
        "id": applicant.pk,
        "name": "申请人1",
        "gender": "M",
        "birth_date": "1995年",  # the year only, as the ID number is masked
        "education": "bachelor",
        "ethnicity": "汉族",
        "id_number": applicant.masked_id_number,
        "phone": applicant.masked_phone,
        "organization": world["org"].pk,
        "enterprise": world["firm"].pk,
        "applied_on": "2021-03-01",
        "activist_on": None,
        "candidate_on": None,
        "admitted_on": None,
        "withdrawn_on": None,
        "withdraw_reason": "",
        "stage": "applicant",
        "member": None,
    }
    assert applicant.id_number == id_number(1) and applicant.phone == PHONE
    assert id_number(1) not in response.content.decode() and PHONE not in response.content.decode()
    assert response["ETag"]


def test_a_file_entered_further_on_shows_its_stage(admin, world):
    body = applicant_body(world, activist_on="2021-06-01", candidate_on="2022-06-01")
    response = admin.post(APPLICANTS, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["stage"] == "candidate"


@pytest.mark.parametrize(
    "overrides,errors",
    [
        ({"applied_on": "2013-05-31"}, {"applied_on": ["递交入党申请时应年满十八岁（2013-06-01 起）。"]}),
        ({"candidate_on": "2022-06-01"}, {"candidate_on": ["不能跳过“确定为入党积极分子”。"]}),
        (
            {"activist_on": "2021-06-01", "candidate_on": "2022-05-31"},
            {"candidate_on": ["入党积极分子须培养考察一年以上，最早可于 2022-06-01 列为发展对象。"]},
        ),
        ({"withdrawn_on": "2022-01-01"}, {"withdraw_reason": ["终止时必须填写原因。"]}),
        ({"name": "张\x00三"}, None),
        ({"withdraw_reason": "原因\x1b"}, None),
        ({"id_number": id_number(1)[:17] + "0"}, None),
    ],
)
def test_invalid_input_is_a_chinese_400_that_saves_nothing(admin, world, overrides, errors):
    before = counts()
    response = admin.post(APPLICANTS, applicant_body(world, **overrides), format="json")
    assert response.status_code == 400, response.content
    if errors is not None:
        assert response.json() == errors
    else:
        assert list(response.json()) == list(overrides)  # the field named, in Chinese
        assert all("\u4e00" <= ch <= "\u9fff" for ch in response.json()[next(iter(overrides))][0][:2])
    assert counts() == before


def test_one_open_file_per_id_number(admin, world):
    assert admin.post(APPLICANTS, applicant_body(world), format="json").status_code == 201
    response = admin.post(APPLICANTS, applicant_body(world, name="又一次"), format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["该身份证号码已有未终止的入党申请记录。"]}
    assert Applicant.objects.count() == 1


def test_admitted_on_is_read_only_and_delete_is_not_offered(admin, world):
    applicant = new_applicant(
        world["org"], 1, activist_on=dt.date(2021, 6, 1), candidate_on=dt.date(2022, 6, 1)
    )
    url = f"{APPLICANTS}{applicant.pk}/"
    response = admin.patch(url, {"admitted_on": "2023-01-01", "name": "改名"}, format="json")
    assert response.status_code == 200
    assert (response.json()["admitted_on"], response.json()["name"]) == (None, "改名")
    assert Applicant.objects.get().admitted_on is None and Member.objects.count() == 0
    assert admin.delete(url).status_code == 405
    assert Applicant.objects.filter(pk=applicant.pk).exists()


def test_a_masked_id_number_sent_back_keeps_the_stored_one(admin, world):
    applicant = new_applicant(world["org"], 1)
    url = f"{APPLICANTS}{applicant.pk}/"
    body = admin.get(url).json()
    body["name"] = "改名"
    response = admin.put(url, body, format="json")
    assert response.status_code == 200, response.content
    applicant.refresh_from_db()
    assert (applicant.name, applicant.id_number, applicant.phone) == ("改名", id_number(1), PHONE)


def test_withdrawal_over_the_api(admin, world):
    applicant = new_applicant(world["org"], 1)
    response = admin.patch(
        f"{APPLICANTS}{applicant.pk}/",
        {"withdrawn_on": "2022-01-01", "withdraw_reason": "本人申请"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["stage"] == "withdrawn"


def test_if_match_refuses_a_stale_update(admin, world):
    applicant = new_applicant(world["org"], 1)
    url = f"{APPLICANTS}{applicant.pk}/"
    etag = admin.get(url)["ETag"]
    assert admin.patch(url, {"name": "甲"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    response = admin.patch(url, {"name": "乙"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert Applicant.objects.get().name == "甲"


# --- advance/ -----------------------------------------------------------------------------------------------------


def test_advance_one_stage_at_a_time_to_admission(admin, world):
    applicant = new_applicant(world["org"], 1, enterprise=world["firm"])
    steps = [("activist", "2021-03-01"), ("candidate", "2022-03-01"), ("admitted", "2022-09-01")]
    for stage, on in steps:
        response = admin.post(advance_url(applicant), {"stage": stage, "on": on}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["stage"] == stage
        assert response["ETag"]
    body = response.json()
    member = Member.objects.get()
    assert (body["admitted_on"], body["member"]) == ("2022-09-01", member.pk)
    assert body["id_number"] == applicant.masked_id_number
    assert (member.category, member.joined_party_on, member.organization, member.enterprise) == (
        "probationary",
        dt.date(2022, 9, 1),
        world["org"],
        world["firm"],
    )
    assert list(member.memberships.values_list("organization", "start")) == [
        (world["org"].pk, dt.date(2022, 9, 1))
    ]


@pytest.mark.parametrize(
    "fields,body,errors",
    [
        # One day too early at each step.
        (
            {},
            {"stage": "activist", "on": "2021-02-28"},
            {"on": ["确定为入党积极分子日期不能早于递交入党申请日期（2021-03-01）。"]},
        ),
        (
            {"activist_on": dt.date(2021, 6, 1)},
            {"stage": "candidate", "on": "2022-05-31"},
            {"on": ["入党积极分子须培养考察一年以上，最早可于 2022-06-01 列为发展对象。"]},
        ),
        (
            {"activist_on": dt.date(2021, 6, 1), "candidate_on": dt.date(2022, 6, 1)},
            {"stage": "admitted", "on": "2022-05-31"},
            {"on": ["接收为预备党员日期不能早于确定为发展对象日期（2022-06-01）。"]},
        ),
        # Skipping, the organisation not existing that day, a withdrawn file.
        ({}, {"stage": "admitted", "on": "2023-01-01"}, {"stage": ["不能跳过“入党积极分子”阶段。"]}),
        ({}, {"stage": "activist", "on": "2017-12-31"}, {"on": ["培养党组织在 2017-12-31 不存续。"]}),
        (
            {"withdrawn_on": dt.date(2021, 5, 1), "withdraw_reason": "本人申请"},
            {"stage": "activist", "on": "2021-06-01"},
            {"stage": ["该入党申请已终止，不能继续发展。"]},
        ),
        # What the serializer refuses before any rule.
        ({}, {"stage": "withdrawn", "on": "2021-06-01"}, {"stage": ["“withdrawn” 不是合法选项。"]}),
        ({}, {"stage": "activist", "on": "2021-13-01"}, None),
        ({}, {"stage": "activist"}, {"on": ["该字段是必填项。"]}),
    ],
)
def test_advance_refusals_are_chinese_400s_that_change_nothing(admin, world, fields, body, errors):
    applicant = new_applicant(world["org"], 1, **fields)
    before = (counts(), Applicant.objects.values().get())
    response = admin.post(advance_url(applicant), body, format="json")
    assert response.status_code == 400, response.content
    if errors is not None:
        assert response.json() == errors
    else:
        assert list(response.json()) == ["on"]
    assert (counts(), Applicant.objects.values().get()) == before


def test_advance_on_a_day_the_training_organisation_did_not_exist(admin, world):
    young = OrganizationFactory(area=world["park"], founded_on=dt.date(2021, 4, 1))
    applicant = new_applicant(young, 1, applied_on=dt.date(2021, 3, 1))
    response = admin.post(advance_url(applicant), {"stage": "activist", "on": "2021-03-31"}, format="json")
    assert (response.status_code, response.json()) == (400, {"on": ["培养党组织在 2021-03-31 不存续。"]})
    response = admin.post(advance_url(applicant), {"stage": "activist", "on": "2021-04-01"}, format="json")
    assert (response.status_code, response.json()["activist_on"]) == (200, "2021-04-01")


def test_admitting_someone_already_a_member_is_refused(admin, world):
    MemberFactory(id_number=id_number(5), birth_date=BORN, organization=world["far"])
    applicant = new_applicant(
        world["org"], 5, activist_on=dt.date(2021, 6, 1), candidate_on=dt.date(2022, 6, 1)
    )
    before = counts()
    response = admin.post(advance_url(applicant), {"stage": "admitted", "on": "2022-07-01"}, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"stage": ["该身份证号码已在党员名册中，不能重复接收。"]},
    )
    assert counts() == before
    assert Applicant.objects.get().admitted_on is None


# --- scoping: a park's users see its applicants only ----------------------------------------------------------


@pytest.fixture
def two_parks(world):
    mine = new_applicant(world["org"], 1, name="一园申请人")
    theirs = new_applicant(world["far"], 2, name="二园申请人")
    return mine, theirs


@pytest.mark.parametrize("role", ["park", "staff", "reader"])
def test_a_park_user_sees_only_its_parks_applicants(world, two_parks, role):
    mine, theirs = two_parks
    client = client_for(make_user("p1", role=role, area=world["park"]))
    response = client.get(APPLICANTS)
    assert [row["name"] for row in response.json()["results"]] == ["一园申请人"]
    assert client.get(f"{APPLICANTS}{mine.pk}/").status_code == 200
    outside = client.get(f"{APPLICANTS}{theirs.pk}/")
    assert outside.status_code == 404 and "二园申请人" not in outside.content.decode()
    assert client.get(APPLICANTS, {"organization": world["far"].pk}).status_code == 400
    assert client.get(APPLICANTS, {"area": "P2"}).status_code == 400


def test_park_staff_write_in_their_park_only(world, two_parks):
    mine, theirs = two_parks
    client = client_for(make_user("p1", role="staff", area=world["park"]))
    before = counts()
    response = client.post(APPLICANTS, applicant_body(world, 3, organization=world["far"].pk), format="json")
    assert response.status_code == 400 and list(response.json()) == ["organization"]
    assert counts() == before
    assert client.patch(f"{APPLICANTS}{theirs.pk}/", {"name": "改"}, format="json").status_code == 404
    assert (
        client.post(advance_url(theirs), {"stage": "activist", "on": "2021-06-01"}, format="json").status_code
        == 404
    )
    assert Applicant.objects.get(pk=theirs.pk).activist_on is None
    assert client.post(APPLICANTS, applicant_body(world, 3), format="json").status_code == 201
    response = client.post(advance_url(mine), {"stage": "activist", "on": "2021-06-01"}, format="json")
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["park", "reader"])
def test_read_only_roles_cannot_advance_or_create(world, two_parks, role):
    mine, _theirs = two_parks
    client = client_for(make_user("p1", role=role, area=world["park"]))
    assert (
        client.post(advance_url(mine), {"stage": "activist", "on": "2021-06-01"}, format="json").status_code
        == 403
    )
    assert client.post(APPLICANTS, applicant_body(world, 3), format="json").status_code == 403
    assert Applicant.objects.get(pk=mine.pk).activist_on is None and Applicant.objects.count() == 2


def test_zone_staff_see_both_parks(world, two_parks):
    client = client_for(make_user("z", role="staff", area=world["zone"]))
    names = sorted(row["name"] for row in client.get(APPLICANTS).json()["results"])
    assert names == ["一园申请人", "二园申请人"]


# --- filters ------------------------------------------------------------------------------------------------------


def test_filters_area_stage_organization(admin, world):
    new_applicant(world["org"], 1, name="申请人")
    new_applicant(world["org"], 2, name="积极分子", activist_on=dt.date(2021, 6, 1))
    new_applicant(world["far"], 3, name="二园积极分子", activist_on=dt.date(2021, 6, 1))
    new_applicant(
        world["org"], 4, name="已终止", withdrawn_on=dt.date(2022, 1, 1), withdraw_reason="本人申请"
    )
    admitted = new_applicant(
        world["org"], 5, name="已接收", activist_on=dt.date(2021, 6, 1), candidate_on=dt.date(2022, 6, 1)
    )
    services.advance_applicant(applicant=admitted, stage="admitted", on=dt.date(2022, 7, 1))

    def names(**query) -> list[str]:
        response = admin.get(APPLICANTS, query)
        assert response.status_code == 200, response.content
        return sorted(row["name"] for row in response.json()["results"])

    assert names(area="P1") == ["已接收", "已终止", "申请人", "积极分子"]
    assert names(area="P2") == ["二园积极分子"]
    assert names(area="Z") == ["二园积极分子", "已接收", "已终止", "申请人", "积极分子"]
    assert names(stage="activist") == ["二园积极分子", "积极分子"]
    assert names(stage="activist", area="P1") == ["积极分子"]
    assert names(stage="applicant") == ["申请人"]
    assert names(stage="withdrawn") == ["已终止"]
    assert names(stage="admitted") == ["已接收"]
    assert names(stage="candidate") == []
    assert names(organization=world["far"].pk) == ["二园积极分子"]
    assert admin.get(APPLICANTS, {"stage": "member"}).status_code == 400
    assert admin.get(APPLICANTS, {"area": "NOPE"}).status_code == 400


# --- masking in every read: list, retrieve, CSV, XLSX; reveal on an explicit retrieve ------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_id_numbers_and_phones_are_masked_in_lists_and_downloads(admin, world, fmt):
    applicant = new_applicant(world["org"], 1, name="申请人甲")
    response = admin.get(APPLICANTS, {"format": fmt, "reveal": "true"})
    assert response.status_code == 200
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        body = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows)
        record = dict(zip(rows[0], rows[1], strict=True))
    elif fmt == "csv":
        body = response.content.decode("utf-8-sig")
        record = next(csv.DictReader(io.StringIO(body)))
    else:
        body = response.content.decode()
        record = response.json()["results"][0]
    assert record["name"] == "申请人甲"
    assert (record["id_number"], record["phone"]) == (applicant.masked_id_number, applicant.masked_phone)
    assert id_number(1) not in body and PHONE not in body


def test_retrieve_is_masked_and_reveal_is_for_writing_roles_only(admin, world):
    applicant = new_applicant(world["org"], 1)
    url = f"{APPLICANTS}{applicant.pk}/"
    assert admin.get(url).json()["id_number"] == applicant.masked_id_number
    revealed = admin.get(url, {"reveal": "true"})
    assert (revealed.json()["id_number"], revealed.json()["phone"]) == (id_number(1), PHONE)
    park = client_for(make_user("p1", role="park", area=world["park"]))
    assert park.get(url, {"reveal": "true"}).status_code == 403
    assert id_number(1) not in park.get(url).content.decode()
    reveals = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__event="reveal")
    assert [(e.object_pk, e.actor.username) for e in reveals] == [(str(applicant.pk), "root")]


def test_writes_are_logged_with_the_caller_and_masked(admin, world):
    response = admin.post(APPLICANTS, applicant_body(world), format="json")
    applicant = Applicant.objects.get(pk=response.json()["id"])
    admin.post(advance_url(applicant), {"stage": "activist", "on": "2021-06-01"}, format="json")
    entries = LogEntry.objects.get_for_object(applicant).order_by("timestamp")
    assert [(e.action, e.actor.username) for e in entries] == [
        (LogEntry.Action.CREATE, "root"),
        (LogEntry.Action.UPDATE, "root"),
    ]
    assert entries[1].changes_dict["activist_on"] == ["None", "2021-06-01"]
    logged = " ".join(str(e.changes) for e in entries)
    assert id_number(1) not in logged and PHONE not in logged


# --- query counts -------------------------------------------------------------------------------------------------


def test_list_queries_do_not_grow_with_the_page_size(world):
    client = client_for(make_user("z", role="staff", area=world["zone"]))
    for n in range(12):
        new_applicant(world["org"] if n % 2 else world["far"], n + 1, enterprise=world["firm"])

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(APPLICANTS, {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(captured)

    queries(1)  # the caller's role and area are read once per user
    assert queries(2) == queries(12)


# --- development-plans/ -------------------------------------------------------------------------------------------


def test_plans_one_per_area_and_year(admin, world):
    response = admin.post(PLANS, {"area": "P1", "year": 2025, "planned": 4}, format="json")
    assert response.status_code == 201, response.content
    plan = DevelopmentPlan.objects.get()
    assert response.json() == {"id": plan.pk, "area": "P1", "year": 2025, "planned": 4}
    second = admin.post(PLANS, {"area": "P1", "year": 2025, "planned": 5}, format="json")
    assert second.status_code == 400
    assert second.json() == {"non_field_errors": ["该区域该年度已有发展党员计划。"]}
    assert list(DevelopmentPlan.objects.values_list("planned", flat=True)) == [4]
    # Moving another plan onto the same area and year is the same 400.
    other = admin.post(PLANS, {"area": "P1", "year": 2026, "planned": 6}, format="json").json()
    moved = admin.patch(f"{PLANS}{other['id']}/", {"year": 2025}, format="json")
    assert (moved.status_code, moved.json()) == (
        400,
        {"non_field_errors": ["该区域该年度已有发展党员计划。"]},
    )
    assert DevelopmentPlan.objects.get(pk=other["id"]).year == 2026
    assert admin.patch(f"{PLANS}{plan.pk}/", {"planned": 7}, format="json").json()["planned"] == 7
    assert admin.delete(f"{PLANS}{plan.pk}/").status_code == 405
    assert DevelopmentPlan.objects.count() == 2


@pytest.mark.parametrize(
    "body,field",
    [
        ({"area": "P1", "year": 1899, "planned": 1}, "year"),
        ({"area": "P1", "year": 2025, "planned": -1}, "planned"),
        ({"area": "NOPE", "year": 2025, "planned": 1}, "area"),
        ({"area": "P\x001", "year": 2025, "planned": 1}, "area"),
    ],
)
def test_plan_input_errors(admin, world, body, field):
    response = admin.post(PLANS, body, format="json")
    assert response.status_code == 400 and list(response.json()) == [field]
    assert DevelopmentPlan.objects.count() == 0


def test_plans_are_scoped_to_the_subtree(world):
    for code, planned in (("Z", 10), ("P1", 4), ("P2", 2)):
        services.create_plan(
            area=world[{"Z": "zone", "P1": "park", "P2": "other"}[code]], year=2025, planned=planned
        )
    client = client_for(make_user("p1", role="staff", area=world["park"]))
    rows = client.get(PLANS).json()["results"]
    assert [(r["area"], r["planned"]) for r in rows] == [("P1", 4)]
    theirs = DevelopmentPlan.objects.get(area=world["other"])
    assert client.get(f"{PLANS}{theirs.pk}/").status_code == 404
    assert client.patch(f"{PLANS}{theirs.pk}/", {"planned": 9}, format="json").status_code == 404
    response = client.post(PLANS, {"area": "P2", "year": 2026, "planned": 1}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["area"]
    assert DevelopmentPlan.objects.get(pk=theirs.pk).planned == 2 and DevelopmentPlan.objects.count() == 3
    admin = client_for(make_user("root", role="admin"))
    assert [r["area"] for r in admin.get(PLANS, {"area": "P2"}).json()["results"]] == ["P2"]
    assert len(admin.get(PLANS, {"year": 2025}).json()["results"]) == 3
    assert admin.get(PLANS, {"year": 2024}).json()["results"] == []
    assert admin.get(PLANS, {"year": "20x5"}).status_code == 400


# --- development/ -------------------------------------------------------------------------------------------------


@pytest.fixture
def pipeline(world):
    """Plans at two levels (district 10, parks 4 and 2) and people at every stage of 2025:

    P1: A applied 2025-03-01; B activist from 2025-08-01; C candidate since 2025-02-01; D admitted 2025-05-01;
    F activist since 2024-03-01; W applied 2024, withdrawn 2025-09-01. P2: E candidate since 2024-06-01, admitted
    2025-10-01. On 2025-06-15: applicants A, B, W; activists F; candidates C, E; admitted D.
    On 2025-12-31: applicants A; activists B, F; candidates C; admitted D, E."""
    org, far = world["org"], world["far"]
    for area, planned in ((world["zone"], 10), (world["park"], 4), (world["other"], 2)):
        services.create_plan(area=area, year=2025, planned=planned)
    new_applicant(org, 1, applied_on=dt.date(2025, 3, 1))
    b = new_applicant(org, 2, applied_on=dt.date(2024, 1, 1))
    services.advance_applicant(applicant=b, stage="activist", on=dt.date(2025, 8, 1))
    new_applicant(
        org,
        3,
        applied_on=dt.date(2023, 1, 1),
        activist_on=dt.date(2024, 1, 1),
        candidate_on=dt.date(2025, 2, 1),
    )
    for n, organization, admitted_on in ((4, org, dt.date(2025, 5, 1)), (5, far, dt.date(2025, 10, 1))):
        person = new_applicant(
            organization, n, activist_on=dt.date(2022, 1, 1), candidate_on=dt.date(2024, 6, 1)
        )
        services.advance_applicant(applicant=person, stage="admitted", on=admitted_on)
    new_applicant(org, 6, applied_on=dt.date(2023, 1, 1), activist_on=dt.date(2024, 3, 1))
    new_applicant(
        org, 7, applied_on=dt.date(2024, 5, 1), withdrawn_on=dt.date(2025, 9, 1), withdraw_reason="本人申请"
    )


def figures(client, **query) -> dict:
    response = client.get(DEVELOPMENT, query)
    assert response.status_code == 200, response.content
    return response.json()


def test_development_after_the_year_counts_on_its_last_day(admin, world, pipeline):
    with time_machine.travel(dt.datetime(2026, 2, 1, 10, tzinfo=timezone.get_current_timezone()), tick=False):
        zone = figures(admin, area="Z", year=2025)
        assert zone == {
            "area": "Z",
            "year": 2025,
            "planned": 16,  # the district's plan and both parks' plans
            "admitted": 2,
            "percent": "12.5",
            "applicants": 1,
            "activists": 2,
            "candidates": 1,
        }
        park = figures(admin, area="P1", year=2025)
        assert (park["planned"], park["admitted"], park["percent"]) == (4, 1, "25.0")
        assert (park["applicants"], park["activists"], park["candidates"]) == (1, 2, 1)
        other = figures(admin, area="P2", year=2025)
        assert (other["planned"], other["admitted"], other["percent"], other["candidates"]) == (
            2,
            1,
            "50.0",
            0,
        )


def test_development_during_the_year_counts_today(admin, world, pipeline):
    with time_machine.travel(
        dt.datetime(2025, 6, 15, 10, tzinfo=timezone.get_current_timezone()), tick=False
    ):
        assert figures(admin, area="Z") == {  # the year defaults to this one
            "area": "Z",
            "year": 2025,
            "planned": 16,
            "admitted": 1,
            "percent": "6.3",  # 1/16 = 6.25 %, rounded half-up
            "applicants": 3,
            "activists": 1,
            "candidates": 2,
        }


def test_development_without_a_plan_and_with_a_plan_of_zero(admin, world, pipeline):
    none = figures(admin, area="Z", year=2024)
    assert (none["planned"], none["admitted"], none["percent"]) == (None, 0, None)
    services.create_plan(area=world["park"], year=2024, planned=0)
    zero = figures(admin, area="Z", year=2024)
    assert (zero["planned"], zero["percent"]) == (0, None)


def test_development_area_defaults_to_the_users_own_and_is_scoped(world, pipeline):
    client = client_for(make_user("p1", role="park", area=world["park"]))
    assert figures(client, year=2025)["area"] == "P1"
    assert figures(admin_client := client_for(make_user("root", role="admin")), year=2025)["area"] == "Z"
    for code in ("Z", "P2", "NOPE"):
        response = client.get(DEVELOPMENT, {"area": code, "year": 2025})
        assert response.status_code == 404 and "二园" not in response.content.decode()
    assert admin_client.get(DEVELOPMENT, {"area": "P2", "year": 2025}).status_code == 200
    nobody = client_for(make_user("nobody", role=None))
    assert nobody.get(DEVELOPMENT, {"year": 2025}).status_code == 404


@pytest.mark.parametrize("year", ["abc", "1899", "10000", "2025.0", "+2025", "2_025", "-1"])
def test_development_bad_year_is_a_400(admin, world, year):
    response = admin.get(DEVELOPMENT, {"area": "Z", "year": year})
    assert response.status_code == 400
    assert list(response.json()) == ["year"] and "年度应为" in response.json()["year"][0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_development_as_a_file(admin, world, pipeline, fmt):
    with time_machine.travel(dt.datetime(2026, 2, 1, 10, tzinfo=timezone.get_current_timezone()), tick=False):
        response = admin.get(DEVELOPMENT, {"area": "Z", "year": 2025, "format": fmt})
    assert response.status_code == 200
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        row = rows[0]
    else:
        values = list(load_workbook(io.BytesIO(response.content)).active.values)
        row = {k: "" if v is None else str(v) for k, v in zip(values[0], values[1], strict=True)}
    assert (row["area"], row["planned"], row["admitted"], row["percent"]) == ("Z", "16", "2", "12.5")
