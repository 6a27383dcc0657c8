"""The site has a favicon (issue 16, point 16): every page of the layout links it, and /favicon.ico, which
browsers and the admin ask for on their own, leads to it instead of a 404."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from tests.factories import AreaFactory, make_user

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def test_the_icon_is_a_small_party_red_svg():
    path = finders.find("favicon.svg")
    assert path is not None
    assert Path(path).stat().st_size < 2048
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 32 32"
    fills = {element.get("fill") for element in root.iter() if element.get("fill")}
    assert "#c8161d" in fills  # party red
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter(f"{SVG}image"))


def test_pages_of_the_layout_link_the_icon(client):
    client.force_login(make_user("staff", role="staff", area=AreaFactory(code="Z", kind="district")))
    for url in ("/accounts/login/", "/enterprises/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b'<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in response.content, url


def test_favicon_ico_leads_to_the_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == f"/{settings.STATIC_URL}favicon.svg".replace("//", "/")
    # The file behind that URL (whitenoise serves it; tests run without collectstatic).
    assert finders.find(response["Location"].removeprefix(f"/{settings.STATIC_URL}".replace("//", "/")))


def test_the_api_docs_use_the_same_icon(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b'<link rel="icon" href="/favicon.ico">' in response.content
