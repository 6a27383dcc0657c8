"""The pages of a member's dated history: the timeline, the event forms (转接/转回, 转正, 延长预备期, 工作单位),
the 入党日期 on the member form, an organisation's members as of a date and its moves in a quarter, and the
组织关系转接 list with its Excel download. Through the test client, as a clerk and as a read-only park user."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import Employment, Member, Membership
from members.services import transfer_member, update_member
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    make_id_number,
    make_user,
)

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def world():
    """A zone with parks A and B; an organisation in each (A has two) and a firm in A."""
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    park_a = AreaFactory(code="PA", parent=zone, name="园区甲")
    park_b = AreaFactory(code="PB", parent=zone, name="园区乙")
    return {
        "zone": zone,
        "park_a": park_a,
        "park_b": park_b,
        "org_a": OrganizationFactory(area=park_a, name="甲一支部"),
        "org_a2": OrganizationFactory(area=park_a, name="甲二支部"),
        "org_b": OrganizationFactory(area=park_b, name="乙一支部"),
        "firm": EnterpriseFactory(area=park_a, name="甲方科技有限公司"),
        "firm2": EnterpriseFactory(area=park_a, name="甲方制造有限公司"),
    }


@pytest.fixture
def clerk(client, world):
    """Staff of the zone: writes, and sees both parks."""
    client.force_login(make_user("clerk", role="staff", area=world["zone"]))
    return client


def log_in(client, world, role: str, area: str):
    client.force_login(make_user(f"{role}-{area}", role=role, area=world[area]))
    return client


def memberships(member) -> list[tuple]:
    return list(
        Membership.objects.filter(member=member)
        .order_by("start")
        .values_list("organization__name", "start", "end", "how_started", "how_ended")
    )


def employments(member) -> list[tuple]:
    return list(
        Employment.objects.filter(member=member)
        .order_by("start")
        .values_list("enterprise__name", "start", "end")
    )


def page(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- 组织关系转接 ----


def test_transfer_writes_one_end_and_one_start_and_the_new_workplace(clerk, world):
    member = MemberFactory(name="张转接", organization=world["org_a"], enterprise=world["firm"])
    response = clerk.post(
        f"/members/{member.pk}/transfer/",
        {"organization": world["org_b"].pk, "on": "2024-07-01", "enterprise": world["firm2"].pk},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/members/{member.pk}/"
    assert memberships(member) == [
        ("甲一支部", D(2019, 1, 1), D(2024, 7, 1), "developed", "transfer"),
        ("乙一支部", D(2024, 7, 1), None, "transfer_in", ""),
    ]
    assert employments(member) == [
        ("甲方科技有限公司", D(2019, 1, 1), D(2024, 7, 1)),
        ("甲方制造有限公司", D(2024, 7, 1), None),
    ]
    member.refresh_from_db()
    assert (member.organization_id, member.joined_on, member.enterprise_id) == (
        world["org_b"].pk,
        D(2024, 7, 1),
        world["firm2"].pk,
    )


def test_transfer_without_a_workplace_keeps_the_workplace(clerk, world):
    member = MemberFactory(organization=world["org_a"], enterprise=world["firm"])
    clerk.post(f"/members/{member.pk}/transfer/", {"organization": world["org_a2"].pk, "on": "2024-07-01"})
    assert employments(member) == [("甲方科技有限公司", D(2019, 1, 1), None)]
    assert [row[0] for row in memberships(member)] == ["甲一支部", "甲二支部"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"on": "2018-06-01"}, "on", "转接日期应晚于转入当前党组织的日期（2019-01-01）。"),
        ({"organization": "same"}, "organization", "转入的党组织与当前所在党组织相同。"),
        ({"on": ""}, "on", "该字段是必填项。"),
        ({"on": "2024-13-01"}, "on", "输入一个有效的日期。"),
    ],
)
def test_transfer_errors_show_next_to_their_field_and_write_nothing(clerk, world, data, field, message):
    member = MemberFactory(organization=world["org_a"])
    before = memberships(member)
    post = {"organization": world["org_b"].pk, "on": "2024-07-01", **data}
    if post["organization"] == "same":
        post["organization"] = world["org_a"].pk
    response = clerk.post(f"/members/{member.pk}/transfer/", post)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert message in page(response)
    assert memberships(member) == before


def test_transfer_into_an_organisation_not_yet_founded_is_refused(clerk, world):
    member = MemberFactory(organization=world["org_a"])
    young = OrganizationFactory(area=world["park_a"], name="新建支部", founded_on=D(2025, 1, 1))
    response = clerk.post(f"/members/{member.pk}/transfer/", {"organization": young.pk, "on": "2024-07-01"})
    assert response.context["form"].errors["organization"] == [
        "该党组织在 2024-07-01 不存续，不能接收组织关系。"
    ]
    assert Membership.objects.filter(member=member).count() == 1


def test_a_refused_workplace_change_undoes_the_transfer(clerk, world):
    """The transfer itself is valid; the new workplace from that day is not (the current one began later): the
    message is on the date and neither the transfer nor the workplace is saved."""
    member = MemberFactory(organization=world["org_a"], enterprise=world["firm"])
    update_member(member=member, enterprise=world["firm2"], enterprise_since=D(2023, 1, 1))
    before_memberships, before_employments = memberships(member), employments(member)
    response = clerk.post(
        f"/members/{member.pk}/transfer/",
        {"organization": world["org_b"].pk, "on": "2022-01-01", "enterprise": world["firm"].pk},
    )
    assert response.context["form"].errors["on"] == ["变更日期不能早于在现工作单位的起始日期（2023-01-01）。"]
    assert (memberships(member), employments(member)) == (before_memberships, before_employments)
    member.refresh_from_db()
    assert member.organization_id == world["org_a"].pk


def test_transfer_of_a_member_who_left_is_a_return(clerk, world):
    member = MemberFactory(organization=world["org_a"], ended_on=D(2022, 1, 1), end_reason="transfer_out")
    detail = page(clerk.get(f"/members/{member.pk}/"))
    assert f'href="/members/{member.pk}/transfer/">转回</a>' in detail
    form_page = clerk.get(f"/members/{member.pk}/transfer/")
    assert '<h1 class="h4 mb-3">转回：' in page(form_page)
    assert form_page.context["form"].fields["on"].label == "转回日期"

    response = clerk.post(
        f"/members/{member.pk}/transfer/", {"organization": world["org_a"].pk, "on": "2021-06-01"}
    )
    assert response.context["form"].errors["on"] == ["转回日期不能早于上次减少日期（2022-01-01）。"]
    assert Membership.objects.filter(member=member).count() == 1

    response = clerk.post(
        f"/members/{member.pk}/transfer/", {"organization": world["org_a"].pk, "on": "2023-03-01"}
    )
    assert response.status_code == 302
    assert memberships(member) == [
        ("甲一支部", D(2019, 1, 1), D(2022, 1, 1), "developed", "transfer_out"),
        ("甲一支部", D(2023, 3, 1), None, "transfer_in", ""),
    ]
    member.refresh_from_db()
    assert (member.ended_on, member.end_reason, member.joined_on) == (None, "", D(2023, 3, 1))


def test_transfer_offers_only_organisations_in_the_users_area(client, world):
    member = MemberFactory(organization=world["org_a"])
    log_in(client, world, "staff", "park_a")
    response = client.get(f"/members/{member.pk}/transfer/")
    offered = set(response.context["form"].fields["organization"].queryset.values_list("name", flat=True))
    assert offered == {"甲一支部", "甲二支部"}
    response = client.post(
        f"/members/{member.pk}/transfer/", {"organization": world["org_b"].pk, "on": "2024-07-01"}
    )
    assert response.context["form"].errors["organization"] == [
        "所选项不存在或不在您的管辖范围内，请重新选择。"
    ]
    assert Membership.objects.filter(member=member).count() == 1


# ---------------------------------------------------------------- 转正 and 延长预备期 ----


def probationary(world) -> Member:
    return MemberFactory(
        organization=world["org_a"],
        category="probationary",
        joined_on=D(2024, 1, 1),
        joined_party_on=D(2024, 1, 1),
    )


def test_confirm_sets_the_date_and_the_category(clerk, world):
    member = probationary(world)
    form = clerk.get(f"/members/{member.pk}/confirm/").context["form"]
    assert form.initial.get("on", form.fields["on"].initial) == D(2025, 1, 1)
    response = clerk.post(f"/members/{member.pk}/confirm/", {"on": "2025-01-10"})
    assert response["Location"] == f"/members/{member.pk}/"
    member.refresh_from_db()
    assert (member.category, member.confirmed_on) == ("full", D(2025, 1, 10))
    assert (member.category_on(D(2025, 1, 9)), member.category_on(D(2025, 1, 10))) == ("probationary", "full")


def test_confirm_before_the_probation_ends_is_refused_next_to_the_date(clerk, world):
    member = probationary(world)
    response = clerk.post(f"/members/{member.pk}/confirm/", {"on": "2024-06-01"})
    assert response.context["form"].errors["on"] == ["预备期未满，最早可于 2025-01-01 转正。"]
    assert "预备期未满，最早可于 2025-01-01 转正。" in page(response)
    member.refresh_from_db()
    assert (member.category, member.confirmed_on) == ("probationary", None)


def test_extend_probation_records_until_and_decision_date(clerk, world):
    member = probationary(world)
    response = clerk.post(f"/members/{member.pk}/probation/", {"until": "2025-07-01", "on": "2025-01-05"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.probation_until, member.probation_extended_on, member.category) == (
        D(2025, 7, 1),
        D(2025, 1, 5),
        "probationary",
    )
    # 转正 now waits for the extended probation.
    response = clerk.post(f"/members/{member.pk}/confirm/", {"on": "2025-02-01"})
    assert response.context["form"].errors["on"] == ["预备期未满，最早可于 2025-07-01 转正。"]


def test_extension_longer_than_a_year_is_refused_next_to_until(clerk, world):
    member = probationary(world)
    response = clerk.post(f"/members/{member.pk}/probation/", {"until": "2026-03-01", "on": "2025-01-05"})
    assert response.context["form"].errors["until"] == ["延长预备期最长一年，最晚至 2026-01-01。"]
    member.refresh_from_db()
    assert (member.probation_until, member.probation_extended_on) == (None, None)


def test_probation_buttons_only_for_probationary_members(clerk, world):
    full = MemberFactory(organization=world["org_a"])
    member = probationary(world)
    assert f'href="/members/{member.pk}/confirm/"' in page(clerk.get(f"/members/{member.pk}/"))
    assert f'href="/members/{member.pk}/probation/"' in page(clerk.get(f"/members/{member.pk}/"))
    html = page(clerk.get(f"/members/{full.pk}/"))
    assert f'href="/members/{full.pk}/confirm/"' not in html
    assert f'href="/members/{full.pk}/probation/"' not in html


# ---------------------------------------------------------------- 工作单位 ----


def test_change_workplace_from_a_date(clerk, world):
    member = MemberFactory(organization=world["org_a"], enterprise=world["firm"])
    response = clerk.post(
        f"/members/{member.pk}/employment/", {"enterprise": world["firm2"].pk, "since": "2024-03-01"}
    )
    assert response["Location"] == f"/members/{member.pk}/"
    assert employments(member) == [
        ("甲方科技有限公司", D(2019, 1, 1), D(2024, 3, 1)),
        ("甲方制造有限公司", D(2024, 3, 1), None),
    ]
    member.refresh_from_db()
    assert member.enterprise_id == world["firm2"].pk


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"since": "2018-01-01"}, "since", "变更日期不能早于在现工作单位的起始日期（2019-01-01）。"),
        ({"enterprise": "same"}, "enterprise", "与现工作单位相同，无需变更。"),
    ],
)
def test_workplace_errors_show_next_to_their_field_and_write_nothing(clerk, world, data, field, message):
    member = MemberFactory(organization=world["org_a"], enterprise=world["firm"])
    post = {"enterprise": world["firm2"].pk, "since": "2024-03-01", **data}
    if post["enterprise"] == "same":
        post["enterprise"] = world["firm"].pk
    response = clerk.post(f"/members/{member.pk}/employment/", post)
    assert response.context["form"].errors[field] == [message]
    assert message in page(response)
    assert employments(member) == [("甲方科技有限公司", D(2019, 1, 1), None)]


# ---------------------------------------------------------------- the member page ----


def test_timeline_shows_both_organisations_after_a_transfer(clerk, world):
    member = MemberFactory(
        organization=world["org_a"], enterprise=world["firm"], joined_party_on=D(2015, 7, 1)
    )
    transfer_member(member=member, organization=world["org_b"], on=D(2024, 7, 1))
    response = clerk.get(f"/members/{member.pk}/")
    rows = [
        (r["organization"].name, r["start"], r["end"], r["how_started_label"], r["how_ended_label"])
        for r in response.context["timeline"]["memberships"]
    ]
    assert rows == [
        ("甲一支部", D(2019, 1, 1), D(2024, 7, 1), "转入", "组织关系转接（系统内）"),
        ("乙一支部", D(2024, 7, 1), None, "转入", ""),
    ]
    html = page(response)
    table = html[html.index('id="timeline-memberships"') : html.index('id="timeline-employments"')]
    assert table.index("甲一支部") < table.index("乙一支部")  # oldest first
    assert table.count("至今") == 1
    assert "组织关系转接（系统内）" in table
    assert '<dd class="col-sm-8" id="joined-party-on">2015-07-01</dd>' in html
    assert '<dd class="col-sm-8" id="joined-on">2024-07-01</dd>' in html


def test_timeline_shows_category_spans_with_the_confirmation(clerk, world):
    member = probationary(world)
    clerk.post(f"/members/{member.pk}/confirm/", {"on": "2025-01-10"})
    response = clerk.get(f"/members/{member.pk}/")
    assert [(r["label"], r["start"], r["end"]) for r in response.context["timeline"]["categories"]] == [
        ("预备党员", D(2024, 1, 1), D(2025, 1, 10)),
        ("正式党员", D(2025, 1, 10), None),
    ]
    assert "2025-01-10 转正" in page(response)


@pytest.mark.parametrize("role", ["park", "reader"])
def test_event_buttons_and_forms_are_for_writers_only(client, world, role):
    member = probationary(world)
    actions = ("transfer", "confirm", "probation", "employment")
    log_in(client, world, role, "park_a")
    html = page(client.get(f"/members/{member.pk}/"))
    assert member.name in html
    for action in actions:
        assert f'href="/members/{member.pk}/{action}/"' not in html
        assert client.get(f"/members/{member.pk}/{action}/").status_code == 403
    response = client.post(
        f"/members/{member.pk}/transfer/", {"organization": world["org_a2"].pk, "on": "2024-07-01"}
    )
    assert response.status_code == 403
    assert client.post(f"/members/{member.pk}/confirm/", {"on": "2025-02-01"}).status_code == 403
    member.refresh_from_db()
    assert (member.organization_id, member.confirmed_on) == (world["org_a"].pk, None)

    log_in(client, world, "staff", "park_a")
    html = page(client.get(f"/members/{member.pk}/"))
    for action in actions:
        assert f'href="/members/{member.pk}/{action}/"' in html


def test_event_pages_of_a_member_outside_the_area_are_404(client, world):
    member = MemberFactory(organization=world["org_b"])
    log_in(client, world, "staff", "park_a")
    for action in ("transfer", "confirm", "probation", "employment"):
        assert client.get(f"/members/{member.pk}/{action}/").status_code == 404


# ---------------------------------------------------------------- the member form: 入党日期 ----


def member_data(org, **overrides) -> dict:
    return {
        "name": "李新党",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "1985-06-01",
        "education": "bachelor",
        "id_number": make_id_number(77),
        "phone": "",
        "category": "full",
        "joined_party_on": "",
        "joined_on": "2020-07-01",
        "organization": org.pk,
        "enterprise": "",
        **overrides,
    }


def test_create_without_party_date_takes_the_joining_date(clerk, world):
    html = page(clerk.get("/members/new/"))
    assert "入党日期" in html and "转入本组织日期" in html
    assert clerk.post("/members/new/", member_data(world["org_a"])).status_code == 302
    member = Member.objects.get()
    assert (member.joined_party_on, member.joined_on) == (D(2020, 7, 1), D(2020, 7, 1))
    assert memberships(member) == [("甲一支部", D(2020, 7, 1), None, "developed", "")]


def test_create_with_an_earlier_party_date_is_a_transfer_in(clerk, world):
    clerk.post("/members/new/", member_data(world["org_a"], joined_party_on="2012-05-01"))
    member = Member.objects.get()
    assert member.joined_party_on == D(2012, 5, 1)
    assert memberships(member) == [("甲一支部", D(2020, 7, 1), None, "transfer_in", "")]


def test_party_date_after_joining_is_refused_next_to_it(clerk, world):
    response = clerk.post("/members/new/", member_data(world["org_a"], joined_party_on="2021-01-01"))
    assert response.context["form"].errors["joined_party_on"] == [
        "入党日期不能晚于转入本组织日期（2020-07-01）。"
    ]
    assert Member.objects.count() == 0


def test_edit_requires_the_party_date_and_explains_the_transfer(clerk, world):
    member = MemberFactory(organization=world["org_a"], id_number=make_id_number(78))
    response = clerk.get(f"/members/{member.pk}/edit/")
    assert response.context["form"].fields["joined_party_on"].required
    assert "修改所在党组织即办理组织关系转接" in page(response)
    data = member_data(world["org_a"], joined_on="2019-01-01")
    del data["id_number"]
    response = clerk.post(f"/members/{member.pk}/edit/", data)
    assert response.context["form"].errors["joined_party_on"] == ["该字段是必填项。"]


def test_edit_changing_the_organisation_is_a_transfer_from_the_date_given(clerk, world):
    member = MemberFactory(organization=world["org_a"], id_number=make_id_number(79))
    data = member_data(world["org_b"], joined_on="2024-07-01", joined_party_on="2019-01-01")
    del data["id_number"]
    assert clerk.post(f"/members/{member.pk}/edit/", data).status_code == 302
    assert memberships(member) == [
        ("甲一支部", D(2019, 1, 1), D(2024, 7, 1), "developed", "transfer"),
        ("乙一支部", D(2024, 7, 1), None, "transfer_in", ""),
    ]


# ---------------------------------------------------------------- the organisation page ----


def org_members(client, org, **params) -> list[str]:
    return [m.name for m in client.get(f"/organizations/{org.pk}/", params).context["members"]]


def test_organisation_lists_its_members_as_of_the_chosen_date(clerk, world):
    moved = MemberFactory(name="甲转乙", organization=world["org_a"], enterprise=world["firm"])
    MemberFactory(name="甲留守", organization=world["org_a"])
    transfer_member(member=moved, organization=world["org_b"], on=D(2024, 7, 1), enterprise=world["firm2"])
    assert org_members(clerk, world["org_a"], date="2024-06-30") == ["甲留守", "甲转乙"]
    assert org_members(clerk, world["org_a"], date="2024-07-01") == ["甲留守"]
    assert org_members(clerk, world["org_b"], date="2024-06-30") == []
    assert org_members(clerk, world["org_b"], date="2024-07-01") == ["甲转乙"]
    assert org_members(clerk, world["org_a"], date="2018-12-31") == []
    # The row shows the membership held that day and the workplace of that day.
    before = clerk.get(f"/organizations/{world['org_a'].pk}/", {"date": "2024-06-30"}).context["members"]
    row = next(m for m in before if m.name == "甲转乙")
    assert (row.held_since, row.enterprise_then, row.category_then) == (
        D(2019, 1, 1),
        "甲方科技有限公司",
        "正式党员",
    )
    after = clerk.get(f"/organizations/{world['org_b'].pk}/", {"date": "2024-07-01"}).context["members"]
    assert [(m.held_since, m.enterprise_then) for m in after] == [(D(2024, 7, 1), "甲方制造有限公司")]


def test_organisation_page_with_a_bad_date_or_quarter_says_so(clerk, world):
    response = clerk.get(f"/organizations/{world['org_a'].pk}/", {"date": "2024-02-30", "period": "2024Q5"})
    assert response.status_code == 200
    html = page(response)
    assert "日期“2024-02-30”无法识别" in html
    assert "季度格式应为“2025Q3”" in html


def test_organisation_shows_who_joined_and_left_in_the_quarter(clerk, world):
    moved = MemberFactory(name="甲转乙", organization=world["org_a"])
    transfer_member(member=moved, organization=world["org_b"], on=D(2024, 8, 15))
    MemberFactory(name="新发展", organization=world["org_a"], joined_on=D(2024, 9, 1))
    MemberFactory(name="去世者", organization=world["org_a"], ended_on=D(2024, 7, 20), end_reason="death")
    MemberFactory(name="上季度", organization=world["org_a"], joined_on=D(2024, 6, 30))

    response = clerk.get(f"/organizations/{world['org_a'].pk}/", {"period": "2024Q3"})
    joined = [
        (r.member.name, r.start, r.get_how_started_display(), r.other) for r in response.context["joined"]
    ]
    left = [(r.member.name, r.end, r.get_how_ended_display(), r.other) for r in response.context["left"]]
    assert joined == [("新发展", D(2024, 9, 1), "发展入党", None)]
    assert left == [
        ("去世者", D(2024, 7, 20), "死亡", None),
        ("甲转乙", D(2024, 8, 15), "组织关系转接（系统内）", "乙一支部"),
    ]
    assert "2024年第3季度" in page(response)

    response = clerk.get(f"/organizations/{world['org_b'].pk}/", {"period": "2024Q3"})
    assert [(r.member.name, r.get_how_started_display(), r.other) for r in response.context["joined"]] == [
        ("甲转乙", "转入", "甲一支部")
    ]
    assert list(response.context["left"]) == []

    response = clerk.get(f"/organizations/{world['org_a'].pk}/", {"period": "2024Q2"})
    assert [r.member.name for r in response.context["joined"]] == ["上季度"]
    assert list(response.context["left"]) == []


def _populate_org(world, count: int) -> None:
    for _ in range(count):
        member = MemberFactory(organization=world["org_a"], enterprise=world["firm"])
        transfer_member(member=member, organization=world["org_a2"], on=D(2024, 8, 1))
        transfer_member(member=member, organization=world["org_a"], on=D(2024, 9, 1))


def test_organisation_page_query_count_does_not_grow_with_members(clerk, world):
    url = f"/organizations/{world['org_a'].pk}/"
    params = {"date": "2024-12-31", "period": "2024Q3"}
    _populate_org(world, 3)
    with CaptureQueriesContext(connection) as few:
        response = clerk.get(url, params)
    assert (len(response.context["members"]), len(response.context["joined"])) == (3, 3)
    _populate_org(world, 12)
    with CaptureQueriesContext(connection) as many:
        response = clerk.get(url, params)
    assert (len(response.context["members"]), len(response.context["joined"])) == (15, 15)
    assert len(many) == len(few)


def test_organisation_members_are_paginated(clerk, world):
    for _ in range(5):
        MemberFactory(organization=world["org_a"])
    response = clerk.get(f"/organizations/{world['org_a'].pk}/", {"page_size": 2, "page": 3})
    assert len(response.context["members"]) == 1
    assert response.context["page_obj"].paginator.count == 5


# ---------------------------------------------------------------- the 转接 list and its download ----

TRANSFERS = "/members/transfers/"


@pytest.fixture
def moves(world):
    """In 2024Q3: 甲→乙 inside the registry, 甲 out of it, into 甲 from outside, back into 乙 after leaving.
    Before it: a transfer in 2024Q2."""
    within = MemberFactory(name="系统内", organization=world["org_a"])
    transfer_member(member=within, organization=world["org_b"], on=D(2024, 8, 1))
    MemberFactory(
        name="转出者", organization=world["org_a"], ended_on=D(2024, 9, 30), end_reason="transfer_out"
    )
    MemberFactory(
        name="外来者", organization=world["org_a"], joined_party_on=D(2010, 1, 1), joined_on=D(2024, 7, 1)
    )
    back = MemberFactory(
        name="回来者", organization=world["org_b"], ended_on=D(2021, 1, 1), end_reason="transfer_out"
    )
    transfer_member(member=back, organization=world["org_b"], on=D(2024, 9, 1))
    earlier = MemberFactory(name="上季度", organization=world["org_a"])
    transfer_member(member=earlier, organization=world["org_a2"], on=D(2024, 5, 1))
    return world


def rows_of(response) -> list[tuple]:
    return [
        (r["name"], r["from_name"], r["to_name"], r["day"], r["kind_label"]) for r in response.context["rows"]
    ]


def test_transfer_list_shows_each_move_once_newest_first(clerk, moves):
    response = clerk.get(TRANSFERS, {"period": "2024Q3"})
    assert rows_of(response) == [
        ("转出者", "甲一支部", None, D(2024, 9, 30), "转出（系统外）"),
        ("回来者", None, "乙一支部", D(2024, 9, 1), "转回"),
        ("系统内", "甲一支部", "乙一支部", D(2024, 8, 1), "系统内转接"),
        ("外来者", None, "甲一支部", D(2024, 7, 1), "转入（系统外）"),
    ]
    assert "2024年第3季度" in page(response)
    assert rows_of(clerk.get(TRANSFERS, {"period": "2024Q2"})) == [
        ("上季度", "甲一支部", "甲二支部", D(2024, 5, 1), "系统内转接")
    ]


def test_transfer_list_filters(clerk, moves):
    def names(**params):
        return [r[0] for r in rows_of(clerk.get(TRANSFERS, params))]

    assert names(start="2024-05-01", end="2024-08-01") == ["系统内", "外来者", "上季度"]
    assert names(period="2024Q3", kind="out") == ["转出者"]
    assert names(period="2024Q3", kind="within") == ["系统内"]
    assert names(period="2024Q3", area="PB") == ["回来者", "系统内"]
    assert names(period="2024Q3", organization=moves["org_b"].pk) == ["回来者", "系统内"]
    assert names(period="2024Q3", q="来") == ["回来者", "外来者"]


def test_transfer_list_bad_period_is_a_chinese_error_and_no_rows(clerk, moves):
    response = clerk.get(TRANSFERS, {"period": "2024Q9"})
    assert response.context["form"].errors["period"] == [
        "季度格式应为“2025Q3”（年份 + Q + 1 到 4），收到“2024Q9”。"
    ]
    assert rows_of(response) == []
    response = clerk.get(TRANSFERS, {"start": "2024-09-01", "end": "2024-08-01"})
    assert response.context["form"].errors["end"] == ["截止日期不能早于起始日期。"]


def test_transfer_list_is_scoped_to_either_side(client, moves):
    """Park A's staff see moves into or out of park A: the member who went to park B is listed, not linked."""
    log_in(client, moves, "staff", "park_a")
    response = client.get(TRANSFERS, {"period": "2024Q3"})
    assert [r[0] for r in rows_of(response)] == ["转出者", "系统内", "外来者"]
    within = next(r for r in response.context["rows"] if r["name"] == "系统内")
    assert within["member_visible"] is False
    assert ">系统内</a>" not in page(response)
    log_in(client, moves, "staff", "park_b")
    response = client.get(TRANSFERS, {"period": "2024Q3"})
    assert [r[0] for r in rows_of(response)] == ["回来者", "系统内"]
    assert ">系统内</a>" in page(response)
    client.force_login(make_user("nobody", role=None))
    assert rows_of(client.get(TRANSFERS, {"period": "2024Q3"})) == []


def test_transfer_list_is_linked_from_the_member_list(clerk, world):
    assert 'href="/members/transfers/"' in page(clerk.get("/members/"))


def sheet_rows(response) -> tuple[list[list], list[str]]:
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    formulas = [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    return [[c.value for c in row] for row in sheet.iter_rows(min_row=2)], formulas  # row 1: the title


def test_transfer_download_has_the_listed_rows_and_no_formula(clerk, moves):
    member = MemberFactory(name='=HYPERLINK("http://x","点我")', organization=moves["org_a"])
    transfer_member(member=member, organization=moves["org_a2"], on=D(2024, 7, 15))
    response = clerk.get("/members/transfers.xlsx", {"period": "2024Q3", "area": "PA"})
    assert response["Content-Disposition"].startswith("attachment;")
    rows, formulas = sheet_rows(response)
    assert formulas == []
    assert rows == [
        ["姓名", "转出组织", "转入组织", "日期", "方式"],
        ["转出者", "甲一支部", "系统外", dt.datetime(2024, 9, 30), "转出（系统外）"],
        ["系统内", "甲一支部", "乙一支部", dt.datetime(2024, 8, 1), "系统内转接"],
        ['=HYPERLINK("http://x","点我")', "甲一支部", "甲二支部", dt.datetime(2024, 7, 15), "系统内转接"],
        ["外来者", "系统外", "甲一支部", dt.datetime(2024, 7, 1), "转入（系统外）"],
    ]


def test_transfer_download_is_scoped_like_the_page(client, moves):
    log_in(client, moves, "park", "park_b")  # read-only roles may download what they see
    rows, _ = sheet_rows(client.get("/members/transfers.xlsx", {"period": "2024Q3"}))
    assert [row[0] for row in rows[1:]] == ["回来者", "系统内"]


def _populate_transfers(world, count: int) -> None:
    for _ in range(count):
        member = MemberFactory(organization=world["org_a"])
        transfer_member(member=member, organization=world["org_b"], on=D(2024, 8, 1))


@pytest.mark.parametrize("persona", [("staff", "zone"), ("staff", "park_b")])
def test_transfer_list_query_count_does_not_grow_with_rows(client, world, persona):
    log_in(client, world, *persona)
    _populate_transfers(world, 3)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(TRANSFERS, {"period": "2024Q3"}).context["rows"]) == 3
    _populate_transfers(world, 27)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(TRANSFERS, {"period": "2024Q3"}).context["rows"]) == 30
    assert len(many) == len(few)
