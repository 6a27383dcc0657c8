"""The quarterly report's area/quarter selector, its default (the last complete quarter), the choice kept from page
to page, and a park's dashboard without an empty sub-area box (issue 16)."""

import pytest

from registry.periods import Quarter
from reports.engine.recompute import recompute
from tests.factories import AboveScalePeriodFactory, AreaFactory, EnterpriseFactory, LinkFactory, make_user

pytestmark = pytest.mark.django_db
Q3 = Quarter(2025, 3)


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    parks = [AreaFactory(code=f"P{i}", parent=zone, name=f"园区{i}") for i in (1, 2)]
    for i in range(4):
        firm = EnterpriseFactory(area=parks[i % 2], name=f"企业{i}")
        AboveScalePeriodFactory(enterprise=firm)
        if i == 0:
            LinkFactory(enterprise=firm)
    last_complete = Quarter.current().previous()
    recompute(periods=sorted({Q3.previous(), Q3, last_complete}, key=str))
    return zone, parks


@pytest.fixture
def staff(client, world):
    user = make_user("clerk", role="staff", area=world[0])
    client.force_login(user)
    return user


def test_report_page_has_the_dashboards_selector(client, staff):
    html = client.get("/reports/quarterly/", {"area": "Z", "period": "2025Q3"}).content.decode()
    assert '<select name="period" class="form-select form-select-sm" aria-label="季度">' in html
    assert '<option value="2025Q3" selected>2025年第3季度</option>' in html
    assert (
        '<a class="me-2" href="?area=P1&amp;period=2025Q3">园区1</a>' in html
    )  # a sub-area is one click away


def test_report_defaults_to_the_last_complete_quarter(client, staff):
    response = client.get("/reports/quarterly/")
    assert response.status_code == 200
    last_complete = Quarter.current().previous()
    assert response.context["report"].period == last_complete
    assert f'<option value="{last_complete}" selected>' in response.content.decode()
    assert client.get("/").context["period"] == Quarter.current()  # the dashboard still opens the current one


def test_the_dashboards_choice_follows_to_the_report_and_back(client, staff):
    assert client.get("/", {"area": "P1", "period": "2025Q3"}).status_code == 200
    report = client.get("/reports/quarterly/")  # the menu link: no parameters
    assert (report.context["report"].area.code, str(report.context["report"].period)) == ("P1", "2025Q3")
    # A choice made on the report page is kept for the dashboard and the other coverage pages.
    client.get("/reports/quarterly/", {"area": "P2", "period": "2025Q2"})
    dashboard = client.get("/")
    assert (dashboard.context["area"].code, str(dashboard.context["period"])) == ("P2", "2025Q2")
    assert str(client.get("/coverage/changes/").context["period"]) == "2025Q2"
    # An explicit link still wins over the remembered choice.
    assert client.get("/", {"area": "Z"}).context["area"].code == "Z"


def test_a_default_is_not_remembered_as_a_choice(client, staff):
    client.get("/reports/quarterly/")  # opens the last complete quarter by default
    assert client.get("/").context["period"] == Quarter.current()


def test_a_remembered_area_outside_the_users_scope_is_dropped(client, world):
    zone, parks = world
    user = make_user("parkuser", role="park", area=parks[1])
    client.force_login(user)
    session = client.session
    session["reports.selection"] = {"area": "P1", "period": "2025Q3"}  # e.g. chosen before a move to P2
    session.save()
    response = client.get("/reports/quarterly/")
    assert response.status_code == 200
    assert (response.context["area"].code, str(response.context["period"])) == ("P2", "2025Q3")
    assert client.session["reports.selection"] == {"period": "2025Q3"}
    assert (
        client.get("/reports/quarterly/", {"area": "P1"}).status_code == 404
    )  # asked for explicitly: not found


def test_a_quarter_not_computed_shows_the_selector_with_a_notice(client, staff):
    response = client.get("/reports/quarterly/", {"area": "Z", "period": "2019Q1"})
    assert response.status_code == 404
    html = response.content.decode()
    assert "尚未计算" in html and '<select name="period"' in html


def test_park_dashboard_has_no_empty_sub_area_box(client, world):
    zone, parks = world
    client.force_login(make_user("parkuser", role="park", area=parks[0]))
    html = client.get("/", {"period": "2025Q3"}).content.decode()
    assert "无下级区域" not in html and 'id="sub-areas"' not in html
    assert 'id="trend"' in html
    report = client.get("/reports/quarterly/", {"period": "2025Q3"}).content.decode()
    assert "无下级区域" not in report and "各下级区域党组织覆盖率" not in report
    assert "园区1不设下级区域，覆盖情况见上表。" in report
    client.force_login(make_user("zoneuser", role="staff", area=zone))
    assert 'id="sub-areas"' in client.get("/", {"period": "2025Q3"}).content.decode()
