"""An instructor on a 390 px phone (issue 15): logs in, lands on its firms, records a visit and a request from a
firm's buttons, closes the request, and no page scrolls sideways."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from members.models import EnterpriseRequest, InstructorVisit
from tests.e2e.test_enterprise_entry import PASSWORD, log_in
from tests.factories import AreaFactory, AssignmentFactory, EnterpriseFactory, InstructorFactory, make_user

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
LONG_NAME = "杭州市经济技术开发区智能制造与新材料产业协同创新服务中心有限公司"


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    park = AreaFactory(code="P1", parent=zone, name="高新技术产业园区")
    firm = EnterpriseFactory(area=park, name=LONG_NAME)
    instructor = InstructorFactory(area=park, name="赵指导")
    AssignmentFactory(instructor=instructor, enterprise=firm, start=dt.date(2020, 1, 1))
    instructor.user = make_user("zhao", role="instructor", area=park, password=PASSWORD)
    instructor.save()
    return firm


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_instructor_records_a_visit_and_a_request_on_a_phone(page, world, server_errors):
    page.set_viewport_size(PHONE)
    log_in(page, "zhao", PASSWORD)
    expect(page.locator("h1")).to_have_text("我的联系单位")
    expect(page.locator("#my-firms")).to_contain_text(LONG_NAME)
    expect(page.locator("#my-firms .last-visit")).to_have_text("尚未走访")
    assert no_sideways_scroll(page)
    button = page.locator("#my-firms a", has_text="登记走访")
    assert button.bounding_box()["height"] >= 44  # a thumb's target

    button.click()
    expect(page.locator("#visit-firm")).to_have_text(LONG_NAME)
    assert no_sideways_scroll(page)
    page.fill("#id_content", "了解企业用工和党员情况")
    page.fill("#id_problems", "缺少活动场所")
    page.click("#visit-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("已登记走访记录")
    today = timezone.localdate().isoformat()
    expect(page.locator("#my-firms .last-visit")).to_have_text(today)
    assert InstructorVisit.objects.get().problems == "缺少活动场所"

    page.click("#my-firms a:has-text('登记诉求')")
    page.select_option("#id_category", "labour")
    page.fill("#id_content", "招工难，希望对接职业院校")
    page.click("#request-form button[type=submit]")
    expect(page.locator("#my-firms .open-requests")).to_have_text("1 件")

    page.click("#my-firms .open-requests a")
    expect(page.locator("#request-table")).to_contain_text("招工难")
    assert no_sideways_scroll(page)
    page.click("#request-table a:has-text('办结')")
    page.fill("#id_result", "已对接两所职业院校")
    page.click("#request-close-form button[type=submit]")
    expect(page.locator(".alert-success")).to_contain_text("已办结")
    assert no_sideways_scroll(page)
    assert EnterpriseRequest.objects.get().closed_on == timezone.localdate()

    page.goto("/instructor/visits/")
    expect(page.locator("#visit-table")).to_contain_text("缺少活动场所")
    assert no_sideways_scroll(page)
    assert server_errors == []
