"""发展党员 (issue 13): each stage rule at its boundary (one day early refused, on the day accepted), admission
creating exactly one probationary member counted from that day, and the two-year plan rule. Dates are fixed
calendar days: no rule here reads today."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from members import services
from members.choices import Stage
from members.models import Applicant, Member, Membership
from members.rules import advance_errors, pipeline_errors
from registry.periods import Quarter
from reports.engine.coverage import members_on
from reports.engine.development import behind_plan_two_years
from reports.engine.recompute import recompute
from reports.models import MemberSnapshot
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
BORN = dt.date(2000, 3, 15)
EIGHTEEN = dt.date(2018, 3, 15)


@pytest.fixture
def park():
    zone = AreaFactory(code="Z", kind="district", name="开发区")
    return AreaFactory(code="P1", parent=zone, name="一园")


@pytest.fixture
def org(park):
    return OrganizationFactory(area=park, name="甲公司党支部", founded_on=dt.date(2018, 1, 1))


def applicant_fields(org, n: int = 1, **overrides) -> dict:
    fields = {
        "name": f"申请人{n}",
        "gender": "M",
        "birth_date": BORN,
        "education": "bachelor",
        "id_number": make_id_number(n, born=BORN),
        "organization": org,
        "applied_on": dt.date(2021, 3, 1),
    }
    fields.update(overrides)
    return fields


def new_applicant(org, n: int = 1, **overrides) -> Applicant:
    return services.create_applicant(**applicant_fields(org, n, **overrides))


def refused(call) -> dict[str, list[str]]:
    """The field errors of a service call that must fail, after checking it saved nothing."""
    before = (Applicant.objects.count(), Member.objects.count(), Membership.objects.count())
    with pytest.raises(ValidationError) as caught:
        call()
    assert (Applicant.objects.count(), Member.objects.count(), Membership.objects.count()) == before
    return caught.value.message_dict


def reload(applicant: Applicant) -> Applicant:
    return Applicant.objects.get(pk=applicant.pk)


# --- 入党申请人: 18 on applying ------------------------------------------------------------------------------------


def test_applying_the_day_before_the_18th_birthday_is_refused(org):
    errors = refused(lambda: new_applicant(org, applied_on=EIGHTEEN - DAY))
    assert errors == {"applied_on": ["递交入党申请时应年满十八岁（2018-03-15 起）。"]}


def test_applying_on_the_18th_birthday_is_accepted(org):
    applicant = new_applicant(org, applied_on=EIGHTEEN)
    assert (reload(applicant).applied_on, reload(applicant).stage) == (EIGHTEEN, Stage.APPLICANT)


def test_the_age_rule_as_a_function():
    dates = {"activist_on": None, "candidate_on": None, "admitted_on": None, "withdrawn_on": None}
    early = pipeline_errors(birth_date=BORN, applied_on=EIGHTEEN - DAY, withdraw_reason="", **dates)
    on_day = pipeline_errors(birth_date=BORN, applied_on=EIGHTEEN, withdraw_reason="", **dates)
    assert (list(early), on_day) == (["applied_on"], {})


# --- each step forward at its boundary ---------------------------------------------------------------------------


def test_activist_the_day_before_applying_is_refused_on_the_day_accepted(org):
    applicant = new_applicant(org, applied_on=dt.date(2021, 3, 1))
    errors = refused(
        lambda: services.advance_applicant(applicant=applicant, stage="activist", on=dt.date(2021, 2, 28))
    )
    assert errors == {"on": ["确定为入党积极分子日期不能早于递交入党申请日期（2021-03-01）。"]}
    assert reload(applicant).activist_on is None
    services.advance_applicant(applicant=applicant, stage="activist", on=dt.date(2021, 3, 1))
    assert (reload(applicant).activist_on, reload(applicant).stage) == (dt.date(2021, 3, 1), Stage.ACTIVIST)


def test_candidate_exactly_one_year_after_activist_is_accepted_a_day_earlier_refused(org):
    applicant = new_applicant(org, activist_on=dt.date(2022, 5, 10))
    errors = refused(
        lambda: services.advance_applicant(applicant=applicant, stage="candidate", on=dt.date(2023, 5, 9))
    )
    assert errors == {"on": ["入党积极分子须培养考察一年以上，最早可于 2023-05-10 列为发展对象。"]}
    assert reload(applicant).candidate_on is None
    services.advance_applicant(applicant=applicant, stage="candidate", on=dt.date(2023, 5, 10))
    assert reload(applicant).stage == Stage.CANDIDATE


def test_candidate_year_rule_as_a_function(org):
    applicant = Applicant(**applicant_fields(org, activist_on=dt.date(2022, 5, 10)))
    assert list(advance_errors(applicant, "candidate", dt.date(2023, 5, 9))) == ["on"]
    assert advance_errors(applicant, "candidate", dt.date(2023, 5, 10)) == {}


def test_a_file_entered_with_a_candidate_date_too_early_is_refused(org):
    errors = refused(
        lambda: new_applicant(org, activist_on=dt.date(2022, 5, 10), candidate_on=dt.date(2023, 5, 9))
    )
    assert list(errors) == ["candidate_on"]
    assert new_applicant(org, activist_on=dt.date(2022, 5, 10), candidate_on=dt.date(2023, 5, 10)).pk


def test_admission_the_day_before_candidacy_is_refused_on_the_day_accepted(org):
    applicant = new_applicant(org, activist_on=dt.date(2022, 5, 10), candidate_on=dt.date(2023, 6, 1))
    errors = refused(
        lambda: services.advance_applicant(applicant=applicant, stage="admitted", on=dt.date(2023, 5, 31))
    )
    assert errors == {"on": ["接收为预备党员日期不能早于确定为发展对象日期（2023-06-01）。"]}
    assert (reload(applicant).admitted_on, reload(applicant).member) == (None, None)
    services.advance_applicant(applicant=applicant, stage="admitted", on=dt.date(2023, 6, 1))
    assert reload(applicant).stage == Stage.ADMITTED


@pytest.mark.parametrize(
    "dates,stage,message",
    [
        ({}, "candidate", "不能跳过“入党积极分子”阶段。"),
        ({}, "admitted", "不能跳过“入党积极分子”阶段。"),
        ({"activist_on": dt.date(2022, 1, 1)}, "admitted", "不能跳过“发展对象”阶段。"),
        ({"activist_on": dt.date(2022, 1, 1)}, "activist", "已经是“入党积极分子”。"),
    ],
)
def test_skipping_or_repeating_a_stage_is_refused(org, dates, stage, message):
    applicant = new_applicant(org, **dates)
    errors = refused(
        lambda: services.advance_applicant(applicant=applicant, stage=stage, on=dt.date(2024, 6, 1))
    )
    assert errors == {"stage": [message]}
    assert reload(applicant).stage == applicant.stage


def test_a_file_entered_with_a_gap_is_refused(org):
    errors = refused(lambda: new_applicant(org, candidate_on=dt.date(2023, 5, 10)))
    assert errors == {"candidate_on": ["不能跳过“确定为入党积极分子”。"]}


def test_a_withdrawn_applicant_does_not_move_on(org):
    applicant = new_applicant(org, activist_on=dt.date(2021, 6, 1))
    services.update_applicant(
        applicant=applicant, withdrawn_on=dt.date(2022, 1, 1), withdraw_reason="本人申请"
    )
    errors = refused(
        lambda: services.advance_applicant(applicant=applicant, stage="candidate", on=dt.date(2022, 7, 1))
    )
    assert errors == {"stage": ["该入党申请已终止，不能继续发展。"]}
    assert reload(applicant).stage == Stage.WITHDRAWN


def test_a_withdrawal_needs_a_reason(org):
    applicant = new_applicant(org)
    errors = refused(lambda: services.update_applicant(applicant=applicant, withdrawn_on=dt.date(2022, 1, 1)))
    assert errors == {"withdraw_reason": ["终止时必须填写原因。"]}
    assert reload(applicant).withdrawn_on is None


def test_a_step_on_a_day_the_training_organisation_did_not_exist_is_refused(park):
    young = OrganizationFactory(area=park, founded_on=dt.date(2021, 4, 1), dissolved_on=dt.date(2024, 1, 1))
    applicant = new_applicant(young, applied_on=dt.date(2021, 3, 1))
    errors = refused(
        lambda: services.advance_applicant(applicant=applicant, stage="activist", on=dt.date(2021, 3, 31))
    )
    assert errors == {"on": ["培养党组织在 2021-03-31 不存续。"]}
    services.advance_applicant(applicant=applicant, stage="activist", on=dt.date(2021, 4, 1))
    # Dissolved on 2024-01-01: the last day it existed is the 31st of December.
    assert advance_errors(reload(applicant), "candidate", dt.date(2024, 1, 1)) == {
        "on": "培养党组织在 2024-01-01 不存续。"
    }
    services.advance_applicant(applicant=applicant, stage="candidate", on=dt.date(2023, 12, 31))
    assert reload(applicant).stage == Stage.CANDIDATE


def test_admission_is_only_through_advance(org):
    errors = refused(lambda: new_applicant(org, admitted_on=dt.date(2024, 1, 1)))
    assert list(errors) == ["admitted_on"]
    applicant = new_applicant(org, activist_on=dt.date(2022, 1, 1), candidate_on=dt.date(2023, 1, 1))
    errors = refused(lambda: services.update_applicant(applicant=applicant, admitted_on=dt.date(2024, 1, 1)))
    assert list(errors) == ["admitted_on"]
    assert reload(applicant).admitted_on is None


# --- admission: exactly one probationary member, counted from that day -------------------------------------------

ADMITTED_ON = Quarter(2025, 3).last_day  # 2025-09-30: counted in Q3's figures, not in Q2's


def test_admission_creates_exactly_one_probationary_member_from_that_day(park, org):
    firm = EnterpriseFactory(area=park, name="甲公司")
    applicant = new_applicant(
        org,
        phone="13812345678",
        enterprise=firm,
        activist_on=dt.date(2023, 1, 1),
        candidate_on=dt.date(2025, 1, 1),
    )
    members_before = Member.objects.count()

    admitted = services.advance_applicant(applicant=applicant, stage="admitted", on=ADMITTED_ON)

    assert Member.objects.count() == members_before + 1
    member = Member.objects.get(id_number=applicant.id_number)
    assert reload(admitted).member == member and admitted.member == member
    assert (member.category, member.joined_party_on, member.joined_on, member.confirmed_on) == (
        "probationary",
        ADMITTED_ON,
        ADMITTED_ON,
        None,
    )
    assert (member.name, member.phone, member.organization, member.enterprise) == (
        applicant.name,
        "13812345678",
        org,
        firm,
    )
    assert list(member.memberships.values_list("organization", "start", "end")) == [
        (org.pk, ADMITTED_ON, None)
    ]
    # Counted from the day of admission, not the day before, in the live figures and in the stored quarters.
    assert (members_on(park, ADMITTED_ON - DAY).total, members_on(park, ADMITTED_ON - DAY).probationary) == (
        0,
        0,
    )
    assert (members_on(park, ADMITTED_ON).total, members_on(park, ADMITTED_ON).probationary) == (1, 1)
    recompute(periods=[Quarter(2025, 2), Quarter(2025, 3)])
    stored = {
        str(s.period): (s.total, s.probationary)
        for s in MemberSnapshot.objects.filter(area=park).order_by("period")
    }
    assert stored == {"2025Q2": (0, 0), "2025Q3": (1, 1)}


def test_admitting_the_same_file_twice_creates_no_second_member(org):
    applicant = new_applicant(org, activist_on=dt.date(2023, 1, 1), candidate_on=dt.date(2024, 1, 1))
    services.advance_applicant(applicant=applicant, stage="admitted", on=dt.date(2024, 6, 1))
    errors = refused(
        lambda: services.advance_applicant(applicant=applicant, stage="admitted", on=dt.date(2024, 7, 1))
    )
    assert errors == {"stage": ["已接收为预备党员。"]}
    assert Member.objects.filter(id_number=applicant.id_number).count() == 1


def test_admitting_someone_already_on_the_members_roll_is_refused(org):
    id_number = make_id_number(7, born=BORN)
    MemberFactory(id_number=id_number, birth_date=BORN, organization=org)
    applicant = new_applicant(
        org, id_number=id_number, activist_on=dt.date(2023, 1, 1), candidate_on=dt.date(2024, 1, 1)
    )
    errors = refused(
        lambda: services.advance_applicant(applicant=applicant, stage="admitted", on=dt.date(2024, 6, 1))
    )
    assert errors == {"stage": ["该身份证号码已在党员名册中，不能重复接收。"]}
    assert (reload(applicant).admitted_on, reload(applicant).member) == (None, None)


# --- 连续两年未完成发展党员指导性计划 ---------------------------------------------------------------------------------


def admit(org, n: int, on: dt.date) -> Applicant:
    applicant = new_applicant(org, n, activist_on=dt.date(2021, 6, 1), candidate_on=dt.date(2022, 6, 1))
    return services.advance_applicant(applicant=applicant, stage="admitted", on=on)


@pytest.fixture
def two_parks(park, org):
    other = AreaFactory(code="P2", parent=park.parent, name="二园")
    other_org = OrganizationFactory(area=other, name="乙公司党支部", founded_on=dt.date(2018, 1, 1))
    for area, planned in ((park, 2), (other, 1)):
        for year in (2024, 2025):
            services.create_plan(area=area, year=year, planned=planned)
    return park, org, other, other_org


def test_an_area_that_missed_its_plan_two_years_running_is_listed(two_parks):
    park, org, other, other_org = two_parks
    admit(org, 1, dt.date(2024, 3, 1))  # P1: 1 of 2 in 2024 …
    admit(org, 2, dt.date(2025, 3, 1))  # … and 1 of 2 in 2025
    admit(other_org, 3, dt.date(2025, 3, 1))  # P2: 0 of 1 in 2024, 1 of 1 in 2025: met one year
    assert behind_plan_two_years(park.parent, dt.date(2026, 2, 1)) == {park.pk: {2024: (2, 1), 2025: (2, 1)}}


def test_meeting_the_plan_in_one_of_the_two_years_is_not_listed(two_parks):
    park, org, other, _other_org = two_parks
    admit(org, 1, dt.date(2024, 3, 1))
    admit(org, 2, dt.date(2024, 4, 1))  # P1 met 2024 (2 of 2), missed 2025 (0 of 2)
    assert behind_plan_two_years(park.parent, dt.date(2026, 2, 1)) == {other.pk: {2024: (1, 0), 2025: (1, 0)}}
    # In 2025 the two complete years are 2023 (no plan) and 2024: nobody missed both.
    assert behind_plan_two_years(park.parent, dt.date(2025, 12, 31)) == {}


def test_a_second_plan_for_the_same_area_and_year_is_refused(park):
    services.create_plan(area=park, year=2025, planned=3)
    with pytest.raises(ValidationError) as caught:
        services.create_plan(area=park, year=2025, planned=4)
    assert caught.value.messages == ["该区域该年度已有发展党员计划。"]
