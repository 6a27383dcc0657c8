"""The coverage pages in a real browser (issue 16): the report's selector and the choice carried over from the
dashboard, tables on a 390 px phone, the trend chart's labels. Screenshots of the dashboard, the report and a
phone-width page are kept in test-artifacts/."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from registry.periods import Quarter
from reports.engine.recompute import recompute
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_enterprise_entry import PASSWORD, log_in
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    EnterpriseFactory,
    LinkFactory,
    OrganizationFactory,
    make_user,
)

pytestmark = pytest.mark.e2e
Q2, Q3 = Quarter(2025, 2), Quarter(2025, 3)
IN_Q3 = dt.date(2025, 8, 1)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world():
    """A district of two parks, 50 % covered in 2025Q2 and Q3, with two units changing state in Q3 (their
    reasons are long: the 原因 column must stay readable on a phone)."""
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    p1 = AreaFactory(code="P1", parent=zone, name="高新技术产业园区")
    p2 = AreaFactory(code="P2", parent=zone, name="临港物流园区")
    firms = []
    for i, park in enumerate([p1, p2, p1, p2]):
        firm = EnterpriseFactory(area=park, name=f"示范精密机械制造有限公司{i}")
        AboveScalePeriodFactory(enterprise=firm)
        firms.append(firm)
    LinkFactory(enterprise=firms[0], organization=OrganizationFactory(area=p1))
    LinkFactory(enterprise=firms[1], organization=OrganizationFactory(area=p2), end=IN_Q3)
    new_org = OrganizationFactory(area=p1, name="示范精密机械制造有限公司联合党支部委员会", founded_on=IN_Q3)
    LinkFactory(enterprise=firms[2], organization=new_org, start=IN_Q3)
    recompute(periods=sorted({Q2, Q3, Quarter.current().previous()}, key=str))
    make_user("clerk", role="staff", area=zone, password=PASSWORD)
    return zone


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_report_has_the_selector_and_keeps_the_dashboards_choice(page, world, server_errors):
    log_in(page, "clerk", PASSWORD)
    # Nothing chosen yet: the report opens the last complete quarter, not the current, unfinished one.
    page.goto("/reports/quarterly/")
    last_complete = Quarter.current().previous()
    expect(page.locator(".selector select[name=period]")).to_have_value(str(last_complete))
    expect(page.locator("h1")).to_contain_text(f"示范区{last_complete.label}")

    page.goto("/")
    page.locator(".selector").get_by_role("link", name="高新技术产业园区").click()
    page.locator(".selector select[name=period]").select_option("2025Q3")
    page.locator(".selector").get_by_role("button", name="切换").click()
    expect(page.locator("h1")).to_contain_text("高新技术产业园区 · 2025年第3季度")
    screenshot(page, "dashboard.png")

    page.locator("nav.navbar").get_by_role("link", name="季度报告").click()
    page.wait_for_url("**/reports/quarterly/")
    expect(page.locator("h1")).to_contain_text("高新技术产业园区2025年第3季度")
    expect(page.locator(".selector select[name=period]")).to_have_value("2025Q3")
    expect(page.locator(".selector .breadcrumb .active")).to_have_text("高新技术产业园区")

    # The report's own selector: another quarter, then back to the dashboard through the menu.
    page.locator(".selector select[name=period]").select_option("2025Q2")
    page.locator(".selector").get_by_role("button", name="切换").click()
    expect(page.locator("h1")).to_contain_text("高新技术产业园区2025年第2季度")
    screenshot(page, "report.png")
    page.locator("nav.navbar").get_by_role("link", name="首页").click()
    expect(page.locator("h1")).to_contain_text("高新技术产业园区 · 2025年第2季度")
    assert server_errors == []


# Rendered characters per line of each table cell with some text: its length over the number of lines its text
# takes (distinct tops of the text's line boxes; a cell's own height is its row's, so it cannot tell).
CHARS_PER_LINE = """
(root) => [...root.querySelectorAll("table td, table th")].filter(c => c.offsetParent !== null)
  .map(c => {
    const range = document.createRange();
    range.selectNodeContents(c);
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    const text = c.innerText.trim();
    return {text, lines: Math.max(1, tops.size), perLine: text.length / Math.max(1, tops.size)};
  }).filter(c => c.text.length >= 4)
"""


@pytest.mark.parametrize(
    "url",
    [
        "/?area=Z&period=2025Q3",
        "/coverage/changes/?area=Z&period=2025Q3",
        "/reports/quarterly/?area=Z&period=2025Q3",
    ],
)
def test_tables_on_a_phone_scroll_sideways_instead_of_squeezing_a_column(browser, live_server, world, url):
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", base_url=live_server.url
    )
    page = context.new_page()
    try:
        log_in(page, "clerk", PASSWORD)
        page.goto(url)
        reasons = page.locator("td.wrap", has_text="成立党组织").first
        expect(reasons).to_be_visible()
        cells = page.evaluate(CHARS_PER_LINE, page.locator("main").element_handle())
        squeezed = [c for c in cells if c["perLine"] < 4]
        assert squeezed == [], squeezed
        reason = next(c for c in cells if "成立党组织" in c["text"])
        assert reason["perLine"] >= 10, (
            reason
        )  # the 原因 column reads as a sentence, not a column of characters
        # The table is wider than the phone: its box scrolls sideways, the page itself does not.
        box = reasons.locator("xpath=ancestor::div[contains(@class, 'table-responsive')][1]")
        assert box.evaluate("b => b.scrollWidth > b.clientWidth")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        if url.startswith("/?"):
            screenshot(page, "phone-dashboard.png")
    finally:
        context.close()


def test_trend_chart_axis_labels_clear_the_point_labels(page, world):
    log_in(page, "clerk", PASSWORD)
    page.goto("/?area=Z&period=2025Q3")
    chart = page.locator('svg[aria-label="覆盖率走势"]')
    expect(chart).to_be_visible()
    boxes = chart.evaluate(
        """svg => [...svg.querySelectorAll("text")].map(t => {
             const b = t.getBBox();
             return {text: t.textContent.trim(), value: t.classList.contains("chart-value"),
                     x1: b.x, y1: b.y, x2: b.x + b.width, y2: b.y + b.height};
           })"""
    )
    axis = [b for b in boxes if b["text"] in ("100%", "50%")]
    values = [b for b in boxes if b["value"]]
    assert len(axis) == 2 and [v["text"] for v in values] == ["50.0", "50.0"]

    def overlap(a, b):
        return a["x1"] < b["x2"] and b["x1"] < a["x2"] and a["y1"] < b["y2"] and b["y1"] < a["y2"]

    assert [(a["text"], v["text"]) for a in axis for v in values if overlap(a, v)] == []


def test_park_dashboard_has_no_empty_sub_area_box(page, world):
    make_user("parkuser", role="park", area=world.children.get(code="P1"), password=PASSWORD)
    log_in(page, "parkuser", PASSWORD)
    page.goto("/?period=2025Q3")
    expect(page.locator('svg[aria-label="覆盖率走势"]')).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("无下级区域")
    expect(page.get_by_role("heading", name="各下级区域", exact=False)).to_have_count(0)
