"""The member and applicant forms fill 出生日期 and 性别 from the ID number as it is typed (static/js/id-number.js);
an invalid number fills nothing, and the server still checks the three agree."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from members.models import Member
from tests.e2e.test_enterprise_entry import PASSWORD, log_in
from tests.factories import AreaFactory, OrganizationFactory, make_id_number

pytestmark = pytest.mark.e2e  # tests/e2e/conftest.py adds the transactional django_db mark

WOMAN = make_id_number(7, born=dt.date(1990, 2, 28), male=False)
MAN = make_id_number(8, born=dt.date(1979, 12, 31), male=True)


@pytest.fixture
def admin_user(transactional_db):
    return get_user_model().objects.create_superuser("e2e-id-admin", email="", password=PASSWORD)


def test_typing_an_id_number_fills_birth_date_and_gender(page, live_server, admin_user, server_errors):
    org = OrganizationFactory(area=AreaFactory(code="KFQ", name="经济开发区", kind="district"))
    csp_violations: list[str] = []
    page.on("console", lambda msg: "Content Security Policy" in msg.text and csp_violations.append(msg.text))
    log_in(page, "e2e-id-admin", PASSWORD)
    page.goto("/members/new/")
    form = page.locator("#member-form")
    birth_date, gender, id_number = (form.locator(f"#id_{n}") for n in ("birth_date", "gender", "id_number"))

    # Typed key by key: nothing is filled until the number is complete and its check character right.
    id_number.press_sequentially(WOMAN[:17])
    expect(birth_date).to_have_value("")
    wrong = "0" if WOMAN[17] != "0" else "1"
    id_number.press_sequentially(wrong)
    expect(birth_date).to_have_value("")
    id_number.press("Backspace")
    id_number.press_sequentially(WOMAN[17])
    expect(birth_date).to_have_value("1990-02-28")
    expect(gender).to_have_value("F")
    expect(page.locator("#id-number-derived")).to_have_text("已按身份证号码填入出生日期和性别，请核对。")

    # Another number replaces both; an invalid one afterwards leaves them as they are.
    id_number.fill(MAN)
    expect(birth_date).to_have_value("1979-12-31")
    expect(gender).to_have_value("M")
    id_number.fill(MAN[:16])
    expect(birth_date).to_have_value("1979-12-31")
    expect(gender).to_have_value("M")
    expect(page.locator("#id-number-derived")).to_have_text("")

    # Saved with the derived values (the server checks they agree with the number).
    id_number.fill(MAN)
    form.locator("#id_name").fill("浏览器党员")
    form.locator("#id_education").select_option("bachelor")
    form.locator("#id_joined_on").fill("2020-07-01")
    form.locator("#id_organization").select_option(str(org.pk))
    form.get_by_role("button", name="保存").click()
    page.wait_for_url(lambda url: not url.rstrip("/").endswith("/members/new"))
    saved = Member.objects.get(name="浏览器党员")
    assert (saved.id_number, saved.birth_date, saved.gender) == (MAN, dt.date(1979, 12, 31), "M")
    assert csp_violations == []
    assert server_errors == []


def test_the_applicant_form_fills_them_too(page, live_server, admin_user):
    OrganizationFactory(area=AreaFactory(code="KFQ", name="经济开发区", kind="district"))
    log_in(page, "e2e-id-admin", PASSWORD)
    page.goto("/applicants/new/")
    form = page.locator("#applicant-form")
    form.locator("#id_id_number").fill(" " + WOMAN[:17] + WOMAN[17].lower())  # pasted: blanks, lower-case x
    expect(form.locator("#id_birth_date")).to_have_value("1990-02-28")
    expect(form.locator("#id_gender")).to_have_value("F")
