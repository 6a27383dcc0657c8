"""NUL and control characters are refused at every input with a field error (registry.validators), never a 500:
query parameters of the stats API and pages, API bodies, the token endpoint, forms, the quarter lock reason and
the Excel import. Tab and newline pass only where multi-line text is allowed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from members.models import Instructor
from orgs.models import PartyOrganization
from registry.excel.cells import parse_text
from registry.models import Area, Enterprise
from registry.validators import check_text
from reports.models import PeriodLockEvent
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    InstructorFactory,
    OrganizationFactory,
    make_credit_code,
    make_user,
)

pytestmark = pytest.mark.django_db

NUL_ERROR = "含有不允许的控制字符（如 U+0000），请删除后重新填写。"
VT_ERROR = "含有不允许的控制字符（如 U+000B），请删除后重新填写。"


@pytest.fixture
def world():
    district = AreaFactory(code="Z", name="示范区", kind="district")
    park = AreaFactory(code="P1", name="一园", parent=district)
    firm = EnterpriseFactory(area=park, name="甲公司")
    org = OrganizationFactory(area=park, name="甲党支部")
    instructor = InstructorFactory(area=park, name="赵指导")
    return {"district": district, "park": park, "firm": firm, "org": org, "instructor": instructor}


@pytest.fixture
def admin_user(world):
    return make_user("root", role="admin")


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


# --- the rule -------------------------------------------------------------------------------------------------------


def test_check_text_refuses_nul_and_control_characters_and_allows_newlines_only_in_multiline_text():
    assert check_text("甲公司 (A&B)") == "甲公司 (A&B)"
    assert check_text("第一行\n第二行\t缩进", multiline=True) == "第一行\n第二行\t缩进"
    for bad, code_point in (
        ("a\x00b", "U+0000"),
        ("a\x0bb", "U+000B"),
        ("a\x1fb", "U+001F"),
        ("a\x7fb", "U+007F"),
    ):
        with pytest.raises(ValidationError) as caught:
            check_text(bad)
        assert caught.value.messages == [f"含有不允许的控制字符（如 {code_point}），请删除后重新填写。"]
    with pytest.raises(ValidationError):
        check_text("第一行\n第二行")
    with pytest.raises(ValidationError):
        check_text("a\x00b", multiline=True)


# --- query parameters ----------------------------------------------------------------------------------------------

STATS_API = [
    "/api/v1/coverage/",
    "/api/v1/coverage/series/",
    "/api/v1/coverage/enterprises/",
    "/api/v1/reports/quarterly/",
    "/api/v1/enterprises/",
]


@pytest.mark.parametrize("url", STATS_API)
@pytest.mark.parametrize("param", ["area", "indicator", "period"])
def test_stats_api_answers_nul_in_a_parameter_with_400(api, url, param):
    response = api.get(url, {param: "P1\x00"})
    assert response.status_code == 400
    assert response.json() == {param: [NUL_ERROR]}


STATS_PAGES = [
    "/",
    "/coverage/enterprises/",
    "/reports/quarterly/",
    "/reports/quarterly.xlsx",
    "/enterprises/",
]


@pytest.mark.parametrize("url", STATS_PAGES)
def test_pages_answer_nul_in_a_parameter_with_400(client, admin_user, url):
    client.force_login(admin_user)
    response = client.get(url, {"area": "P1\x00", "indicator": "x\x0b"})
    assert response.status_code == 400
    assert response.content.decode() == f"area: {NUL_ERROR}\nindicator: {VT_ERROR}"


def test_a_control_character_in_the_path_is_not_found(api):
    assert api.get("/api/v1/areas/P1%00/").status_code == 404


# --- API bodies -----------------------------------------------------------------------------------------------------


def test_enterprise_bodies(api, world):
    firm = world["firm"]
    patched = api.patch(f"/api/v1/enterprises/{firm.pk}/", {"name": "甲\x0b公司"}, format="json")
    assert (patched.status_code, patched.json()) == (400, {"name": [VT_ERROR]})
    moved = api.patch(f"/api/v1/enterprises/{firm.pk}/", {"area": "P1\x00"}, format="json")
    assert (moved.status_code, moved.json()) == (400, {"area": [NUL_ERROR]})
    body = {
        "name": "新公司\x00",
        "credit_code": make_credit_code(901),
        "category": "enterprise",
        "area": "P1",
        "industry": "软件\x07",
        "established_on": "2020-03-01",
    }
    created = api.post("/api/v1/enterprises/", body, format="json")
    assert (created.status_code, created.json()) == (
        400,
        {"name": [NUL_ERROR], "industry": ["含有不允许的控制字符（如 U+0007），请删除后重新填写。"]},
    )
    assert Enterprise.objects.get(pk=firm.pk).name == "甲公司"
    assert Enterprise.objects.count() == 1


def test_organization_bodies(api, world):
    org = world["org"]
    patched = api.patch(f"/api/v1/organizations/{org.pk}/", {"name": "甲\x00党支部"}, format="json")
    assert (patched.status_code, patched.json()) == (400, {"name": [NUL_ERROR]})
    body = {
        "name": "乙党支部",
        "kind": "branch",
        "setup": "single",
        "area": "\x00",
        "founded_on": "2021-01-01",
    }
    created = api.post("/api/v1/organizations/", body, format="json")
    assert (created.status_code, created.json()) == (400, {"area": [NUL_ERROR]})
    assert list(PartyOrganization.objects.values_list("name", flat=True)) == ["甲党支部"]


def test_instructor_bodies(api, world):
    instructor = world["instructor"]
    patched = api.patch(f"/api/v1/instructors/{instructor.pk}/", {"unit": "组织\x0b部"}, format="json")
    assert (patched.status_code, patched.json()) == (400, {"unit": [VT_ERROR]})
    body = {"name": "钱\x00指导", "unit": "组织部", "full_time": True, "area": "P1\x00"}
    created = api.post("/api/v1/instructors/", body, format="json")
    assert (created.status_code, created.json()) == (400, {"name": [NUL_ERROR], "area": [NUL_ERROR]})
    assert Instructor.objects.count() == 1


def test_area_bodies(api, world):
    body = {"code": "N\x00", "name": "新\x0b园", "kind": "park", "parent": "Z\x00"}
    created = api.post("/api/v1/areas/", body, format="json")
    expected = {"code": [NUL_ERROR], "name": [VT_ERROR], "parent": [NUL_ERROR]}
    assert (created.status_code, created.json()) == (400, expected)
    assert Area.objects.count() == 2


def test_token_endpoint_refuses_nul_in_the_username(world):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "root\x00", "password": "x"}, format="json"
    )
    assert (response.status_code, response.json()) == (400, {"username": [NUL_ERROR]})


# --- forms, the lock reason and the import --------------------------------------------------------------------------


def test_enterprise_form_gives_a_field_error_and_saves_nothing(client, admin_user, world):
    firm = world["firm"]
    client.force_login(admin_user)
    data = {
        "name": "甲\x0b公司",
        "credit_code": firm.credit_code,
        "category": "enterprise",
        "economic_type": "private",
        "area": world["park"].pk,
        "established_on": "2015-01-01",
    }
    response = client.post(f"/enterprises/{firm.pk}/edit/", data)
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": [VT_ERROR]}
    assert Enterprise.objects.get(pk=firm.pk).name == "甲公司"


def test_period_lock_reason_refuses_nul(client, admin_user):
    client.force_login(admin_user)
    period = f"{dt.date.today().year - 1}Q4"
    response = client.post("/periods/", {"period": period, "action": "close", "reason": "报送\x00"})
    assert response.status_code == 400
    assert NUL_ERROR in response.content.decode()
    assert PeriodLockEvent.objects.count() == 0


def test_import_cells_refuse_control_characters():
    assert parse_text(" 甲公司 ") == "甲公司"
    with pytest.raises(ValidationError) as caught:
        parse_text("甲\x0b公司")
    assert caught.value.messages == [VT_ERROR]
