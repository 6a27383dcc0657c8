"""API tokens die with a password change or a deactivation; the login lockout keys on the real client address
only behind a trusted proxy; the token endpoint answers a lockout in JSON."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client, RequestFactory
from knox.models import AuthToken
from rest_framework.test import APIClient

from registry.clientip import client_ip
from tests.factories import AreaFactory, EnterpriseFactory, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Quite-Long-1"
TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture
def park():
    return AreaFactory(code="A", name="园区A")


def login_token(username: str, password: str = PASSWORD, **extra) -> str:
    response = APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json", **extra
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


def status_with(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/v1/areas/").status_code


# --- item 8: revocation ---------------------------------------------------------------------------------------------


def test_password_change_revokes_tokens_at_once(park):
    user = make_user("clerk", role="staff", area=park)
    other = make_user("other", role="staff", area=park)
    token, kept = login_token("clerk"), login_token("other")
    assert status_with(token) == 200  # and now remembered in this process's token cache
    user.set_password("a-New-Password-2")
    user.save()
    assert AuthToken.objects.filter(user=user).count() == 0
    assert status_with(token) == 401
    assert status_with(kept) == 200
    assert AuthToken.objects.filter(user=other).count() == 1


def test_deactivation_revokes_tokens_at_once(park):
    user = make_user("clerk", role="staff", area=park)
    token = login_token("clerk")
    assert status_with(token) == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert AuthToken.objects.filter(user=user).count() == 0
    assert status_with(token) == 401


def test_password_change_through_the_page_revokes_tokens(park):
    user = make_user("clerk", role="staff", area=park)
    token = login_token("clerk")
    client = Client()
    client.force_login(user)
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "a-New-Password-2", "new_password2": "a-New-Password-2"},
    )
    assert response.status_code == 302
    assert status_with(token) == 401


def test_a_token_revoked_in_another_process_is_refused_there_within_a_second(park):
    """Another process (a worker, another web process) keeps its own memory of the token: the revocation's shared
    generation number retires it there, at that process's next look at the number (at most a second later)."""
    from django.core.cache import caches
    from knox.crypto import hash_token

    from registry.api import auth

    user = make_user("clerk", role="staff", area=park)
    token = login_token("clerk")
    assert status_with(token) == 200  # remembered in this process, as it is in the other one
    key = auth.CACHE_PREFIX + hash_token(token)
    memory_of_the_other_process = caches[auth.TOKEN_CACHE].get(key)
    assert memory_of_the_other_process is not None
    user.set_password("a-New-Password-2")
    user.save()  # revokes in this process: the token is forgotten here and the shared number bumped
    # Give this process the other one's memory, and let it read the shared number as the other would next second.
    caches[auth.TOKEN_CACHE].set(key, memory_of_the_other_process, 60)
    auth.REVOCATIONS.forget()
    assert status_with(token) == 401


def test_other_saves_keep_tokens(park):
    user = make_user("clerk", role="staff", area=park)
    token = login_token("clerk")  # the login itself saves last_login
    user.first_name = "王"
    user.save()
    assert AuthToken.objects.filter(user=user).count() == 1
    assert status_with(token) == 200


# --- item 9: the client address behind a trusted proxy ----------------------------------------------------------


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from("10.0.0.5", "203.0.113.7")) == "10.0.0.5"


def test_the_header_is_read_only_from_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "192.0.2.1"]
    assert client_ip(request_from("10.0.0.5", "203.0.113.7")) == "203.0.113.7"
    # A client that writes the header itself is not believed: the proxy appended the real address on the right.
    assert client_ip(request_from("10.0.0.5", "1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    # Two trusted hops are skipped.
    assert client_ip(request_from("10.0.0.5", "198.51.100.9, 192.0.2.1")) == "198.51.100.9"
    # Not from a trusted proxy: the connecting address, whatever the header says.
    assert client_ip(request_from("203.0.113.50", "1.2.3.4")) == "203.0.113.50"
    # Missing or malformed header: the proxy's own address.
    assert client_ip(request_from("10.0.0.5")) == "10.0.0.5"
    assert client_ip(request_from("10.0.0.5", "not-an-ip\x00")) == "10.0.0.5"


def test_lockout_behind_a_trusted_proxy_keys_on_the_client(settings, park):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    make_user("clerk", role="staff", area=park)
    attacker = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    for _ in range(5):
        attacker.post("/accounts/login/", {"username": "clerk", "password": "wrong"})
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.66"]
    assert attacker.post("/accounts/login/", {"username": "clerk", "password": PASSWORD}).status_code == 429
    # The same user from another client behind the same proxy is not locked out.
    colleague = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.77")
    response = colleague.post("/accounts/login/", {"username": "clerk", "password": PASSWORD})
    assert response.status_code == 302


def test_lockout_without_trusted_proxies_ignores_the_header(settings, park):
    settings.TRUSTED_PROXIES = []
    make_user("clerk", role="staff", area=park)
    for n in range(5):  # a different forged address each time changes nothing
        Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").post(
            "/accounts/login/", {"username": "clerk", "password": "wrong"}
        )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.0.0.1"]
    forged = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert forged.post("/accounts/login/", {"username": "clerk", "password": PASSWORD}).status_code == 429


# --- item 10: a locked-out token request is JSON ----------------------------------------------------------------


def test_token_endpoint_answers_a_lockout_with_json(park):
    make_user("clerk", role="staff", area=park)
    client = APIClient()
    for _ in range(4):
        response = client.post(TOKEN_URL, {"username": "clerk", "password": "wrong"}, format="json")
        assert (response.status_code, response.json()) == (400, {"non_field_errors": ["用户名或密码错误。"]})
    for password in ("wrong", PASSWORD):
        locked = client.post(TOKEN_URL, {"username": "clerk", "password": password}, format="json")
        assert locked.status_code == 429
        assert locked["Content-Type"] == "application/json"
        assert locked.json() == {
            "detail": "登录失败次数过多（5 次），该账号已暂时锁定，请稍后再试或联系系统管理员。"
        }
        assert locked["Retry-After"] == "1800"
    assert AuthToken.objects.count() == 0
    assert User.objects.get(username="clerk").is_active


@pytest.mark.parametrize(
    ("trusted", "expected"), [([], "10.0.0.1"), (["10.0.0.1"], "203.0.113.5")], ids=["untrusted", "trusted"]
)
def test_audit_log_takes_the_same_client_address(settings, park, trusted, expected):
    settings.TRUSTED_PROXIES = trusted
    firm = EnterpriseFactory(area=park, name="甲公司")
    client = APIClient(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")
    client.force_authenticate(make_user("root", role="admin"))
    response = client.patch(f"/api/v1/enterprises/{firm.pk}/", {"name": "乙公司"}, format="json")
    assert response.status_code == 200, response.content
    entry = LogEntry.objects.filter(object_pk=str(firm.pk), action=LogEntry.Action.UPDATE).get()
    assert entry.remote_addr == expected
