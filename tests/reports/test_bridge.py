"""Issue 14: the quarter bridge (数字衔接) — opening + entered − left = closing, every line with its units.

A small world with one edit of every kind dated inside 2025Q3 checks each line exactly (reason, numerator,
denominator, units) for the organisation and the work indicator; the demo data checks the identity and the stored
figures for every indicator, park and the district over two quarters; then the API, the drill-through page, the
quarterly report's section and sheet, and a query bound that does not grow with the units.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from orgs.models import OrganizationLink
from registry.models import Area, Enterprise
from registry.periods import Quarter
from reports.engine.bridge import Reason, bridge, line_enterprises
from reports.engine.explain import changes
from reports.engine.figures import FigureNotFound, stored_figure
from reports.engine.recompute import recompute
from reports.models import Indicator
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    LinkFactory,
    OrganizationFactory,
    make_user,
)
from tests.personas import PARKS, PERSONAS

pytestmark = pytest.mark.django_db
Q1, Q2, Q3 = Quarter(2025, 1), Quarter(2025, 2), Quarter(2025, 3)
ORG, WORK = "org-coverage-above-scale", "work-coverage-above-scale"
IN_Q3 = dt.date(2025, 8, 1)  # an event inside the window (2025-06-30, 2025-09-30]
LONG_AGO = dt.date(2020, 1, 1)
DENOMINATOR_REASONS = {"new", "moved_in", "above_scale", "deregistered", "moved_out", "below_scale"}


def firm(park, name, *, above_scale_from=LONG_AGO, above_scale_to=None, **kwargs):
    unit = EnterpriseFactory(area=park, name=name, **kwargs)
    if above_scale_from:
        AboveScalePeriodFactory(enterprise=unit, start=above_scale_from, end=above_scale_to)
    return unit


@pytest.fixture
def world():
    """District Z with parks A and B. Park A's units at the end of 2025Q2, then one edit each dated in 2025Q3 (or,
    for moves and the corrected record, made between the two recomputes, as the registry's edits are)."""
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    a = AreaFactory(code="A", parent=zone, name="甲园区")
    b = AreaFactory(code="B", parent=zone, name="乙园区")
    single = OrganizationFactory(area=a, name="老支部", founded_on=dt.date(2018, 1, 1))
    joint = OrganizationFactory(area=a, name="联合支部", setup="joint", founded_on=dt.date(2018, 1, 1))
    stable = firm(a, "stable")
    LinkFactory(enterprise=stable, organization=single, start=LONG_AGO)
    # Entered the denominator.
    firm(a, "new", established_on=IN_Q3, above_scale_from=IN_Q3)
    new_org = firm(a, "new_org", established_on=IN_Q3, above_scale_from=IN_Q3)
    LinkFactory(enterprise=new_org, organization=single, start=IN_Q3)
    became = firm(a, "became", above_scale_from=dt.date(2025, 7, 1))
    LinkFactory(enterprise=became, organization=single, start=LONG_AGO)
    moved_in = firm(b, "moved_in")
    LinkFactory(enterprise=moved_in, organization=single, start=LONG_AGO)
    # Left the denominator.
    firm(a, "stopped", above_scale_to=dt.date(2025, 9, 1))
    gone = firm(a, "gone", deregistered_on=dt.date(2025, 9, 15))
    LinkFactory(enterprise=gone, organization=joint, start=LONG_AGO)
    firm(a, "moved_out")
    # Entered the numerator.
    founded = firm(a, "founded")
    LinkFactory(enterprise=founded, organization=OrganizationFactory(area=a, founded_on=IN_Q3), start=IN_Q3)
    upgraded = firm(a, "upgraded")  # work → single: enters the org indicator, stays in the work indicator
    AssignmentFactory(enterprise=upgraded, start=LONG_AGO)
    LinkFactory(enterprise=upgraded, organization=OrganizationFactory(area=a, founded_on=IN_Q3), start=IN_Q3)
    AssignmentFactory(enterprise=firm(a, "assigned"), start=dt.date(2025, 7, 15))
    # Left the numerator.
    dissolved = firm(a, "dissolved")
    org = OrganizationFactory(area=a, founded_on=dt.date(2018, 1, 1), dissolved_on=dt.date(2025, 9, 1))
    LinkFactory(enterprise=dissolved, organization=org, start=LONG_AGO)
    unlinked = firm(a, "unlinked")
    LinkFactory(enterprise=unlinked, organization=joint, start=LONG_AGO, end=dt.date(2025, 8, 15))
    AssignmentFactory(enterprise=firm(a, "ended"), start=LONG_AGO, end=dt.date(2025, 9, 10))
    corrected = firm(a, "corrected")
    LinkFactory(enterprise=corrected, organization=single, start=LONG_AGO)
    recompute(periods=[Q2])
    # Undated edits after 2025Q2 was computed: two units move between the parks, and a link entered by mistake
    # is deleted (2025Q2 keeps it: a corrected record).
    Enterprise.objects.filter(name="moved_out").update(area=b)
    Enterprise.objects.filter(name="moved_in").update(area=a)
    OrganizationLink.objects.filter(enterprise=corrected).delete()
    recompute(periods=[Q3])
    return zone, a, b


def names(ids) -> list[str]:
    return sorted(Enterprise.objects.filter(pk__in=ids).values_list("name", flat=True))


def lines(b) -> dict[str, list[tuple]]:
    return {
        side: [(x.reason, x.numerator, x.denominator, names(x.enterprise_ids)) for x in getattr(b, side)]
        for side in ("entered", "left")
    }


def assert_identity(b) -> None:
    n = b.opening.numerator + sum(x.numerator for x in b.entered) - sum(x.numerator for x in b.left)
    d = b.opening.denominator + sum(x.denominator for x in b.entered) - sum(x.denominator for x in b.left)
    assert (n, d) == b.closing
    assert b.balances


EXPECTED_ORG = {
    "entered": [
        ("new", 1, 2, ["new", "new_org"]),
        ("moved_in", 1, 1, ["moved_in"]),
        ("above_scale", 1, 1, ["became"]),
        ("org_founded", 2, 0, ["founded", "upgraded"]),
    ],
    "left": [
        ("deregistered", 1, 1, ["gone"]),
        ("moved_out", 0, 1, ["moved_out"]),
        ("below_scale", 0, 1, ["stopped"]),
        ("org_dissolved", 1, 0, ["dissolved"]),
        ("link_changed", 1, 0, ["unlinked"]),
        ("other", 1, 0, ["corrected"]),
    ],
}
EXPECTED_WORK = {
    "entered": [
        ("new", 1, 2, ["new", "new_org"]),
        ("moved_in", 1, 1, ["moved_in"]),
        ("above_scale", 1, 1, ["became"]),
        ("org_founded", 1, 0, ["founded"]),
        ("instructor_assigned", 1, 0, ["assigned"]),
    ],
    "left": [
        ("deregistered", 1, 1, ["gone"]),
        ("moved_out", 0, 1, ["moved_out"]),
        ("below_scale", 0, 1, ["stopped"]),
        ("org_dissolved", 1, 0, ["dissolved"]),
        ("link_changed", 1, 0, ["unlinked"]),
        ("instructor_ended", 1, 0, ["ended"]),
        ("other", 1, 0, ["corrected"]),
    ],
}


@pytest.mark.parametrize(
    "code, opening, closing, expected",
    [(ORG, (5, 11), (6, 12), EXPECTED_ORG), (WORK, (7, 11), (7, 12), EXPECTED_WORK)],
    ids=["org", "work"],
)
def test_every_reason_in_one_quarter(world, code, opening, closing, expected):
    _zone, a, _b = world
    indicator = Indicator.objects.get(code=code)
    b = bridge(a, Q3, indicator)
    assert (b.opening, b.closing) == (opening, closing)
    assert b.opening == (
        stored_figure(a, Q2, indicator).numerator,
        stored_figure(a, Q2, indicator).denominator,
    )
    assert b.closing == (
        stored_figure(a, Q3, indicator).numerator,
        stored_figure(a, Q3, indicator).denominator,
    )
    assert lines(b) == expected
    assert [x.label for x in b.entered][:2] == ["新成立或新迁入登记范围", "由其他区域调入"]
    assert_identity(b)


def test_a_move_inside_the_district_is_no_line_of_the_district(world):
    zone, _a, park_b = world
    org = Indicator.objects.get(code=ORG)
    b = bridge(zone, Q3, org)
    assert (b.opening, b.closing) == (
        (6, 12),
        (6, 13),
    )  # park B's moved_in was counted in the district before
    assert lines(b) == {
        "entered": [
            ("new", 1, 2, ["new", "new_org"]),
            ("above_scale", 1, 1, ["became"]),
            ("org_founded", 2, 0, ["founded", "upgraded"]),
        ],
        "left": [
            ("deregistered", 1, 1, ["gone"]),
            ("below_scale", 0, 1, ["stopped"]),
            ("org_dissolved", 1, 0, ["dissolved"]),
            ("link_changed", 1, 0, ["unlinked"]),
            ("other", 1, 0, ["corrected"]),
        ],
    }
    assert_identity(b)
    # Park B: one unit came (uncovered), one went (covered).
    assert lines(bridge(park_b, Q3, org)) == {
        "entered": [("moved_in", 0, 1, ["moved_out"])],
        "left": [("moved_out", 1, 1, ["moved_in"])],
    }


def test_every_unit_changed_is_a_change_and_sits_on_one_line(world):
    _zone, a, _b = world
    b = bridge(a, Q3, Indicator.objects.get(code=WORK))
    on_lines = [pk for x in b.entered + b.left for pk in x.enterprise_ids]
    assert len(on_lines) == len(set(on_lines)) == 13
    assert set(names(on_lines)) <= {c.enterprise.name for c in changes(a, Q3)}


def test_line_enterprises_are_the_line(world):
    _zone, a, _b = world
    org = Indicator.objects.get(code=ORG)
    rows = line_enterprises(a, Q3, org, "left", "moved_out").order_by("name")
    assert [(e.name, e.area.code, e.state_before, e.state_after) for e in rows] == [
        ("moved_out", "B", "none", "none")
    ]
    founded = line_enterprises(a, Q3, org, "entered", "org_founded").order_by("name")
    assert [(e.name, e.state_before, e.state_after) for e in founded] == [
        ("founded", "none", "single"),
        ("upgraded", "work", "single"),
    ]
    assert [e.state_before for e in line_enterprises(a, Q3, org, "entered", "new")] == [None, None]
    assert not line_enterprises(a, Q3, org, "entered", "instructor_assigned").exists()


def test_first_quarter_ever_computed_opens_at_zero(world):
    _zone, a, _b = world
    org = Indicator.objects.get(code=ORG)
    recompute(periods=[Q1])  # 2024Q4 was never computed; 2025Q1 is computed with today's areas and links
    b = bridge(a, Q1, org)
    assert not b.comparable
    assert (b.opening, b.closing) == ((0, 0), (5, 11))
    assert [(x.reason, x.numerator, x.denominator) for x in b.entered] == [("new", 5, 11)]
    assert b.left == []
    assert_identity(b)
    drilled = line_enterprises(a, Q1, org, "entered", "new")
    assert sorted(drilled.values_list("pk", flat=True)) == b.entered[0].enterprise_ids
    assert names(b.entered[0].enterprise_ids) == sorted(
        ["stable", "stopped", "gone", "moved_in", "founded", "upgraded", "assigned", "dissolved", "unlinked"]
        + ["ended", "corrected"]
    )


def test_a_quarter_before_the_first_reporting_quarter_opens_at_zero(world, settings):
    _zone, a, _b = world
    settings.COVERAGE_FIRST_PERIOD = "2025Q3"
    b = bridge(a, Q3, Indicator.objects.get(code=ORG))
    assert (b.opening, b.closing, [x.reason for x in b.entered], b.left) == ((0, 0), (6, 12), ["new"], [])


def test_a_quarter_never_computed_has_no_bridge(world):
    _zone, a, _b = world
    with pytest.raises(FigureNotFound):
        bridge(a, Quarter(2024, 3), Indicator.objects.get(code=ORG))


# --- the demo data: the identity and the stored figures, everywhere ----------------------------------------------


@pytest.fixture
def demo():
    call_command("loaddata", "demo", verbosity=0)
    recompute(periods=[Q1, Q2, Q3])
    return Area.objects.get(code="KFQ")


def test_identity_on_the_demo_data(demo):
    areas = [demo, *Area.objects.filter(kind="park").order_by("code")]
    assert len(areas) == 5
    indicators = list(Indicator.objects.all())
    assert len(indicators) == 14  # 12 plain and 2 of 有效覆盖 (issue 15)
    moved = 0
    for period in (Q2, Q3):
        for area in areas:
            for indicator in indicators:
                b = bridge(area, period, indicator)
                before = stored_figure(area, period.previous(), indicator)
                after = stored_figure(area, period, indicator)
                where = f"{area.code} {period} {indicator.code}"
                assert b.opening == (before.numerator, before.denominator), where
                assert b.closing == (after.numerator, after.denominator), where
                assert_identity(b)
                on_lines = [pk for x in b.entered + b.left for pk in x.enterprise_ids]
                assert len(on_lines) == len(set(on_lines)), where
                for x in b.entered + b.left:
                    assert x.numerator + x.denominator > 0, where
                    if x.reason in DENOMINATOR_REASONS:
                        assert len(x.enterprise_ids) == x.denominator, where
                    elif indicator.effective_only:
                        # Its denominator counts some states only: a coverage reason can move a unit in or out.
                        assert max(x.numerator, x.denominator) <= len(x.enterprise_ids), where
                        assert len(x.enterprise_ids) <= x.numerator + x.denominator, where
                    elif x.reason != "other":
                        assert (len(x.enterprise_ids), x.denominator) == (x.numerator, 0), where
                moved += len(on_lines)
    assert moved > 0  # the demo's quarters do differ


def test_demo_bridges_of_the_third_quarter(demo):
    """The seed report's "增加3家": two units became 规上 (one founding its branch too), one founded a branch,
    one joined a joint branch; for the work indicator the founded branch changes nothing (it had an instructor)
    and an instructor left."""
    org = bridge(demo, Q3, Indicator.objects.get(code=ORG))
    assert (org.opening, org.closing) == ((32, 66), (35, 68))
    assert lines(org) == {
        "entered": [
            ("above_scale", 1, 2, ["天远电子科技有限公司", "海越金属制品股份有限公司"]),
            ("org_founded", 1, 0, ["天昌重工装备有限公司"]),
            ("link_changed", 1, 0, ["源达饮品有限公司"]),
        ],
        "left": [],
    }
    work = bridge(demo, Q3, Indicator.objects.get(code=WORK))
    assert (work.opening, work.closing) == ((44, 66), (45, 68))
    assert lines(work) == {
        "entered": [
            ("above_scale", 1, 2, ["天远电子科技有限公司", "海越金属制品股份有限公司"]),
            ("link_changed", 1, 0, ["源达饮品有限公司"]),
        ],
        "left": [("instructor_ended", 1, 0, ["凯弘冷链物流有限公司"])],
    }
    on_lines = {pk for x in org.entered + work.left for pk in x.enterprise_ids}
    assert on_lines <= {c.enterprise.pk for c in changes(demo, Q3)}


# --- API ------------------------------------------------------------------------------------------------------


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(make_user("reader", role="reader", area=Area.objects.get(code="Z")))
    return client


def test_api_contract(api, world):
    response = api.get("/api/v1/coverage/bridge/", {"area": "A", "period": "2025Q3", "indicator": WORK})
    assert response.status_code == 200, response.content
    body = response.json()
    assert {"opening", "closing", "entered", "left"} <= set(body)
    assert (body["area"], body["period"], body["previous_period"], body["indicator"]) == (
        "A",
        "2025Q3",
        "2025Q2",
        WORK,
    )
    assert body["opening"] == {"numerator": 7, "denominator": 11}
    assert body["closing"] == {"numerator": 7, "denominator": 12}
    for side in ("entered", "left"):
        assert [(x["reason"], x["numerator"], x["denominator"]) for x in body[side]] == [
            (reason, n, d) for reason, n, d, _names in EXPECTED_WORK[side]
        ]
        for x in body[side]:
            assert {"reason", "numerator", "denominator"} <= set(x)
            assert x["label"] == Reason(x["reason"]).label
            assert x["enterprises_url"].startswith("/coverage/bridge/enterprises/?area=A&period=2025Q3")
    # The headline indicator when none is named.
    headline = api.get("/api/v1/coverage/bridge/", {"area": "A", "period": "2025Q3"}).json()
    assert (headline["indicator"], headline["closing"]) == (ORG, {"numerator": 6, "denominator": 12})


@pytest.mark.parametrize(
    "params, status, field",
    [
        ({"area": "A", "period": "2025Q5"}, 400, "period"),
        ({"area": "A", "period": "2025Q3", "indicator": "nope"}, 400, "indicator"),
        ({"area": "NOPE", "period": "2025Q3"}, 404, "detail"),
        ({"area": "A", "period": "2024Q3"}, 404, "detail"),  # never computed
    ],
)
def test_api_errors(api, world, params, status, field):
    response = api.get("/api/v1/coverage/bridge/", params)
    assert response.status_code == status
    assert field in response.json()
    if status == 400:
        assert "季度格式" in response.json()[field][0] or "指标" in response.json()[field][0]


@pytest.mark.parametrize("persona", list(PERSONAS))
@pytest.mark.parametrize("park", PARKS)
def test_api_is_scoped_like_coverage(world, persona, park):
    role, code, sees, _writes = PERSONAS[persona]
    user = make_user(persona, role=role, area=Area.objects.get(code=code) if code else None)
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/api/v1/coverage/bridge/", {"area": park, "period": "2025Q3"})
    assert response.status_code == (200 if park in sees else 404)
    coverage = client.get("/api/v1/coverage/", {"area": park, "period": "2025Q3"})
    assert coverage.status_code == response.status_code


def test_a_park_user_of_another_park_gets_404(world):
    client = APIClient()
    client.force_authenticate(make_user("park_b", role="park", area=Area.objects.get(code="B")))
    response = client.get("/api/v1/coverage/bridge/", {"area": "A", "period": "2025Q3"})
    assert response.status_code == 404
    assert "stable" not in response.content.decode()


def grow(park, count: int) -> None:
    """``count`` more changed units of several kinds in ``park``, recomputed."""
    for i in range(count):
        kind = i % 4
        unit = firm(park, f"more{i}", established_on=IN_Q3 if kind == 0 else dt.date(2015, 1, 1))
        if kind == 1:
            LinkFactory(
                enterprise=unit, organization=OrganizationFactory(area=park, founded_on=IN_Q3), start=IN_Q3
            )
        elif kind == 2:
            AssignmentFactory(enterprise=unit, start=IN_Q3)
        elif kind == 3:
            AssignmentFactory(enterprise=unit, start=LONG_AGO, end=IN_Q3)
    recompute(periods=[Q2, Q3])


def test_query_count_does_not_grow_with_the_units(api, world, django_assert_max_num_queries):
    _zone, a, _b = world
    url, params = "/api/v1/coverage/bridge/", {"area": "A", "period": "2025Q3", "indicator": WORK}
    with CaptureQueriesContext(connection) as few:
        assert api.get(url, params).status_code == 200
    grow(a, 40)
    with django_assert_max_num_queries(len(few)):
        body = api.get(url, params).json()
    assert body["closing"]["denominator"] == 12 + 40
    assert len(few) <= 12  # user, area, indicator; then the bridge: nine, whatever the number of units


# --- pages ----------------------------------------------------------------------------------------------------


@pytest.fixture
def staff(client, world):
    client.force_login(make_user("clerk", role="staff", area=Area.objects.get(code="Z")))
    return client


def test_drill_page_lists_exactly_the_line(staff, world):
    url = "/coverage/bridge/enterprises/"
    params = {"area": "A", "period": "2025Q3", "indicator": ORG, "side": "entered", "reason": "org_founded"}
    page = staff.get(url, params)
    assert page.status_code == 200
    assert [e.name for e in page.context["rows"]] == ["founded", "upgraded"]
    assert page.context["page_obj"].paginator.count == 2
    assert "新成立党组织" in page.content.decode()
    left = staff.get(url, {**params, "side": "left", "reason": "link_changed"})
    assert [e.name for e in left.context["rows"]] == ["unlinked"]
    paged = staff.get(url, {**params, "reason": "new", "page_size": 1, "page": 2})
    assert [e.name for e in paged.context["rows"]] == ["new_org"]
    assert staff.get(url, {**params, "side": "sideways"}).status_code == 400
    assert staff.get(url, {**params, "reason": "deregistered"}).status_code == 400  # not an entered reason
    assert staff.get(url, {**params, "period": "2025Q9"}).status_code == 400
    assert staff.get(url, {**params, "area": "NOPE"}).status_code == 404


def test_drill_page_is_scoped(client, world):
    client.force_login(make_user("park_b", role="park", area=Area.objects.get(code="B")))
    params = {"area": "A", "period": "2025Q3", "indicator": ORG, "side": "entered", "reason": "new"}
    response = client.get("/coverage/bridge/enterprises/", params)
    assert response.status_code == 404
    assert "new_org" not in response.content.decode()


def test_quarterly_report_shows_the_bridge(staff, world):
    page = staff.get("/reports/quarterly/", {"area": "A", "period": "2025Q3"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "与上季度数字衔接" in html
    report_bridge = page.context["report"].bridge
    assert (report_bridge.indicator.code, report_bridge.opening, report_bridge.closing) == (
        ORG,
        (5, 11),
        (6, 12),
    )
    assert (
        "/coverage/bridge/enterprises/?area=A&amp;period=2025Q3&amp;indicator=org-coverage-above-scale"
        "&amp;side=left&amp;reason=other"
    ) in html


def test_workbook_has_the_bridge_sheet(staff, world):
    response = staff.get("/reports/quarterly.xlsx", {"area": "A", "period": "2025Q3"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert "数字衔接" in workbook.sheetnames
    rows = list(workbook["数字衔接"].values)[2:]  # title and header rows first
    assert rows[0] == ("期初（2025Q2 末）", 5, 11, None)
    assert rows[-1] == ("期末（2025Q3 末）", 6, 12, None)
    lines = [row for row in rows[1:-1] if row[1] is not None]
    assert [(label.strip(), n, d, count) for label, n, d, count in lines] == [
        ("新成立或新迁入登记范围", 1, 2, 2),
        ("由其他区域调入", 1, 1, 1),
        ("新列为规模以上", 1, 1, 1),
        ("新成立党组织", 2, 0, 2),
        ("注销或迁出登记范围", -1, -1, 1),
        ("调往其他区域", 0, -1, 1),
        ("不再是规模以上", 0, -1, 1),
        ("党组织撤销", -1, 0, 1),
        ("党组织覆盖关系变化", -1, 0, 1),
        ("其他（如更正登记信息）", -1, 0, 1),
    ]
    assert rows[0][1] + sum(row[1] for row in lines) == rows[-1][1]
    assert rows[0][2] + sum(row[2] for row in lines) == rows[-1][2]
