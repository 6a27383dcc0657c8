"""发展党员 in the reports: the work queue's rules (activists ready, areas behind plan two years running), the
dashboard's plan against admissions, and the quarterly report's section on the page and in the workbook."""

import datetime as dt
import io

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from members.services import advance_applicant
from registry.periods import Quarter
from reports.engine.development import (
    behind_plan_two_years,
    development_figures,
    quarter_development,
)
from reports.engine.recompute import recompute
from reports.engine.workqueue import stored_work_queue, work_queue
from reports.quarterly.report import build_quarterly_report
from reports.quarterly.workbook import write_quarterly_workbook
from tests.factories import (
    AboveScalePeriodFactory,
    ApplicantFactory,
    AreaFactory,
    DevelopmentPlanFactory,
    EnterpriseFactory,
    LinkFactory,
    OrganizationFactory,
    make_user,
)

pytestmark = pytest.mark.django_db
Q3 = Quarter(2025, 3)
END = Q3.last_day  # 2025-09-30


def person(org, *, activist=None, candidate=None, withdrawn=None, **fields):
    return ApplicantFactory(
        organization=org,
        activist_on=activist,
        candidate_on=candidate,
        withdrawn_on=withdrawn,
        withdraw_reason="本人申请撤回" if withdrawn else "",
        **fields,
    )


def admit(org, on: dt.date, name: str):
    """A 发展对象 admitted on ``on`` through the service (which registers the probationary member)."""
    candidate = person(org, activist=dt.date(2020, 3, 1), candidate=dt.date(2021, 6, 1), name=name)
    return advance_applicant(applicant=candidate, stage="admitted", on=on)


@pytest.fixture
def world():
    """Zone Z with parks P1 and P2, one branch in each, plans at two levels and admissions over three years.

    Plans (planned / admitted in the subtree):
      2023: Z 2 / 1 (missed), P1 2 / 1 (missed), P2 1 / 0 (missed)
      2024: Z 2 / 2 (met),    P1 2 / 1 (missed), P2 1 / 1 (met)
      2025: Z 4 + P1 2 = 6 planned over Z, admitted by 30 September: P1 2, P2 1 (one more in November).
    """
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    p1 = AreaFactory(code="P1", parent=zone, name="园区一")
    p2 = AreaFactory(code="P2", parent=zone, name="园区二")
    org1 = OrganizationFactory(area=p1, name="园区一党支部")
    org2 = OrganizationFactory(area=p2, name="园区二党支部")
    firm = EnterpriseFactory(area=p1, name="企业甲")
    AboveScalePeriodFactory(enterprise=firm)
    LinkFactory(organization=org1, enterprise=firm)
    for area, plans in (
        (zone, {2023: 2, 2024: 2, 2025: 4}),
        (p1, {2023: 2, 2024: 2, 2025: 2}),
        (p2, {2023: 1, 2024: 1}),
    ):
        for year, planned in plans.items():
            DevelopmentPlanFactory(area=area, year=year, planned=planned)
    admit(org1, dt.date(2023, 5, 1), "甲2023")
    admit(org1, dt.date(2024, 5, 1), "甲2024")
    admit(org1, dt.date(2025, 3, 1), "甲2025a")
    admit(org1, dt.date(2025, 6, 30), "甲2025b")
    admit(org2, dt.date(2024, 6, 1), "乙2024")
    admit(org2, END, "乙2025a")  # on the quarter's last day: counted
    admit(org2, dt.date(2025, 11, 1), "乙2025b")  # after the quarter: a 发展对象 on 30 September
    # The pipeline on 30 September 2025:
    person(org1, activist=dt.date(2024, 9, 30), name="满一年")  # exactly a year: ready
    person(org2, activist=dt.date(2024, 10, 1), name="差一天")  # a day short: not yet
    person(org1, applied_on=dt.date(2025, 1, 1), name="申请人")
    person(org1, activist=dt.date(2022, 1, 1), withdrawn=dt.date(2025, 1, 1), name="已终止")
    person(org2, activist=dt.date(2023, 1, 1), candidate=dt.date(2024, 3, 1), name="发展对象")
    recompute(periods=[Q3])
    return zone, p1, p2


@pytest.fixture
def staff(client, world):
    user = make_user("clerk", role="staff", area=world[0])
    client.force_login(user)
    return user


# --- work queue: activists ready for candidacy ---------------------------------------------------------------


def ready_names(area, on):
    queue = work_queue(area, on)
    names = sorted(queue.item("activists-ready").queryset.values_list("name", flat=True))
    assert queue.counts()["activists-ready"] == len(names)
    return names


def test_activist_ready_on_the_day_a_year_is_up_not_a_day_before(world):
    zone = world[0]
    assert ready_names(zone, END) == ["满一年"]
    assert ready_names(zone, END - dt.timedelta(days=1)) == []
    assert ready_names(zone, dt.date(2025, 10, 1)) == ["差一天", "满一年"]
    # Withdrawn and 发展对象 are never listed; another area's activists are not either.
    assert ready_names(world[2], dt.date(2026, 1, 1)) == ["差一天"]


def test_activist_made_on_29_february_is_ready_when_the_rules_allow_candidacy(world):
    org = OrganizationFactory(area=world[1])
    person(org, activist=dt.date(2024, 2, 29), name="闰日")
    # members.rules allows 发展对象 from add_years(2024-02-29, 1) = 2025-02-28: listed that day, not the day before.
    assert "闰日" in ready_names(world[1], dt.date(2025, 2, 28))
    assert "闰日" not in ready_names(world[1], dt.date(2025, 2, 27))


# --- work queue: behind plan two years running ---------------------------------------------------------------


def test_area_behind_plan_both_years_listed_met_one_year_not(world):
    zone, p1, _p2 = world
    queue = work_queue(zone, END)
    assert [a.code for a in queue.item("behind-plan").queryset] == ["P1"]  # Z and P2 met 2024
    assert queue.counts()["behind-plan"] == 1
    assert behind_plan_two_years(zone, END) == {p1.pk: {2023: (2, 1), 2024: (2, 1)}}


def test_behind_plan_at_the_boundary_of_the_plan(world):
    zone, p1, _p2 = world
    # One more admission in P1 in 2024 meets that year's plan exactly: no longer two years running.
    admit(OrganizationFactory(area=p1), dt.date(2024, 12, 31), "补2024")
    assert work_queue(zone, END).counts()["behind-plan"] == 0
    assert behind_plan_two_years(zone, END) == {}


def test_behind_plan_looks_at_the_last_two_complete_years(world):
    zone = world[0]
    # In 2026 the years are 2024 and 2025: P1 missed 2024 but met 2025 (2 of 2); P2 has no 2025 plan.
    assert work_queue(zone, dt.date(2026, 3, 31)).counts()["behind-plan"] == 0
    # Still 2025: the 2025 plan is not a complete year yet, P1 stays listed all year.
    assert work_queue(zone, dt.date(2025, 12, 31)).counts()["behind-plan"] == 1


def test_stored_quarter_queue_asks_the_development_rules_as_of_its_last_day(world):
    zone = world[0]
    stored, live = stored_work_queue(zone, Q3), work_queue(zone, END)
    assert stored.counts()["activists-ready"] == live.counts()["activists-ready"] == 1
    flagged = stored.flagged("name", "pk")
    assert [name for name, _pk in flagged["activists-ready"]] == ["满一年"]
    assert [name for name, _pk in flagged["behind-plan"]] == ["园区一"]
    # The member-history rule is kept: 2023/2024 admissions never confirmed, in both branches.
    assert stored.counts()["probation-overdue"] == live.counts()["probation-overdue"] == 2


def test_work_item_pages_of_the_new_kinds(client, staff, world):
    ready = client.get("/workqueue/activists-ready/", {"area": "Z", "period": "2025Q3"})
    assert ready.status_code == 200
    assert [a.name for a in ready.context["rows"]] == ["满一年"]
    html = ready.content.decode()
    assert "园区一党支部" in html and "2024-09-30" in html
    behind = client.get("/workqueue/behind-plan/", {"area": "Z", "period": "2025Q3"})
    assert [a.code for a in behind.context["rows"]] == ["P1"]
    cells = behind.content.decode()
    assert "园区一" in cells and ">2023<" in cells and ">2024<" in cells
    live = client.get("/workqueue/activists-ready/", {"area": "Z", "date": "2025-10-01"})
    assert sorted(a.name for a in live.context["rows"]) == ["差一天", "满一年"]


def test_applicant_work_item_query_count_does_not_grow_with_page_size(client, staff, world):
    orgs = [OrganizationFactory(area=world[1]) for _ in range(3)]
    for i in range(30):
        person(orgs[i % 3], activist=dt.date(2023, 1, 1), name=f"积极分子{i:02d}")
    counts = []
    for size in (5, 30):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(
                "/workqueue/activists-ready/", {"area": "Z", "period": "2025Q3", "page_size": size}
            )
        assert len(response.context["rows"]) == size
        counts.append(len(ctx))
    assert counts[0] == counts[1]


# --- dashboard ---------------------------------------------------------------------------------------------


def test_dashboard_shows_the_years_plan_against_admissions(client, staff, world):
    response = client.get("/", {"area": "Z", "period": "2025Q3"})
    d = response.context["development"]
    assert (d.year, d.as_of, d.planned, d.admitted, d.percent) == (2025, END, 6, 3, 50)
    assert (d.applicants, d.activists, d.candidates) == (1, 2, 2)
    html = response.content.decode()
    assert "本年度计划发展党员 6 名，已发展 3 名，完成 50.0%。" in html
    assert 'data-figure="planned">6 名<' in html and 'data-figure="admitted">3<' in html
    assert "/development/?area=Z&amp;year=2025" in html  # the members pipeline page of the same area and year
    counts = {item.code: count for item, count in response.context["work_queue"]}
    assert (counts["activists-ready"], counts["behind-plan"]) == (1, 1)
    # Read live from dated records: shown before a quarter is computed too (Q2 was never computed here).
    uncomputed = client.get("/", {"area": "Z", "period": "2025Q2"})
    assert uncomputed.context["missing"] and "本年度计划发展党员 6 名，已发展 2 名，完成 33.3%。" in (
        uncomputed.content.decode()
    )
    park = client.get("/", {"area": "P2", "period": "2025Q3"}).context["development"]
    assert (park.planned, park.admitted, park.percent) == (None, 1, None)  # P2 has no 2025 plan


def dashboard_queries(client) -> int:
    for alias in ("default", "local"):
        caches[alias].clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/", {"area": "Z", "period": "2025Q3"}).status_code == 200
    return len(ctx)


def test_dashboard_query_count_does_not_grow_with_applicants(client, staff, world):
    orgs = [OrganizationFactory(area=area) for area in world[1:]]
    before = dashboard_queries(client)
    for i in range(40):
        person(orgs[i % 2], activist=dt.date(2023, 1, 1) if i % 3 else None, name=f"新人{i}")
    admit(orgs[0], dt.date(2025, 7, 1), "新党员")
    after = dashboard_queries(client)
    assert after == before


# --- quarterly report -------------------------------------------------------------------------------------------


def test_report_section_figures_and_sentence_over_a_subtree_with_plans_at_two_levels(world):
    zone, p1, _p2 = world
    d = build_quarterly_report(zone, Q3).development
    assert (d.planned, d.admitted, str(d.percent)) == (6, 3, "50.0")
    assert (d.applicants, d.activists, d.candidates) == (1, 2, 2)
    assert d.sentence == "本年度计划发展党员 6 名，已发展 3 名，完成 50.0%。"
    assert d.stage_sentence == "截至2025年9月30日，有入党申请人 1 名、入党积极分子 2 名、发展对象 2 名。"
    park = build_quarterly_report(p1, Q3).development
    assert park.sentence == "本年度计划发展党员 2 名，已发展 2 名，完成 100.0%。"
    items = {item.code: (count, names) for item, count, names in build_quarterly_report(zone, Q3).work_items}
    assert items["activists-ready"] == (1, ["满一年"])
    assert items["behind-plan"] == (1, ["园区一"])


def test_report_sentence_without_a_plan_or_with_a_plan_of_nothing(world):
    p2 = world[2]
    assert (
        development_figures(p2, 2025, today=END).sentence
        == "本年度未下达发展党员指导性计划，已发展党员 1 名。"
    )
    DevelopmentPlanFactory(area=p2, year=2022, planned=0)
    assert development_figures(p2, 2022).sentence == "本年度计划发展党员 0 名，已发展 0 名。"


def test_quarter_figures_do_not_count_admissions_after_the_quarter(world):
    zone = world[0]
    assert quarter_development(zone, Q3).admitted == 3
    assert quarter_development(zone, Q3.next()).admitted == 4  # 乙2025b, 1 November
    assert development_figures(zone, 2025).admitted == 4  # the whole (past) year


def test_report_page_has_the_section(client, staff, world):
    html = client.get("/reports/quarterly/", {"area": "Z", "period": "2025Q3"}).content.decode()
    assert "五、发展党员" in html
    assert "本年度计划发展党员 6 名，已发展 3 名，完成 50.0%。" in html
    assert "入党积极分子 2 名" in html
    assert "None" not in html and "共家" not in html


def test_workbook_has_the_development_block(world):
    buffer = io.BytesIO()
    write_quarterly_workbook(build_quarterly_report(world[0], Q3), buffer)
    summary = [row for row in load_workbook(io.BytesIO(buffer.getvalue()))["汇总"].values]
    start = next(i for i, row in enumerate(summary) if row[0] == "发展党员")
    block = {row[0]: row[1] for row in summary[start + 1 :] if row and row[0]}
    assert summary[start + 1][0] == "本年度计划发展党员 6 名，已发展 3 名，完成 50.0%。"
    assert (block["计划发展党员"], block["已发展党员"]) == (6, 3)
    assert (block["入党申请人"], block["入党积极分子"], block["发展对象"]) == (1, 2, 2)
    assert block["计划完成比例"] == 0.5
