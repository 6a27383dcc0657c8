"""Quarter close (季度报送): the state machine by role, backdated edits refused or named, snapshots kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from registry.closing import QuarterClosed, check_reach, collecting_reach, describe_reach
from registry.models import ClosedQuarter, Enterprise
from registry.periods import Quarter
from reports.closing.submissions import due_on, reporting_areas, submissions_for, summarize, take_step
from reports.engine.recompute import recompute
from reports.models import Submission, SubmissionEvent
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    EnterpriseFactory,
    LinkFactory,
    OrganizationFactory,
    make_credit_code,
    make_user,
)

pytestmark = pytest.mark.django_db
Q2, Q3 = Quarter(2025, 2), Quarter(2025, 3)
BASE = "/api/v1/submissions/"


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district", name="开发区")
    a = AreaFactory(code="A", parent=zone, name="甲园区")
    b = AreaFactory(code="B", parent=zone, name="乙园区")
    a1 = AreaFactory(code="A1", parent=a, kind="community", name="甲一社区")
    firms = []
    for area, n in ((a, 3), (a1, 1), (b, 2)):
        for _i in range(n):
            firm = EnterpriseFactory(area=area)
            AboveScalePeriodFactory(enterprise=firm)
            firms.append(firm)
    LinkFactory(enterprise=firms[0], organization=OrganizationFactory(area=a))
    recompute(periods=[Q2, Q3])
    users = {
        "admin": make_user("admin", role="admin"),
        "staff_zone": make_user("staff_zone", role="staff", area=zone),
        "staff_a": make_user("staff_a", role="staff", area=a),
        "park_a": make_user("park_a", role="park", area=a),
        "park_b": make_user("park_b", role="park", area=b),
        "reader_zone": make_user("reader_zone", role="reader", area=zone),
    }
    return {"zone": zone, "a": a, "b": b, "a1": a1, "users": users, "firms": firms}


def client_for(world, name):
    client = APIClient()
    client.force_authenticate(world["users"][name])
    return client


def step(world, who, action, area="A", period="2025Q3", note=""):
    return client_for(world, who).post(f"{BASE}{area}/{period}/{action}/", {"note": note}, format="json")


def test_reporting_areas_are_the_parks_under_the_district(world, settings):
    assert [a.code for a in reporting_areas()] == ["A", "B"]
    settings.SUBMISSION_AREAS = ["B"]
    assert [a.code for a in reporting_areas()] == ["B"]


def test_list_is_scoped_and_shows_pending_with_due_date(world):
    response = client_for(world, "staff_zone").get(BASE, {"period": "2025Q3"})
    assert response.status_code == 200
    body = response.json()
    assert [(r["area"], r["status"], r["due_on"], r["overdue"]) for r in body] == [
        ("A", "pending", "2025-10-10", True),
        ("B", "pending", "2025-10-10", True),
    ]
    assert set(body[0]) >= {
        "area",
        "period",
        "status",
        "due_on",
        "overdue",
        "submitted_at",
        "submitted_by",
        "reviewed_at",
        "reviewed_by",
        "note",
    }
    assert [r["area"] for r in client_for(world, "park_b").get(BASE, {"period": "2025Q3"}).json()] == ["B"]


def test_due_days_are_configurable(world, settings):
    settings.SUBMISSION_DUE_DAYS = 20
    assert due_on(Q3) == dt.date(2025, 10, 20)
    assert client_for(world, "park_a").get(BASE, {"period": "2025Q3"}).json()[0]["due_on"] == "2025-10-20"


def test_the_whole_state_machine_by_role(world):
    # Nobody but the park reviews itself; readers take no step; another park's users do not even see it.
    assert step(world, "reader_zone", "submit").status_code == 403
    assert step(world, "staff_zone", "submit").status_code == 403  # the district does not submit for a park
    assert step(world, "park_b", "submit").status_code == 404
    assert step(world, "park_a", "approve").status_code == 403  # a park never approves
    assert step(world, "staff_zone", "approve").status_code == 409  # pending: nothing to approve

    response = step(world, "park_a", "submit", note="已逐户电话核实")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["submitted_by"], body["note"], body["overdue"]) == (
        "submitted",
        "park_a",
        "已逐户电话核实",
        False,
    )
    assert step(world, "park_a", "submit").status_code == 409  # already submitted
    assert step(world, "park_a", "approve").status_code == 403  # a park does not approve itself
    assert step(world, "staff_a", "approve").status_code == 403  # nor does the park's own staff
    assert step(world, "reader_zone", "return", note="x").status_code == 403

    response = step(world, "staff_zone", "return")
    assert response.status_code == 400
    assert "原因" in response.json()["note"][0]
    response = step(world, "staff_zone", "return", note="2家企业职工人数与工商数据不符")
    assert (response.status_code, response.json()["status"], response.json()["reviewed_by"]) == (
        200,
        "returned",
        "staff_zone",
    )
    assert step(world, "staff_zone", "approve").status_code == 409  # returned: the park submits again first

    assert step(world, "staff_a", "submit", note="已更正").json()["status"] == "submitted"
    response = step(world, "staff_zone", "approve")
    assert (response.status_code, response.json()["status"]) == (200, "approved")

    assert step(world, "staff_zone", "reopen", note="更正").status_code == 403
    assert step(world, "admin", "reopen").status_code == 400
    assert step(world, "admin", "reopen", note="上级通报后更正").json()["status"] == "returned"

    submission = Submission.objects.get(area=world["a"], period=Q3)
    assert [(e.action, e.from_status, e.to_status, e.user.username) for e in submission.events.all()] == [
        ("submit", "pending", "submitted", "park_a"),
        ("return", "submitted", "returned", "staff_zone"),
        ("submit", "returned", "submitted", "staff_a"),
        ("approve", "submitted", "approved", "staff_zone"),
        ("reopen", "approved", "returned", "admin"),
    ]
    logged = LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(Submission))
    # Audited too: the row made at the first step, then each step's change.
    assert (
        sorted(logged.values_list("action", flat=True))
        == [LogEntry.Action.CREATE] + [LogEntry.Action.UPDATE] * 5
    )


def test_unknown_area_or_not_a_reporting_area_is_404_and_bad_period_400(world):
    assert step(world, "staff_zone", "approve", area="A1").status_code == 404  # a community does not submit
    assert step(world, "staff_zone", "approve", area="NOPE").status_code == 404
    response = step(world, "park_a", "submit", period="2025Q5")
    assert response.status_code == 400
    assert "period" in response.json()


def test_the_current_quarter_cannot_be_submitted_yet(world):
    response = step(world, "park_a", "submit", period=str(Quarter.current()))
    assert response.status_code == 400
    assert "尚未结束" in response.json()["period"][0]


def test_summary_counts_and_percent(world):
    step(world, "park_a", "submit")
    step(world, "staff_zone", "approve")
    response = client_for(world, "staff_zone").get(f"{BASE}summary/", {"area": "Z", "period": "2025Q3"})
    assert response.json() == {
        "area": "Z",
        "period": "2025Q3",
        "total": 2,
        "pending": 1,
        "submitted": 0,
        "returned": 0,
        "approved": 1,
        "overdue": 1,
        "percent": "50.0",
    }
    other = client_for(world, "park_b").get(f"{BASE}summary/", {"area": "A", "period": "2025Q3"})
    assert other.status_code == 404


def test_summary_percent_rounds_half_up():
    rows = [Submission(status="approved", due_on=dt.date(2025, 10, 10))] + [
        Submission(status="pending", due_on=dt.date(2099, 1, 1)) for _ in range(15)
    ]
    summary = summarize(rows)
    assert (summary.total, summary.approved, summary.overdue, summary.percent) == (16, 1, 0, Decimal("6.3"))


# --- backdated edits ----------------------------------------------------------------------------------------------


def new_firm(area, established="2020-03-01", n=901):
    return {
        "name": f"补录企业{n}有限公司",
        "credit_code": make_credit_code(n),
        "category": "enterprise",
        "area": area,
        "employees": 30,
        "industry": "软件",
        "established_on": established,
        "above_scale": True,
    }


def test_a_backdated_write_into_a_submitted_quarter_is_refused_409(world):
    step(world, "park_a", "submit")
    before = Enterprise.objects.count()
    api = client_for(world, "staff_zone")
    response = api.post("/api/v1/enterprises/", new_firm("A1"), format="json")  # A1 lies inside park A
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "2025Q3" in detail and "退回后再修改" in detail
    assert Enterprise.objects.count() == before  # nothing half-saved

    # Approved: still refused, and the message says who can reopen it.
    step(world, "staff_zone", "approve")
    response = api.post("/api/v1/enterprises/", new_firm("A"), format="json")
    assert response.status_code == 409
    assert "重新打开" in response.json()["detail"]


def test_a_backdated_write_into_a_pending_quarter_says_which_quarters_it_changed(world):
    step(world, "park_a", "submit")
    api = client_for(world, "staff_zone")
    response = api.post("/api/v1/enterprises/", new_firm("B", established="2025-08-01"), format="json")
    assert response.status_code == 201, response.content
    current = Quarter.current()
    expected = []
    q = Q3
    while q < current:
        expected.append(str(q))
        q = q.next()
    assert response["Changed-Periods"] == ", ".join(expected)


def test_a_write_dated_after_the_submitted_quarter_goes_through_quietly(world):
    step(world, "park_a", "submit")
    api = client_for(world, "staff_zone")
    today = dt.date.today().isoformat()
    response = api.post("/api/v1/enterprises/", new_firm("A", established=today), format="json")
    assert response.status_code == 201, response.content
    assert "Changed-Periods" not in response


def test_returning_reopens_the_quarter_for_edits(world):
    step(world, "park_a", "submit")
    assert ClosedQuarter.objects.filter(area=world["a"], period=Q3, status="submitted").exists()
    step(world, "staff_zone", "return", note="请补录")
    assert not ClosedQuarter.objects.exists()
    response = client_for(world, "staff_zone").post("/api/v1/enterprises/", new_firm("A"), format="json")
    assert response.status_code == 201


def test_the_form_shows_the_refusal_in_chinese_and_saves_nothing(world, client):
    step(world, "park_a", "submit")
    client.force_login(world["users"]["staff_zone"])
    before = Enterprise.objects.count()
    data = {k: v for k, v in new_firm("A").items() if k != "area"}
    data.update(area=world["a"].pk, above_scale="on", economic_type="private")
    response = client.post("/enterprises/new/", data)
    assert response.status_code == 200
    text = response.content.decode()
    assert "2025Q3 的数据已报送" in text
    assert Enterprise.objects.count() == before


def test_the_form_names_the_changed_quarters_of_a_pending_park(world, client):
    client.force_login(world["users"]["staff_zone"])
    data = {k: v for k, v in new_firm("B", established="2025-08-01").items() if k != "area"}
    data.update(area=world["b"].pk, above_scale="on", economic_type="private")
    response = client.post("/enterprises/new/", data, follow=True)
    assert response.status_code == 200
    assert "此修改改变了" in response.content.decode()
    assert Enterprise.objects.filter(name=data["name"]).exists()


def test_check_reach_rule_directly(world):
    ClosedQuarter.objects.create(area=world["a"], period=Q3, status="submitted")
    with pytest.raises(QuarterClosed):
        check_reach([(world["a1"].pk, dt.date(2025, 9, 30))])
    check_reach([(world["a1"].pk, dt.date(2025, 10, 1))])  # the next quarter is open
    check_reach([(world["zone"].pk, None)])  # the district's own units are not the park's
    with collecting_reach() as reached:
        check_reach([(world["b"].pk, dt.date(2025, 7, 1))])
    assert min(reached) == Q3
    assert describe_reach([Q2, Q3]) == "此修改改变了 2025Q2、2025Q3 的统计数据。"
    assert describe_reach([Q2, Q3], locked=[Q2]) == "此修改改变了 2025Q3 的统计数据。"
    many = [Quarter(2024, n) for n in (1, 2, 3, 4)]
    assert describe_reach(many) == "此修改改变了 2024Q1 至 2024Q4 共 4 个季度的统计数据。"


# --- what was submitted is kept ------------------------------------------------------------------------------------


def test_the_submission_keeps_figures_page_and_workbook_as_submitted(world):
    step(world, "park_a", "submit")
    submission = Submission.objects.get(area=world["a"], period=Q3)
    headline = submission.figures["org-coverage-above-scale"]
    assert (headline["numerator"], headline["denominator"], headline["percent"]) == (1, 4, "25.0")
    assert "甲园区" in submission.report_html
    kept_html = submission.report_html
    with submission.report_file.open("rb") as f:
        kept_file = f.read()
    assert load_workbook(submission.report_file.path).sheetnames  # an openable workbook

    # The district returns it; a backdated edit now goes through and the figures move — the kept copy does not.
    step(world, "staff_zone", "return", note="补录")
    response = client_for(world, "staff_zone").post("/api/v1/enterprises/", new_firm("A"), format="json")
    assert response.status_code == 201
    recompute(periods=[Q3])
    submission.refresh_from_db()
    assert submission.figures["org-coverage-above-scale"]["denominator"] == 4
    assert submission.report_html == kept_html
    with submission.report_file.open("rb") as f:
        assert f.read() == kept_file
    # Submitting again keeps the new figures.
    step(world, "park_a", "submit")
    submission.refresh_from_db()
    assert submission.figures["org-coverage-above-scale"]["denominator"] == 5


def test_submissions_for_makes_unsaved_pending_rows(world):
    rows = submissions_for(Q3, list(reporting_areas()))
    assert [(r.area.code, r.status, r.pk) for r in rows] == [("A", "pending", None), ("B", "pending", None)]
    take_step(area=world["b"], period=Q3, action="submit", user=world["users"]["park_b"])
    rows = submissions_for(Q3, list(reporting_areas()))
    assert [(r.area.code, r.status) for r in rows] == [("A", "pending"), ("B", "submitted")]
    assert SubmissionEvent.objects.count() == 1


# --- pages ---------------------------------------------------------------------------------------------------------


def page_client(world, client, who):
    client.force_login(world["users"][who])
    return client


def test_district_page_lists_parks_with_overdue_in_red_and_buttons_by_role(world, client):
    step(world, "park_b", "submit", area="B")
    text = (
        page_client(world, client, "staff_zone").get("/submissions/", {"period": "2025Q3"}).content.decode()
    )
    assert "审核通过 0 / 2" in text
    assert "甲园区" in text and "乙园区" in text
    assert text.count("已逾期") == 1  # A is pending past 2025-10-10; B was submitted
    assert text.count('name="action" value="approve"') == 1  # only B can be approved
    assert "核实并报送" not in text  # the district does not submit
    park = Client()
    park.force_login(world["users"]["park_a"])
    text = park.get("/submissions/", {"period": "2025Q3"}).content.decode()
    assert "甲园区" in text and "乙园区" not in text
    assert "核实并报送" in text and 'value="approve"' not in text


def test_park_page_checklist_submit_needs_verification(world, client):
    c = page_client(world, client, "park_a")
    response = c.get("/submissions/A/2025Q3/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "报送前核对清单" in text and "较上季度变化" in text and "待办事项" in text
    assert 'id="submit-form"' in text and 'id="return-form"' not in text

    response = c.post("/submissions/A/2025Q3/", {"action": "submit", "note": "已核实"})
    assert response.status_code == 400
    assert "勾选确认" in response.content.decode()
    assert not Submission.objects.exists()

    response = c.post(
        "/submissions/A/2025Q3/", {"action": "submit", "note": "已核实", "verified": "1"}, follow=True
    )
    text = response.content.decode()
    assert "已报送 甲园区 2025Q3 的数据" in text
    assert Submission.objects.get(area=world["a"], period=Q3).status == "submitted"
    assert "park_a 报送（待报送 → 已报送）：已核实" in text
    assert c.get("/submissions/A/2025Q3/submitted.xlsx").status_code == 200
    assert "甲园区" in c.get("/submissions/A/2025Q3/submitted.html").content.decode()

    # Submitting again is not a step the status allows: 409 with the reason, nothing changes.
    response = c.post("/submissions/A/2025Q3/", {"action": "submit", "verified": "1"})
    assert response.status_code == 409
    assert "不能报送" in response.content.decode()


def test_district_returns_with_a_reason_and_readers_cannot_act(world, client):
    step(world, "park_a", "submit")
    reader = Client()
    reader.force_login(world["users"]["reader_zone"])
    assert reader.post("/submissions/A/2025Q3/", {"action": "return", "note": "x"}).status_code == 403
    outsider = Client()
    outsider.force_login(world["users"]["park_b"])
    assert outsider.get("/submissions/A/2025Q3/").status_code == 404

    c = page_client(world, client, "staff_zone")
    response = c.post("/submissions/A/2025Q3/", {"action": "return", "note": ""})
    assert response.status_code == 400
    assert "必须填写原因" in response.content.decode()
    response = c.post("/submissions/A/2025Q3/", {"action": "return", "note": "职工人数有误"}, follow=True)
    assert "已退回 甲园区 2025Q3" in response.content.decode()
    assert Submission.objects.get(area=world["a"], period=Q3).status == "returned"


def test_dashboard_shows_completeness(world, client):
    step(world, "park_a", "submit")
    step(world, "staff_zone", "approve")
    text = (
        page_client(world, client, "staff_zone").get("/", {"area": "Z", "period": "2025Q3"}).content.decode()
    )
    assert "审核通过 1 / 2" in text
    assert "逾期 1" in text


def test_member_organisation_and_instructor_writes_are_guarded_too(world):
    """Every app's services go through the one rule: an organisation, a member and an assignment dated in the
    submitted quarter are all refused, and nothing of them is saved."""
    import factory

    from members.models import InstructorAssignment, Member
    from members.services import assign_instructor, create_member
    from orgs.models import PartyOrganization
    from orgs.services import create_organization
    from tests.factories import InstructorFactory, MemberFactory

    step(world, "park_a", "submit")
    firm = world["firms"][1]
    counts = (PartyOrganization.objects.count(), Member.objects.count(), InstructorAssignment.objects.count())
    with pytest.raises(QuarterClosed):
        create_organization(
            enterprises=[firm],
            name="补录党支部",
            kind="branch",
            setup="single",
            area=world["a"],
            founded_on=dt.date(2025, 8, 1),
        )
    org = PartyOrganization.objects.get(area=world["a"])
    fields = factory.build(dict, FACTORY_CLASS=MemberFactory, organization=org, joined_on=dt.date(2025, 8, 1))
    fields.pop("history", None)
    with pytest.raises(QuarterClosed):
        create_member(**fields)
    instructor = InstructorFactory()
    with pytest.raises(QuarterClosed):
        assign_instructor(instructor=instructor, enterprise=firm, start=dt.date(2025, 9, 1))
    assert (
        PartyOrganization.objects.count(),
        Member.objects.count(),
        InstructorAssignment.objects.count(),
    ) == counts


def test_an_import_reaching_into_a_submitted_quarter_writes_nothing_and_says_why(world):
    from registry.excel.importer import run_import
    from tests.excel import ENT_HEADERS, firm_row, workbook

    step(world, "park_a", "submit")
    before = Enterprise.objects.count()
    data = workbook(ENT_HEADERS, [firm_row(501, area="B"), firm_row(502, area="A1")])
    result = run_import("enterprises", data, dry_run=False, user=world["users"]["staff_zone"])
    assert not result.applied
    assert [e.message for e in result.errors] == [
        "甲园区 2025Q3 的数据已报送，不能再修改。如需更正，请区委组织部退回后再修改。"
    ]
    assert Enterprise.objects.count() == before  # not even park B's row: an import is all or nothing


def test_periods_page_shows_how_many_parks_are_approved(world, client):
    step(world, "park_a", "submit")
    step(world, "staff_zone", "approve")
    page = page_client(world, client, "staff_zone").get("/periods/")
    rows = {str(q): n for q, _lock, n in page.context["periods"]}
    assert (rows["2025Q3"], rows["2025Q2"], page.context["park_count"]) == (1, 0, 2)
    assert "1 / 2" in page.content.decode()


def test_list_queries_do_not_grow_with_the_number_of_parks(world, django_assert_num_queries):
    api = client_for(world, "staff_zone")
    api.get(BASE, {"period": "2025Q3"})  # warm the user's access
    with django_assert_num_queries(2):  # the parks, their submissions (with who submitted and reviewed)
        assert len(api.get(BASE, {"period": "2025Q3"}).json()) == 2
    for n in range(6):
        park = AreaFactory(code=f"X{n}", parent=world["zone"])
        if n % 2:
            take_step(area=park, period=Q3, action="submit", user=world["users"]["admin"])
    with django_assert_num_queries(2):
        assert len(api.get(BASE, {"period": "2025Q3"}).json()) == 8
