"""The 发展党员 pages: the applicants' register, an applicant's file and its steps (进入下一阶段, 终止), the pipeline
of an organisation or an area with what is due next, and the yearly plans. Through the test client, as a clerk and
as read-only park users; the "due next" rule through its functions at its boundaries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from auditlog.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from members.models import Applicant, DevelopmentPlan, Member, Membership
from members.pipeline import (
    Cutoffs,
    due_next,
    due_q,
    full_months,
    months_before,
    plan_figures,
)
from members.rules import advance_errors
from registry.access import Access
from tests.factories import (
    ApplicantFactory,
    AreaFactory,
    DevelopmentPlanFactory,
    EnterpriseFactory,
    OrganizationFactory,
    make_id_number,
    make_user,
)

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2025, 6, 30)
LIST = "/applicants/"
PIPELINE = "/development/"
PLANS = "/development/plans/"


def on_today(day: dt.date = TODAY):
    """Pages compute "today" from the clock: hold it at ``day``."""
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 10, tzinfo=timezone.get_current_timezone())
    )


@pytest.fixture(autouse=True)
def _today():
    with on_today():
        yield


@pytest.fixture
def world():
    """A zone with parks A and B, a branch in each (two in A) and a firm in A."""
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
    }


def log_in(client, world, role: str, area: str):
    client.force_login(make_user(f"{role}-{area}", role=role, area=world[area]))
    return client


@pytest.fixture
def clerk(client, world):
    """Staff of the zone: writes, sees both parks."""
    return log_in(client, world, "staff", "zone")


def text(response) -> str:
    return response.content.decode()


def names(response) -> list[str]:
    return [a.name for a in response.context["object_list"]]


def snapshot(applicant: Applicant) -> tuple:
    applicant.refresh_from_db()
    return (
        applicant.activist_on,
        applicant.candidate_on,
        applicant.admitted_on,
        applicant.withdrawn_on,
        applicant.withdraw_reason,
        applicant.member_id,
    )


# ---------------------------------------------------------------- the register ----


def test_register_filters_by_area_organisation_stage_and_name(clerk, world):
    ApplicantFactory(name="甲申请", organization=world["org_a"])
    ApplicantFactory(name="甲积极", organization=world["org_a2"], activist_on=D(2024, 3, 1))
    ApplicantFactory(
        name="乙对象", organization=world["org_b"], activist_on=D(2023, 3, 1), candidate_on=D(2024, 5, 1)
    )
    assert sorted(names(clerk.get(LIST))) == ["乙对象", "甲申请", "甲积极"]
    assert sorted(names(clerk.get(LIST, {"area": "PA"}))) == ["甲申请", "甲积极"]
    assert names(clerk.get(LIST, {"organization": world["org_a2"].pk})) == ["甲积极"]
    assert names(clerk.get(LIST, {"stage": "candidate"})) == ["乙对象"]
    assert names(clerk.get(LIST, {"q": "积极"})) == ["甲积极"]


def test_register_columns_show_the_stage_dates_and_what_is_due(clerk, world):
    ApplicantFactory(
        name="王积极", organization=world["org_a"], applied_on=D(2023, 1, 5), activist_on=D(2024, 6, 30)
    )
    response = clerk.get(LIST)
    row = re.search(r"<tr>\s*<td><a[^>]*>王积极</a>.*?</tr>", text(response), re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[2:] == [
        "甲一支部",
        "入党积极分子",
        "2023-01-05",
        "2024-06-30",
        "—",
        "—",
        "积极分子已满一年，可列为发展对象",
    ]


def test_park_user_sees_only_its_park_and_gets_404_outside(client, world):
    mine = ApplicantFactory(name="甲园区人", organization=world["org_a"])
    other = ApplicantFactory(name="乙园区人", organization=world["org_b"])
    log_in(client, world, "park", "park_a")
    response = client.get(LIST)
    assert names(response) == ["甲园区人"]
    assert "乙园区人" not in text(response)
    assert client.get(f"/applicants/{mine.pk}/").status_code == 200
    assert client.get(f"/applicants/{other.pk}/").status_code == 404
    # The area filter offers only the park's areas: asking for the other park is a field error, not its rows.
    response = client.get(LIST, {"area": "PB"})
    assert names(response) == []
    assert list(response.context["filterset"].form.errors) == ["area"]


def test_staff_of_a_park_cannot_act_on_the_other_park(client, world):
    other = ApplicantFactory(organization=world["org_b"])
    log_in(client, world, "staff", "park_a")
    before = snapshot(other)
    assert (
        client.post(f"/applicants/{other.pk}/advance/", {"stage": "activist", "on": "2024-01-01"}).status_code
        == 404
    )
    assert (
        client.post(f"/applicants/{other.pk}/withdraw/", {"on": "2024-01-01", "reason": "x"}).status_code
        == 404
    )
    assert snapshot(other) == before


def test_id_numbers_are_masked_on_the_register_and_the_file(clerk, world):
    applicant = ApplicantFactory(organization=world["org_a"], phone="13912345678")
    for url in (LIST, f"/applicants/{applicant.pk}/", PIPELINE):
        page = text(clerk.get(url))
        assert applicant.id_number not in page
        assert "13912345678" not in page
    assert applicant.masked_id_number in text(clerk.get(LIST))
    detail = text(clerk.get(f"/applicants/{applicant.pk}/"))
    assert applicant.masked_id_number in detail and applicant.masked_phone in detail
    # The birth year only: the full birth date is personal data too.
    assert "1995-06-01" not in detail and "1995年" in detail


def test_reveal_shows_the_full_values_once_and_is_audited(clerk, world):
    applicant = ApplicantFactory(organization=world["org_a"], phone="13912345678")
    response = clerk.post(f"/applicants/{applicant.pk}/reveal/")
    assert response.status_code == 200
    assert applicant.id_number in text(response) and "13912345678" in text(response)
    assert "1995-06-01" in text(response)
    assert "no-store" in response["Cache-Control"]
    entry = LogEntry.objects.get(additional_data__event="reveal")
    assert (entry.content_type.model, entry.object_pk) == ("applicant", str(applicant.pk))
    assert entry.actor.username == "staff-zone"
    # The reveal is in the file's history.
    assert "查看完整个人信息" in text(clerk.get(f"/applicants/{applicant.pk}/"))


def test_park_user_may_not_reveal(client, world):
    applicant = ApplicantFactory(organization=world["org_a"])
    log_in(client, world, "park", "park_a")
    assert "显示完整信息" not in text(client.get(f"/applicants/{applicant.pk}/"))
    assert client.post(f"/applicants/{applicant.pk}/reveal/").status_code == 403
    assert not LogEntry.objects.filter(additional_data__event="reveal").exists()


def _populate(count: int, org) -> None:
    for _ in range(count):
        ApplicantFactory(organization=org, activist_on=D(2024, 1, 1))


@pytest.mark.parametrize("url", [LIST, PIPELINE, PLANS])
def test_list_query_counts_do_not_grow_with_rows(clerk, world, url):
    def fill(n):
        _populate(n, world["org_a"])
        for _ in range(n):
            DevelopmentPlanFactory(area=AreaFactory(parent=world["park_a"]), year=2025)

    fill(5)
    with CaptureQueriesContext(connection) as five:
        assert clerk.get(url).status_code == 200
    fill(25)
    with CaptureQueriesContext(connection) as thirty:
        response = clerk.get(url)
    assert len(thirty) == len(five)
    if url == LIST:
        assert len(response.context["object_list"]) == 30
    if url == PIPELINE:
        assert response.context["groups"][1].count == 30
    if url == PLANS:
        assert len(response.context["object_list"]) == 30


# ---------------------------------------------------------------- create and edit ----


def _applicant_data(world, **overrides) -> dict:
    data = {
        "name": "李申请",
        "gender": "M",
        "ethnicity": "汉族",
        "birth_date": "1995-06-01",
        "education": "bachelor",
        "id_number": make_id_number(7, born=D(1995, 6, 1)),
        "phone": "13800001111",
        "organization": world["org_a"].pk,
        "enterprise": world["firm"].pk,
        "applied_on": "2024-03-01",
    }
    return {**data, **overrides}


def test_create_registers_an_applicant(clerk, world):
    response = clerk.post("/applicants/new/", _applicant_data(world))
    applicant = Applicant.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/applicants/{applicant.pk}/"
    assert (applicant.name, applicant.organization, applicant.enterprise, applicant.applied_on) == (
        "李申请",
        world["org_a"],
        world["firm"],
        D(2024, 3, 1),
    )
    assert applicant.stage == "applicant"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"birth_date": "2007-06-01", "id_number": make_id_number(7, born=D(2007, 6, 1))},
            "applied_on",
            "递交入党申请时应年满十八岁（2025-06-01 起）。",
        ),
        ({"id_number": make_id_number(7, born=D(1995, 6, 1))[:17] + "0"}, "id_number", None),
        ({"id_number": "44080219950601"}, "id_number", "身份证号码应为 18 位，当前为 14 位。"),
        ({"birth_date": "1995-06-02"}, "birth_date", "出生日期与身份证号码不一致（身份证为 1995-06-01）。"),
        ({"organization": "999999"}, "organization", "所选项不存在或不在您的管辖范围内，请重新选择。"),
    ],
)
def test_create_errors_are_chinese_next_to_the_field_and_nothing_is_written(
    clerk, world, overrides, field, message
):
    if message is None:  # the wrong check character: the message names the right one
        good = make_id_number(7, born=D(1995, 6, 1))
        overrides = {"id_number": good[:17] + ("0" if good[17] != "0" else "1")}
        message = f"身份证号码校验位错误：最后一位应为 {good[17]}，请核对。"
    response = clerk.post("/applicants/new/", _applicant_data(world, **overrides))
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert Applicant.objects.count() == 0


def test_applying_on_the_eighteenth_birthday_is_accepted(clerk, world):
    data = _applicant_data(
        world,
        birth_date="2006-03-01",
        id_number=make_id_number(7, born=D(2006, 3, 1)),
        applied_on="2024-03-01",
    )
    assert clerk.post("/applicants/new/", data).status_code == 302
    assert Applicant.objects.count() == 1


def test_a_second_open_file_for_one_person_is_an_id_number_error(clerk, world):
    ApplicantFactory(id_number=make_id_number(7, born=D(1995, 6, 1)), organization=world["org_a"])
    response = clerk.post("/applicants/new/", _applicant_data(world))
    assert response.context["form"].errors["id_number"] == ["该身份证号码已有未终止的入党申请记录。"]
    assert Applicant.objects.count() == 1


def test_the_create_form_has_no_later_stage_dates(clerk, world):
    form = clerk.get("/applicants/new/").context["form"]
    assert "applied_on" in form.fields
    assert not {"activist_on", "candidate_on", "admitted_on", "withdrawn_on"} & set(form.fields)


def test_edit_corrects_a_reached_stage_date_and_never_offers_admission(clerk, world):
    applicant = ApplicantFactory(organization=world["org_a"], activist_on=D(2023, 3, 1))
    form = clerk.get(f"/applicants/{applicant.pk}/edit/").context["form"]
    assert "activist_on" in form.fields
    assert not {"id_number", "candidate_on", "admitted_on"} & set(form.fields)
    assert applicant.id_number not in text(clerk.get(f"/applicants/{applicant.pk}/edit/"))
    data = {
        **{k: v for k, v in _applicant_data(world).items() if k != "id_number"},
        "name": applicant.name,
        "applied_on": "2020-01-01",
        "activist_on": "2023-04-01",
        "version": form.initial["version"],
    }
    assert clerk.post(f"/applicants/{applicant.pk}/edit/", data).status_code == 302
    applicant.refresh_from_db()
    assert applicant.activist_on == D(2023, 4, 1)
    assert applicant.phone == "13800001111"


# ---------------------------------------------------------------- 进入下一阶段 ----


def advance(client, applicant, stage: str, on: str):
    return client.post(f"/applicants/{applicant.pk}/advance/", {"stage": stage, "on": on})


def test_advance_form_preselects_the_next_stage_and_gives_the_earliest_date(clerk, world):
    applicant = ApplicantFactory(organization=world["org_a"], activist_on=D(2024, 8, 10))
    form = clerk.get(f"/applicants/{applicant.pk}/advance/").context["form"]
    assert form["stage"].value() == "candidate"
    assert form.fields["on"].label == "确定为发展对象日期"
    assert form.fields["on"].help_text == "最早可于 2025-08-10。"


def test_advance_through_every_stage(clerk, world):
    applicant = ApplicantFactory(organization=world["org_a"], applied_on=D(2023, 1, 10))
    response = advance(clerk, applicant, "activist", "2023-03-01")
    assert response.status_code == 302 and response["Location"] == f"/applicants/{applicant.pk}/"
    assert snapshot(applicant)[:3] == (D(2023, 3, 1), None, None)
    assert advance(clerk, applicant, "candidate", "2024-03-01").status_code == 302
    assert snapshot(applicant)[:3] == (D(2023, 3, 1), D(2024, 3, 1), None)
    assert Member.objects.count() == 0
    assert advance(clerk, applicant, "admitted", "2024-09-01").status_code == 302
    assert snapshot(applicant)[:3] == (D(2023, 3, 1), D(2024, 3, 1), D(2024, 9, 1))
    # Each step is in the file's history, newest first, with who did it.
    history = clerk.get(f"/applicants/{applicant.pk}/").context["history"]
    changed = [set(entry.changes_dict) for entry in history]
    assert changed[:3] == [{"admitted_on", "member"}, {"candidate_on"}, {"activist_on"}]
    assert {entry.actor.username for entry in history[:3]} == {"staff-zone"}


def test_candidate_one_day_early_is_refused_next_to_the_date_and_on_the_day_accepted(clerk, world):
    applicant = ApplicantFactory(organization=world["org_a"], activist_on=D(2024, 3, 1))
    response = advance(clerk, applicant, "candidate", "2025-02-28")
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "on": ["入党积极分子须培养考察一年以上，最早可于 2025-03-01 列为发展对象。"]
    }
    assert snapshot(applicant)[1] is None
    assert advance(clerk, applicant, "candidate", "2025-03-01").status_code == 302
    assert snapshot(applicant)[1] == D(2025, 3, 1)


@pytest.mark.parametrize(
    ("stage", "on", "field", "message"),
    [
        ("candidate", "2024-06-01", "stage", "不能跳过“入党积极分子”阶段。"),
        ("activist", "2019-12-31", "on", "确定为入党积极分子日期不能早于递交入党申请日期（2020-01-01）。"),
        ("activist", "", "on", "该字段是必填项。"),
    ],
)
def test_advance_refusals_show_next_to_their_field(clerk, world, stage, on, field, message):
    applicant = ApplicantFactory(organization=world["org_a"])
    response = advance(clerk, applicant, stage, on)
    assert response.context["form"].errors[field] == [message]
    assert snapshot(applicant) == (None, None, None, None, "", None)


def test_admission_creates_the_probationary_member_and_the_file_links_to_it(clerk, world):
    applicant = ApplicantFactory(
        name="赵接收",
        organization=world["org_a"],
        enterprise=world["firm"],
        activist_on=D(2023, 1, 1),
        candidate_on=D(2024, 2, 1),
    )
    assert advance(clerk, applicant, "admitted", "2024-12-20").status_code == 302
    member = Member.objects.get()
    assert (member.name, member.id_number, member.category, member.joined_party_on, member.organization) == (
        "赵接收",
        applicant.id_number,
        "probationary",
        D(2024, 12, 20),
        world["org_a"],
    )
    assert list(Membership.objects.filter(member=member).values_list("organization", "start", "end")) == [
        (world["org_a"].pk, D(2024, 12, 20), None)
    ]
    applicant.refresh_from_db()
    assert applicant.member == member
    page = text(clerk.get(f"/applicants/{applicant.pk}/"))
    assert f'href="/members/{member.pk}/"' in page
    assert 'id="advance-link"' not in page and 'id="withdraw-link"' not in page
    # A second admission is refused, and still one member.
    response = advance(clerk, applicant, "admitted", "2024-12-21")
    assert response.context["form"].errors["stage"] == ["已接收为预备党员。"]
    assert Member.objects.count() == 1


def test_detail_shows_the_steps_as_a_timeline(clerk, world):
    applicant = ApplicantFactory(
        organization=world["org_a"], applied_on=D(2023, 5, 4), activist_on=D(2024, 1, 2)
    )
    response = clerk.get(f"/applicants/{applicant.pk}/")
    steps = [(s["stage"], s["date"], s["is_next"], s["earliest"]) for s in response.context["steps"]]
    assert steps == [
        ("applicant", D(2023, 5, 4), False, None),
        ("activist", D(2024, 1, 2), False, None),
        ("candidate", None, True, D(2025, 1, 2)),
        ("admitted", None, False, None),
    ]
    assert "积极分子已满一年，可列为发展对象" in text(response)


# ---------------------------------------------------------------- 终止 ----


def test_withdraw_closes_the_file_with_a_date_and_a_reason(clerk, world):
    applicant = ApplicantFactory(organization=world["org_a"], activist_on=D(2024, 1, 1))
    response = clerk.post(
        f"/applicants/{applicant.pk}/withdraw/", {"on": "2025-01-15", "reason": "本人申请撤回"}
    )
    assert response.status_code == 302
    assert snapshot(applicant)[3:5] == (D(2025, 1, 15), "本人申请撤回")
    page = text(clerk.get(f"/applicants/{applicant.pk}/"))
    assert "本人申请撤回" in page and 'id="advance-link"' not in page and 'id="withdraw-link"' not in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"on": "2023-12-31", "reason": "x"}, "on", "终止日期不能早于最近一个阶段的日期（2024-01-01）。"),
        ({"on": "2025-01-15", "reason": ""}, "reason", "该字段是必填项。"),
    ],
)
def test_withdraw_refusals_show_next_to_their_field(clerk, world, data, field, message):
    applicant = ApplicantFactory(organization=world["org_a"], activist_on=D(2024, 1, 1))
    response = clerk.post(f"/applicants/{applicant.pk}/withdraw/", data)
    assert response.context["form"].errors[field] == [message]
    assert snapshot(applicant)[3:5] == (None, "")


# ---------------------------------------------------------------- read-only roles ----


@pytest.mark.parametrize("role", ["park", "reader"])
def test_read_only_roles_see_no_buttons_and_get_403_on_post(client, world, role):
    applicant = ApplicantFactory(organization=world["org_a"])
    plan = DevelopmentPlanFactory(area=world["park_a"], year=2025, planned=3)
    log_in(client, world, role, "park_a")
    detail = text(client.get(f"/applicants/{applicant.pk}/"))
    for button in ("编辑", "进入下一阶段", "终止</a>"):
        assert button not in detail
    assert "登记入党申请人" not in text(client.get(LIST))
    assert "新增计划" not in text(client.get(PLANS))
    posts = {
        "/applicants/new/": {},
        f"/applicants/{applicant.pk}/edit/": {},
        f"/applicants/{applicant.pk}/advance/": {"stage": "activist", "on": "2024-01-01"},
        f"/applicants/{applicant.pk}/withdraw/": {"on": "2024-01-01", "reason": "x"},
        "/development/plans/new/": {"area": world["park_a"].pk, "year": 2026, "planned": 1},
        f"/development/plans/{plan.pk}/edit/": {"area": world["park_a"].pk, "year": 2025, "planned": 9},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
        assert client.get(url).status_code == 403, url
    assert snapshot(applicant) == (None, None, None, None, "", None)
    assert Applicant.objects.count() == 1
    assert list(DevelopmentPlan.objects.values_list("year", "planned")) == [(2025, 3)]


# ---------------------------------------------------------------- what is due next ----


def _applicant(**dates) -> Applicant:
    return Applicant(applied_on=dates.pop("applied_on", D(2020, 1, 1)), **dates)


@pytest.mark.parametrize(
    ("dates", "today", "expected"),
    [
        # 入党申请人: due once half a year has passed since applying.
        ({"applied_on": D(2024, 1, 15)}, D(2024, 7, 14), None),
        (
            {"applied_on": D(2024, 1, 15)},
            D(2024, 7, 15),
            ("applicant_stale", "申请已满半年，尚未确定为积极分子"),
        ),
        # 31 August + 6 months: the rule reads "on or before today − 6 months" (28 February → 28 August).
        ({"applied_on": D(2024, 8, 31)}, D(2025, 2, 28), None),
        (
            {"applied_on": D(2024, 8, 28)},
            D(2025, 2, 28),
            ("applicant_stale", "申请已满半年，尚未确定为积极分子"),
        ),
        # 入党积极分子: ready one year after, as the 发展对象 rule allows it.
        ({"activist_on": D(2024, 3, 10)}, D(2025, 3, 9), None),
        (
            {"activist_on": D(2024, 3, 10)},
            D(2025, 3, 10),
            ("activist_ready", "积极分子已满一年，可列为发展对象"),
        ),
        ({"activist_on": D(2024, 2, 29)}, D(2025, 2, 27), None),
        (
            {"activist_on": D(2024, 2, 29)},
            D(2025, 2, 28),
            ("activist_ready", "积极分子已满一年，可列为发展对象"),
        ),
        # 发展对象: stale after six months without admission, counting the months.
        ({"activist_on": D(2022, 1, 1), "candidate_on": D(2024, 1, 31)}, D(2024, 7, 30), None),
        (
            {"activist_on": D(2022, 1, 1), "candidate_on": D(2024, 1, 31)},
            D(2024, 7, 31),
            ("candidate_stale", "发展对象已 6 个月未接收"),
        ),
        (
            {"activist_on": D(2022, 1, 1), "candidate_on": D(2024, 1, 31)},
            D(2024, 9, 1),
            ("candidate_stale", "发展对象已 7 个月未接收"),
        ),
        # Done or closed: nothing due; a stage dated after today is not reached yet.
        (
            {"activist_on": D(2022, 1, 1), "candidate_on": D(2023, 1, 1), "admitted_on": D(2023, 2, 1)},
            D(2025, 1, 1),
            None,
        ),
        ({"withdrawn_on": D(2021, 1, 1), "withdraw_reason": "x"}, D(2025, 1, 1), None),
        (
            {"activist_on": D(2025, 7, 1)},
            D(2025, 6, 30),
            ("applicant_stale", "申请已满半年，尚未确定为积极分子"),
        ),
    ],
)
def test_due_next_at_its_boundaries(world, dates, today, expected):
    applicant = _applicant(**dates)
    due = due_next(applicant, today)
    assert ((due.kind, due.message) if due else None) == expected
    # The query twin agrees on the same row.
    applicant.organization = world["org_a"]
    applicant.birth_date, applicant.gender, applicant.education = D(1990, 1, 1), "M", "bachelor"
    applicant.id_number = make_id_number(3, born=D(1990, 1, 1))
    applicant.save()
    assert Applicant.objects.filter(due_q(today)).exists() is (expected is not None)


def test_activist_readiness_matches_the_candidate_rule(world):
    """On the day the pipeline says "可列为发展对象" the advance rule accepts, and the day before it refuses."""
    for activist_on in (D(2024, 2, 29), D(2023, 3, 1), D(2024, 12, 31)):
        applicant = ApplicantFactory(organization=world["org_a"], activist_on=activist_on)
        ready_on = next(
            d for d in (activist_on + dt.timedelta(days=n) for n in range(360, 370)) if due_next(applicant, d)
        )
        assert advance_errors(applicant, "candidate", ready_on) == {}
        assert "on" in advance_errors(applicant, "candidate", ready_on - dt.timedelta(days=1))


def test_month_helpers():
    assert months_before(D(2025, 2, 28), 6) == D(2024, 8, 28)
    assert months_before(D(2024, 8, 31), 6) == D(2024, 2, 29)
    assert months_before(D(2025, 1, 15), 13) == D(2023, 12, 15)
    assert full_months(D(2024, 1, 31), D(2024, 7, 30)) == 5
    assert full_months(D(2024, 1, 31), D(2024, 7, 31)) == 6
    assert full_months(D(2024, 5, 1), D(2024, 4, 1)) == 0
    assert Cutoffs.on(D(2025, 2, 28)).activist_by == D(2024, 2, 29)
    assert Cutoffs.on(D(2025, 3, 1)).activist_by == D(2024, 3, 1)


# ---------------------------------------------------------------- the pipeline page ----


def _pipeline_world(world):
    """In park A: two 申请人 (one due), two 积极分子 (one ready), one 发展对象 (stale), one admitted this year and
    one last year, one withdrawn; in park B one 申请人."""
    org_a, org_a2 = world["org_a"], world["org_a2"]
    ApplicantFactory(name="申请新", organization=org_a, applied_on=D(2025, 3, 1))
    ApplicantFactory(name="申请旧", organization=org_a2, applied_on=D(2024, 12, 30))
    ApplicantFactory(name="积极新", organization=org_a, activist_on=D(2024, 7, 1))
    ApplicantFactory(name="积极满", organization=org_a, activist_on=D(2024, 6, 30))
    ApplicantFactory(
        name="对象久", organization=org_a, activist_on=D(2022, 1, 1), candidate_on=D(2024, 11, 15)
    )
    for name, admitted_on in (("今年接收", D(2025, 4, 1)), ("去年接收", D(2024, 4, 1))):
        ApplicantFactory(
            name=name,
            organization=org_a2,
            activist_on=D(2021, 1, 1),
            candidate_on=D(2022, 6, 1),
            admitted_on=admitted_on,
        )
    ApplicantFactory(name="已终止", organization=org_a, withdrawn_on=D(2021, 1, 1), withdraw_reason="x")
    ApplicantFactory(name="乙申请", organization=world["org_b"])


def _groups(response) -> dict:
    return {
        g.stage: (g.count, g.due_count, [(a.name, a.due.kind if a.due else None) for a in g.rows])
        for g in response.context["groups"]
    }


def test_pipeline_of_an_area_by_stage_with_what_is_due(clerk, world):
    _pipeline_world(world)
    response = clerk.get(PIPELINE, {"area": "PA"})
    assert _groups(response) == {
        "applicant": (2, 1, [("申请旧", "applicant_stale"), ("申请新", None)]),
        "activist": (2, 1, [("积极满", "activist_ready"), ("积极新", None)]),
        "candidate": (1, 1, [("对象久", "candidate_stale")]),
    }
    page = text(response)
    assert "发展对象已 7 个月未接收" in page
    assert [a.name for a in response.context["admitted"]] == ["今年接收"]


def test_pipeline_of_an_organisation(clerk, world):
    _pipeline_world(world)
    response = clerk.get(PIPELINE, {"organization": world["org_a2"].pk, "year": 2024})
    assert _groups(response) == {
        "applicant": (1, 1, [("申请旧", "applicant_stale")]),
        "activist": (0, 0, []),
        "candidate": (0, 0, []),
    }
    figures = response.context["figures"]
    assert (figures.year, figures.planned, figures.admitted) == (2024, None, 1)
    assert [a.name for a in response.context["admitted"]] == ["去年接收"]


def test_pipeline_year_plan_against_admissions_with_plans_at_two_levels(clerk, world):
    _pipeline_world(world)
    DevelopmentPlanFactory(area=world["zone"], year=2025, planned=5)
    DevelopmentPlanFactory(area=world["park_a"], year=2025, planned=3)
    DevelopmentPlanFactory(area=world["park_b"], year=2024, planned=2)
    zone = clerk.get(PIPELINE, {"area": "Z"}).context["figures"]
    assert (zone.planned, zone.admitted, str(zone.percent)) == (8, 1, "12.5")
    park = clerk.get(PIPELINE, {"area": "PA"}).context["figures"]
    assert (park.planned, park.admitted, str(park.percent)) == (3, 1, "33.3")
    assert "33.3%" in text(clerk.get(PIPELINE, {"area": "PA"}))
    park_b_2024 = clerk.get(PIPELINE, {"area": "PB", "year": 2024}).context["figures"]
    assert (park_b_2024.planned, park_b_2024.admitted, park_b_2024.percent) == (2, 0, 0)
    no_plan = clerk.get(PIPELINE, {"area": "PB", "year": 2023}).context["figures"]
    assert (no_plan.planned, no_plan.percent) == (None, None)
    assert "未下达" in text(clerk.get(PIPELINE, {"area": "PB", "year": 2023}))


def test_pipeline_defaults_to_the_users_area_and_refuses_other_areas(client, world):
    _pipeline_world(world)
    log_in(client, world, "park", "park_b")
    response = client.get(PIPELINE)
    assert response.context["area"] == world["park_b"]
    assert _groups(response)["applicant"] == (1, 1, [("乙申请", "applicant_stale")])
    assert "申请旧" not in text(response)
    response = client.get(PIPELINE, {"area": "PA"})
    assert response.context["groups"] == []
    assert response.context["form"].errors["area"] == ["所选项不存在或不在您的管辖范围内，请重新选择。"]
    assert "申请旧" not in text(response)
    response = client.get(PIPELINE, {"organization": world["org_a"].pk})
    assert response.context["groups"] == [] and "申请旧" not in text(response)


def test_pipeline_year_selector_keeps_the_chosen_year(clerk, world):
    form = clerk.get(PIPELINE).context["form"]
    assert [c[0] for c in form.fields["year"].widget.choices][:3] == ["", 2026, 2025]
    page = text(clerk.get(PIPELINE, {"year": 2005}))
    assert '<option value="2005" selected>2005</option>' in page
    assert "2005年度已发展" in page


def test_pipeline_year_must_be_a_year(clerk, world):
    response = clerk.get(PIPELINE, {"year": "二〇二五"})
    assert response.status_code == 200
    assert response.context["form"].errors["year"] == ["输入整数。"]


def test_plan_figures_count_only_what_the_user_sees(world):
    _pipeline_world(world)
    DevelopmentPlanFactory(area=world["park_a"], year=2025, planned=3)
    DevelopmentPlanFactory(area=world["park_b"], year=2025, planned=4)
    park_b = Access(role="park", area=world["park_b"])
    figures = plan_figures(year=2025, today=TODAY, access=park_b)
    assert (figures.planned, figures.admitted) == (4, 0)
    everything = plan_figures(year=2025, today=TODAY, access=Access(role="admin", area=None))
    assert (everything.planned, everything.admitted) == (7, 1)


def test_nav_and_organisation_page_lead_to_the_pipeline(clerk, world):
    _pipeline_world(world)
    page = text(clerk.get(LIST))
    assert '<a class="nav-link active" href="/development/">发展党员</a>' in page
    org_page = clerk.get(f"/organizations/{world['org_a'].pk}/")
    assert org_page.context["applicants_in_training"] == 4
    assert f'href="/development/?organization={world["org_a"].pk}"' in text(org_page)


# ---------------------------------------------------------------- plans ----


def test_plan_list_shows_plans_with_admissions_in_their_subtree(clerk, world):
    _pipeline_world(world)
    DevelopmentPlanFactory(area=world["zone"], year=2025, planned=4)
    DevelopmentPlanFactory(area=world["park_a"], year=2024, planned=2)
    DevelopmentPlanFactory(area=world["park_b"], year=2025, planned=1)
    rows = [
        (p.area.code, p.year, p.planned, p.admitted, p.percent)
        for p in clerk.get(PLANS).context["object_list"]
    ]
    assert [(a, y, n, m, str(p)) for a, y, n, m, p in rows] == [
        ("Z", 2025, 4, 1, "25.0"),
        ("PB", 2025, 1, 0, "0.0"),
        ("PA", 2024, 2, 1, "50.0"),
    ]
    assert [p.area.code for p in clerk.get(PLANS, {"year": 2024}).context["object_list"]] == ["PA"]
    assert [p.area.code for p in clerk.get(PLANS, {"area": "PB"}).context["object_list"]] == ["PB"]


def test_plan_list_is_scoped(client, world):
    DevelopmentPlanFactory(area=world["zone"], year=2025)
    DevelopmentPlanFactory(area=world["park_a"], year=2025)
    DevelopmentPlanFactory(area=world["park_b"], year=2025)
    log_in(client, world, "park", "park_a")
    assert [p.area.code for p in client.get(PLANS).context["object_list"]] == ["PA"]


def test_plan_create_and_edit(clerk, world):
    response = clerk.post("/development/plans/new/", {"area": world["park_a"].pk, "year": 2026, "planned": 4})
    assert response.status_code == 302 and response["Location"] == "/development/plans/?year=2026"
    plan = DevelopmentPlan.objects.get()
    assert (plan.area, plan.year, plan.planned) == (world["park_a"], 2026, 4)
    form = clerk.get(f"/development/plans/{plan.pk}/edit/").context["form"]
    data = {"area": world["park_a"].pk, "year": 2026, "planned": 6, "version": form.initial["version"]}
    assert clerk.post(f"/development/plans/{plan.pk}/edit/", data).status_code == 302
    plan.refresh_from_db()
    assert plan.planned == 6


def test_plan_one_per_area_and_year_is_an_error_next_to_the_year(clerk, world):
    plan = DevelopmentPlanFactory(area=world["park_a"], year=2025, planned=3)
    response = clerk.post("/development/plans/new/", {"area": world["park_a"].pk, "year": 2025, "planned": 9})
    assert response.status_code == 200
    assert response.context["form"].errors == {"year": ["该区域该年度已有发展党员计划。"]}
    other = DevelopmentPlanFactory(area=world["park_b"], year=2025, planned=1)
    form = clerk.get(f"/development/plans/{other.pk}/edit/").context["form"]
    data = {"area": world["park_a"].pk, "year": 2025, "planned": 1, "version": form.initial["version"]}
    response = clerk.post(f"/development/plans/{other.pk}/edit/", data)
    assert response.context["form"].errors == {"year": ["该区域该年度已有发展党员计划。"]}
    assert list(DevelopmentPlan.objects.order_by("pk").values_list("area", "year", "planned")) == [
        (plan.area_id, 2025, 3),
        (world["park_b"].pk, 2025, 1),
    ]


def test_plan_area_is_limited_to_the_users_subtree(client, world):
    log_in(client, world, "staff", "park_a")
    form = client.get("/development/plans/new/").context["form"]
    assert list(form.fields["area"].queryset) == [world["park_a"]]
    response = client.post(
        "/development/plans/new/", {"area": world["park_b"].pk, "year": 2025, "planned": 1}
    )
    assert response.context["form"].errors["area"] == ["所选项不存在或不在您的管辖范围内，请重新选择。"]
    assert DevelopmentPlan.objects.count() == 0
