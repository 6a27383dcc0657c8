"""The organisation form's unit picker (issue 16, point 7), server side: the units offered are the chosen area's
subtree (the form and the picker's JSON agree), the chosen units stay chosen after a validation error, and the
page loads the picker's script from our own static files. The browser part is tests/e2e/test_unit_picker.py."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection

from tests.factories import AreaFactory, EnterpriseFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", name="示范区", kind="district")
    p1 = AreaFactory(code="P1", parent=zone, name="园区一")
    p2 = AreaFactory(code="P2", parent=zone, name="园区二")
    other = AreaFactory(code="Y", name="外区", kind="district")
    firms = {
        "p1a": EnterpriseFactory(area=p1, name="甲一公司"),
        "p1b": EnterpriseFactory(area=p1, name="甲二公司"),
        "p1gone": EnterpriseFactory(area=p1, name="甲注销公司", deregistered_on=dt.date(2020, 1, 1)),
        "p2": EnterpriseFactory(area=p2, name="乙一公司"),
        "other": EnterpriseFactory(area=other, name="外区公司"),
    }
    return {"zone": zone, "p1": p1, "p2": p2, "other": other, "firms": firms}


@pytest.fixture
def page(client, world):
    client.force_login(make_user("clerk", role="staff", area=world["zone"]))
    return client


def offered(html: str) -> dict[str, bool]:
    """The enterprise select's options: label → selected."""
    select = re.search(r'<select name="enterprises".*?</select>', html, re.S).group(0)
    return {
        m.group(3): bool(m.group(2))
        for m in re.finditer(r'<option value="(\d+)"( selected)?>([^<（]+)', select)
    }


def test_the_picker_replaces_the_ctrl_click_list(page, world):
    html = page.get("/organizations/new/", {"area": "P1"}).content.decode()
    select = re.search(r'<select name="enterprises"[^>]*>', html).group(0)
    assert "data-unit-picker" in select
    assert 'data-options-url="/organizations/unit-options/"' in select
    assert "Ctrl" not in html
    assert re.search(r'<script src="/static/js/unit-picker\.[\w.]*js" defer></script>', html) or (
        '<script src="/static/js/unit-picker.js" defer></script>' in html
    )
    assert offered(html) == {"甲一公司": False, "甲二公司": False}


def test_options_are_the_chosen_areas_subtree_in_the_users_scope(page, world):
    firms = world["firms"]

    def units(area):
        return page.get("/organizations/unit-options/", {"area": area.pk}).json()["units"]

    # Names in the registry's order: pinyin on PostgreSQL (甲二 jia er before 甲一 jia yi), code points on SQLite.
    in_order = ["p1b", "p1a"] if connection.vendor == "postgresql" else ["p1a", "p1b"]
    assert [u["id"] for u in units(world["p1"])] == [firms[key].pk for key in in_order]
    first = firms[in_order[0]]
    assert units(world["p1"])[0]["label"] == f"{first.name}（{first.credit_code}）"
    assert {u["id"] for u in units(world["zone"])} == {firms["p1a"].pk, firms["p1b"].pk, firms["p2"].pk}
    assert units(world["other"]) == []  # outside the user's area: nothing, as if it did not exist
    assert page.get("/organizations/unit-options/", {"area": "x"}).json() == {"units": []}


def test_options_are_for_roles_that_may_write(client, world):
    client.force_login(make_user("reader", role="park", area=world["p1"]))
    assert client.get("/organizations/unit-options/", {"area": world["p1"].pk}).status_code == 403


def test_chosen_units_stay_chosen_after_a_validation_error(page, world):
    firms = world["firms"]
    data = {
        "name": "",  # required: the form comes back with errors
        "kind": "branch",
        "setup": "joint",
        "area": world["p1"].pk,
        "founded_on": "2022-07-01",
        "enterprises": [firms["p1a"].pk, firms["p1b"].pk],
    }
    response = page.post("/organizations/new/", data)
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert offered(response.content.decode()) == {"甲一公司": True, "甲二公司": True}


def test_a_chosen_unit_from_elsewhere_is_kept_visible_when_the_area_changes(page, world):
    firms = world["firms"]
    data = {
        "name": "",
        "kind": "branch",
        "setup": "joint",
        "area": world["p2"].pk,
        "founded_on": "2022-07-01",
        "enterprises": [firms["p1a"].pk, firms["p2"].pk],
    }
    html = page.post("/organizations/new/", data).content.decode()
    assert offered(html) == {"甲一公司": True, "乙一公司": True}
