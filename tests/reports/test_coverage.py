"""The coverage engine on hand-built data: states, indicators, snapshots, idempotence and frozen quarters."""

import datetime as dt
from decimal import Decimal

import pytest

from registry.models import Enterprise, RecomputeRequest
from registry.periods import Quarter
from registry.services import deregister_enterprise
from reports.engine.coverage import coverage_on, members_on
from reports.engine.recompute import process_outbox, recompute
from reports.models import EnterpriseState, MemberSnapshot, OrganizationState, PeriodLock, Snapshot
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
)

Q3 = Quarter(2025, 3)
END = Q3.last_day  # 2025-09-30

pytestmark = pytest.mark.django_db


def state_of(enterprise, on=END):
    return Enterprise.objects.with_coverage(on).get(pk=enterprise.pk).coverage


@pytest.fixture
def zone():
    zone = AreaFactory(code="Z", kind="district")
    return zone, AreaFactory(code="P1", parent=zone), AreaFactory(code="P2", parent=zone)


def test_single_and_joint_counts_once_as_single():
    firm = EnterpriseFactory()
    LinkFactory(enterprise=firm, organization=OrganizationFactory(setup="single"))
    LinkFactory(enterprise=firm, organization=OrganizationFactory(setup="joint"))
    assert state_of(firm) == "single"


def test_joint_org_covers_all_its_firms():
    org = OrganizationFactory(setup="joint")
    firms = [EnterpriseFactory() for _ in range(3)]
    for firm in firms:
        LinkFactory(organization=org, enterprise=firm)
    assert [state_of(f) for f in firms] == ["joint", "joint", "joint"]


def test_instructor_gives_work_coverage_only_without_org():
    covered, worked = EnterpriseFactory(), EnterpriseFactory()
    LinkFactory(enterprise=covered)
    AssignmentFactory(enterprise=covered)
    AssignmentFactory(enterprise=worked)
    assert (state_of(covered), state_of(worked)) == ("single", "work")


def test_link_ended_mid_quarter_does_not_count_at_quarter_end():
    firm = EnterpriseFactory()
    LinkFactory(enterprise=firm, start=dt.date(2020, 1, 1), end=dt.date(2025, 8, 15))
    assert state_of(firm, dt.date(2025, 8, 14)) == "single"
    assert state_of(firm) == "none"


def test_link_of_dissolved_org_does_not_count():
    firm = EnterpriseFactory()
    LinkFactory(enterprise=firm, organization=OrganizationFactory(dissolved_on=dt.date(2025, 9, 30)))
    assert state_of(firm, dt.date(2025, 9, 29)) == "single"
    assert state_of(firm, dt.date(2025, 9, 30)) == "none"


def test_population_and_rates(zone):
    district, p1, p2 = zone
    firms = [EnterpriseFactory(area=p1 if i < 2 else p2) for i in range(16)]
    for firm in firms:
        AboveScalePeriodFactory(enterprise=firm, start=dt.date(2020, 1, 1))
    LinkFactory(enterprise=firms[0])  # single, P1
    gone = EnterpriseFactory(area=p1, deregistered_on=dt.date(2025, 9, 1))  # deregistered before quarter end
    AboveScalePeriodFactory(enterprise=gone)
    later = EnterpriseFactory(area=p2)  # 规上 only from a later year
    AboveScalePeriodFactory(enterprise=later, start=dt.date(2026, 1, 1))
    EnterpriseFactory(area=p2, category="social_org")
    recompute(periods=[Q3])
    headline = Snapshot.objects.get(
        area=district, period="2025Q3", indicator__code="org-coverage-above-scale"
    )
    assert (headline.numerator, headline.denominator, headline.percent) == (1, 16, Decimal("6.3"))
    assert (headline.single, headline.joint, headline.work, headline.none) == (1, 0, 0, 15)
    p1_figure = Snapshot.objects.get(area=p1, period="2025Q3", indicator__code="org-coverage-above-scale")
    assert (p1_figure.numerator, p1_figure.denominator) == (1, 2)
    everything = Snapshot.objects.get(area=district, period="2025Q3", indicator__code="org-coverage-all")
    assert (everything.numerator, everything.denominator) == (1, 18)  # 16 + later (non-规上) + social org
    social = Snapshot.objects.get(area=district, period="2025Q3", indicator__code="org-coverage-social-org")
    assert (social.numerator, social.denominator) == (0, 1)


def test_member_figures_counted_where_membership_is_held(zone):
    district, p1, p2 = zone
    org = OrganizationFactory(area=p1)
    employer = EnterpriseFactory(area=p2)
    MemberFactory(organization=org, enterprise=employer, gender="F", birth_date=dt.date(1995, 10, 1))
    MemberFactory(organization=org, category="probationary", ethnicity="壮族", education="secondary")
    MemberFactory(organization=org, ended_on=dt.date(2025, 9, 1), end_reason="transfer_out")
    MemberFactory(organization=org, joined_on=dt.date(2025, 10, 1))  # after the quarter
    recompute(periods=[Q3])
    at_p1 = MemberSnapshot.objects.get(area=p1, period="2025Q3")
    at_p2 = MemberSnapshot.objects.get(area=p2, period="2025Q3")
    at_zone = MemberSnapshot.objects.get(area=district, period="2025Q3")
    assert (at_p1.total, at_p1.full, at_p1.probationary) == (2, 1, 1)
    assert (at_p1.female, at_p1.minority, at_p1.college_or_above, at_p1.under_35) == (1, 1, 1, 1)
    # 1995-10-01 is 29 on 2025-09-30, 1985-06-01 is 40: average 34.5
    assert at_p1.average_age == Decimal("34.5")
    assert (at_p2.total, at_zone.total) == (0, 2)
    assert members_on(district, END).total == 2


def test_recompute_twice_writes_nothing(zone):
    district, p1, _ = zone
    firm = EnterpriseFactory(area=p1)
    AboveScalePeriodFactory(enterprise=firm)
    MemberFactory(organization=LinkFactory(enterprise=firm).organization)
    first = recompute(periods=[Q3, Q3.previous()])
    assert first.created > 0
    second = recompute(periods=[Q3, Q3.previous()])
    assert (second.created, second.updated, second.deleted) == (0, 0, 0)


def test_closed_quarter_does_not_move(zone):
    district, p1, _ = zone
    firm = EnterpriseFactory(area=p1)
    AboveScalePeriodFactory(enterprise=firm)
    recompute(periods=[Q3])
    PeriodLock.objects.create(period="2025Q3")
    LinkFactory(enterprise=firm, start=dt.date(2025, 1, 1))
    RecomputeRequest.objects.create(area=p1, since=dt.date(2025, 1, 1))
    process_outbox()
    frozen = Snapshot.objects.get(area=district, period="2025Q3", indicator__code="org-coverage-above-scale")
    assert frozen.numerator == 0
    assert EnterpriseState.objects.get(enterprise=firm, period="2025Q3").state == "none"
    assert not RecomputeRequest.objects.exists()


def test_outbox_recompute_follows_a_service_change(zone, django_capture_on_commit_callbacks):
    district, p1, _ = zone
    firm = EnterpriseFactory(area=p1, established_on=dt.date(2020, 1, 1))
    AboveScalePeriodFactory(enterprise=firm)
    recompute(periods=[Q3])
    with django_capture_on_commit_callbacks(execute=True):
        deregister_enterprise(enterprise=firm, on=dt.date(2025, 8, 1))
    # Celery is eager in the embedded default: the published task already drained the outbox.
    assert not RecomputeRequest.objects.exists()
    figure = Snapshot.objects.get(area=district, period="2025Q3", indicator__code="org-coverage-above-scale")
    assert figure.denominator == 0


def test_as_of_answer_on_any_date(zone):
    district, p1, _ = zone
    firm = EnterpriseFactory(area=p1)
    AboveScalePeriodFactory(enterprise=firm)
    LinkFactory(enterprise=firm, start=dt.date(2025, 5, 10))
    assert coverage_on(district, dt.date(2025, 5, 9))["above_scale"].as_dict() == {
        "single": 0,
        "joint": 0,
        "work": 0,
        "none": 1,
    }
    assert coverage_on(district, dt.date(2025, 5, 10))["above_scale"].single == 1


def test_recompute_command(zone):
    from io import StringIO

    from django.core.management import CommandError, call_command

    district, p1, _ = zone
    AboveScalePeriodFactory(enterprise=EnterpriseFactory(area=p1))
    out = StringIO()
    call_command("recompute", "--area", "P1", "--period", "2025Q3", stdout=out)
    assert (
        Snapshot.objects.get(
            area=district, period="2025Q3", indicator__code="org-coverage-above-scale"
        ).denominator
        == 1
    )
    assert not Snapshot.objects.filter(period="2025Q2").exists()
    call_command("recompute", "--area", "P1", "--period", "2025Q3", stdout=out)
    assert out.getvalue().splitlines()[-1] == "created 0, updated 0, deleted 0 rows"
    with pytest.raises(CommandError):
        call_command("recompute", "--period", "2025Q5")
    with pytest.raises(CommandError):
        call_command("recompute", "--area", "NOPE")


def test_scoped_recompute_equals_a_full_one(zone):
    district, p1, p2 = zone
    firms = [EnterpriseFactory(area=p1 if i % 2 else p2) for i in range(6)]
    for firm in firms:
        AboveScalePeriodFactory(enterprise=firm)
    org = LinkFactory(enterprise=firms[0], organization=OrganizationFactory(area=p2)).organization
    MemberFactory(organization=org, enterprise=firms[0])
    recompute(periods=[Q3])
    # Change things in P1 and P2's firm only, then recompute just P1's subtree (and what it rolls into).
    LinkFactory(enterprise=firms[1], organization=OrganizationFactory(area=p1))
    MemberFactory(organization=OrganizationFactory(area=p1), gender="F")
    scoped = recompute(periods=[Q3], area_ids={p1.pk})
    assert scoped.total > 0
    assert recompute(periods=[Q3]).total == 0  # a full recompute finds nothing left to change
    figure = Snapshot.objects.get(area=district, period="2025Q3", indicator__code="org-coverage-above-scale")
    assert (figure.numerator, figure.denominator) == (2, 6)
    assert MemberSnapshot.objects.get(area=district, period="2025Q3").total == 2


def test_scoped_recompute_of_a_quarter_never_computed_computes_everything(zone):
    district, p1, p2 = zone
    AboveScalePeriodFactory(enterprise=EnterpriseFactory(area=p2))
    recompute(periods=[Q3], area_ids={p1.pk})
    figure = Snapshot.objects.get(area=district, period="2025Q3", indicator__code="org-coverage-above-scale")
    assert figure.denominator == 1


def stored_rows(period=Q3):
    """Everything a quarter stores per unit, keyed by unit: to compare a scoped recompute with a full one."""
    return (
        {
            row["enterprise_id"]: row
            for row in EnterpriseState.objects.filter(period=period).values(
                "enterprise_id", "area_id", "state", "above_scale", "party_members", "full_members"
            )
        },
        {
            row["organization_id"]: row
            for row in OrganizationState.objects.filter(period=period).values(
                "organization_id", "area_id", "member_count", "full_member_count", "unit_count"
            )
        },
    )


def test_recompute_stores_member_counts_per_unit_and_organisation(zone):
    district, p1, p2 = zone
    firm, other = EnterpriseFactory(area=p1), EnterpriseFactory(area=p2)
    joint = OrganizationFactory(area=p2, setup="joint")
    LinkFactory(organization=joint, enterprise=firm)
    LinkFactory(organization=joint, enterprise=other)
    LinkFactory(organization=joint, enterprise=EnterpriseFactory(area=p2), end=dt.date(2025, 9, 1))
    MemberFactory(organization=joint, enterprise=firm)
    MemberFactory(organization=joint, enterprise=firm, category="probationary")
    MemberFactory(organization=joint, enterprise=other, joined_on=dt.date(2025, 10, 1))  # after the quarter
    MemberFactory(
        organization=joint, enterprise=firm, ended_on=dt.date(2025, 9, 30), end_reason="transfer_out"
    )
    OrganizationFactory(area=p1, dissolved_on=dt.date(2025, 7, 1))  # not active at the quarter's end
    recompute(periods=[Q3])
    states, orgs = stored_rows()
    assert (states[firm.pk]["party_members"], states[firm.pk]["full_members"]) == (2, 1)
    assert (states[other.pk]["party_members"], states[other.pk]["full_members"]) == (0, 0)
    assert list(orgs) == [joint.pk]
    assert (
        orgs[joint.pk]["member_count"],
        orgs[joint.pk]["full_member_count"],
        orgs[joint.pk]["unit_count"],
    ) == (
        2,
        1,
        2,
    )
    # The live annotations the work queue uses on other dates agree with what was stored.
    live = Enterprise.objects.with_member_counts(END).get(pk=firm.pk)
    assert (live.party_members, live.full_members) == (2, 1)


def test_scoped_recompute_keeps_unit_rows_equal_to_a_full_one(zone):
    district, p1, p2 = zone
    firm = EnterpriseFactory(area=p1)
    org = OrganizationFactory(area=p2)
    LinkFactory(organization=org, enterprise=firm)
    MemberFactory(organization=org, enterprise=firm)
    recompute(periods=[Q3])
    # The organisation moves to P1 and gains a member employed in P1's firm; only P1 is recomputed.
    org.area = p1
    org.save()
    MemberFactory(organization=org, enterprise=firm)
    assert recompute(periods=[Q3], area_ids={p1.pk}).total > 0
    scoped = stored_rows()
    assert scoped[1][org.pk]["area_id"] == p1.pk
    assert scoped[1][org.pk]["member_count"] == 2
    assert scoped[0][firm.pk]["party_members"] == 2
    # (P2's member figures wait for P2's own request, which the organisation service files for the old area.)
    recompute(periods=[Q3])
    assert stored_rows() == scoped


def test_enterprise_only_changes_skip_member_figures_and_deregistration_does_not(zone):
    """An enterprise's own fields cannot move member or organisation figures: its outbox row says so and the
    recompute leaves those rows alone; a deregistration ends links, so it recomputes them (unit counts)."""
    from registry.services import update_enterprise
    from reports.models import MemberDirect

    district, p1, _ = zone
    today = dt.date.today()
    period = Quarter.containing(today)
    firm = EnterpriseFactory(area=p1, established_on=dt.date(2020, 1, 1))
    org = OrganizationFactory(area=p1, founded_on=dt.date(2020, 1, 1))
    LinkFactory(organization=org, enterprise=firm, start=dt.date(2020, 1, 1))
    MemberFactory(organization=org, enterprise=firm)
    recompute(periods=[period])
    people_rows = (MemberDirect, MemberSnapshot, OrganizationState)
    stamps = {model: list(model.objects.filter(period=period).values()) for model in people_rows}

    update_enterprise(enterprise=firm, above_scale=True)
    assert list(RecomputeRequest.objects.values_list("people", flat=True)) == [False]
    # Make the member figures stale behind the recompute's back: a skipped pass must leave them stale.
    MemberSnapshot.objects.filter(period=period, area=district).update(total=99)
    assert process_outbox().total > 0
    assert MemberSnapshot.objects.get(period=period, area=district).total == 99
    assert EnterpriseState.objects.get(enterprise=firm, period=period).above_scale is True
    MemberSnapshot.objects.filter(period=period, area=district).update(total=1)
    assert {model: list(model.objects.filter(period=period).values()) for model in people_rows} == stamps

    update_enterprise(enterprise=firm, deregistered_on=today)
    assert list(RecomputeRequest.objects.values_list("people", flat=True)) == [True]
    process_outbox()
    # Deregistered today: still operating at the quarter's end? No: the link ended today, so 0 units at the end.
    assert OrganizationState.objects.get(organization=org, period=period).unit_count == 0
    assert recompute(periods=[period]).total == 0  # the scoped passes left nothing for a full one to fix
