"""Drill-through, quarter-on-quarter changes with reasons, the work queue and closing quarters."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError

from registry.models import Enterprise
from registry.periods import Quarter
from reports.engine.explain import changes, drill_enterprises, drill_live
from reports.engine.periods import close_period, reopen_period
from reports.engine.recompute import recompute
from reports.engine.workqueue import quarter_work_queue, stored_work_queue, work_queue
from reports.models import Indicator, PeriodLockEvent, Snapshot
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db
Q2, Q3 = Quarter(2025, 2), Quarter(2025, 3)


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district")
    park = AreaFactory(code="P1", parent=zone)
    covered, uncovered, new_org, worked = (EnterpriseFactory(area=park, name=n) for n in "ABCD")
    for firm in (covered, uncovered, new_org, worked):
        AboveScalePeriodFactory(enterprise=firm, start=dt.date(2020, 1, 1))
    LinkFactory(enterprise=covered, start=dt.date(2020, 1, 1))
    org = OrganizationFactory(name="C公司党支部", area=park, founded_on=dt.date(2025, 8, 1))
    LinkFactory(enterprise=new_org, organization=org, start=dt.date(2025, 8, 1))
    AssignmentFactory(enterprise=worked, start=dt.date(2025, 7, 15))
    became = EnterpriseFactory(area=park, name="E")
    AboveScalePeriodFactory(enterprise=became, start=dt.date(2025, 7, 1))
    recompute(periods=[Q2, Q3])
    return zone, park


def test_drill_through_numerator_and_denominator(world):
    zone, _ = world
    headline = Indicator.objects.get(code="org-coverage-above-scale")
    numerator = drill_enterprises(zone, Q3, headline, "numerator")
    denominator = drill_enterprises(zone, Q3, headline, "denominator")
    assert sorted(e.name for e in numerator) == ["A", "C"]
    assert sorted((e.name, e.state) for e in denominator) == [
        ("A", "single"),
        ("B", "none"),
        ("C", "single"),
        ("D", "work"),
        ("E", "none"),
    ]
    figure = Snapshot.objects.get(area=zone, period="2025Q3", indicator=headline)
    assert (figure.numerator, figure.denominator) == (numerator.count(), denominator.count())
    assert sorted(e.name for e in drill_live(zone, dt.date(2025, 7, 31), headline)) == ["A"]


def test_a_unit_moving_into_the_area_is_a_change_there(world):
    zone, park = world
    elsewhere = AreaFactory(code="P2", parent=zone)
    Enterprise.objects.filter(name="B").update(area=elsewhere)
    recompute(periods=[Q3])
    assert "B" not in {c.enterprise.name for c in changes(zone, Q3)}  # same state, still in the zone
    moved = {c.enterprise.name: c for c in changes(elsewhere, Q3)}
    assert set(moved) == {"B"} and (moved["B"].before, moved["B"].after) == (None, "none")
    left = {c.enterprise.name: c for c in changes(park, Q3)}
    assert (left["B"].before, left["B"].after) == ("none", None)


def test_changes_since_previous_quarter_with_reasons(world):
    zone, _ = world
    found = {c.enterprise.name: c for c in changes(zone, Q3)}
    assert set(found) == {"C", "D", "E"}
    assert (found["C"].before, found["C"].after) == ("none", "single")
    assert found["C"].reasons == ["2025-08-01 成立党组织“C公司党支部”"]
    assert (found["D"].before, found["D"].after) == ("none", "work")
    assert found["D"].reasons[0].startswith("2025-07-15 选派党建指导员")
    assert (found["E"].above_scale_before, found["E"].above_scale_after) == (False, True)
    assert found["E"].reasons == ["2025-07-01 起列为规模以上"]


@pytest.fixture
def busy_park():
    """A park with something in every work-queue entry that the rules can flag."""
    park = AreaFactory(code="P9")
    bare = EnterpriseFactory(area=park, name="bare")
    AboveScalePeriodFactory(enterprise=bare)
    three = EnterpriseFactory(area=park, name="three")
    joint = OrganizationFactory(area=park, setup="joint", name="联合支部")
    for firm in [three, *(EnterpriseFactory(area=park) for _ in range(5))]:
        LinkFactory(organization=joint, enterprise=firm)
    for _ in range(3):
        MemberFactory(organization=joint, enterprise=three)
    lonely = EnterpriseFactory(area=park, name="lonely")
    MemberFactory(organization=joint, enterprise=lonely)
    fragile = OrganizationFactory(area=park, name="fragile", term_ends_on=dt.date(2025, 11, 1))
    LinkFactory(organization=fragile, enterprise=EnterpriseFactory(area=park))
    MemberFactory(organization=fragile)
    big = OrganizationFactory(area=park, name="big", has_committee=False)
    LinkFactory(organization=big, enterprise=EnterpriseFactory(area=park, name="big firm"))
    for i in range(51):
        MemberFactory(organization=big, category="full" if i < 7 else "probationary")
    gone = OrganizationFactory(area=park, name="gone", dissolved_on=dt.date(2025, 6, 1), setup="single")
    MemberFactory(organization=gone, ended_on=dt.date(2025, 6, 1), end_reason="transfer_out")
    return park


EXPECTED_QUEUE = {
    "uncovered-above-scale": ["bare"],
    "should-set-up-own": ["three"],
    "joint-candidates": ["lonely"],
    "fragile-single": ["fragile"],
    "single-at-threshold": [],
    "joint-too-wide": ["联合支部"],
    "term-ending": ["fragile"],
    "branch-too-large": ["big"],
    "needs-committee": ["big"],
    "probation-overdue": ["big"],  # its probationary members joined in 2019 and were never confirmed
    "activists-ready": [],  # 发展党员 rules: no applicants or plans here
    "behind-plan": [],
    "instructor-tasks-overdue": [],  # no 重点工作任务 here (tests/members/test_tasks.py)
}


def test_work_queue_entries(busy_park):
    queue = work_queue(busy_park, Q3.last_day)
    assert {item.code: sorted(str(o) for o in item.queryset) for item in queue} == EXPECTED_QUEUE
    assert queue.counts() == {code: len(names) for code, names in EXPECTED_QUEUE.items()}


def test_stored_work_queue_answers_as_the_live_one_at_the_quarter_end(busy_park):
    recompute(periods=[Q3])
    stored = stored_work_queue(busy_park, Q3)
    assert {item.code: sorted(str(o) for o in item.queryset) for item in stored} == EXPECTED_QUEUE
    assert stored.counts() == {code: len(names) for code, names in EXPECTED_QUEUE.items()}
    # The rows carry the stored counts the list pages show, under the live names.
    three = stored.item("should-set-up-own").queryset.get()
    assert (three.party_members, three.full_members, three.coverage) == (3, 3, "joint")
    big = stored.item("branch-too-large").queryset.get()
    assert (big.member_count, big.full_member_count, big.unit_count) == (51, 7, 1)
    assert quarter_work_queue(busy_park, Q3).stored


@pytest.mark.parametrize("stored", [False, True], ids=["live", "stored"])
def test_flagged_lists_what_each_entry_holds_in_one_query_per_kind(
    busy_park, stored, django_assert_num_queries
):
    recompute(periods=[Q3])
    queue = stored_work_queue(busy_park, Q3) if stored else work_queue(busy_park, Q3.last_day)
    with django_assert_num_queries(5):  # enterprises, organisations, applicants, areas, instructors' tasks
        flagged = queue.flagged("name")
    assert {code: sorted(name for (name,) in rows) for code, rows in flagged.items()} == EXPECTED_QUEUE


def test_stored_work_queue_is_the_quarter_end_not_today(busy_park):
    recompute(periods=[Q3])
    lonely = Enterprise.objects.get(name="lonely")
    MemberFactory(
        organization=OrganizationFactory(area=busy_park), enterprise=lonely, joined_on=dt.date(2025, 10, 1)
    )
    MemberFactory(
        organization=OrganizationFactory(area=busy_park), enterprise=lonely, joined_on=dt.date(2025, 10, 1)
    )
    recompute(periods=[Q3])
    assert [str(o) for o in stored_work_queue(busy_park, Q3).item("joint-candidates").queryset] == ["lonely"]
    live_later = work_queue(busy_park, dt.date(2025, 10, 1))
    assert [str(o) for o in live_later.item("should-set-up-own").queryset] == ["lonely", "three"]


def test_a_quarter_never_computed_gets_the_live_queue(busy_park):
    queue = quarter_work_queue(busy_park, Q3)
    assert not queue.stored
    assert queue.counts()["uncovered-above-scale"] == 1


def test_close_and_reopen_a_quarter(world):
    admin = User.objects.create_superuser("root", password="x")
    staff = User.objects.create_user("clerk", password="x")
    close_period(period=Q3, user=staff)
    with pytest.raises(ValidationError):
        close_period(period=Q3, user=staff)
    with pytest.raises(PermissionDenied):
        reopen_period(period=Q3, user=staff, reason="数据有误")
    with pytest.raises(ValidationError):
        reopen_period(period=Q3, user=admin, reason="  ")
    reopen_period(period=Q3, user=admin, reason="数据有误")
    assert list(PeriodLockEvent.objects.order_by("at").values_list("action", "user__username", "reason")) == [
        ("close", "clerk", ""),
        ("reopen", "root", "数据有误"),
    ]
