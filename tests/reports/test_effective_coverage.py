"""Issue 15: 有效覆盖 — effective coverage of 规上 firms, by organisation and by instructor visits.

A small world where each condition fails once: no secretary, a secretary transferred out, a single organisation
with 2 full members (a joint one with 2 is still effective), a term ended before the quarter end (one ending after
is fine), a firm visited in the quarter, one visited the day before it and one never visited, and a firm that is
not 规上 (not counted). Exact figures through the API and the stored snapshots, the live answer equal to the
stored one, the failed conditions on the drill-through page and in the API, the bridge between quarters, and the
recompute triggers (an organisation's secretary; members of an organisation covering a firm in another park).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from members.models import InstructorVisit
from members.services import transfer_member
from orgs.services import update_organization
from registry.models import Area, Enterprise, RecomputeRequest
from registry.periods import Quarter
from reports.engine.bridge import bridge
from reports.engine.effective import unmet_conditions
from reports.engine.figures import live_figure, stored_figure
from reports.engine.recompute import recompute
from reports.models import EnterpriseState, Indicator, Snapshot
from reports.quarterly.report import build_quarterly_report, quarterly_context
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_user,
)

pytestmark = pytest.mark.django_db
Q2, Q3 = Quarter(2025, 2), Quarter(2025, 3)
EFFECTIVE_ORG, EFFECTIVE_WORK = "effective-org-coverage-above-scale", "effective-work-coverage-above-scale"


def firm(park, name, *, above_scale=True):
    unit = EnterpriseFactory(area=park, name=name)
    if above_scale:
        AboveScalePeriodFactory(enterprise=unit, start=dt.date(2020, 1, 1))
    return unit


def organization(park, units, *, setup="single", full=3, probationary=0, secretary=True, **fields):
    """An organisation covering ``units`` with ``full`` full members (the first its secretary, if any)."""
    org = OrganizationFactory(area=park, setup=setup, name=f"{units[0].name}党支部", **fields)
    for unit in units:
        LinkFactory(organization=org, enterprise=unit, start=dt.date(2020, 1, 1))
    members = [MemberFactory(organization=org) for _ in range(full)]
    for _ in range(probationary):
        MemberFactory(organization=org, category="probationary", joined_party_on=dt.date(2025, 1, 1))
    if secretary:
        org.secretary = members[0]
        org.save()
    return org


def visited(unit, on):
    assignment = unit.instructor_assignments.select_related("instructor").get()
    InstructorVisit.objects.create(
        instructor=assignment.instructor, enterprise=unit, visited_on=on, content="走访了解党建工作"
    )


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    park = AreaFactory(code="P1", parent=zone, name="甲园区")
    other = AreaFactory(code="P2", parent=zone, name="乙园区")
    organization(park, [firm(park, "无书记")], secretary=False)
    left = organization(park, [firm(park, "书记转出")], full=4)  # 3 full members stay
    organization(park, [firm(park, "党员不足")], full=2, probationary=1)
    # A joint organisation in park 1 covering a firm there and one in park 2: 2 full members are enough.
    organization(park, [firm(park, "联建甲"), firm(other, "联建乙")], setup="joint", full=2)
    organization(park, [firm(park, "换届逾期")], term_ends_on=dt.date(2025, 6, 30))
    organization(park, [firm(park, "按期换届")], term_ends_on=dt.date(2025, 12, 31))
    for name, visit in (
        ("季度内走访", dt.date(2025, 7, 1)),
        ("上季度末走访", dt.date(2025, 6, 30)),
        ("未走访", None),
    ):
        unit = firm(park, name)
        AssignmentFactory(enterprise=unit, start=dt.date(2020, 1, 1))
        if visit:
            visited(unit, visit)
    firm(park, "未覆盖")
    small = firm(park, "非规上", above_scale=False)  # visited, but not 规上: in no denominator
    AssignmentFactory(enterprise=small, start=dt.date(2020, 1, 1))
    visited(small, dt.date(2025, 8, 1))
    # The secretary of "书记转出" is transferred to another organisation during the quarter.
    elsewhere = OrganizationFactory(area=park, name="区机关党支部")
    transfer_member(member=left.secretary, organization=elsewhere, on=dt.date(2025, 8, 1))
    RecomputeRequest.objects.all().delete()
    recompute(periods=[Q2, Q3])
    return zone, park, other


# The expected figures: (numerator, denominator) and the units each way.
ORG_UNITS = ["书记转出", "党员不足", "按期换届", "换届逾期", "无书记", "联建乙", "联建甲"]
ORG_EFFECTIVE = {"按期换届", "联建甲", "联建乙"}
WORK_UNITS = ["上季度末走访", "季度内走访", "未走访"]
UNMET = {
    "无书记": ["未配备书记"],
    "书记转出": ["书记不在本组织（组织关系已转出）"],
    "党员不足": ["正式党员不足3名（现有2名）"],
    "换届逾期": ["换届逾期（届满日期 2025-06-30）"],
    "上季度末走访": ["本季度未走访"],
    "未走访": ["本季度未走访"],
}


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(make_user("reader", role="reader", area=world[0]))
    return client


def indicator(code: str) -> Indicator:
    return Indicator.objects.get(code=code)


def test_the_two_indicators_are_data_listed_after_the_plain_ones(api):
    body = api.get("/api/v1/coverage/indicators/", {"page_size": 100}).json()
    codes = [row["code"] for row in body["results"]]
    assert codes[-2:] == [EFFECTIVE_ORG, EFFECTIVE_WORK]
    rows = {row["code"]: row for row in body["results"]}
    assert rows[EFFECTIVE_ORG]["name"] == "党组织有效覆盖率（规模以上非公企业）"
    assert (rows[EFFECTIVE_ORG]["population"], rows[EFFECTIVE_ORG]["numerator"]) == (
        "above_scale",
        "effective_org",
    )
    assert rows[EFFECTIVE_WORK]["numerator"] == "effective_work"
    assert "有效覆盖" in rows[EFFECTIVE_WORK]["source"]
    assert all(
        rows[code]["decimals"] == 1 and not rows[code]["is_headline"] for code in rows if "effective" in code
    )


def test_exact_figures_stored_and_served(api, world):
    zone, park, other = world
    expected = {
        EFFECTIVE_ORG: (3, 7, "42.9", {"single": 5, "joint": 2, "work": 0, "none": 0}),
        EFFECTIVE_WORK: (1, 3, "33.3", {"single": 0, "joint": 0, "work": 3, "none": 0}),
    }
    for code, (n, d, pct, breakdown) in expected.items():
        snapshot = Snapshot.objects.get(indicator__code=code, area=zone, period=Q3)
        assert (snapshot.numerator, snapshot.denominator) == (n, d), code
        body = api.get("/api/v1/coverage/", {"area": "Z", "period": "2025Q3", "indicator": code}).json()
        assert (body["numerator"], body["denominator"], body["percent"], body["breakdown"]) == (
            n,
            d,
            pct,
            breakdown,
        )
    # Each park counts its own units; the district is their sum.
    by_area = {
        (row.area.code, row.indicator.code): (row.numerator, row.denominator)
        for row in Snapshot.objects.filter(period=Q3, indicator__code__in=expected).select_related(
            "area", "indicator"
        )
    }
    assert by_area[("P1", EFFECTIVE_ORG)] == (2, 6) and by_area[("P2", EFFECTIVE_ORG)] == (1, 1)
    assert by_area[("P1", EFFECTIVE_WORK)] == (1, 3) and by_area[("P2", EFFECTIVE_WORK)] == (0, 0)
    # The plain indicators are unchanged by the new ones: 7 of 11 规上 firms have an organisation.
    assert (
        Snapshot.objects.get(indicator__code="org-coverage-above-scale", area=zone, period=Q3).denominator
        == 11
    )


def test_the_previous_quarter_counts_its_own_visits_secretaries_and_terms(world):
    """At the end of 2025Q2 the secretary had not left yet, the term ending on 30 June was not overdue and the
    visit of 30 June counted; the visit of 1 July did not."""
    zone = world[0]
    org = Snapshot.objects.get(indicator__code=EFFECTIVE_ORG, area=zone, period=Q2)
    work = Snapshot.objects.get(indicator__code=EFFECTIVE_WORK, area=zone, period=Q2)
    assert (org.numerator, org.denominator) == (5, 7)
    assert (work.numerator, work.denominator) == (1, 3)
    assert set(
        EnterpriseState.objects.filter(period=Q2, effective=True, state="work").values_list(
            "enterprise__name", flat=True
        )
    ) == {"上季度末走访"}


def test_live_answers_agree_with_the_stored_ones(api, world):
    zone = world[0]
    for code in (EFFECTIVE_ORG, EFFECTIVE_WORK):
        for period in (Q2, Q3):
            stored = stored_figure(zone, period, indicator(code))
            live = live_figure(zone, period.last_day, indicator(code))
            assert (live.numerator, live.denominator, live.breakdown.as_dict()) == (
                stored.numerator,
                stored.denominator,
                stored.breakdown.as_dict(),
            ), (code, period)
        params = {"area": "Z", "indicator": code}
        by_date = api.get("/api/v1/coverage/", {**params, "date": "2025-09-30"}).json()
        by_quarter = api.get("/api/v1/coverage/", {**params, "period": "2025Q3"}).json()
        assert {k: by_date[k] for k in ("numerator", "denominator", "percent", "breakdown")} == {
            k: by_quarter[k] for k in ("numerator", "denominator", "percent", "breakdown")
        }
    # Mid-quarter, only the visits so far in the quarter count; the secretary was still in post on 31 July.
    assert (live_figure(zone, dt.date(2025, 7, 31), indicator(EFFECTIVE_ORG)).numerator) == 4
    assert (live_figure(zone, dt.date(2025, 7, 1), indicator(EFFECTIVE_WORK)).numerator) == 1


def test_a_second_recompute_writes_nothing(world):
    assert recompute(periods=[Q2, Q3]).total == 0


def test_drill_page_shows_why_each_unit_fails(client, world):
    client.force_login(make_user("clerk", role="staff", area=world[0]))
    for code, units in ((EFFECTIVE_ORG, ORG_UNITS), (EFFECTIVE_WORK, WORK_UNITS)):
        params = {"area": "Z", "period": "2025Q3", "indicator": code}
        page = client.get("/coverage/enterprises/", {**params, "part": "denominator"})
        assert page.status_code == 200
        rows = page.context["rows"]
        assert sorted(e.name for e in rows) == sorted(units)
        assert {e.name: e.unmet for e in rows if e.unmet} == {n: r for n, r in UNMET.items() if n in units}
        html = page.content.decode()
        assert "未满足的条件" in html and 'id="effective-definition"' in html
        for name in units:
            for reason in UNMET.get(name, []):
                assert reason in html, (code, name)
        numerator = client.get("/coverage/enterprises/", {**params, "part": "numerator"})
        assert {e.name for e in numerator.context["rows"]} == (
            ORG_EFFECTIVE if code == EFFECTIVE_ORG else {"季度内走访"}
        )
        assert "未满足的条件" not in numerator.content.decode()
        live = client.get("/coverage/enterprises/", {**params, "part": "denominator", "date": "2025-09-30"})
        assert {e.name: e.unmet for e in live.context["rows"] if e.unmet} == {
            e.name: e.unmet for e in rows if e.unmet
        }
    plain = client.get(
        "/coverage/enterprises/", {"area": "Z", "period": "2025Q3", "part": "denominator"}
    ).content.decode()
    assert "未满足的条件" not in plain and "未配备书记" not in plain


def test_drill_page_query_count_does_not_grow_with_page_size(client, world):
    client.force_login(make_user("clerk", role="staff", area=world[0]))
    counts = []
    for size in (2, 7):
        params = {"area": "Z", "period": "2025Q3", "indicator": EFFECTIVE_ORG, "part": "denominator"}
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/coverage/enterprises/", {**params, "page_size": size})
        assert len(response.context["rows"]) == size
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_api_drill_through_carries_the_unmet_conditions(api, world):
    for code, units in ((EFFECTIVE_ORG, ORG_UNITS), (EFFECTIVE_WORK, WORK_UNITS)):
        for as_of in ({"period": "2025Q3"}, {"date": "2025-09-30"}):
            body = api.get(
                "/api/v1/coverage/enterprises/",
                {"area": "Z", "indicator": code, "part": "denominator", **as_of},
            ).json()
            assert body["count"] == len(units)
            found = {row["name"]: row["unmet_conditions"] for row in body["results"]}
            assert found == {name: UNMET.get(name, []) for name in units}, (code, as_of)
    numerator = api.get(
        "/api/v1/coverage/enterprises/", {"area": "Z", "period": "2025Q3", "indicator": EFFECTIVE_ORG}
    ).json()
    assert {row["name"] for row in numerator["results"]} == ORG_EFFECTIVE
    plain = api.get("/api/v1/coverage/enterprises/", {"area": "Z", "period": "2025Q3", "part": "denominator"})
    assert all(row["unmet_conditions"] == [] for row in plain.json()["results"])


def test_unmet_conditions_is_empty_exactly_for_the_effective_units(world):
    on = Q3.last_day
    states = dict(EnterpriseState.objects.filter(period=Q3).values_list("enterprise_id", "state").order_by())
    unmet = unmet_conditions(on, states.items())
    effective = set(
        EnterpriseState.objects.filter(period=Q3, effective=True).values_list("enterprise_id", flat=True)
    )
    assert {pk for pk, reasons in unmet.items() if not reasons} == effective
    assert set(unmet) == {pk for pk, state in states.items() if state != "none"}


def test_reading_every_link_in_one_scan_gives_the_same_units(world, monkeypatch):
    """Past ``ONE_SCAN`` units (a large part of the province) the links and visits are read in one query each,
    not by id: the same units come out."""
    from reports.engine import effective

    units = list(EnterpriseState.objects.filter(period=Q3).values_list("enterprise_id", "state"))
    by_id = effective.effective_units(Q3.last_day, units)
    monkeypatch.setattr(effective, "ONE_SCAN", 0)
    assert effective.effective_units(Q3.last_day, units) == by_id
    assert effective.effective_units(Q3.last_day, units[:3]) <= by_id  # other units' links are left out
    names = set(Enterprise.objects.filter(pk__in=by_id).values_list("name", flat=True))
    assert names == ORG_EFFECTIVE | {
        "季度内走访",
        "非规上",
    }  # the flag is the unit's; 规上 is the population's


def test_bridge_from_the_previous_quarter(world):
    zone = world[0]
    org = bridge(zone, Q3, indicator(EFFECTIVE_ORG))
    assert (org.opening, org.closing) == ((5, 7), (3, 7)) and org.balances
    lost = org.line("left", "effective_lost")
    assert sorted(Enterprise.objects.filter(pk__in=lost.enterprise_ids).values_list("name", flat=True)) == [
        "书记转出",
        "换届逾期",
    ]
    assert (lost.numerator, lost.denominator) == (2, 0)
    work = bridge(zone, Q3, indicator(EFFECTIVE_WORK))
    assert (work.opening, work.closing) == ((1, 3), (1, 3)) and work.balances
    assert [(x.reason, x.numerator, x.denominator) for x in work.entered] == [("effective_met", 1, 0)]
    assert [(x.reason, x.numerator, x.denominator) for x in work.left] == [("effective_lost", 1, 0)]


def test_dashboard_and_quarterly_report_show_both_rates(client, world):
    zone = world[0]
    client.force_login(make_user("clerk", role="staff", area=zone))
    html = client.get("/", {"area": "Z", "period": "2025Q3"}).content.decode()
    table = html.split("全部指标")[1]
    assert "党组织有效覆盖率（规模以上非公企业）" in table and "42.9%" in table
    assert "党的工作有效覆盖率（规模以上非公企业）" in table and "33.3%" in table
    report = build_quarterly_report(zone, Q3)
    assert (report.effective_org.numerator, report.effective_org.denominator) == (3, 7)
    assert (report.effective_work.numerator, report.effective_work.denominator) == (1, 3)
    names = [f.indicator.name for f in quarterly_context(report)["figures"]]
    assert (
        names.index("党组织有效覆盖率（规模以上非公企业）")
        == names.index("党组织覆盖率（规模以上非公企业）") + 1
    )
    page = client.get("/reports/quarterly/", {"area": "Z", "period": "2025Q3"}).content.decode()
    assert "党组织有效覆盖率 42.9%（3/7）" in page and "党的工作有效覆盖率 33.3%（1/3）" in page


def test_a_new_secretary_or_term_recomputes_from_today(world):
    zone, park, other = world
    org = Enterprise.objects.get(name="无书记").org_links.get().organization
    member = org.memberships.first().member
    update_organization(organization=org, secretary=member)
    today = timezone.localdate()
    assert set(RecomputeRequest.objects.values_list("area_id", "since")) == {(park.pk, today)}
    RecomputeRequest.objects.all().delete()
    update_organization(organization=org, name=org.name + "（更名）")
    assert not RecomputeRequest.objects.exists()  # a change that moves no figure asks for nothing
    update_organization(organization=org, term_ends_on=dt.date(2030, 6, 30))
    assert set(RecomputeRequest.objects.values_list("area_id", "since")) == {(park.pk, today)}


def test_members_of_an_organisation_move_the_units_it_covers_in_another_park(world):
    """The joint organisation sits in park 1 but covers a firm in park 2: a recompute of park 1's people (what a
    member's transfer asks for) recomputes that firm's effective coverage too."""
    zone, park, other = world
    joint = Enterprise.objects.get(name="联建乙").org_links.get().organization
    secretary = joint.secretary
    transfer_member(
        member=secretary, organization=OrganizationFactory(area=park, name="新支部"), on=dt.date(2025, 9, 1)
    )
    assert set(RecomputeRequest.objects.values_list("area_id", flat=True)) == {park.pk}
    recompute(periods=[Q3], area_ids={park.pk}, people=True)
    state = EnterpriseState.objects.get(period=Q3, enterprise__name="联建乙")
    assert (state.area_id, state.effective) == (other.pk, False)
    assert Snapshot.objects.get(indicator__code=EFFECTIVE_ORG, area=other, period=Q3).numerator == 0
    assert Snapshot.objects.get(indicator__code=EFFECTIVE_ORG, area=zone, period=Q3).numerator == 1
    assert recompute(periods=[Q3]).total == 0  # the scoped recompute left nothing for a full one


def test_a_visit_recorded_later_is_counted_once_recomputed(world):
    unit = Enterprise.objects.get(name="未走访")
    visited(unit, dt.date(2025, 9, 30))
    recompute(periods=[Q3], area_ids={unit.area_id}, people=False)  # what the visit service asks for
    zone = Area.objects.get(code="Z")
    assert stored_figure(zone, Q3, indicator(EFFECTIVE_WORK)).numerator == 2
    assert live_figure(zone, Q3.last_day, indicator(EFFECTIVE_WORK)).numerator == 2
