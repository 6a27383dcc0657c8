from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def run(monkeypatch, password: str | None) -> str:
    if password is None:
        monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("DEMO_PASSWORD", password)
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    return out.getvalue()


def test_creates_admin_with_demo_password(monkeypatch):
    output = run(monkeypatch, "演示-Passw0rd")

    admin = get_user_model().objects.get(username="admin")
    assert (admin.is_superuser, admin.is_staff, admin.is_active) == (True, True, True)
    assert admin.check_password("演示-Passw0rd")
    assert "演示-Passw0rd" not in output


def test_generates_and_prints_a_password_when_none_given(monkeypatch):
    output = run(monkeypatch, None)

    printed = output.split("with password: ", 1)[1].split()[0]
    assert len(printed) == 16
    assert get_user_model().objects.get(username="admin").check_password(printed)


def test_existing_admin_keeps_password_without_demo_password(monkeypatch):
    run(monkeypatch, "first-Passw0rd")

    output = run(monkeypatch, None)

    assert "password left unchanged" in output
    assert get_user_model().objects.filter(username="admin").count() == 1
    assert get_user_model().objects.get(username="admin").check_password("first-Passw0rd")


def test_existing_admin_gets_demo_password_when_set(monkeypatch):
    run(monkeypatch, "first-Passw0rd")

    run(monkeypatch, "second-Passw0rd")

    assert get_user_model().objects.get(username="admin").check_password("second-Passw0rd")
