"""Error pages (issue 16, point 4): Chinese 403/404/500 pages in the site layout; the API keeps answering JSON,
also for an address under /api/ that matches no endpoint."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from config import urls as project_urls
from tests.factories import AreaFactory, EnterpriseFactory, make_user

pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [*project_urls.urlpatterns, path("boom/", boom), path("api/boom/", boom)]
handler400 = project_urls.handler400
handler403 = project_urls.handler403
handler404 = project_urls.handler404
handler500 = project_urls.handler500


@pytest.fixture
def park_user_client(client):
    client.force_login(make_user("park-reader", role="park", area=AreaFactory(code="A")))
    return client


def assert_site_page(response, status: int, heading: str) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert heading in html
    assert f"错误代码 {status}" in html
    assert "党建覆盖台账" in html  # the site layout's title and brand
    assert 'href="/static/css/app.css"' in html or "css/app." in html
    for english in ("Forbidden", "Not Found", "Server Error"):
        assert english not in html
    return html


def test_403_is_a_chinese_page_in_the_layout(park_user_client):
    # A park user may not write: the create form is refused.
    response = park_user_client.get("/enterprises/new/")
    html = assert_site_page(response, 403, "您没有访问此页面的权限")
    assert 'id="main-nav"' in html  # the signed-in user keeps the menu


def test_404_is_a_chinese_page_in_the_layout(park_user_client):
    response = park_user_client.get("/no-such-page/")
    html = assert_site_page(response, 404, "您要找的页面不存在")
    assert "/no-such-page/" in html


def test_a_record_outside_the_users_area_is_the_404_page(park_user_client):
    other = EnterpriseFactory(area=AreaFactory(code="B"))
    response = park_user_client.get(f"/enterprises/{other.pk}/")
    assert_site_page(response, 404, "您要找的页面不存在")


@pytest.mark.urls("tests.test_error_pages")
def test_500_is_a_chinese_page_in_the_layout(db):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert_site_page(response, 500, "系统出现错误，请稍后重试")


@pytest.mark.urls("tests.test_error_pages")
def test_500_under_api_is_json(db):
    client = Client(raise_request_exception=False)
    response = client.get("/api/boom/")
    assert response.status_code == 500
    assert response.json() == {"detail": "服务器内部错误，请稍后重试。"}


def test_unmatched_api_address_is_a_json_404(park_user_client):
    for url in ("/api/v1/no-such-endpoint/", "/api/nothing", "/api/v1/enterprises/not-a-number/"):
        response = park_user_client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json", url
        assert response.json() == {"detail": "未找到。"}, url


def test_api_403_and_404_stay_json(park_user_client):
    other = EnterpriseFactory(area=AreaFactory(code="B"))
    response = park_user_client.get(f"/api/v1/enterprises/{other.pk}/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}  # not Django's "No Enterprise matches the given query."
    response = park_user_client.post("/api/v1/enterprises/", {}, content_type="application/json")
    assert response.status_code == 403
    assert "detail" in response.json()
