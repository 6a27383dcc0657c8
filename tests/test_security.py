"""Personal data masking, the audit trail, login lockout, optimistic concurrency, CSP and other hardening."""

from __future__ import annotations

import re

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from members.models import Member
from orgs.models import OrganizationLink, PartyOrganization
from registry.models import Enterprise
from registry.services import update_enterprise
from tests.factories import (
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

pytestmark = pytest.mark.django_db

ID_NUMBER = make_id_number(77)
MEMBER_PHONE = "13812345678"
INSTRUCTOR_PHONE = "13711112222"
CONTACT_PHONE = "13900001111"
PASSWORD = "pw-Quite-Long-1"


@pytest.fixture
def world():
    park = AreaFactory(code="A", name="园区A")
    firm = EnterpriseFactory(area=park, name="甲精工有限公司", contact_phone=CONTACT_PHONE)
    org = OrganizationFactory(area=park, name="甲精工党支部")
    LinkFactory(organization=org, enterprise=firm)
    member = MemberFactory(organization=org, enterprise=firm, id_number=ID_NUMBER, phone=MEMBER_PHONE)
    instructor = InstructorFactory(area=park, phone=INSTRUCTOR_PHONE)
    AssignmentFactory(instructor=instructor, enterprise=firm)
    return {"park": park, "firm": firm, "org": org, "member": member, "instructor": instructor}


@pytest.fixture
def staff(client, world):
    user = make_user("clerk", role="staff", area=world["park"])
    client.force_login(user)
    return user


def pages(world) -> list[str]:
    m, i, f, o = world["member"], world["instructor"], world["firm"], world["org"]
    return [
        "/members/",
        f"/members/{m.pk}/",
        f"/members/{m.pk}/edit/",
        f"/members/{m.pk}/end/",
        "/instructors/",
        f"/instructors/{i.pk}/",
        f"/instructors/{i.pk}/edit/",
        "/enterprises/",
        f"/enterprises/{f.pk}/",
        f"/enterprises/{f.pk}/edit/",
        "/organizations/",
        f"/organizations/{o.pk}/",
        f"/organizations/{o.pk}/edit/",
    ]


# --- masking ------------------------------------------------------------------------------------------------------


def test_full_id_numbers_and_phones_reach_no_page(client, staff, world):
    for url in pages(world):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        for secret in (ID_NUMBER, MEMBER_PHONE, INSTRUCTOR_PHONE, CONTACT_PHONE):
            assert secret not in html, (url, secret)
    detail = client.get(f"/members/{world['member'].pk}/").content.decode()
    assert ID_NUMBER[:6] + "********" + ID_NUMBER[-4:] in detail
    assert "138****5678" in detail
    assert "137****2222" in client.get(f"/instructors/{world['instructor'].pk}/").content.decode()
    assert "139****1111" in client.get(f"/enterprises/{world['firm'].pk}/").content.decode()


def test_edit_forms_show_the_phone_masked_and_keep_it_when_left_empty(client, staff, world):
    member = world["member"]
    html = client.get(f"/members/{member.pk}/edit/").content.decode()
    assert 'placeholder="138****5678"' in html
    data = {
        "name": "改名党员",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "1985-06-01",
        "education": "bachelor",
        "phone": "",
        "category": "full",
        "joined_on": "2019-01-01",
        "joined_party_on": "2019-01-01",
        "organization": world["org"].pk,
        "enterprise": world["firm"].pk,
    }
    assert client.post(f"/members/{member.pk}/edit/", data).status_code == 302
    member.refresh_from_db()
    assert (member.name, member.phone) == ("改名党员", MEMBER_PHONE)
    assert client.post(f"/members/{member.pk}/edit/", {**data, "phone": "13000000000"}).status_code == 302
    member.refresh_from_db()
    assert member.phone == "13000000000"


def test_reveal_shows_full_values_once_and_is_audited(client, staff, world):
    member = world["member"]
    response = client.post(f"/members/{member.pk}/reveal/")
    html = response.content.decode()
    assert response.status_code == 200
    assert ID_NUMBER in html and MEMBER_PHONE in html
    assert "no-store" in response["Cache-Control"]
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS, additional_data__event="reveal")
    assert (entry.actor, entry.object_pk, entry.object_repr) == (staff, str(member.pk), member.name)
    assert entry.content_type == ContentType.objects.get_for_model(Member)
    # The page afterwards is masked again, and shows the reveal in the history.
    after = client.get(f"/members/{member.pk}/").content.decode()
    assert ID_NUMBER not in after and "查看完整个人信息" in after

    response = client.post(f"/instructors/{world['instructor'].pk}/reveal/")
    assert INSTRUCTOR_PHONE in response.content.decode()
    assert LogEntry.objects.filter(additional_data__event="reveal").count() == 2


def test_park_users_cannot_reveal(client, world):
    client.force_login(make_user("park", role="park", area=world["park"]))
    html = client.get(f"/members/{world['member'].pk}/").content.decode()
    assert "显示完整信息" not in html
    assert client.post(f"/members/{world['member'].pk}/reveal/").status_code == 403
    assert not LogEntry.objects.filter(additional_data__event="reveal").exists()


# --- audit --------------------------------------------------------------------------------------------------------


def entries(model, obj_pk, action=None):
    qs = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), object_pk=str(obj_pk))
    return qs.filter(action=action) if action is not None else qs


def test_create_update_and_end_are_logged_field_by_field(client, staff, world):
    park = world["park"]
    data = {
        "name": "新登记有限公司",
        "credit_code": make_credit_code(4711),
        "category": "enterprise",
        "economic_type": "private",
        "area": park.pk,
        "established_on": "2020-05-01",
        "contact_phone": "13600001234",
    }
    assert client.post("/enterprises/new/", data).status_code == 302
    firm = Enterprise.objects.get(name="新登记有限公司")
    created = entries(Enterprise, firm.pk, LogEntry.Action.CREATE).get()
    assert created.actor == staff
    assert created.remote_addr == "127.0.0.1"
    assert created.changes_dict["name"] == ["None", "新登记有限公司"]
    assert created.changes_dict["contact_phone"][1] == "136****1234"  # masked in the log too

    edit = client.get(f"/enterprises/{firm.pk}/edit/")
    version = edit.context["form"].initial["version"]
    response = client.post(
        f"/enterprises/{firm.pk}/edit/",
        {**data, "name": "改名有限公司", "contact_phone": "", "version": version},
    )
    assert response.status_code == 302
    updated = entries(Enterprise, firm.pk, LogEntry.Action.UPDATE).get()
    assert updated.changes_dict == {"name": ["新登记有限公司", "改名有限公司"]}
    assert updated.actor == staff

    assert client.post(f"/enterprises/{firm.pk}/end/", {"on": "2024-01-01"}).status_code == 302
    ended = entries(Enterprise, firm.pk, LogEntry.Action.UPDATE).order_by("-timestamp").first()
    assert ended.changes_dict == {"deregistered_on": ["None", "2024-01-01"]}

    html = client.get(f"/enterprises/{firm.pk}/").content.decode()
    assert "单位名称：新登记有限公司 → 改名有限公司" in html
    assert "clerk" in html


def test_ending_links_is_logged_per_link(client, staff, world):
    org, firm = world["org"], world["firm"]
    link = OrganizationLink.objects.get(organization=org, enterprise=firm)
    assert client.post(f"/organizations/{org.pk}/end/", {"on": "2024-01-01"}).status_code == 302
    entry = entries(OrganizationLink, link.pk, LogEntry.Action.UPDATE).get()
    assert entry.changes_dict == {"end": ["None", "2024-01-01"]}
    assert entry.actor == staff
    assert entries(PartyOrganization, org.pk, LogEntry.Action.UPDATE).get().changes_dict == {
        "dissolved_on": ["None", "2024-01-01"]
    }


def test_member_id_number_is_masked_in_the_log(client, staff, world):
    data = {
        "name": "新党员",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "1985-06-01",
        "education": "bachelor",
        "id_number": make_id_number(88),
        "phone": "13555556666",
        "category": "full",
        "joined_on": "2020-07-01",
        "organization": world["org"].pk,
        "enterprise": "",
    }
    assert client.post("/members/new/", data).status_code == 302
    member = Member.objects.get(name="新党员")
    entry = entries(Member, member.pk, LogEntry.Action.CREATE).get()
    logged = str(entry.changes) + entry.changes_text
    assert make_id_number(88) not in logged and "13555556666" not in logged
    assert entry.changes_dict["id_number"][1] == make_id_number(88)[:6] + "********" + make_id_number(88)[-4:]


def test_logins_logouts_and_failed_logins_are_logged(world):
    user = make_user("clerk", role="staff", area=world["park"])
    client = Client()
    client.post("/accounts/login/", {"username": "clerk", "password": "wrong"})
    client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    assert client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD}).status_code == 302
    client.post("/accounts/logout/")
    events = list(
        LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
        .order_by("timestamp", "pk")
        .values_list("additional_data__event", "actor__username", "object_repr")
    )
    assert events == [
        ("login_failed", None, "clerk"),
        ("login_failed", None, "nobody"),
        ("login", "clerk", "clerk"),
        ("logout", "clerk", "clerk"),
    ]
    assert user.is_active


def test_admin_can_search_but_not_edit_the_log(client, staff, world):
    client.post(f"/members/{world['member'].pk}/reveal/")
    admin = Client()
    admin.force_login(make_user("root", role="admin"))
    listing = admin.get("/admin/auditlog/logentry/", {"q": world["member"].name})
    assert listing.status_code == 200
    assert world["member"].name in listing.content.decode()
    entry = LogEntry.objects.first()
    assert admin.get("/admin/auditlog/logentry/add/").status_code == 403
    assert admin.post(f"/admin/auditlog/logentry/{entry.pk}/change/", {}).status_code == 403
    assert admin.post(f"/admin/auditlog/logentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_record_event_for_downloads(rf, staff, world):
    from registry.audit import record_event

    request = rf.get("/export/members.xlsx")
    request.user = staff
    entry = record_event(request, "download", obj=world["park"], detail="党员.xlsx")
    assert (entry.action, entry.actor, entry.object_repr) == (LogEntry.Action.ACCESS, staff, "园区A")
    assert entry.changes_text == "下载：党员.xlsx"


# --- lockout ------------------------------------------------------------------------------------------------------


def test_five_failures_lock_the_login(world):
    make_user("clerk", role="staff", area=world["park"])
    client = Client()
    for _ in range(4):
        response = client.post("/accounts/login/", {"username": "clerk", "password": "wrong"})
        assert response.status_code == 200
        assert "用户名或密码不正确" in response.content.decode()
    locked = client.post("/accounts/login/", {"username": "clerk", "password": "wrong"})
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    # Even the right password is refused while locked; the login form is still there.
    response = client.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 429
    assert 'id="id_username"' in response.content.decode()
    assert "_auth_user_id" not in client.session


# --- optimistic concurrency ---------------------------------------------------------------------------------------


def test_saving_over_someone_elses_change_is_refused(client, staff, world):
    firm = world["firm"]
    form = client.get(f"/enterprises/{firm.pk}/edit/").context["form"]
    version = form.initial["version"]
    assert f'name="version" value="{version}"' in client.get(f"/enterprises/{firm.pk}/edit/").content.decode()
    update_enterprise(enterprise=Enterprise.objects.get(pk=firm.pk), name="别人改的名字")
    data = {
        "name": "我改的名字",
        "credit_code": firm.credit_code,
        "category": "enterprise",
        "economic_type": "private",
        "area": world["park"].pk,
        "established_on": "2015-01-01",
        "version": version,
    }
    response = client.post(f"/enterprises/{firm.pk}/edit/", data)
    assert response.status_code == 200
    assert "该记录已被他人修改" in response.content.decode()
    assert Enterprise.objects.get(pk=firm.pk).name == "别人改的名字"


def test_member_edit_conflict(client, staff, world):
    member = world["member"]
    version = client.get(f"/members/{member.pk}/edit/").context["form"].initial["version"]
    Member.objects.get(pk=member.pk).save()  # someone else saves in between
    data = {
        "name": "我改的名字",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "1985-06-01",
        "education": "bachelor",
        "category": "full",
        "joined_on": "2019-01-01",
        "joined_party_on": "2019-01-01",
        "organization": world["org"].pk,
        "version": version,
    }
    response = client.post(f"/members/{member.pk}/edit/", data)
    assert "该记录已被他人修改" in response.content.decode()
    assert Member.objects.get(pk=member.pk).name == member.name


# --- CSP, inline scripts, CSRF, uploads, sessions -----------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


def test_pages_send_a_csp_and_have_no_inline_script(client, staff, world):
    for url in [
        *pages(world),
        "/",
        "/periods/",
        "/reports/quarterly/?area=A",
        "/accounts/login/",
        "/api/docs/",
    ]:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "http" not in policy  # no outside origins
        html = response.content.decode()
        assert INLINE_SCRIPT.findall(html) == [], url
        assert HANDLER.findall(html) == [], url


def test_api_docs_work_without_inline_script(client, staff):
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    assert any("?script" in src or "script" in src for src in scripts)
    init = next(src for src in scripts if "script" in src.split("/")[-1])
    assert client.get(init).status_code == 200


def test_posts_need_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("clerk", role="staff", area=world["park"]))
    response = client.post(f"/enterprises/{world['firm'].pk}/end/", {"on": "2024-01-01"})
    assert response.status_code == 403
    assert Enterprise.objects.get(pk=world["firm"].pk).deregistered_on is None


def test_oversized_uploads_are_refused(client, staff, settings):
    settings.MAX_UPLOAD_BYTES = 1000
    response = client.post("/enterprises/new/", {"name": "x" * 2000})
    assert response.status_code == 413
    assert "上传内容过大" in response.content.decode()


def test_idle_sessions_expire_after_thirty_minutes():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.AXES_FAILURE_LIMIT == 5
