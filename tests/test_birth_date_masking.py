"""A masked ID number (440802********0076) hides exactly the birth date, so whoever may not reveal personal data
sees the birth year only (registry.masking.mask_birth_date), never the full date: on the member and applicant
pages, in their change history, in the API (list, detail, CSV) and in the downloaded ledgers. Staff who reveal
see the full date; a masked year sent back is never stored."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from members import services
from members.models import Applicant, Member
from members.workbook import export_applicants, export_members
from registry.audit import record_bulk_changes
from registry.excel.importer import run_import
from registry.masking import mask_birth_date, shown_birth_date, unmasked_birth_date
from tests.factories import (
    AreaFactory,
    MemberFactory,
    OrganizationFactory,
    make_id_number,
    make_user,
)
from tests.personas import PERSONAS

pytestmark = pytest.mark.django_db

BORN = dt.date(1985, 6, 1)
ID_NUMBER = make_id_number(61, born=BORN)
APPLICANT_BORN = dt.date(1996, 11, 23)
APPLICANT_ID = make_id_number(62, born=APPLICANT_BORN, male=False)
MASKED_MESSAGE = "这是脱敏显示的出生年份，不能保存：请填写完整出生日期（如 1985-06-01），或保持原值不改。"
# Every way a full date could be written on a page or in a file.
FULL = ("1985-06-01", "1985年6月1日", "1985/06/01", "19850601", "1985-6-1")
APPLICANT_FULL = ("1996-11-23", "1996年11月23日", "19961123")


def test_the_rule():
    assert mask_birth_date(BORN) == "1985年"
    assert mask_birth_date(None) == ""
    assert (shown_birth_date(BORN, reveal=False), shown_birth_date(BORN, reveal=True)) == (
        "1985年",
        "1985-06-01",
    )
    assert unmasked_birth_date("1985年", stored=BORN) == BORN  # sent back as shown: unchanged
    assert unmasked_birth_date(" 1985 年", stored=BORN) == BORN
    # A full date is the field's to parse.
    assert unmasked_birth_date("1990-01-01", stored=BORN) == "1990-01-01"
    for value, stored in (("1986年", BORN), ("1985年", None)):
        with pytest.raises(ValidationError) as caught:
            unmasked_birth_date(value, stored=stored)
        assert caught.value.messages == [MASKED_MESSAGE]


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", name="开发区", kind="district")
    park = AreaFactory(code="A", name="园区A", parent=zone)
    org = OrganizationFactory(area=park, name="甲党支部")
    member = MemberFactory(organization=org, id_number=ID_NUMBER, birth_date=BORN, name="张出生")
    applicant = services.create_applicant(
        name="李申请",
        gender="F",
        ethnicity="汉族",
        birth_date=APPLICANT_BORN,
        education="bachelor",
        id_number=APPLICANT_ID,
        phone="",
        organization=org,
        enterprise=None,
        applied_on=dt.date(2021, 3, 1),
    )
    users = {
        name: make_user(name, role=role, area={"Z": zone, "A": park}.get(code))
        for name, (role, code, _parks, _writes) in PERSONAS.items()
        if name in ("admin", "staff_zone", "staff_a", "park_a", "reader_a")
    }
    return {"member": member, "applicant": applicant, "org": org, "users": users}


VIEWERS = ["admin", "staff_zone", "staff_a", "park_a", "reader_a"]


def page_text(client, url, method="get") -> str:
    response = getattr(client, method)(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize("persona", VIEWERS)
def test_member_and_applicant_pages_show_the_birth_year_only(client, world, persona):
    client.force_login(world["users"][persona])
    member = page_text(client, f"/members/{world['member'].pk}/")
    assert "1985年" in member and world["member"].masked_id_number in member
    assert [f for f in FULL if f in member] == []
    applicant = page_text(client, f"/applicants/{world['applicant'].pk}/")
    assert "1996年" in applicant
    assert [f for f in APPLICANT_FULL if f in applicant] == []  # the history of its creation included


@pytest.mark.parametrize("persona", ["admin", "staff_a"])
def test_staff_who_reveal_see_the_full_date_on_the_page_and_in_its_history(client, world, persona):
    client.force_login(world["users"][persona])
    member = page_text(client, f"/members/{world['member'].pk}/reveal/", method="post")
    assert 'id="birth-date">1985-06-01<' in member
    applicant = page_text(client, f"/applicants/{world['applicant'].pk}/reveal/", method="post")
    assert 'id="birth-date">1996-11-23<' in applicant
    assert "出生日期：1996-11-23" in applicant  # the creation in the history


def test_a_corrected_birth_date_in_the_history_shows_years_until_revealed(client, world):
    member = world["member"]
    # A correction by an import (logged as django-auditlog would log a form's).
    record_bulk_changes(
        actor=None,
        entries=[(member, "update", {"birth_date": [dt.date(1984, 6, 2), BORN]})],
        source="import:members",
    )
    client.force_login(world["users"]["staff_a"])
    shown = page_text(client, f"/members/{member.pk}/")
    assert "出生年份：1984年 → 1985年" in shown
    assert "1984-06-02" not in shown and "1984年6月2日" not in shown
    revealed = page_text(client, f"/members/{member.pk}/reveal/", method="post")
    assert "出生日期：1984-06-02 → 1985-06-01" in revealed


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("persona", VIEWERS)
def test_the_api_reads_the_birth_year_in_lists_details_and_csv(world, persona):
    api = api_client(world["users"][persona])
    member, applicant = world["member"], world["applicant"]
    assert api.get(f"/api/v1/members/{member.pk}/").json()["birth_date"] == "1985年"
    assert [m["birth_date"] for m in api.get("/api/v1/members/").json()["results"]] == ["1985年"]
    assert api.get(f"/api/v1/applicants/{applicant.pk}/").json()["birth_date"] == "1996年"
    assert [a["birth_date"] for a in api.get("/api/v1/applicants/").json()["results"]] == ["1996年"]
    csv = api.get("/api/v1/members/", {"format": "csv"}).content.decode("utf-8-sig")
    assert "1985年" in csv and [f for f in FULL if f in csv] == []


def test_a_reveal_over_the_api_gives_the_full_date(world):
    api = api_client(world["users"]["staff_a"])
    body = api.get(f"/api/v1/members/{world['member'].pk}/", {"reveal": "true"}).json()
    assert (body["birth_date"], body["id_number"]) == ("1985-06-01", ID_NUMBER)
    body = api.get(f"/api/v1/applicants/{world['applicant'].pk}/", {"reveal": "true"}).json()
    assert body["birth_date"] == "1996-11-23"


def test_the_masked_year_written_back_is_never_stored(world):
    api = api_client(world["users"]["staff_a"])
    member = world["member"]
    url = f"/api/v1/members/{member.pk}/"
    shown = api.get(url).json()
    response = api.put(url, {**shown, "name": "张改名"}, format="json")
    assert response.status_code == 200, response.json()
    assert Member.objects.values_list("name", "birth_date").get(pk=member.pk) == ("张改名", BORN)

    response = api.patch(url, {"birth_date": "1990年"}, format="json")
    assert (response.status_code, response.json()) == (400, {"birth_date": [MASKED_MESSAGE]})
    assert Member.objects.get(pk=member.pk).birth_date == BORN

    applicant_url = f"/api/v1/applicants/{world['applicant'].pk}/"
    response = api.patch(
        applicant_url, {"birth_date": api.get(applicant_url).json()["birth_date"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert Applicant.objects.get(pk=world["applicant"].pk).birth_date == APPLICANT_BORN

    created = api.post(
        "/api/v1/members/",
        {
            "name": "新党员",
            "gender": "M",
            "ethnicity": "汉族",
            "birth_date": "1985年",
            "education": "bachelor",
            "id_number": make_id_number(63, born=BORN),
            "category": "full",
            "joined_on": "2020-07-01",
            "organization": world["org"].pk,
        },
        format="json",
    )
    assert (created.status_code, created.json()) == (400, {"birth_date": [MASKED_MESSAGE]})
    assert Member.objects.count() == 1


def test_the_schema_documents_the_masked_birth_year(world):
    api = api_client(world["users"]["admin"])
    schemas = api.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    for component in ("Member", "Applicant"):
        field = schemas[component]["properties"]["birth_date"]
        assert [(s.get("format"), s["pattern"]) for s in field["oneOf"]] == [
            ("date", r"^\d{4}-\d{2}-\d{2}$"),
            (None, r"^\d{4}年$"),
        ]
        assert "1985年" in field["description"]


def cells(data) -> list[dict]:
    """The rows of a ledger's first sheet as header → value (the header row found by its 姓名 column)."""
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if "姓名" in row)
    return [dict(zip(rows[start], row, strict=True)) for row in rows[start + 1 :] if any(row)]


def test_the_downloaded_ledgers_have_the_birth_year_only(client, world):
    client.force_login(world["users"]["staff_a"])
    for url, name, year in (
        ("/members/export.xlsx", "张出生", "1985年"),
        ("/applicants/export.xlsx", "李申请", "1996年"),
    ):
        response = client.get(url)
        assert response.status_code == 200
        rows = cells(b"".join(response.streaming_content))
        assert [(row["姓名"], row["出生日期"]) for row in rows] == [(name, year)]


def test_the_revealed_ledgers_keep_the_full_date_and_a_masked_one_cannot_be_imported(world):
    member_row = cells(export_members(Member.objects.all(), reveal=True).read())[0]
    applicant_row = cells(export_applicants(Applicant.objects.all(), reveal=True).read())[0]
    assert (member_row["出生日期"], applicant_row["出生日期"]) == (
        dt.datetime(1985, 6, 1),
        dt.datetime(1996, 11, 23),
    )
    result = run_import(
        "members", export_members(Member.objects.all()).read(), dry_run=True, user=world["users"]["staff_a"]
    )
    assert ("出生日期", "出生日期已脱敏（仅有出生年份），不能用于导入，请填写完整出生日期。") in {
        (e.column, e.message) for e in result.errors
    }


def test_edit_forms_keep_the_full_date_off_the_page_and_an_empty_field_keeps_it(client, world):
    client.force_login(world["users"]["staff_a"])
    member, applicant = world["member"], world["applicant"]
    html = page_text(client, f"/members/{member.pk}/edit/")
    assert "已登记 1985年" in html and [f for f in FULL if f in html] == []
    form = client.get(f"/members/{member.pk}/edit/").context["form"]
    data = {
        "name": "张改名",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "",
        "education": "bachelor",
        "phone": "",
        "category": "full",
        "joined_party_on": "2019-01-01",
        "joined_on": "2019-01-01",
        "organization": world["org"].pk,
        "enterprise": "",
        "version": form.initial["version"],
    }
    response = client.post(f"/members/{member.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    assert Member.objects.values_list("name", "birth_date").get(pk=member.pk) == ("张改名", BORN)

    html = page_text(client, f"/applicants/{applicant.pk}/edit/")
    assert "已登记 1996年" in html and [f for f in APPLICANT_FULL if f in html] == []
