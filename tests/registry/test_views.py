"""Enterprise pages through the test client: login, filters, the form and its checks, the end action."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.models import AboveScalePeriod, Enterprise, RecomputeRequest
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_credit_code,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    """Pages are scoped by role (registry.access): these tests act as an administrator, who sees every area."""
    client.force_login(make_user("administrator", role="admin"))
    return client


LIST = "/enterprises/"
VALID = make_credit_code(779)
WRONG_CHECK = VALID[:17] + ("1" if VALID[17] == "0" else "0")


def names(response) -> set[str]:
    return {e.name for e in response.context["object_list"]}


def form_data(area, **overrides) -> dict:
    data = {
        "name": "新登记科技有限公司",
        "credit_code": make_credit_code(777),
        "category": "enterprise",
        "economic_type": "private",
        "industry": "制造业",
        "area": area.pk,
        "employees": "120",
        "established_on": "2020-05-01",
        "address": "",
        "contact_person": "",
        "contact_phone": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "url",
    [LIST, "/enterprises/new/", "/enterprises/{pk}/", "/enterprises/{pk}/edit/", "/enterprises/{pk}/end/"],
)
def test_pages_require_login(client, url):
    enterprise = EnterpriseFactory()
    response = client.get(url.format(pk=enterprise.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_home_requires_login(client):
    assert client.get("/")["Location"] == "/accounts/login/?next=/"


def test_login_page_is_chinese_and_redirects_home(client, django_user_model):
    django_user_model.objects.create_user("clerk", password="Str0ng-密码-123")
    page = client.get("/accounts/login/")
    assert "登录" in page.content.decode()
    response = client.post("/accounts/login/", {"username": "clerk", "password": "Str0ng-密码-123"})
    assert response["Location"] == "/"


def test_search_by_name_and_by_code(admin_client):
    EnterpriseFactory(name="甲乙精密机械有限公司", credit_code=make_credit_code(123456))
    EnterpriseFactory(name="丙丁商贸有限公司", credit_code=make_credit_code(654321))
    assert names(admin_client.get(LIST, {"q": "精密"})) == {"甲乙精密机械有限公司"}
    assert names(admin_client.get(LIST, {"q": "000654321"})) == {"丙丁商贸有限公司"}
    assert names(admin_client.get(LIST, {"q": "不存在"})) == set()


def test_area_filter_takes_the_subtree(admin_client):
    district = AreaFactory(code="D", kind="district")
    park = AreaFactory(code="P1", parent=district)
    other = AreaFactory(code="P2")
    EnterpriseFactory(name="园区企业", area=park)
    EnterpriseFactory(name="区直企业", area=district)
    EnterpriseFactory(name="外区企业", area=other)
    assert names(admin_client.get(LIST, {"area": "D"})) == {"园区企业", "区直企业"}
    assert names(admin_client.get(LIST, {"area": "P1"})) == {"园区企业"}


def test_category_filter(admin_client):
    EnterpriseFactory(name="企业")
    EnterpriseFactory(name="协会", category="social_org", economic_type="social_group")
    assert names(admin_client.get(LIST, {"category": "social_org"})) == {"协会"}
    assert names(admin_client.get(LIST, {"category": "enterprise"})) == {"企业"}


def test_above_scale_filter_is_as_of_today(admin_client):
    now = EnterpriseFactory(name="现规上")
    AboveScalePeriodFactory(enterprise=now, start=dt.date(2016, 1, 1))
    former = EnterpriseFactory(name="曾规上")
    AboveScalePeriodFactory(enterprise=former, start=dt.date(2016, 1, 1), end=dt.date(2020, 1, 1))
    EnterpriseFactory(name="从未规上")
    assert names(admin_client.get(LIST, {"above_scale": "true"})) == {"现规上"}
    assert names(admin_client.get(LIST, {"above_scale": "false"})) == {"曾规上", "从未规上"}


def test_coverage_filter(admin_client):
    single, joint, work, _none = (EnterpriseFactory(name=n) for n in ("单建", "联建", "指导员", "未覆盖"))
    LinkFactory(enterprise=single)
    org = OrganizationFactory(setup="joint")
    LinkFactory(organization=org, enterprise=joint)
    AssignmentFactory(enterprise=work)
    assert names(admin_client.get(LIST, {"coverage": "single"})) == {"单建"}
    assert names(admin_client.get(LIST, {"coverage": "joint"})) == {"联建"}
    assert names(admin_client.get(LIST, {"coverage": "work"})) == {"指导员"}
    assert names(admin_client.get(LIST, {"coverage": "none"})) == {"未覆盖"}


def test_filters_combine_and_pagination_keeps_them(admin_client):
    park = AreaFactory(code="P9")
    for i in range(5):
        EnterpriseFactory(name=f"园区企业{i}", area=park)
    EnterpriseFactory(name="别处企业")
    response = admin_client.get(LIST, {"area": "P9", "page_size": "2", "page": "2"})
    assert [e.name for e in response.context["object_list"]] == ["园区企业2", "园区企业3"]
    html = response.content.decode()
    assert 'href="?area=P9&amp;page_size=2&amp;page=3"' in html


def test_page_size_is_capped_at_200(admin_client):
    EnterpriseFactory()
    assert admin_client.get(LIST, {"page_size": "5000"}).context["paginator"].per_page == 200
    assert admin_client.get(LIST, {"page_size": "x"}).context["paginator"].per_page == 50


def _populate(count: int, start: int) -> None:
    area = AreaFactory(code="Q")
    for i in range(start, start + count):
        enterprise = EnterpriseFactory(area=area, credit_code=make_credit_code(90000 + i))
        AboveScalePeriodFactory(enterprise=enterprise)
        LinkFactory(enterprise=enterprise, organization__area=area)
        MemberFactory(enterprise=enterprise)


def test_list_query_count_does_not_grow_with_rows(admin_client):
    _populate(5, 0)
    with CaptureQueriesContext(connection) as five:
        assert len(admin_client.get(LIST).context["object_list"]) == 5
    _populate(25, 5)
    with CaptureQueriesContext(connection) as thirty:
        assert len(admin_client.get(LIST).context["object_list"]) == 30
    assert len(thirty) == len(five)


def test_create_enterprise_with_above_scale(admin_client):
    area = AreaFactory()
    data = form_data(area, above_scale="on", above_scale_since="2021-01-01")
    response = admin_client.post("/enterprises/new/", data)
    enterprise = Enterprise.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/enterprises/{enterprise.pk}/"
    assert (enterprise.name, enterprise.area_id, enterprise.employees) == ("新登记科技有限公司", area.pk, 120)
    assert list(AboveScalePeriod.objects.values_list("start", "end")) == [(dt.date(2021, 1, 1), None)]
    assert list(RecomputeRequest.objects.values_list("area_id", "since")) == [(area.pk, dt.date(2020, 5, 1))]


def test_create_normalises_a_pasted_full_width_code(admin_client):
    area = AreaFactory()
    code = make_credit_code(778)
    pasted = (
        " " + code[:9].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + " " + code[9:].lower()
    )
    admin_client.post("/enterprises/new/", form_data(area, credit_code=pasted))
    assert Enterprise.objects.get().credit_code == code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (WRONG_CHECK, f"统一社会信用代码校验位错误：最后一位应为 {VALID[17]}，请核对。"),
        ("91440800123", "统一社会信用代码应为 18 位，当前为 11 位。"),
        ("9.14408E+17", "统一社会信用代码被 Excel 转成了数字"),
    ],
)
def test_bad_credit_code_shows_chinese_error_and_saves_nothing(admin_client, code, message):
    area = AreaFactory()
    response = admin_client.post("/enterprises/new/", form_data(area, credit_code=code))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].errors["credit_code"][0].startswith(message)
    assert (Enterprise.objects.count(), RecomputeRequest.objects.count()) == (0, 0)


def test_enterprise_form_is_plain_html_with_save_button(admin_client):
    html = admin_client.get("/enterprises/new/").content.decode()
    assert 'id="enterprise-form"' in html
    assert '<button type="submit" class="btn btn-primary">保存</button>' in html
    assert 'type="date" name="established_on"' in html
    assert "<script>" not in html


def test_edit_enterprise_ends_above_scale_today(admin_client):
    enterprise = EnterpriseFactory(name="旧名称")
    AboveScalePeriodFactory(enterprise=enterprise, start=dt.date(2016, 1, 1))
    page = admin_client.get(f"/enterprises/{enterprise.pk}/edit/")
    assert page.context["form"]["above_scale"].value() is True
    data = form_data(
        enterprise.area, name="新名称", credit_code=enterprise.credit_code, established_on="2015-01-01"
    )
    response = admin_client.post(f"/enterprises/{enterprise.pk}/edit/", data)
    assert response.status_code == 302
    enterprise.refresh_from_db()
    today = timezone.localdate()
    assert enterprise.name == "新名称"
    assert list(enterprise.above_scale_periods.values_list("start", "end")) == [(dt.date(2016, 1, 1), today)]
    assert list(RecomputeRequest.objects.values_list("area_id", "since")) == [(enterprise.area_id, today)]


def test_edit_refuses_a_code_taken_by_another_enterprise(admin_client):
    taken = EnterpriseFactory()
    enterprise = EnterpriseFactory(name="原名")
    data = form_data(enterprise.area, name="改名", credit_code=taken.credit_code, established_on="2015-01-01")
    response = admin_client.post(f"/enterprises/{enterprise.pk}/edit/", data)
    assert response.status_code == 200
    assert "统一社会信用代码" in str(response.context["form"].errors["credit_code"])
    enterprise.refresh_from_db()
    assert enterprise.name == "原名"
    assert RecomputeRequest.objects.count() == 0


def test_end_deregisters_and_closes_links(admin_client):
    enterprise = EnterpriseFactory()
    link = LinkFactory(enterprise=enterprise)
    response = admin_client.post(f"/enterprises/{enterprise.pk}/end/", {"on": "2024-06-30"})
    assert response["Location"] == f"/enterprises/{enterprise.pk}/"
    enterprise.refresh_from_db()
    link.refresh_from_db()
    assert (enterprise.deregistered_on, link.end) == (dt.date(2024, 6, 30), dt.date(2024, 6, 30))
    assert list(RecomputeRequest.objects.values_list("area_id", "since")) == [
        (enterprise.area_id, dt.date(2024, 6, 30))
    ]


def test_end_before_founding_is_refused_next_to_the_date(admin_client):
    enterprise = EnterpriseFactory(established_on=dt.date(2015, 1, 1))
    response = admin_client.post(f"/enterprises/{enterprise.pk}/end/", {"on": "2014-12-31"})
    assert response.status_code == 200
    assert response.context["form"].errors["on"] == ["注销/迁出日期应晚于成立日期。"]
    enterprise.refresh_from_db()
    assert enterprise.deregistered_on is None
    assert RecomputeRequest.objects.count() == 0


def test_detail_shows_coverage_links_instructors_and_warnings(admin_client):
    enterprise = EnterpriseFactory(name="三名党员公司")
    org = OrganizationFactory(name="联合党支部甲", setup="joint")
    LinkFactory(organization=org, enterprise=enterprise, start=dt.date(2019, 1, 1))
    AssignmentFactory(enterprise=enterprise, instructor__name="王指导")
    AboveScalePeriodFactory(enterprise=enterprise, start=dt.date(2017, 1, 1), end=dt.date(2019, 1, 1))
    for _ in range(3):
        MemberFactory(enterprise=enterprise, organization=org)
    response = admin_client.get(f"/enterprises/{enterprise.pk}/")
    html = response.content.decode()
    assert response.context["enterprise"].coverage == "joint"
    assert response.context["enterprise"].party_members == 3
    assert "联合党支部甲" in html and "王指导" in html
    assert "2017-01-01 至 2019-01-01" in html
    assert response.context["warnings"] == ["有正式党员 3 名（3 名以上），应单独组建党组织。"]
    assert "有正式党员 3 名（3 名以上），应单独组建党组织。" in html


def test_navigation_has_chinese_links_and_logout_form(admin_client):
    html = admin_client.get(LIST).content.decode()
    for text in ("首页", "单位台账", "党组织", "党员", "党建指导员", "管理后台", "退出"):
        assert text in html
    assert '<form method="post" action="/accounts/logout/"' in html
    assert "/static/bootstrap/css/bootstrap.min.css" in html
