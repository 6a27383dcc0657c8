"""A department user logs in, registers an enterprise and finds it in the list — in a real browser."""

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from registry.models import Enterprise
from tests.e2e.conftest import is_local
from tests.factories import AreaFactory, make_credit_code

pytestmark = pytest.mark.e2e  # tests/e2e/conftest.py adds the transactional django_db mark

PASSWORD = "e2e-Str0ng-密码"


@pytest.fixture
def admin_user(transactional_db):
    return get_user_model().objects.create_superuser("e2e-admin", email="", password=PASSWORD)


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.press("#id_password", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_register_an_enterprise_and_find_it_in_the_list(
    page, live_server, admin_user, requested_urls, server_errors
):
    area = AreaFactory(code="KFQ", name="经济开发区", kind="district")
    code = make_credit_code(4242)
    name = "浏览器测试精密机械有限公司"

    log_in(page, "e2e-admin", PASSWORD)
    page.goto("/enterprises/new/")
    form = page.locator("#enterprise-form")
    form.locator("#id_name").fill(name)
    form.locator("#id_credit_code").fill(code)
    form.locator("#id_area").select_option(str(area.pk))
    form.locator("#id_established_on").fill("2019-03-15")
    form.get_by_role("button", name="保存").click()
    page.wait_for_url(lambda url: not url.rstrip("/").endswith("/enterprises/new"))

    saved = Enterprise.objects.get(credit_code=code)
    assert (saved.name, saved.area_id, saved.established_on) == (name, area.pk, dt.date(2019, 3, 15))

    page.goto("/enterprises/")
    expect(page.locator("body")).to_contain_text(name)
    expect(page.locator(f'a[href="/enterprises/{saved.pk}/"]').first).to_be_visible()

    assert server_errors == []
    assert [url for url in requested_urls if not is_local(url)] == []
    assert any(
        re.search(r"/static/bootstrap/css/bootstrap(\.min)?\.[\w.]*css$", url) for url in requested_urls
    )
