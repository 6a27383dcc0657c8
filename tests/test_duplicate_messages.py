"""Duplicate values are refused in plain Chinese naming the record that holds them (issue 16, point 9), not
"具有 统一社会信用代码 的 单位 已存在。": on a page with a link to that record, over the API with its id."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from members.models import Member
from orgs.models import PartyOrganization
from registry.models import Enterprise
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    make_credit_code,
    make_id_number,
    make_user,
)

pytestmark = pytest.mark.django_db

MACHINE_WORDING = "已存在"


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


def enterprise_data(park, code: str) -> dict:
    return {
        "name": "重复登记有限公司",
        "credit_code": code,
        "category": "enterprise",
        "economic_type": "private",
        "area": park.pk,
        "established_on": "2020-01-01",
    }


def test_enterprise_form_names_and_links_the_unit_holding_the_code(page, park):
    code = make_credit_code(4242)
    held = EnterpriseFactory(area=park, name="某某精密机械有限公司", credit_code=code)
    # Typed with spaces and in lower case: the normalised code is what is compared.
    response = page.post("/enterprises/new/", enterprise_data(park, " " + code.lower() + " "))
    assert response.status_code == 200
    errors = response.context["form"].errors["credit_code"]
    assert errors == [
        f'统一社会信用代码 {code} 已登记为<a href="/enterprises/{held.pk}/">「某某精密机械有限公司」</a>。'
    ]
    html = response.content.decode()
    assert f'<a href="/enterprises/{held.pk}/">「某某精密机械有限公司」</a>' in html
    assert MACHINE_WORDING not in html
    assert Enterprise.objects.count() == 1


def test_the_name_is_escaped_in_the_link(page, park):
    code = make_credit_code(4243)
    EnterpriseFactory(area=park, name="<b>粗体</b>公司", credit_code=code)
    html = page.post("/enterprises/new/", enterprise_data(park, code)).content.decode()
    assert "「&lt;b&gt;粗体&lt;/b&gt;公司」" in html
    assert "<b>粗体</b>" not in html


def test_a_unit_outside_the_users_area_is_named_but_not_linked(page, park):
    code = make_credit_code(4244)
    EnterpriseFactory(area=AreaFactory(code="P2"), name="外区有限公司", credit_code=code)
    response = page.post("/enterprises/new/", enterprise_data(park, code))
    [error] = response.context["form"].errors["credit_code"]
    assert error.startswith(f"统一社会信用代码 {code} 已登记为「外区有限公司」。")
    assert "不在您的管辖范围内" in error
    assert "<a " not in error


def test_editing_a_unit_keeps_its_own_code(page, park):
    firm = EnterpriseFactory(area=park, name="本单位")
    data = enterprise_data(park, firm.credit_code) | {"name": "本单位（更名）"}
    from registry.concurrency import version_of

    data["version"] = version_of(firm)
    response = page.post(f"/enterprises/{firm.pk}/edit/", data)
    assert response.status_code == 302


def test_api_names_the_unit_and_its_id(api, park):
    code = make_credit_code(4245)
    held = EnterpriseFactory(area=park, name="某某公司", credit_code=code)
    body = {**enterprise_data(park, code), "area": park.code}
    response = api.post("/api/v1/enterprises/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "credit_code": [f"统一社会信用代码 {code} 已登记为「某某公司」（编号 {held.pk}）。"]
    }


def test_api_patch_to_another_units_code_is_refused_the_same_way(api, park):
    held = EnterpriseFactory(area=park, name="某某公司")
    other = EnterpriseFactory(area=park)
    response = api.patch(f"/api/v1/enterprises/{other.pk}/", {"credit_code": held.credit_code}, format="json")
    assert response.json() == {
        "credit_code": [f"统一社会信用代码 {held.credit_code} 已登记为「某某公司」（编号 {held.pk}）。"]
    }


def member_data(org, id_number: str) -> dict:
    return {
        "name": "孙丽",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "1985-06-01",
        "education": "bachelor",
        "id_number": id_number,
        "category": "full",
        "joined_party_on": "2010-07-01",
        "joined_on": "2020-07-01",
        "organization": org.pk,
    }


def test_member_form_names_the_member_holding_the_id_number_masked(page, park):
    org = OrganizationFactory(area=park)
    number = make_id_number(4242)
    held = MemberFactory(organization=org, name="张三", id_number=number)
    response = page.post("/members/new/", member_data(org, number))
    assert response.status_code == 200
    masked = number[:6] + "********" + number[-4:]
    assert response.context["form"].errors["id_number"] == [
        f'身份证号码 {masked} 已登记为<a href="/members/{held.pk}/">「张三」</a>。'
    ]
    assert Member.objects.count() == 1


def test_api_names_the_member_and_its_id(api, park):
    org = OrganizationFactory(area=park)
    number = make_id_number(4243)
    held = MemberFactory(organization=org, name="张三", id_number=number)
    response = api.post("/api/v1/members/", member_data(org, number), format="json")
    masked = number[:6] + "********" + number[-4:]
    assert (response.status_code, response.json()) == (
        400,
        {"id_number": [f"身份证号码 {masked} 已登记为「张三」（编号 {held.pk}）。"]},
    )


def org_data(park, firm, name: str) -> dict:
    return {
        "name": name,
        "kind": "branch",
        "setup": "single",
        "area": park.pk,
        "founded_on": "2022-07-01",
        "enterprises": [firm.pk],
    }


def test_organization_form_names_the_organization_with_that_name_in_the_area(page, park):
    held = OrganizationFactory(area=park, name="第一党支部")
    response = page.post("/organizations/new/", org_data(park, EnterpriseFactory(area=park), "第一党支部"))
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [
        f'同一所在区域已登记<a href="/organizations/{held.pk}/">「第一党支部」</a>，组织名称不能重复。'
    ]
    assert MACHINE_WORDING not in response.content.decode()
    assert PartyOrganization.objects.count() == 1


def test_the_same_organization_name_in_another_area_is_fine(page, park):
    OrganizationFactory(area=AreaFactory(code="P2"), name="第一党支部")
    response = page.post("/organizations/new/", org_data(park, EnterpriseFactory(area=park), "第一党支部"))
    assert response.status_code == 302


def test_api_names_the_organization_and_its_id(api, park):
    held = OrganizationFactory(area=park, name="第一党支部")
    body = {**org_data(park, EnterpriseFactory(area=park), "第一党支部"), "area": park.code}
    response = api.post("/api/v1/organizations/", body, format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"name": [f"同一所在区域已登记「第一党支部」（编号 {held.pk}），组织名称不能重复。"]},
    )
