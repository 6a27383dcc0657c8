"""Dates of things that have happened cannot lie ahead (issue 16, point 8): a 成立日期 of 2030-01-01 was accepted
and the unit then silently left out of every count. One rule (registry.rules.check_not_future), refused with a
Chinese field error by the forms, the API serializers and the Excel import alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from members.models import Applicant, Member
from orgs.models import PartyOrganization
from registry.excel.importer import run_import
from registry.models import Enterprise
from registry.rules import check_not_future
from tests.excel import ENT_HEADERS, firm_row, workbook
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    OrganizationFactory,
    make_credit_code,
    make_id_number,
    make_user,
)

pytestmark = pytest.mark.django_db

FUTURE = "2030-01-01"


def future_message() -> str:
    return f"不能晚于今天（{timezone.localdate().isoformat()}）：这里只登记已经发生的事，请核对日期。"


@pytest.fixture
def park():
    return AreaFactory(code="P1", name="园区一")


@pytest.fixture
def clerk(park):
    return make_user("clerk", role="staff", area=park)


@pytest.fixture
def page(client, clerk):
    client.force_login(clerk)
    return client


@pytest.fixture
def api(clerk):
    client = APIClient()
    client.force_authenticate(clerk)
    return client


def test_the_rule_refuses_a_day_after_today_and_passes_today_and_before():
    today = dt.date(2025, 5, 20)
    assert check_not_future(today, today=today) == today
    assert check_not_future(dt.date(2025, 5, 19), today=today) == dt.date(2025, 5, 19)
    assert check_not_future(None, today=today) is None
    with pytest.raises(ValidationError) as caught:
        check_not_future(dt.date(2025, 5, 21), today=today)
    assert caught.value.code == "future_date"
    assert caught.value.messages == ["不能晚于今天（2025-05-20）：这里只登记已经发生的事，请核对日期。"]


# ---------------------------------------------------------------- pages ----


def test_enterprise_form_refuses_a_future_established_date(page, park):
    data = {
        "name": "未来有限公司",
        "credit_code": make_credit_code(77),
        "category": "enterprise",
        "economic_type": "private",
        "area": park.pk,
        "established_on": FUTURE,
    }
    response = page.post("/enterprises/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["established_on"] == [future_message()]
    assert future_message() in response.content.decode()
    assert not Enterprise.objects.exists()
    # The date picker offers no later day either.
    assert f'max="{timezone.localdate().isoformat()}"' in response.content.decode()


def test_organization_form_refuses_a_future_founding_date(page, park):
    firm = EnterpriseFactory(area=park)
    data = {
        "name": "未来党支部",
        "kind": "branch",
        "setup": "single",
        "area": park.pk,
        "founded_on": FUTURE,
        "enterprises": [firm.pk],
    }
    response = page.post("/organizations/new/", data)
    assert response.status_code == 200
    assert response.context["form"].errors["founded_on"] == [future_message()]
    assert not PartyOrganization.objects.exists()


@pytest.mark.parametrize("field", ["birth_date", "joined_party_on", "joined_on"])
def test_member_form_refuses_future_dates_of_what_happened(page, park, field):
    org = OrganizationFactory(area=park)
    data = {
        "name": "孙丽",
        "gender": "F",
        "ethnicity": "汉族",
        "birth_date": "1985-06-01",
        "education": "bachelor",
        "id_number": make_id_number(5, male=False),
        "category": "full",
        "joined_party_on": "2010-07-01",
        "joined_on": "2020-07-01",
        "organization": org.pk,
    }
    response = page.post("/members/new/", {**data, field: FUTURE})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [future_message()]
    assert not Member.objects.exists()


# ---------------------------------------------------------------- API ----


def test_api_refuses_a_future_established_date(api, park):
    body = {
        "name": "未来有限公司",
        "credit_code": make_credit_code(78),
        "category": "enterprise",
        "economic_type": "private",
        "area": park.code,
        "established_on": FUTURE,
    }
    response = api.post("/api/v1/enterprises/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"established_on": [future_message()]}
    firm = EnterpriseFactory(area=park)
    response = api.patch(f"/api/v1/enterprises/{firm.pk}/", {"established_on": FUTURE}, format="json")
    assert (response.status_code, response.json()) == (400, {"established_on": [future_message()]})


def test_api_refuses_a_future_founding_date(api, park):
    firm = EnterpriseFactory(area=park)
    body = {
        "name": "未来党支部",
        "kind": "branch",
        "setup": "single",
        "area": park.code,
        "enterprises": [firm.pk],
        "founded_on": FUTURE,
    }
    response = api.post("/api/v1/organizations/", body, format="json")
    assert (response.status_code, response.json()) == (400, {"founded_on": [future_message()]})


def test_api_refuses_a_future_joining_date_of_a_member(api, park):
    org = OrganizationFactory(area=park)
    body = {
        "name": "孙丽",
        "gender": "F",
        "ethnicity": "汉族",
        "birth_date": "1985-06-01",
        "education": "bachelor",
        "id_number": make_id_number(6, male=False),
        "category": "full",
        "joined_on": FUTURE,
        "organization": org.pk,
    }
    response = api.post("/api/v1/members/", body, format="json")
    assert (response.status_code, response.json()) == (400, {"joined_on": [future_message()]})


def test_api_refuses_a_future_application_date(api, park):
    org = OrganizationFactory(area=park)
    body = {
        "name": "王小红",
        "gender": "F",
        "ethnicity": "汉族",
        "birth_date": "1995-06-01",
        "education": "bachelor",
        "id_number": make_id_number(7, born=dt.date(1995, 6, 1), male=False),
        "organization": org.pk,
        "applied_on": FUTURE,
    }
    response = api.post("/api/v1/applicants/", body, format="json")
    assert (response.status_code, response.json()) == (400, {"applied_on": [future_message()]})
    assert not Applicant.objects.exists()


# ---------------------------------------------------------------- Excel import ----


def test_import_refuses_a_future_established_date(clerk, park):
    data = workbook(ENT_HEADERS, [firm_row(1, established=dt.date(2030, 1, 1)), firm_row(2)])
    result = run_import("enterprises", data, dry_run=True, user=clerk)
    assert [(e.row, e.column, e.message) for e in result.errors] == [(2, "成立日期", future_message())]
