"""Picking the units of a joint organisation in a real browser (issue 16, point 7): a searchable list of the chosen
area's units, used from the keyboard alone, with no request to another origin; the chosen units are still shown
after a validation error. Keeps screenshots of a list and of a form with errors in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from orgs.models import PartyOrganization
from tests.e2e.conftest import ARTIFACTS, is_local
from tests.factories import AreaFactory, EnterpriseFactory, make_user

pytestmark = pytest.mark.e2e  # tests/e2e/conftest.py adds the transactional django_db mark

PASSWORD = "e2e-Str0ng-密码"


@pytest.fixture
def world(transactional_db):
    zone = AreaFactory(code="Z", name="示范区", kind="district")
    p1 = AreaFactory(code="P1", parent=zone, name="园区一")
    p2 = AreaFactory(code="P2", parent=zone, name="园区二")
    firms = {
        name: EnterpriseFactory(area=area, name=name)
        for area, name in [
            (p1, "甲一精密机械有限公司"),
            (p1, "甲二电子科技有限公司"),
            (p1, "甲三物流有限公司"),
            (p2, "乙一食品有限公司"),
        ]
    }
    make_user("e2e-clerk", role="staff", area=zone, password=PASSWORD)
    return {"zone": zone, "p1": p1, "p2": p2, "firms": firms}


def log_in(page) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", "e2e-clerk")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_pick_units_by_search_and_keyboard_and_keep_them_after_an_error(
    page, live_server, world, requested_urls, server_errors
):
    firms = world["firms"]
    log_in(page)
    page.goto("/organizations/new/")
    form = page.locator("#organization-form")

    # The Ctrl-click list is hidden; a search box, a list of checkboxes and a count stand in its place.
    expect(form.locator("select#id_enterprises")).to_be_hidden()
    search = form.locator("#id_enterprises-search")
    expect(search).to_be_visible()
    expect(form.locator("#id_enterprises-count")).to_have_text("尚未选择单位。")

    # Choosing the area lists that area's units only (fetched from our own server).
    form.locator("#id_area").select_option(str(world["p1"].pk))
    results = form.locator("#id_enterprises-results")
    expect(results.locator("label")).to_have_count(3)
    expect(results).not_to_contain_text("乙一食品有限公司")

    # Keyboard only: type to search, ↓ into the list, Space to tick; then search again and tick with Enter.
    search.focus()
    page.keyboard.type("精密")
    expect(results.locator("label")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    page.keyboard.press("Escape")
    expect(search).to_be_focused()
    search.fill("")
    page.keyboard.type("电子")
    page.keyboard.press("Enter")  # one unit left: Enter ticks it (and does not submit the form)
    chosen = form.locator("#id_enterprises-chosen")
    expect(chosen.locator("li")).to_have_count(2)
    expect(chosen).to_contain_text("甲一精密机械有限公司")
    expect(chosen).to_contain_text("甲二电子科技有限公司")
    expect(form.locator("#id_enterprises-count")).to_have_text("已选 2 个单位：")

    # Submit with the name left empty: the form comes back with errors and the two units still chosen.
    form.locator("#id_setup").select_option("joint")
    form.locator("#id_founded_on").fill("2022-07-01")
    form.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    expect(page.locator(".field-error").first).to_be_visible()
    chosen = page.locator("#id_enterprises-chosen")
    expect(chosen.locator("li")).to_have_count(2)
    expect(chosen).to_contain_text("甲一精密机械有限公司")
    expect(chosen).to_contain_text("甲二电子科技有限公司")
    screenshot(page, "form-with-errors-organization.png")

    # Remove one with its button, add the third, fill the name, save.
    page.get_by_role("button", name="移除 甲二电子科技有限公司").click()
    expect(chosen.locator("li")).to_have_count(1)
    page.locator("#id_enterprises-search").fill("物流")
    page.locator("#id_enterprises-results").get_by_label("甲三物流有限公司", exact=False).check()
    page.locator("#id_name").fill("甲联合党支部")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(lambda url: "/organizations/new/" not in url)

    org = PartyOrganization.objects.get(name="甲联合党支部")
    assert set(org.links.values_list("enterprise__name", flat=True)) == {
        "甲一精密机械有限公司",
        "甲三物流有限公司",
    }
    assert firms["甲二电子科技有限公司"].org_links.count() == 0

    page.goto("/organizations/")
    expect(page.locator("#organization-table")).to_contain_text("甲联合党支部")
    screenshot(page, "list-organizations.png")

    assert server_errors == []
    assert [url for url in requested_urls if not is_local(url)] == []
    assert (ARTIFACTS / "form-with-errors-organization.png").stat().st_size > 0
    assert (ARTIFACTS / "list-organizations.png").stat().st_size > 0
