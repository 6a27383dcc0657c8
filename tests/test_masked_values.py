"""A masked value sent back (API PUT/PATCH of what a GET showed, a form given the placeholder) means "unchanged"
and is never stored; any other masked value is a field error (registry.masking.unmasked)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from members.models import Instructor, Member
from registry.masking import mask_id_number, mask_phone, unmasked
from registry.models import Enterprise
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    InstructorFactory,
    MemberFactory,
    OrganizationFactory,
    make_id_number,
    make_user,
)

pytestmark = pytest.mark.django_db

ID_NUMBER = make_id_number(42)
PHONE = "13912345678"
MASKED_PHONE = "139****5678"
INSTRUCTOR_PHONE = "13711112222"
CONTACT_PHONE = "13900001111"
MASKED_MESSAGE = "这是脱敏显示的号码，不能保存：请填写完整号码，或保持原值不改。"


@pytest.fixture
def world():
    park = AreaFactory(code="A", name="园区A")
    firm = EnterpriseFactory(area=park, name="甲公司", contact_phone=CONTACT_PHONE)
    org = OrganizationFactory(area=park, name="甲党支部")
    member = MemberFactory(organization=org, enterprise=firm, id_number=ID_NUMBER, phone=PHONE)
    instructor = InstructorFactory(area=park, phone=INSTRUCTOR_PHONE)
    return {"park": park, "firm": firm, "org": org, "member": member, "instructor": instructor}


@pytest.fixture
def staff(world):
    return make_user("clerk", role="staff", area=world["park"])


@pytest.fixture
def api(staff):
    client = APIClient()
    client.force_authenticate(staff)
    return client


def test_unmasked_rule():
    assert unmasked("13800000000", stored=PHONE, mask=mask_phone) == "13800000000"
    assert unmasked(MASKED_PHONE, stored=PHONE, mask=mask_phone) == PHONE
    assert unmasked(mask_id_number(ID_NUMBER), stored=ID_NUMBER, mask=mask_id_number) == ID_NUMBER
    for value, stored in (("138****5678", PHONE), (MASKED_PHONE, ""), ("139＊＊＊＊5678", PHONE)):
        with pytest.raises(ValidationError) as caught:
            unmasked(value, stored=stored, mask=mask_phone)
        assert caught.value.messages == [MASKED_MESSAGE]


def test_instructor_get_then_put_keeps_the_phone(api, world):
    url = f"/api/v1/instructors/{world['instructor'].pk}/"
    shown = api.get(url).json()
    assert shown["phone"] == "137****2222"
    response = api.put(url, {**shown, "name": "改名指导员"}, format="json")
    assert response.status_code == 200, response.json()
    saved = Instructor.objects.get(pk=world["instructor"].pk)
    assert (saved.name, saved.phone) == ("改名指导员", INSTRUCTOR_PHONE)


def test_member_get_then_put_keeps_phone_and_id_number(api, world):
    url = f"/api/v1/members/{world['member'].pk}/"
    shown = api.get(url).json()
    assert (shown["phone"], shown["id_number"]) == (MASKED_PHONE, mask_id_number(ID_NUMBER))
    response = api.put(url, {**shown, "name": "改名党员"}, format="json")
    assert response.status_code == 200, response.json()
    saved = Member.objects.get(pk=world["member"].pk)
    assert (saved.name, saved.phone, saved.id_number) == ("改名党员", PHONE, ID_NUMBER)


def test_member_patch_with_the_masked_phone_changes_nothing(api, world):
    url = f"/api/v1/members/{world['member'].pk}/"
    response = api.patch(url, {"phone": MASKED_PHONE, "id_number": mask_id_number(ID_NUMBER)}, format="json")
    assert response.status_code == 200, response.json()
    saved = Member.objects.get(pk=world["member"].pk)
    assert (saved.phone, saved.id_number) == (PHONE, ID_NUMBER)


def test_another_masked_value_is_a_400_and_stores_nothing(api, world):
    member_url = f"/api/v1/members/{world['member'].pk}/"
    response = api.patch(
        member_url, {"phone": "138****0000", "id_number": "110101********1234"}, format="json"
    )
    assert (response.status_code, response.json()) == (
        400,
        {"phone": [MASKED_MESSAGE], "id_number": [MASKED_MESSAGE]},
    )
    body = {"name": "新指导员", "unit": "组织部", "full_time": True, "area": "A", "phone": MASKED_PHONE}
    created = api.post("/api/v1/instructors/", body, format="json")
    assert (created.status_code, created.json()) == (400, {"phone": [MASKED_MESSAGE]})
    saved = Member.objects.get(pk=world["member"].pk)
    assert (saved.phone, saved.id_number) == (PHONE, ID_NUMBER)
    assert Instructor.objects.count() == 1


def enterprise_form_data(world, **overrides) -> dict:
    firm = world["firm"]
    data = {
        "name": firm.name,
        "credit_code": firm.credit_code,
        "category": "enterprise",
        "economic_type": "private",
        "area": world["park"].pk,
        "established_on": "2015-01-01",
    }
    return {**data, **overrides}


def test_form_given_the_masked_placeholder_keeps_the_stored_phone(client, staff, world):
    client.force_login(staff)
    firm = world["firm"]
    response = client.post(
        f"/enterprises/{firm.pk}/edit/", enterprise_form_data(world, contact_phone="139****1111")
    )
    assert response.status_code == 302
    assert Enterprise.objects.get(pk=firm.pk).contact_phone == CONTACT_PHONE


def test_form_given_another_masked_phone_shows_a_field_error(client, staff, world):
    client.force_login(staff)
    firm = world["firm"]
    response = client.post(
        f"/enterprises/{firm.pk}/edit/", enterprise_form_data(world, contact_phone="138****1111")
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"contact_phone": [MASKED_MESSAGE]}
    assert Enterprise.objects.get(pk=firm.pk).contact_phone == CONTACT_PHONE


def test_instructor_form_with_the_masked_phone_keeps_it(client, staff, world):
    client.force_login(staff)
    instructor = world["instructor"]
    data = {"name": "新名字", "unit": instructor.unit, "phone": "137****2222", "area": world["park"].pk}
    response = client.post(f"/instructors/{instructor.pk}/edit/", data)
    assert response.status_code == 302
    saved = Instructor.objects.get(pk=instructor.pk)
    assert (saved.name, saved.phone) == ("新名字", INSTRUCTOR_PHONE)
