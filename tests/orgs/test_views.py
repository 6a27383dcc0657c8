"""Organisation pages through the test client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orgs.models import OrganizationLink, PartyOrganization
from registry.models import RecomputeRequest
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    """Pages are scoped by role (registry.access): these tests act as an administrator, who sees every area."""
    client.force_login(make_user("administrator", role="admin"))
    return client


LIST = "/organizations/"


def names(response) -> set[str]:
    return {o.name for o in response.context["object_list"]}


def form_data(area, enterprises, **overrides) -> dict:
    data = {
        "name": "新建党支部",
        "kind": "branch",
        "setup": "single",
        "parent": "",
        "area": area.pk,
        "founded_on": "2022-07-01",
        "approval_no": "组字〔2022〕7号",
        "term_ends_on": "",
        "enterprises": [e.pk for e in enterprises],
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "url",
    [
        LIST,
        "/organizations/new/",
        "/organizations/{pk}/",
        "/organizations/{pk}/edit/",
        "/organizations/{pk}/end/",
    ],
)
def test_pages_require_login(client, url):
    org = OrganizationFactory()
    response = client.get(url.format(pk=org.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_list_filters(admin_client):
    district = AreaFactory(code="D", kind="district")
    park = AreaFactory(code="P1", parent=district)
    other = AreaFactory(code="P2")
    OrganizationFactory(name="园区第一党支部", area=park)
    OrganizationFactory(name="区非公企业党委", kind="committee", area=district)
    OrganizationFactory(name="外区联合党支部", setup="joint", area=other)
    OrganizationFactory(name="已撤销党支部", area=other, dissolved_on=dt.date(2020, 1, 1))
    assert names(admin_client.get(LIST, {"q": "第一"})) == {"园区第一党支部"}
    assert names(admin_client.get(LIST, {"area": "D"})) == {"园区第一党支部", "区非公企业党委"}
    assert names(admin_client.get(LIST, {"kind": "committee"})) == {"区非公企业党委"}
    assert names(admin_client.get(LIST, {"setup": "joint"})) == {"外区联合党支部"}
    assert names(admin_client.get(LIST, {"status": "ended"})) == {"已撤销党支部"}


def test_list_shows_counts_as_of_today(admin_client):
    org = OrganizationFactory(name="计数党支部")
    LinkFactory(organization=org)
    MemberFactory(organization=org)
    MemberFactory(organization=org, category="probationary")
    MemberFactory(organization=org, ended_on=dt.date(2020, 1, 1), end_reason="transfer_out")
    row = admin_client.get(LIST).context["object_list"][0]
    assert (row.member_count, row.full_member_count, row.unit_count) == (2, 1, 1)


def _populate(count: int) -> None:
    area = AreaFactory(code="Q")
    for _ in range(count):
        org = OrganizationFactory(area=area)
        LinkFactory(organization=org, enterprise__area=area)
        member = MemberFactory(organization=org)
        org.secretary = member
        org.save()


def test_list_query_count_does_not_grow_with_rows(admin_client):
    _populate(5)
    with CaptureQueriesContext(connection) as five:
        assert len(admin_client.get(LIST).context["object_list"]) == 5
    _populate(25)
    with CaptureQueriesContext(connection) as thirty:
        assert len(admin_client.get(LIST).context["object_list"]) == 30
    assert len(thirty) == len(five)


def test_create_single_organization_links_its_enterprise(admin_client):
    area = AreaFactory()
    enterprise = EnterpriseFactory(area=area)
    response = admin_client.post("/organizations/new/", form_data(area, [enterprise]))
    org = PartyOrganization.objects.get()
    assert response["Location"] == f"/organizations/{org.pk}/"
    assert (org.name, org.setup, org.founded_on) == ("新建党支部", "single", dt.date(2022, 7, 1))
    assert list(org.links.values_list("enterprise_id", "start", "end")) == [
        (enterprise.pk, dt.date(2022, 7, 1), None)
    ]
    assert list(RecomputeRequest.objects.values_list("area_id", "since")) == [(area.pk, dt.date(2022, 7, 1))]


def test_single_with_two_enterprises_is_refused_in_chinese(admin_client):
    area = AreaFactory()
    enterprises = [EnterpriseFactory(area=area), EnterpriseFactory(area=area)]
    response = admin_client.post("/organizations/new/", form_data(area, enterprises))
    assert response.status_code == 200
    assert response.context["form"].errors["enterprises"] == [
        "单独组建的党组织应覆盖且只覆盖 1 个单位，当前选择了 2 个。"
    ]
    assert "单独组建的党组织应覆盖且只覆盖 1 个单位，当前选择了 2 个。" in response.content.decode()
    assert (PartyOrganization.objects.count(), RecomputeRequest.objects.count()) == (0, 0)


def test_create_form_has_no_secretary_and_offers_operating_enterprises(admin_client):
    area = AreaFactory(code="P5")
    EnterpriseFactory(name="在营公司", area=area)
    EnterpriseFactory(name="已注销公司", area=area, deregistered_on=dt.date(2020, 1, 1))
    form = admin_client.get("/organizations/new/", {"area": "P5"}).context["form"]
    assert "secretary" not in form.fields
    assert [label for _, label in form.fields["enterprises"].widget.choices] == [
        f"在营公司（{form.fields['enterprises'].queryset.get().credit_code}）"
    ]


def test_edit_moves_links_from_the_change_date(admin_client):
    area = AreaFactory()
    old, new, third = (EnterpriseFactory(area=area) for _ in range(3))
    org = OrganizationFactory(area=area, setup="joint", name="联合党支部")
    LinkFactory(organization=org, enterprise=old)
    LinkFactory(organization=org, enterprise=new)
    page = admin_client.get(f"/organizations/{org.pk}/edit/")
    assert set(page.context["form"]["enterprises"].value()) == {old.pk, new.pk}
    data = form_data(area, [new, third], name="联合党支部", setup="joint", founded_on="2018-01-01")
    data["links_change_on"] = "2024-04-01"
    response = admin_client.post(f"/organizations/{org.pk}/edit/", data)
    assert response.status_code == 302
    links = set(OrganizationLink.objects.values_list("enterprise_id", "start", "end"))
    assert links == {
        (old.pk, dt.date(2018, 1, 1), dt.date(2024, 4, 1)),
        (new.pk, dt.date(2018, 1, 1), None),
        (third.pk, dt.date(2024, 4, 1), None),
    }
    assert list(RecomputeRequest.objects.values_list("area_id", "since")) == [(area.pk, dt.date(2024, 4, 1))]


def test_secretary_must_be_an_active_member_of_the_organization(admin_client):
    area = AreaFactory()
    enterprise = EnterpriseFactory(area=area)
    org = OrganizationFactory(area=area, name="本支部")
    LinkFactory(organization=org, enterprise=enterprise)
    own = MemberFactory(organization=org, name="本支部党员")
    gone = MemberFactory(
        organization=org, name="已转出党员", ended_on=dt.date(2020, 1, 1), end_reason="transfer_out"
    )
    stranger = MemberFactory(name="外支部党员")
    form = admin_client.get(f"/organizations/{org.pk}/edit/").context["form"]
    assert list(form.fields["secretary"].queryset) == [own]
    data = form_data(area, [enterprise], name="本支部", founded_on="2018-01-01")
    for candidate in (stranger, gone):
        response = admin_client.post(f"/organizations/{org.pk}/edit/", {**data, "secretary": candidate.pk})
        assert response.status_code == 200
        assert "secretary" in response.context["form"].errors
    response = admin_client.post(f"/organizations/{org.pk}/edit/", {**data, "secretary": own.pk})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.secretary == own


def test_dissolve_ends_links(admin_client):
    org = OrganizationFactory()
    link = LinkFactory(organization=org)
    response = admin_client.post(f"/organizations/{org.pk}/end/", {"on": "2025-03-31"})
    assert response["Location"] == f"/organizations/{org.pk}/"
    org.refresh_from_db()
    link.refresh_from_db()
    assert (org.dissolved_on, link.end) == (dt.date(2025, 3, 31), dt.date(2025, 3, 31))
    assert set(RecomputeRequest.objects.values_list("since", flat=True)) == {dt.date(2025, 3, 31)}


def test_dissolve_before_founding_is_refused(admin_client):
    org = OrganizationFactory(founded_on=dt.date(2018, 1, 1))
    response = admin_client.post(f"/organizations/{org.pk}/end/", {"on": "2017-01-01"})
    assert response.context["form"].errors["on"] == ["撤销日期应晚于成立日期。"]
    org.refresh_from_db()
    assert org.dissolved_on is None


def test_detail_shows_links_with_history_counts_and_warnings(admin_client):
    org = OrganizationFactory(name="单建党支部", setup="single", term_ends_on=timezone.localdate())
    current = LinkFactory(organization=org, enterprise__name="现覆盖公司", start=dt.date(2021, 1, 1))
    LinkFactory(
        organization=org, enterprise__name="曾覆盖公司", start=dt.date(2018, 1, 1), end=dt.date(2021, 1, 1)
    )
    MemberFactory(organization=org, enterprise=current.enterprise)
    response = admin_client.get(f"/organizations/{org.pk}/")
    html = response.content.decode()
    assert "现覆盖公司" in html and "曾覆盖公司" in html
    assert [link.is_current for link in response.context["links"]] == [True, False]
    assert (response.context["organization"].member_count, response.context["organization"].unit_count) == (
        1,
        1,
    )
    assert response.context["warnings"] == [
        "单独组建的党组织正式党员仅 1 名，不足 3 名，应调整为联合组建或发展党员。",
        f"本届任期将于 {timezone.localdate().isoformat()} 届满，请做好换届准备。",
    ]
