"""The demo data set (fixtures/demo.json, built by reports.tooling.demo.build_demo) reproduces seed 000's figures."""

import datetime as dt
import io
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from members.choices import COLLEGE_OR_ABOVE, MembershipStart
from members.models import (
    Applicant,
    DevelopmentPlan,
    Employment,
    EnterpriseRequest,
    Instructor,
    InstructorAssignment,
    InstructorTask,
    InstructorVisit,
    Member,
    Membership,
    Mobility,
    TaskCompletion,
    TaskRecipient,
)
from members.rules import (
    advance_errors,
    identity_errors,
    membership_errors,
    party_join_errors,
    pipeline_errors,
    validate_id_number,
)
from orgs.models import OrganizationLink, PartyOrganization
from orgs.rules import organization_warnings
from registry.models import AboveScalePeriod, Area, Enterprise
from registry.numbers import percent
from registry.rules import JOINT_MAX_UNITS, TERM_WARNING_DAYS, validate_credit_code
from reports.engine.development import activists_ready, behind_plan_two_years, development_figures
from reports.tooling.demo import build_demo

Q3 = dt.date(2025, 9, 30)
Q2 = dt.date(2025, 6, 30)
FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"

# 规上 operating non-public firms, their coverage states, and members held in the zone.
EXPECTED = {
    Q3: {"above_scale": 68, "single": 29, "joint": 6, "work": 10, "none": 23, "covered": 35, "members": 508},
    Q2: {"above_scale": 66, "single": 27, "joint": 5, "work": 12, "none": 22, "covered": 32, "members": 494},
}
ROWS = {
    "registry.area": 10,
    "registry.enterprise": 124,
    "registry.abovescaleperiod": 73,
    "orgs.partyorganization": 36,
    "orgs.organizationlink": 48,
    "members.member": 517,
    "members.membership": 517,
    "members.employment": 502,
    "members.mobility": 6,
    "members.instructor": 8,
    "members.instructorassignment": 12,
    "members.developmentplan": 15,
    "members.applicant": 96,
    "members.instructorvisit": 132,
    "members.enterpriserequest": 65,
    "members.instructortask": 44,
    "members.taskrecipient": 88,
    "members.taskcompletion": 83,
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("loaddata", "demo", verbosity=0)
    return Area.objects.get(code="KFQ")


def figures(zone: Area, on: dt.date) -> dict[str, int]:
    population = Enterprise.objects.non_public().operating_on(on).above_scale_on(on).in_area(zone)
    states = Counter(population.with_coverage(on).values_list("coverage", flat=True))
    return {
        "above_scale": population.count(),
        "single": states["single"],
        "joint": states["joint"],
        "work": states["work"],
        "none": states["none"],
        "covered": states["single"] + states["joint"],
        "members": Member.objects.held_on(on, area=zone).count(),
    }


def fixture_rows() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("on", [Q3, Q2])
def test_fixture_reproduces_the_quarters(demo, on):
    assert figures(demo, on) == EXPECTED[on]


def test_nothing_changes_after_the_third_quarter(demo):
    assert figures(demo, timezone.localdate()) == EXPECTED[Q3]
    assert figures(demo, dt.date(2030, 1, 1)) == EXPECTED[Q3]


def test_headline_rate_is_51_5_percent(demo):
    found = figures(demo, Q3)
    assert percent(found["covered"], found["above_scale"]) == Decimal("51.5")
    assert percent(35, 68) == Decimal("51.5")
    assert percent(found["covered"] + found["work"], found["above_scale"]) == Decimal(
        "66.2"
    )  # 工作覆盖 45/68


def test_fixture_row_counts():
    assert dict(Counter(row["model"] for row in fixture_rows())) == ROWS


def test_codes_are_valid_and_agree_with_the_person(demo):
    codes = list(Enterprise.objects.values_list("credit_code", flat=True))
    assert len(codes) == 124
    assert all(validate_credit_code(code) == code for code in codes)
    members = list(Member.objects.all())
    assert len(members) == 517
    for member in members:
        assert validate_id_number(member.id_number) == member.id_number
        assert (
            identity_errors(id_number=member.id_number, birth_date=member.birth_date, gender=member.gender)
            == {}
        )
        assert (
            membership_errors(
                joined_on=member.joined_on,
                organization=member.organization,
                ended_on=member.ended_on,
                end_reason=member.end_reason,
            )
            == {}
        )
        assert (
            party_join_errors(
                joined_party_on=member.joined_party_on,
                joined_on=member.joined_on,
                birth_date=member.birth_date,
            )
            == {}
        )


def test_every_object_passes_full_clean(demo):
    for model in (
        Area,
        Enterprise,
        AboveScalePeriod,
        PartyOrganization,
        OrganizationLink,
        Member,
        Membership,
        Employment,
        Mobility,
        Instructor,
        InstructorAssignment,
        DevelopmentPlan,
        Applicant,
    ):
        for obj in model.objects.all():
            obj.full_clean()


@pytest.mark.parametrize("on", [Q3, Q2])
def test_single_orgs_cover_one_unit_and_joint_orgs_two_to_five(demo, on):
    units = {
        org.name: (org.setup, org.enterprises_on(on).count())
        for org in PartyOrganization.objects.active_on(on).in_area(demo)
    }
    assert len(units) == 35 if on == Q3 else 33
    assert Counter(setup for setup, _n in units.values()) == {"single": 30 if on == Q3 else 28, "joint": 5}
    for setup, count in units.values():
        if setup == "single":
            assert count == 1
        else:
            assert 2 <= count <= JOINT_MAX_UNITS


def test_member_composition(demo):
    active = Member.objects.held_on(Q3, area=demo)
    assert active.filter(gender="F").count() == 152  # 29.9 %
    assert active.exclude(ethnicity="汉族").count() == 46  # 9.1 %
    assert set(active.exclude(ethnicity="汉族").values_list("ethnicity", flat=True)) == {
        "壮族",
        "回族",
        "苗族",
        "土家族",
        "瑶族",
        "满族",
    }
    assert active.filter(education__in=COLLEGE_OR_ABOVE).count() == 325  # 64.0 %
    assert active.filter(birth_date__gt=dt.date(1990, 9, 30)).count() == 97  # under 35: 19.1 %
    assert active.filter(category="probationary").count() == 58  # 11.4 %
    assert active.filter(is_mobile=True).count() == 6
    assert active.filter(retired=True).count() == 8
    # Working members are employed at a unit their organisation covers, or at a 联建 candidate.
    working = active.exclude(enterprise=None)
    assert working.count() == 494
    at_covered = sum(
        1
        for m in working.select_related("organization")
        if m.organization.enterprises_on(Q3).filter(pk=m.enterprise_id).exists()
    )
    assert at_covered == 483  # the other 11 work at 联建 candidates, held in their park's joint branch


def test_history(demo):
    assert Member.objects.filter(joined_on__gt=Q2).count() == 15
    ended = Member.objects.exclude(ended_on=None)
    assert ended.count() == 9
    assert list(ended.filter(ended_on__gt=Q2).values_list("ended_on", "end_reason")) == [
        (dt.date(2025, 8, 12), "transfer_out")
    ]
    deregistered = Enterprise.objects.exclude(deregistered_on=None)
    assert deregistered.count() == 4
    assert all(e.deregistered_on < Q3 for e in deregistered)
    assert deregistered.filter(above_scale_periods__isnull=False).count() == 1
    assert PartyOrganization.objects.exclude(dissolved_on=None).count() == 1
    # Firms became 规上 in 2025Q1 and 2025Q3.
    new = Counter(AboveScalePeriod.objects.filter(start__year=2025).values_list("start", flat=True))
    assert new == {dt.date(2025, 1, 1): 3, dt.date(2025, 7, 1): 2}
    # Nothing happens after 2025-09-30.
    latest = [
        *Enterprise.objects.exclude(deregistered_on=None).values_list("deregistered_on", flat=True),
        *Enterprise.objects.values_list("established_on", flat=True),
        *AboveScalePeriod.objects.values_list("start", flat=True),
        *AboveScalePeriod.objects.exclude(end=None).values_list("end", flat=True),
        *PartyOrganization.objects.values_list("founded_on", flat=True),
        *OrganizationLink.objects.values_list("start", flat=True),
        *OrganizationLink.objects.exclude(end=None).values_list("end", flat=True),
        *Member.objects.values_list("joined_on", flat=True),
        *Member.objects.values_list("joined_party_on", flat=True),
        *Membership.objects.values_list("start", flat=True),
        *Membership.objects.exclude(end=None).values_list("end", flat=True),
        *Member.objects.exclude(ended_on=None).values_list("ended_on", flat=True),
        *InstructorAssignment.objects.values_list("start", flat=True),
        *InstructorAssignment.objects.exclude(end=None).values_list("end", flat=True),
    ]
    assert max(latest) == dt.date(2025, 9, 10)


def test_every_member_has_exactly_their_first_history_rows(demo):
    """No transfers, 转正 dates or new employers in the demo: one membership from joined_on to ended_on, the
    workplace and mobility over the same span (the history migration's test rebuilds exactly these)."""
    members = {m.pk: m for m in Member.objects.all()}
    spans = {(m.pk, m.organization_id, m.joined_on, m.ended_on, m.end_reason) for m in members.values()}
    memberships = set(
        Membership.objects.values_list("member_id", "organization_id", "start", "end", "how_ended")
    )
    assert memberships == spans
    assert set(Employment.objects.values_list("member_id", "enterprise_id", "start", "end")) == {
        (m.pk, m.enterprise_id, m.joined_on, m.ended_on) for m in members.values() if m.enterprise_id
    }
    assert set(Mobility.objects.values_list("member_id", "start", "end")) == {
        (m.pk, m.joined_on, m.ended_on) for m in members.values() if m.is_mobile
    }
    assert Member.objects.exclude(confirmed_on=None).count() == 0
    assert Member.objects.exclude(probation_until=None).count() == 0


def test_party_join_dates(demo):
    """Probationary members joined the Party on joining here (发展入党); most full members years before (转入)."""
    members = Member.objects.all()
    assert members.filter(category="probationary").exclude(joined_party_on=F("joined_on")).count() == 0
    earlier = members.filter(category="full", joined_party_on__lt=F("joined_on"))
    assert (earlier.count(), members.filter(category="full").count()) == (287, 459)  # 62.5 %
    assert earlier.filter(joined_party_on__gt=dt.date(2024, 9, 30)).count() == 0
    assert Counter(Membership.objects.values_list("how_started", flat=True)) == {
        MembershipStart.TRANSFER_IN: 287,
        MembershipStart.DEVELOPED: 230,
    }


def test_population_outside_the_headline(demo):
    operating = Enterprise.objects.operating_on(Q3).in_area(demo)
    assert operating.non_public().exclude(pk__in=Enterprise.objects.above_scale_on(Q3)).count() == 40
    social = operating.social_orgs()
    assert dict(Counter(social.values_list("economic_type", flat=True))) == {
        "social_group": 6,
        "non_enterprise": 5,
        "foundation": 1,
    }
    assert Instructor.objects.in_area(demo).count() == 8
    assert InstructorAssignment.objects.filter(end__lt=Q3).count() == 1
    # 联建 candidates: small firms with 1–2 members and no org; one with 3 full members inside a joint org.
    counted = Enterprise.objects.operating_on(Q3).with_coverage(Q3).with_member_counts(Q3)
    candidates = counted.filter(party_members__gt=0, coverage__in=["none", "work"])
    assert sorted(candidates.values_list("party_members", flat=True)) == [1, 1, 1, 2, 2, 2, 2]
    should_go_single = counted.filter(full_members__gte=3).exclude(coverage="single")
    assert should_go_single.count() == 1
    assert should_go_single.get().coverage == "joint"


def test_work_queue_has_something(demo):
    found = Counter()
    for org in PartyOrganization.objects.active_on(Q3).with_counts(Q3):
        warnings = organization_warnings(
            kind=org.kind,
            setup=org.setup,
            member_count=org.member_count,
            full_member_count=org.full_member_count,
            unit_count=org.unit_count,
            has_committee=org.has_committee,
            term_ends_on=org.term_ends_on,
            on=Q3,
        )
        found["over_50"] += org.kind == "branch" and org.member_count > 50
        found["no_committee"] += org.full_member_count >= 7 and not org.has_committee
        found["fragile"] += org.setup == "single" and org.full_member_count == 3
        found["term_due"] += bool(
            org.term_ends_on and org.term_ends_on <= Q3 + dt.timedelta(TERM_WARNING_DAYS)
        )
        found["warned"] += bool(warnings)
    assert found == {"over_50": 1, "no_committee": 1, "fragile": 5, "term_due": 2, "warned": 4}
    assert PartyOrganization.objects.filter(secretary=None).count() == 0


def test_applicants_pass_the_stage_rules_and_admissions_are_existing_members(demo):
    """Every file passes the rules a page or an import applies; each admission belongs to a member the zone
    already had, the same person, developed where they are (入党日期 = 转入本组织日期 = 接收日期)."""
    applicants = list(Applicant.objects.select_related("organization", "member"))
    assert Counter(a.stage for a in applicants) == {
        "applicant": 40,
        "activist": 25,
        "candidate": 10,
        "admitted": 15,
        "withdrawn": 6,
    }
    for a in applicants:
        dates = {"applied_on": a.applied_on, "activist_on": a.activist_on, "candidate_on": a.candidate_on}
        assert (
            pipeline_errors(
                birth_date=a.birth_date,
                admitted_on=a.admitted_on,
                withdrawn_on=a.withdrawn_on,
                withdraw_reason=a.withdraw_reason,
                **dates,
            )
            == {}
        ), a.name
        assert identity_errors(id_number=a.id_number, birth_date=a.birth_date, gender=a.gender) == {}
        assert all(a.organization.active_on(d) for d in dates.values() if d), a.name
        assert max(d for d in [*dates.values(), a.admitted_on, a.withdrawn_on] if d) <= Q3
    admitted = [a for a in applicants if a.stage == "admitted"]
    for a in admitted:
        m = a.member
        assert (a.id_number, a.name, a.gender, a.birth_date, a.ethnicity, a.education) == (
            m.id_number,
            m.name,
            m.gender,
            m.birth_date,
            m.ethnicity,
            m.education,
        )
        assert a.admitted_on == m.joined_party_on == m.joined_on
        assert (a.organization_id, a.enterprise_id) == (m.organization_id, m.enterprise_id)
        # Admitted within the last year: still probationary (the demo records no 转正).
        assert m.category == ("probationary" if a.admitted_on > dt.date(2024, 9, 30) else "full")
    assert Counter(a.admitted_on.year for a in admitted) == {2023: 4, 2024: 4, 2025: 7}
    # No one else holds an admitted file, and the open files are people the register does not have yet.
    assert Applicant.objects.exclude(member=None).count() == 15
    assert not Member.objects.filter(
        id_number__in=Applicant.objects.filter(member=None).values("id_number")
    ).exists()
    # An activist of the demo may move on as the API would let them (the rules' own check).
    ready = activists_ready(demo, Q3).order_by("pk").first()
    assert advance_errors(ready, "candidate", Q3) == {}


def test_development_plans_and_the_two_year_rule(demo):
    """Plans at two levels (district and parks) for 2023–2025; 临港物流园 missed its plan in 2023 and 2024."""
    found = {year: development_figures(demo, year, today=Q3) for year in (2023, 2024, 2025)}
    assert [(f.planned, f.admitted, f.percent) for f in found.values()] == [
        (6, 4, Decimal("66.7")),
        (6, 4, Decimal("66.7")),
        (9, 7, Decimal("77.8")),
    ]
    assert (found[2025].applicants, found[2025].activists, found[2025].candidates) == (40, 25, 10)
    logistics = Area.objects.get(code="KFQ-P04")
    assert behind_plan_two_years(demo, Q3) == {logistics.pk: {2023: (1, 0), 2024: (1, 0)}}
    # Seen from 2026 (2024 and 2025 complete) the same park is behind: 2025's plan of 2 got 1.
    assert behind_plan_two_years(demo, dt.date(2026, 1, 1)) == {logistics.pk: {2024: (1, 0), 2025: (2, 1)}}
    assert development_figures(logistics, 2025, today=Q3).candidates == 0  # no 发展对象 all year (seed 002)
    assert activists_ready(demo, Q3).count() == 9


Q3_DAYS = (dt.date(2025, 7, 1), Q3)
WORK_FIRST, WORK_LAST = dt.date(2024, 1, 1), dt.date(2026, 9, 30)  # the instructors' work records' range


def test_instructor_work_counts(demo):
    """指导员工作 (issue 15): what the dashboard shows of the instructors' work, exact so it cannot vanish."""
    visits = InstructorVisit.objects.all()
    assert visits.count() == 132
    assert Counter(visits.values_list("kind", flat=True)) == {
        "visit": 85,
        "training": 19,
        "guidance": 15,
        "other": 13,
    }
    in_q3 = visits.filter(visited_on__range=Q3_DAYS)
    assert in_q3.count() == 10
    assert in_q3.values("enterprise").distinct().count() == 8  # of the 12 firms assigned in 2025Q3
    # About 80 % of the firm-quarters an assignment holds (2024Q1–2026Q3) see a visit: 101 of 125.
    firm_quarters = {(v.enterprise_id, v.visited_on.year, (v.visited_on.month - 1) // 3) for v in visits}
    assert len(firm_quarters) == 101
    # 天昌重工装备 set up its branch on 2025-09-10 after a year of 指导组建.
    founded = PartyOrganization.objects.get(founded_on=dt.date(2025, 9, 10))
    firm = founded.enterprises_on(Q3).get()
    assert list(
        visits.filter(enterprise=firm, visited_on__year=2025)
        .order_by("visited_on")
        .values_list("kind", flat=True)
    ) == ["guidance", "guidance", "guidance"]

    requests = EnterpriseRequest.objects.all()
    assert requests.count() == 65
    assert requests.filter(received_on__range=Q3_DAYS).count() == 5
    open_on_q3 = requests.filter(received_on__lte=Q3).filter(Q(closed_on=None) | Q(closed_on__gt=Q3))
    assert open_on_q3.count() == 3
    assert requests.filter(closed_on=None).count() == 4
    closed = [(r.closed_on - r.received_on).days for r in requests.exclude(closed_on=None)]
    assert (sum(days <= 30 for days in closed), sum(days > 30 for days in closed)) == (58, 3)

    tasks = InstructorTask.objects.all()
    assert tasks.count() == 44
    assert Counter(tasks.values_list("area__code", flat=True)) == {f"KFQ-P0{k}": 11 for k in range(1, 5)}
    assert Counter(t.published_on.year for t in tasks) == {2024: 16, 2025: 16, 2026: 12}
    # Each park task goes to the park's two instructors; 83 of the 88 reported done, 9 of them late.
    assert TaskRecipient.objects.count() == 88
    completions = TaskCompletion.objects.all()
    assert completions.count() == 83
    assert completions.filter(done_on__gt=F("task__due_on")).count() == 9
    not_done_by_q3 = TaskRecipient.objects.filter(task__due_on__lt=Q3).exclude(
        Exists(completions.filter(task=OuterRef("task"), instructor=OuterRef("instructor"), done_on__lte=Q3))
    )
    assert not_done_by_q3.count() == 4  # overdue on 2025-09-30


def test_instructor_work_keeps_the_rules(demo):
    """A visit by the instructor assigned to the firm that day; requests closed on or after receipt; completions
    only by the instructors of the task's area; nothing before 2024 or after 2026Q3 (so never in the future)."""
    assigned = list(InstructorAssignment.objects.all())

    def holds(instructor_id, enterprise_id, on):
        return any(
            a.instructor_id == instructor_id and a.enterprise_id == enterprise_id and a.holds_on(on)
            for a in assigned
        )

    for visit in InstructorVisit.objects.all():
        visit.full_clean()
        assert WORK_FIRST <= visit.visited_on <= WORK_LAST
        assert holds(visit.instructor_id, visit.enterprise_id, visit.visited_on), visit
    for request in EnterpriseRequest.objects.all():
        request.full_clean()
        assert WORK_FIRST <= request.received_on <= WORK_LAST
        assert request.closed_on is None or request.received_on <= request.closed_on <= WORK_LAST
        assert bool(request.result) == bool(request.closed_on)
        assert holds(request.instructor_id, request.enterprise_id, request.received_on), request
    for task in InstructorTask.objects.select_related("area"):
        task.full_clean()
        assert WORK_FIRST <= task.published_on <= task.due_on <= WORK_LAST
    for recipient in TaskRecipient.objects.select_related("task__area", "instructor__area"):
        recipient.full_clean()
        assert recipient.instructor.area.path.startswith(recipient.task.area.path), recipient
    for completion in TaskCompletion.objects.select_related("task__area", "instructor__area"):
        completion.full_clean()
        assert completion.instructor.area.path.startswith(completion.task.area.path), completion
        assert TaskRecipient.objects.filter(task=completion.task, instructor=completion.instructor).exists()
        assert completion.task.published_on <= completion.done_on <= WORK_LAST
    assert timezone.localdate() > WORK_LAST  # today is later: no record is in the future


def test_build_demo_on_an_empty_database_gives_the_same_figures():
    counts = build_demo()
    assert counts == {
        "areas": 10,
        "enterprises": 124,
        "above_scale_periods": 73,
        "organizations": 36,
        "links": 48,
        "members": 517,
        "memberships": 517,
        "employments": 502,
        "mobility": 6,
        "instructors": 8,
        "assignments": 12,
        "development_plans": 15,
        "applicants": 96,
        "visits": 132,
        "requests": 65,
        "tasks": 44,
        "task_recipients": 88,
        "task_completions": 83,
    }
    zone = Area.objects.get(code="KFQ")
    assert figures(zone, Q3) == EXPECTED[Q3]
    assert figures(zone, Q2) == EXPECTED[Q2]
    rows = fixture_rows()
    in_fixture = {
        "credit_code": {r["fields"]["credit_code"] for r in rows if r["model"] == "registry.enterprise"},
        "id_number": {r["fields"]["id_number"] for r in rows if r["model"] == "members.member"},
        "org": {r["fields"]["name"] for r in rows if r["model"] == "orgs.partyorganization"},
    }
    assert set(Enterprise.objects.values_list("credit_code", flat=True)) == in_fixture["credit_code"]
    assert set(Member.objects.values_list("id_number", flat=True)) == in_fixture["id_number"]
    assert set(PartyOrganization.objects.values_list("name", flat=True)) == in_fixture["org"]


def test_command_rewrites_the_committed_fixture_byte_for_byte(tmp_path):
    # --force also resets the id sequences, so the dump matches the committed file even after other tests.
    output = tmp_path / "demo.json"
    call_command("build_demo_fixture", force=True, output=str(output), stdout=io.StringIO())
    assert output.read_bytes() == FIXTURE.read_bytes()


def test_command_refuses_a_registry_with_data(demo, tmp_path):
    with pytest.raises(CommandError, match="already holds data"):
        call_command("build_demo_fixture", output=str(tmp_path / "demo.json"))
    assert not (tmp_path / "demo.json").exists()
