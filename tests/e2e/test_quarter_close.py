"""The quarter close in a real browser (issue 14): a park user on a phone verifies and submits its quarter, the
district approves it, and a backdated entry into that quarter is then refused on the form in Chinese."""

import pytest
from playwright.sync_api import expect

from registry.models import Enterprise
from registry.periods import Quarter
from reports.engine.recompute import recompute
from reports.models import Submission
from tests.e2e.test_enterprise_entry import PASSWORD, log_in
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    EnterpriseFactory,
    make_credit_code,
    make_user,
)

pytestmark = pytest.mark.e2e
Q3 = Quarter(2025, 3)
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    park = AreaFactory(code="P1", parent=zone, name="高新技术产业园区")
    AreaFactory(code="P2", parent=zone, name="临港物流园区")
    for i in range(2):
        AboveScalePeriodFactory(enterprise=EnterpriseFactory(area=park, name=f"示范企业{i}"))
    recompute(periods=[Q3.previous(), Q3])
    make_user("park", role="park", area=park, password=PASSWORD)
    make_user("clerk", role="staff", area=zone, password=PASSWORD)
    return park


def test_park_submits_on_a_phone_district_approves_backdated_entry_refused(page, world, server_errors):
    page.set_viewport_size(PHONE)
    log_in(page, "park", PASSWORD)
    page.goto("/submissions/P1/2025Q3/")
    expect(page.locator("h2", has_text="报送前核对清单")).to_be_visible()
    page.click("#submit-form button[type=submit]")  # not confirmed yet
    expect(page.locator(".alert-danger")).to_contain_text("勾选确认后再报送")
    page.check("#verified")
    page.fill("#submit-note", "已逐户电话核实")
    page.click("#submit-form button[type=submit]")
    expect(page.locator("#submission-status")).to_have_text("已报送")
    assert (
        page.evaluate("document.documentElement.scrollWidth") <= 390
    )  # the page itself never scrolls sideways

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "clerk", PASSWORD)
    page.goto("/submissions/?period=2025Q3")
    expect(page.locator("#submission-progress")).to_contain_text("审核通过 0 / 2")
    page.click("#submissions button:has-text('审核通过')")
    expect(page.locator("#submission-status")).to_have_text("已审核通过")
    assert Submission.objects.get(area=world, period=Q3).status == "approved"

    page.goto("/enterprises/new/")
    page.fill("#id_name", "补录企业有限公司")
    page.fill("#id_credit_code", make_credit_code(4711))
    page.fill("#id_established_on", "2025-08-01")
    page.select_option("#id_area", label="高新技术产业园区")
    page.click("main form button[type=submit]")
    expect(page.locator("main")).to_contain_text("2025Q3 的数据已审核通过，不能再修改")
    assert not Enterprise.objects.filter(name="补录企业有限公司").exists()
    assert server_errors == []
