"""API hardening: optimistic concurrency (ETag / If-Match → 412), audited reveal of personal data, masking in
lists and downloads, throttling (429) and the audit actor of token-authenticated writes."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from knox.models import AuthToken
from openpyxl import load_workbook
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from members.models import Instructor, Member
from orgs.models import PartyOrganization
from registry.concurrency import version_of
from registry.models import Enterprise
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    InstructorFactory,
    MemberFactory,
    OrganizationFactory,
    make_credit_code,
    make_id_number,
    make_user,
)

pytestmark = pytest.mark.django_db

ID_NUMBER = make_id_number(42)
MASKED_ID = ID_NUMBER[:6] + "********" + ID_NUMBER[-4:]
PHONE = "13812345678"
MASKED_PHONE = "138****5678"
INSTRUCTOR_PHONE = "13711112222"


@pytest.fixture
def world():
    park = AreaFactory(code="A", name="园区A")
    firm = EnterpriseFactory(area=park, name="甲公司")
    org = OrganizationFactory(area=park, name="甲党支部")
    member = MemberFactory(organization=org, enterprise=firm, name="王芳", id_number=ID_NUMBER, phone=PHONE)
    instructor = InstructorFactory(area=park, name="赵指导", phone=INSTRUCTOR_PHONE)
    return {"park": park, "firm": firm, "org": org, "member": member, "instructor": instructor}


def token_client(user) -> APIClient:
    _instance, token = AuthToken.objects.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def staff(world):
    return make_user("clerk", role="staff", area=world["park"])


@pytest.fixture
def api(staff):
    return token_client(staff)


# --- optimistic concurrency -------------------------------------------------------------------------------------

RECORDS = {
    "enterprises": ("firm", Enterprise, "name"),
    "organizations": ("org", PartyOrganization, "name"),
    "members": ("member", Member, "name"),
    "instructors": ("instructor", Instructor, "name"),
}


@pytest.mark.parametrize("kind", list(RECORDS))
def test_retrieve_gives_the_version_as_etag(api, world, kind):
    key, model, _ = RECORDS[kind]
    obj = model.objects.get(pk=world[key].pk)
    response = api.get(f"/api/v1/{kind}/{obj.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{version_of(obj)}"'


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize("kind", list(RECORDS))
def test_stale_if_match_is_412_and_saves_nothing(api, world, kind, method):
    key, model, field = RECORDS[kind]
    url = f"/api/v1/{kind}/{world[key].pk}/"
    first = api.get(url)
    etag = first["ETag"]
    body = (
        {k: v for k, v in first.json().items() if k not in ("id_number", "phone")} if method == "put" else {}
    )
    # Someone else saves in between (through the same API, without If-Match: allowed).
    other = api.patch(url, {field: "他人改过"}, format="json")
    assert other.status_code == 200, other.json()
    assert other["ETag"] != etag
    assert other["ETag"] == f'"{version_of(model.objects.get(pk=world[key].pk))}"'
    response = getattr(api, method)(url, {**body, field: "我的修改"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert response.json()["detail"].startswith("保存失败：该记录已被他人修改（")
    assert response["ETag"] == other["ETag"]
    assert getattr(model.objects.get(pk=world[key].pk), field) == "他人改过"


@pytest.mark.parametrize("kind", list(RECORDS))
def test_current_if_match_saves_and_gives_the_new_etag(api, world, kind):
    key, model, field = RECORDS[kind]
    url = f"/api/v1/{kind}/{world[key].pk}/"
    etag = api.get(url)["ETag"]
    response = api.patch(url, {field: "新名称"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.json()
    saved = model.objects.get(pk=world[key].pk)
    assert getattr(saved, field) == "新名称"
    assert response["ETag"] == f'"{version_of(saved)}"'
    assert api.get(url)["ETag"] == response["ETag"]


@pytest.mark.parametrize("header", ["*", 'W/"{v}"', '"0", "{v}"', "{v}"])
def test_if_match_forms_that_match(api, world, header):
    member = world["member"]
    header = header.format(v=version_of(Member.objects.get(pk=member.pk)))
    response = api.patch(f"/api/v1/members/{member.pk}/", {"name": "新"}, format="json", HTTP_IF_MATCH=header)
    assert response.status_code == 200
    assert Member.objects.get(pk=member.pk).name == "新"


def test_create_answers_with_an_etag(api, world):
    response = api.post(
        "/api/v1/instructors/", {"name": "新指导员", "unit": "区委组织部", "area": "A"}, format="json"
    )
    assert response.status_code == 201
    assert response["ETag"] == f'"{version_of(Instructor.objects.get(name="新指导员"))}"'


def test_412_on_an_object_out_of_scope_is_still_404(world):
    other = AreaFactory(code="B")
    outsider = token_client(make_user("b-clerk", role="staff", area=other))
    member = world["member"]
    response = outsider.patch(
        f"/api/v1/members/{member.pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 404
    assert Member.objects.get(pk=member.pk).name == "王芳"


# --- personal data ----------------------------------------------------------------------------------------------


def reveals() -> list[tuple[str, str]]:
    entries = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, additional_data__event="reveal")
    return [(e.object_repr, e.actor.username) for e in entries.order_by("timestamp")]


def test_reads_are_masked_without_reveal(api, world):
    member = api.get(f"/api/v1/members/{world['member'].pk}/").json()
    assert (member["id_number"], member["phone"]) == (MASKED_ID, MASKED_PHONE)
    instructor = api.get(f"/api/v1/instructors/{world['instructor'].pk}/").json()
    assert instructor["phone"] == "137****2222"
    assert reveals() == []


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_reveal_shows_full_values_and_is_audited(world, role):
    client = token_client(make_user("revealer", role=role, area=None if role == "admin" else world["park"]))
    response = client.get(f"/api/v1/members/{world['member'].pk}/", {"reveal": "true"})
    assert response.status_code == 200
    assert (response.json()["id_number"], response.json()["phone"]) == (ID_NUMBER, PHONE)
    assert "no-store" in response["Cache-Control"]
    response = client.get(f"/api/v1/instructors/{world['instructor'].pk}/", {"reveal": "1"})
    assert response.json()["phone"] == INSTRUCTOR_PHONE
    assert reveals() == [("王芳", "revealer"), ("赵指导", "revealer")]
    entry = LogEntry.objects.get(additional_data__event="reveal", object_repr="王芳")
    assert entry.content_type == ContentType.objects.get_for_model(Member)
    assert entry.object_pk == str(world["member"].pk)
    assert entry.changes_text == "查看完整个人信息：身份证号码、联系电话、出生日期"


@pytest.mark.parametrize("role", ["park", "reader", None])
def test_roles_that_may_not_reveal_get_403_and_nothing_is_logged(world, role):
    client = token_client(make_user("viewer", role=role, area=world["park"]))
    response = client.get(f"/api/v1/members/{world['member'].pk}/", {"reveal": "true"})
    assert response.status_code == 403
    assert ID_NUMBER not in response.content.decode()
    assert reveals() == []


def test_reveal_false_and_bad_values(api, world):
    url = f"/api/v1/members/{world['member'].pk}/"
    assert api.get(url, {"reveal": "false"}).json()["id_number"] == MASKED_ID
    bad = api.get(url, {"reveal": "yes please"})
    assert (bad.status_code, bad.json()) == (400, {"reveal": ["请填写 true 或 false。"]})
    assert reveals() == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_reveal_is_json_only(api, world, fmt):
    response = api.get(f"/api/v1/members/{world['member'].pk}/", {"reveal": "true", "format": fmt})
    assert response.status_code == 400
    assert ID_NUMBER.encode() not in response.content
    assert reveals() == []


def download_text(response, fmt: str) -> str:
    if fmt == "csv":
        return "\n".join(
            ",".join(row) for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
        )
    sheet = load_workbook(io.BytesIO(response.content)).active
    return "\n".join(
        ",".join("" if v is None else str(v) for v in row) for row in sheet.iter_rows(values_only=True)
    )


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_lists_and_downloads_are_masked_even_when_reveal_is_asked(api, world, fmt):
    for kind, secret, masked in (
        ("members", ID_NUMBER, MASKED_ID),
        ("members", PHONE, MASKED_PHONE),
        ("instructors", INSTRUCTOR_PHONE, "137****2222"),
    ):
        response = api.get(f"/api/v1/{kind}/", {"format": fmt, "reveal": "true"})
        assert response.status_code == 200
        text = response.content.decode() if fmt == "json" else download_text(response, fmt)
        assert secret not in text
        assert masked in text
    assert reveals() == []


# --- throttling -------------------------------------------------------------------------------------------------


@pytest.fixture
def low_rates(monkeypatch):
    # DRF reads the rates once, at import: the test lowers them on the throttle classes themselves.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/min", "anon": "2/min"})
    cache.clear()
    yield
    cache.clear()


def test_token_requests_beyond_the_rate_get_429(world, staff, low_rates):
    client = token_client(staff)
    statuses = [client.get("/api/v1/enterprises/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/members/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    # The count is per user: another token user is not held back.
    other = token_client(make_user("other", role="reader", area=world["park"]))
    assert other.get("/api/v1/enterprises/").status_code == 200


def test_anonymous_requests_are_refused_before_throttling(world, low_rates):
    client = APIClient()
    assert [client.get("/api/v1/enterprises/").status_code for _ in range(3)] == [401, 401, 401]


# --- audit actor ------------------------------------------------------------------------------------------------


def test_token_api_patch_records_the_actor(api, world, staff):
    member = world["member"]
    response = api.patch(f"/api/v1/members/{member.pk}/", {"name": "王芳芳"}, format="json")
    assert response.status_code == 200
    entry = LogEntry.objects.get_for_object(Member.objects.get(pk=member.pk)).filter(
        action=LogEntry.Action.UPDATE
    )
    assert [(e.actor, e.changes_dict["name"]) for e in entry] == [(staff, ["王芳", "王芳芳"])]


def test_token_api_create_records_the_actor(api, world, staff):
    response = api.post(
        "/api/v1/instructors/", {"name": "新指导员", "unit": "区委组织部", "area": "A"}, format="json"
    )
    assert response.status_code == 201
    instructor = Instructor.objects.get(name="新指导员")
    entries = LogEntry.objects.get_for_object(instructor).filter(action=LogEntry.Action.CREATE)
    assert [e.actor for e in entries] == [staff]


def test_session_api_patch_records_the_actor(world, staff):
    client = APIClient()
    client.force_login(staff)
    org = world["org"]
    assert (
        client.patch(f"/api/v1/organizations/{org.pk}/", {"name": "改名"}, format="json").status_code == 200
    )
    entries = LogEntry.objects.get_for_object(PartyOrganization.objects.get(pk=org.pk)).filter(
        action=LogEntry.Action.UPDATE
    )
    assert [e.actor for e in entries] == [staff]


def test_token_api_import_records_the_actor(api, world, staff):
    book = openpyxl.Workbook()
    book.active.append(
        ["统一社会信用代码", "单位名称", "类别", "经济类型", "区域代码", "规模以上", "成立日期"]
    )
    book.active.append([make_credit_code(901), "导入企业", "非公企业", "私营企业", "A", "否", "2020-01-01"])
    upload = io.BytesIO()
    book.save(upload)
    upload.seek(0)
    upload.name = "upload.xlsx"
    response = api.post(
        "/api/v1/imports/enterprises/", {"file": upload, "dry_run": "false"}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    firm = Enterprise.objects.get(name="导入企业")
    entries = LogEntry.objects.get_for_object(firm).filter(action=LogEntry.Action.CREATE)
    assert [e.actor for e in entries] == [staff]
    assert entries[0].changes["name"] == ["", "导入企业"]
    assert entries[0].changes["credit_code"] == ["", make_credit_code(901)]
