"""指导员年度考核 (issue 15): the default scheme as data, every computed item at its threshold, the grade boundaries,
entered points, the page with its drill-through and Excel download, the API's contract and scoping, and the query
count of ``evaluate`` (the same for 2 and for 8 instructors)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from members.choices import Grade
from members.duties import complete_task, publish_task
from members.evaluation import enter_points, evaluate, grade_for, scheme_for
from members.models import (
    EnterpriseRequest,
    EvaluationEntry,
    EvaluationItem,
    EvaluationScheme,
    InstructorVisit,
)
from tests.factories import (
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    InstructorFactory,
    LinkFactory,
    OrganizationFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

D = dt.date
AFTER_2025 = D(2026, 2, 1)  # 2025 evaluated in full
PAGE = "/instructors/evaluation/"
API = "/api/v1/instructor-evaluations/"


def on_day(day: dt.date):
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 10, tzinfo=timezone.get_current_timezone()), tick=False
    )


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    park_a = AreaFactory(code="A", parent=zone, name="甲园区")
    park_b = AreaFactory(code="B", parent=zone, name="乙园区")
    return zone, park_a, park_b


def visit(instructor, firm, on):
    return InstructorVisit.objects.create(
        instructor=instructor, enterprise=firm, visited_on=on, content="走访"
    )


def request_(instructor, firm, received, closed=None):
    return EnterpriseRequest.objects.create(
        instructor=instructor,
        enterprise=firm,
        received_on=received,
        closed_on=closed,
        category="labour",
        content="用工",
        result="已办" if closed else "",
    )


def scores(area, year=2025, today=AFTER_2025) -> dict[str, dict[str, Decimal]]:
    """Instructor name → item code → points (plus "score")."""
    return {
        e.instructor.name: {**{s.code: s.points for s in e.items}, "score": e.score}
        for e in evaluate(area, year, today=today)
    }


def item(code: str) -> EvaluationItem:
    return scheme_for(2025).items.get(code=code)


# --- the scheme ---------------------------------------------------------------------------------------------------


def test_the_default_scheme_is_data_with_items_summing_to_100():
    scheme = scheme_for(2025)
    assert (scheme.name, scheme.valid_from, scheme.valid_to) == ("党建指导员考核细则", 2020, None)
    assert (scheme.excellent_from, scheme.competent_from, scheme.basic_from) == (90, 75, 60)
    rows = [(i.code, i.max_points, i.source, i.rule) for i in scheme.items.all()]
    assert rows == [
        ("visits", 30, "computed", "quarterly_visits"),
        ("requests", 20, "computed", "requests_closed_30d"),
        ("organized", 15, "computed", "firm_organized"),
        ("tasks", 15, "computed", "tasks_on_time"),
        ("training", 10, "entered", ""),
        ("commendation", 10, "entered", ""),
    ]
    assert sum(r[1] for r in rows) == 100


def test_a_later_scheme_scores_its_own_years_and_no_scheme_is_a_year_error():
    newer = EvaluationScheme.objects.create(name="新细则", valid_from=2027)
    EvaluationScheme.objects.filter(valid_from=2020).update(valid_to=2027)
    assert scheme_for(2026).valid_from == 2020
    assert scheme_for(2027) == newer
    with pytest.raises(ValidationError) as raised:
        scheme_for(2019)
    assert "2019 年度没有适用的指导员考核细则" in raised.value.message_dict["year"][0]


# --- computed items at their thresholds ---------------------------------------------------------------------------


def test_visits_four_of_four_firm_quarters_is_full_three_of_four_is_three_quarters(world):
    _zone, park, _b = world
    full, partial = InstructorFactory(name="甲", area=park), InstructorFactory(name="乙", area=park)
    for instructor in (full, partial):
        firm = EnterpriseFactory(area=park)
        AssignmentFactory(instructor=instructor, enterprise=firm, start=D(2024, 6, 1))
        for quarter_day in (D(2025, 1, 15), D(2025, 4, 1), D(2025, 9, 30)):
            visit(instructor, firm, quarter_day)
        if instructor is full:
            visit(instructor, firm, D(2025, 12, 31))
    got = scores(park)
    assert got["甲"]["visits"] == Decimal("30.0")
    assert got["乙"]["visits"] == Decimal("22.5")  # 30 × 3 / 4


def test_a_firm_quarter_is_owed_when_the_assignment_covers_any_day_of_it(world):
    _zone, park, _b = world
    instructor = InstructorFactory(name="甲", area=park)
    first, second = EnterpriseFactory(area=park), EnterpriseFactory(area=park)
    # Ends on 1 April (exclusive): Q1 only. Starts on 31 December: Q4 only.
    AssignmentFactory(instructor=instructor, enterprise=first, start=D(2024, 1, 1), end=D(2025, 4, 1))
    AssignmentFactory(instructor=instructor, enterprise=second, start=D(2025, 12, 31))
    visit(instructor, first, D(2025, 3, 31))
    visit(instructor, second, D(2025, 12, 31))
    visit(instructor, first, D(2025, 5, 1))  # after the assignment: owed nothing, counts nothing
    [evaluation] = evaluate(park, 2025, today=AFTER_2025)
    score = evaluation.item("visits")
    assert (score.numerator, score.denominator, score.points) == (2, 2, Decimal("30.0"))
    assert score.evidence_count == 2


def test_the_current_year_owes_only_the_quarters_begun_by_today(world):
    _zone, park, _b = world
    instructor = InstructorFactory(name="甲", area=park)
    firm = EnterpriseFactory(area=park)
    AssignmentFactory(instructor=instructor, enterprise=firm, start=D(2024, 1, 1))
    visit(instructor, firm, D(2025, 2, 1))
    assert scores(park, today=D(2025, 3, 31))["甲"]["visits"] == Decimal("30.0")  # Q1 of Q1
    assert scores(park, today=D(2025, 4, 1))["甲"]["visits"] == Decimal("15.0")  # Q1 of Q1, Q2


def test_a_request_closed_on_day_30_is_on_time_on_day_31_is_not(world):
    _zone, park, _b = world
    on_time, late = InstructorFactory(name="甲", area=park), InstructorFactory(name="乙", area=park)
    firm = EnterpriseFactory(area=park)
    request_(on_time, firm, D(2025, 3, 1), D(2025, 3, 31))
    request_(late, firm, D(2025, 3, 1), D(2025, 4, 1))
    got = scores(park)
    assert (got["甲"]["requests"], got["乙"]["requests"]) == (Decimal("20.0"), Decimal("0.0"))


def test_an_open_request_counts_once_its_30_days_are_over(world):
    _zone, park, _b = world
    instructor = InstructorFactory(name="甲", area=park)
    firm = EnterpriseFactory(area=park)
    request_(instructor, firm, D(2025, 3, 1))
    request_(instructor, firm, D(2025, 3, 2), D(2025, 3, 5))
    assert scores(park, today=D(2025, 3, 31))["甲"]["requests"] == Decimal("20.0")  # day 30: not late yet
    assert scores(park, today=D(2025, 4, 1))["甲"]["requests"] == Decimal("10.0")  # day 31: 1 of 2


def test_a_firm_organized_on_31_december_counts_on_1_january_counts_next_year(world):
    _zone, park, _b = world
    early, late = InstructorFactory(name="甲", area=park), InstructorFactory(name="乙", area=park)
    for instructor, day in ((early, D(2025, 12, 31)), (late, D(2026, 1, 1))):
        firm = EnterpriseFactory(area=park)
        # Organising ends the work-coverage assignment the same day: the instructor was there until that day.
        AssignmentFactory(instructor=instructor, enterprise=firm, start=D(2024, 1, 1), end=day)
        LinkFactory(enterprise=firm, organization=OrganizationFactory(area=park), start=day)
    got = scores(park, today=D(2026, 2, 1))
    assert (got["甲"]["organized"], got["乙"]["organized"]) == (Decimal("15.0"), Decimal("0.0"))
    got_2026 = {
        e.instructor.name: e.item("organized").points for e in evaluate(park, 2026, today=D(2026, 2, 1))
    }
    assert got_2026["乙"] == Decimal("15.0")


def test_a_change_of_organisation_is_not_organising(world):
    _zone, park, _b = world
    instructor = InstructorFactory(name="甲", area=park)
    firm = EnterpriseFactory(area=park)
    AssignmentFactory(instructor=instructor, enterprise=firm, start=D(2024, 1, 1))
    LinkFactory(
        enterprise=firm, organization=OrganizationFactory(area=park), start=D(2020, 1, 1), end=D(2025, 6, 1)
    )
    LinkFactory(enterprise=firm, organization=OrganizationFactory(area=park), start=D(2025, 6, 1))
    assert scores(park)["甲"]["organized"] == Decimal("0.0")


def test_a_task_done_on_the_due_date_is_on_time_the_day_after_is_not(world):
    _zone, park, _b = world
    on_time, late = InstructorFactory(name="甲", area=park), InstructorFactory(name="乙", area=park)
    with on_day(D(2025, 6, 1)):
        task = publish_task(area=park, title="换届摸底", due_on=D(2025, 6, 30))
    with on_day(D(2025, 7, 2)):
        complete_task(task=task, instructor=on_time, done_on=D(2025, 6, 30))
        complete_task(task=task, instructor=late, done_on=D(2025, 7, 1))
    got = scores(park)
    assert (got["甲"]["tasks"], got["乙"]["tasks"]) == (Decimal("15.0"), Decimal("0.0"))


def test_a_task_not_yet_due_is_not_counted_until_its_due_date_passes(world):
    _zone, park, _b = world
    InstructorFactory(name="甲", area=park)
    with on_day(D(2025, 6, 1)):
        publish_task(area=park, title="换届摸底", due_on=D(2025, 6, 30))
    assert scores(park, today=D(2025, 6, 30))["甲"]["tasks"] == Decimal("15.0")
    assert scores(park, today=D(2025, 7, 1))["甲"]["tasks"] == Decimal("0.0")


# --- grades and entered points ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        ("100.0", Grade.EXCELLENT),
        ("90.0", Grade.EXCELLENT),
        ("89.9", Grade.COMPETENT),
        ("75.0", Grade.COMPETENT),
        ("74.9", Grade.BASIC),
        ("60.0", Grade.BASIC),
        ("59.9", Grade.INCOMPETENT),
        ("0.0", Grade.INCOMPETENT),
    ],
)
def test_grade_boundaries(score, grade):
    assert grade_for(Decimal(score), scheme_for(2025)) == grade


def organized_instructor(park, name="甲"):
    """An instructor with nothing owed (full visits, requests, tasks) who organised a firm: 80 computed points."""
    instructor = InstructorFactory(name=name, area=park)
    firm = EnterpriseFactory(area=park)
    AssignmentFactory(instructor=instructor, enterprise=firm, start=D(2025, 12, 1), end=D(2025, 12, 15))
    LinkFactory(enterprise=firm, organization=OrganizationFactory(area=park), start=D(2025, 12, 15))
    visit(instructor, firm, D(2025, 12, 2))
    return instructor


def test_a_total_of_90_is_excellent_and_89_competent(world):
    _zone, park, _b = world
    top, below = organized_instructor(park, "甲"), organized_instructor(park, "乙")
    with on_day(AFTER_2025):
        enter_points(instructor=top, year=2025, item=item("training"), points=10)
        enter_points(instructor=below, year=2025, item=item("training"), points=9)
    result = {e.instructor.name: (e.score, e.grade) for e in evaluate(park, 2025, today=AFTER_2025)}
    assert result == {"甲": (Decimal("90.0"), Grade.EXCELLENT), "乙": (Decimal("89.0"), Grade.COMPETENT)}


def test_entered_points_above_the_maximum_are_refused_and_nothing_is_saved(world):
    _zone, park, _b = world
    instructor = InstructorFactory(area=park)
    with pytest.raises(ValidationError) as raised:
        enter_points(instructor=instructor, year=2025, item=item("training"), points=11)
    assert "得分不能超过该项目的分值 10 分" in raised.value.message_dict["points"][0]
    with pytest.raises(ValidationError) as raised:
        enter_points(instructor=instructor, year=2025, item=item("visits"), points=5)
    assert "按记录自动计算，不能录入" in raised.value.message_dict["item"][0]
    with pytest.raises(ValidationError) as raised:
        enter_points(instructor=instructor, year=2099, item=item("training"), points=5)
    assert "year" in raised.value.message_dict
    assert not EvaluationEntry.objects.exists()


def test_entering_again_replaces_the_points(world):
    _zone, park, _b = world
    instructor = InstructorFactory(name="甲", area=park)
    enter_points(instructor=instructor, year=2025, item=item("commendation"), points=4, note="市级表彰")
    enter_points(instructor=instructor, year=2025, item=item("commendation"), points=6, note="省级表彰")
    assert list(EvaluationEntry.objects.values_list("points", "note")) == [(6, "省级表彰")]
    assert scores(park)["甲"]["commendation"] == Decimal("6.0")


# --- who is evaluated, and the query count ---------------------------------------------------------------------------


def test_instructors_of_the_area_are_those_based_or_assigned_there_and_serving(world):
    zone, park_a, park_b = world
    InstructorFactory(name="甲", area=park_a)
    guest = InstructorFactory(name="乙", area=park_b)
    AssignmentFactory(instructor=guest, enterprise=EnterpriseFactory(area=park_a), start=D(2025, 3, 1))
    InstructorFactory(name="丙", area=park_a, ended_on=D(2025, 1, 1))  # left before the year
    InstructorFactory(name="丁", area=park_b)
    assert set(scores(park_a)) == {"甲", "乙"}
    assert set(scores(zone)) == {"甲", "乙", "丁"}


def busy_instructors(park, count: int, offset: int = 0):
    for n in range(count):
        instructor = InstructorFactory(name=f"指导员{offset + n:02d}", area=park)
        firm = EnterpriseFactory(area=park)
        AssignmentFactory(instructor=instructor, enterprise=firm, start=D(2024, 1, 1))
        visit(instructor, firm, D(2025, 2, 1))
        request_(instructor, firm, D(2025, 2, 1), D(2025, 2, 10))
        LinkFactory(enterprise=firm, organization=OrganizationFactory(area=park), start=D(2025, 5, 1))
        enter_points(instructor=instructor, year=2025, item=item("training"), points=8)
    with on_day(D(2025, 3, 1)):
        task = publish_task(area=park, title=f"任务{offset}", due_on=D(2025, 3, 31))
    for recipient in task.recipients.select_related("instructor")[:count]:
        with on_day(D(2025, 4, 1)):
            complete_task(task=task, instructor=recipient.instructor, done_on=D(2025, 3, 20))


def queries_of_evaluate(area) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        evaluations = evaluate(area, 2025, today=AFTER_2025)
        for e in evaluations:  # what the page and the API read of each
            _read = (e.instructor.name, e.instructor.area.name, [s.evidence_count for s in e.items])
    return len(ctx.captured_queries), len(evaluations)


def test_evaluate_reads_a_fixed_number_of_queries(world):
    _zone, park, _b = world
    busy_instructors(park, 2)
    two, listed = queries_of_evaluate(park)
    assert listed == 2
    busy_instructors(park, 6, offset=2)
    eight, listed = queries_of_evaluate(park)
    assert listed == 8
    assert two == eight <= 10


# --- the page, the drill-through and the download --------------------------------------------------------------------


@pytest.fixture
def graded(world):
    """Park A: 李一 with all four quarters visited and a firm organised; 王二 with nothing done but a late request
    (names whose pinyin and code-point orders agree: SQLite sorts by code point)."""
    _zone, park, _b = world
    top = InstructorFactory(name="李一", area=park, unit="区委组织部")
    firm = EnterpriseFactory(area=park, name="李一联系企业")
    AssignmentFactory(instructor=top, enterprise=firm, start=D(2024, 1, 1))
    for day in (D(2025, 1, 5), D(2025, 4, 5), D(2025, 7, 5), D(2025, 10, 5), D(2025, 10, 6)):
        visit(top, firm, day)
    LinkFactory(enterprise=firm, organization=OrganizationFactory(area=park), start=D(2025, 8, 1))
    low = InstructorFactory(name="王二", area=park)
    request_(low, EnterpriseFactory(area=park), D(2025, 1, 1), D(2025, 3, 1))
    enter_points(instructor=top, year=2025, item=item("training"), points=10)
    return top, low


@pytest.fixture
def staff(client, world):
    user = make_user("clerk", role="staff", area=world[0])
    client.force_login(user)
    return user


def test_the_page_shows_each_instructor_with_points_evidence_score_and_grade(client, staff, graded):
    top, _low = graded
    with on_day(AFTER_2025):
        response = client.get(PAGE, {"area": "A", "year": "2025"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "指导员年度考核" in html and "李一" in html and "王二" in html
    row = html.split(f'data-instructor="{top.pk}"')[1].split("</tr>")[0]
    assert (
        '<span class="points">30.0</span>' in row
        and '<td class="text-end fw-semibold score">90.0</td>' in row
    )
    assert "优秀" in row
    evidence = f"/instructors/evaluation/{top.pk}/visits/?area=A&amp;year=2025"
    assert evidence in html
    assert "5 条" in row  # five visits
    assert "<script" not in html.split("</head>")[1]


def test_the_drill_through_lists_the_records_behind_an_item(client, staff, graded):
    top, low = graded
    with on_day(AFTER_2025):
        visits = client.get(f"/instructors/evaluation/{top.pk}/visits/", {"area": "A", "year": "2025"})
        firms = client.get(f"/instructors/evaluation/{top.pk}/organized/", {"area": "A", "year": "2025"})
        requests = client.get(f"/instructors/evaluation/{low.pk}/requests/", {"area": "A", "year": "2025"})
        missing = client.get(f"/instructors/evaluation/{top.pk}/nonsense/", {"area": "A", "year": "2025"})
        elsewhere = client.get(f"/instructors/evaluation/{top.pk}/visits/", {"area": "B", "year": "2025"})
    assert visits.status_code == 200
    assert visits.content.decode().count("李一联系企业") == 5
    assert "2025-08-01" in firms.content.decode()
    assert "59 天" in requests.content.decode()
    assert (missing.status_code, elsewhere.status_code) == (404, 404)


def test_the_download_holds_the_same_table(client, staff, graded):
    with on_day(AFTER_2025):
        response = client.get("/instructors/evaluation.xlsx", {"area": "A", "year": "2025"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(data)).worksheets[0]
    assert sheet["A1"].value.startswith("指导员年度考核") and "甲园区" in sheet["A1"].value
    assert "2025年度" in sheet["A1"].value
    header = [c.value for c in sheet[2]]
    assert header[:3] == ["姓名", "派出单位", "所属区域"] and header[-2:] == ["总分", "等次"]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    top = rows["李一"]
    assert (top[1], top[2]) == ("区委组织部", "甲园区")
    assert top[header.index("走访联系单位（每个联系单位每季度至少走访一次）（30分）")] == 30
    assert top[header.index("走访联系单位（每个联系单位每季度至少走访一次）·依据（条）")] == 5
    assert (top[-2], top[-1]) == (90, "优秀")  # 30 + 20 + 15 + 15 + 10 + 0
    low = rows["王二"]
    assert (low[-2], low[-1]) == (45, "不称职")  # 30 + 0 + 0 + 15 + 0 + 0


def test_the_page_refuses_a_bad_year_and_an_area_outside_scope(client, world, graded):
    client.force_login(make_user("park-b", role="park", area=world[2]))
    with on_day(AFTER_2025):
        outside = client.get(PAGE, {"area": "A", "year": "2025"})
        bad_year = client.get(PAGE, {"area": "B", "year": "20x5"})
        ahead = client.get(PAGE, {"area": "B", "year": "2027"})
        own = client.get(PAGE, {"area": "B", "year": "2025"})
    assert outside.status_code == 400 and "不在您的管辖范围内" in outside.content.decode()
    assert bad_year.status_code == 400 and "年度应为四位数的年份" in bad_year.content.decode()
    assert ahead.status_code == 400 and "尚未开始" in ahead.content.decode()
    assert own.status_code == 200 and "李一" not in own.content.decode().split("evaluation-table")[1]


def test_instructor_accounts_may_not_open_the_evaluation(client, world, graded):
    top, _low = graded
    user = make_user("zhidaoyuan", role="instructor", area=world[1])
    top.user = user
    top.save()
    client.force_login(user)
    assert client.get(PAGE, {"area": "A"}).status_code == 403
    assert client.get("/instructors/evaluation.xlsx", {"area": "A"}).status_code == 403
    assert client.get(f"/instructors/evaluation/{top.pk}/visits/").status_code == 403


def test_the_entry_form_refuses_points_above_the_maximum_in_chinese(client, staff, world):
    instructor = InstructorFactory(name="甲", area=world[1])
    training = item("training")
    with on_day(AFTER_2025):
        form = client.get(
            "/instructors/evaluation/enter/", {"instructor": instructor.pk, "item": training.pk}
        )
        refused = client.post(
            "/instructors/evaluation/enter/",
            {"instructor": instructor.pk, "year": 2025, "item": training.pk, "points": 12, "note": ""},
        )
        saved = client.post(
            "/instructors/evaluation/enter/?area=A",
            {"instructor": instructor.pk, "year": 2025, "item": training.pk, "points": 8, "note": "党校培训"},
        )
    assert form.status_code == 200
    assert refused.status_code == 400 and "得分不能超过该项目的分值 10 分" in refused.content.decode()
    assert saved.status_code == 302 and saved["Location"] == "/instructors/evaluation/?area=A&year=2025"
    assert list(EvaluationEntry.objects.values_list("points", "note")) == [(8, "党校培训")]


def test_read_only_roles_may_not_enter_points(client, world):
    client.force_login(make_user("reader", role="park", area=world[1]))
    assert client.get("/instructors/evaluation/enter/").status_code == 403


# --- the API ------------------------------------------------------------------------------------------------------


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_contract(world, graded):
    api = api_as(make_user("clerk", role="staff", area=world[0]))
    with on_day(AFTER_2025):
        response = api.get(API, {"area": "A", "year": "2025"})
    assert response.status_code == 200
    body = response.json()
    assert [row["name"] for row in body] == ["李一", "王二"]
    top = body[0]
    assert set(top) == {"instructor", "name", "score", "grade", "grade_label", "items"}
    assert (top["instructor"], top["score"], top["grade"], top["grade_label"]) == (
        graded[0].pk,
        "90.0",
        "excellent",
        "优秀",
    )
    assert top["items"][0] == {
        "code": "visits",
        "title": "走访联系单位（每个联系单位每季度至少走访一次）",
        "points": "30.0",
        "max_points": 30,
        "evidence_count": 5,
    }
    assert [i["code"] for i in top["items"]] == [
        "visits",
        "requests",
        "organized",
        "tasks",
        "training",
        "commendation",
    ]
    assert (body[1]["score"], body[1]["grade"]) == ("45.0", "incompetent")


def test_the_api_scoping_and_bad_input(world, graded):
    park_b_staff = api_as(make_user("clerk-b", role="staff", area=world[2]))
    reader = api_as(make_user("reader-a", role="reader", area=world[1]))
    with on_day(AFTER_2025):
        assert park_b_staff.get(API, {"area": "A", "year": "2025"}).status_code == 404
        assert park_b_staff.get(API, {"area": "nowhere"}).status_code == 404
        assert park_b_staff.get(API, {"year": "2025"}).json() == []  # its own area: nobody there
        for year in ("abc", "2019", "2027", "-1"):
            response = park_b_staff.get(API, {"area": "B", "year": year})
            assert response.status_code == 400, year
            assert list(response.json()) == ["year"]
        assert [r["name"] for r in reader.get(API, {"year": "2025"}).json()] == ["李一", "王二"]
    user = make_user("zhidaoyuan", role="instructor", area=world[1])
    instructor = graded[0]
    instructor.user = user
    instructor.save()
    assert api_as(user).get(API, {"area": "A"}).status_code == 403


def test_the_page_reads_as_many_queries_for_8_instructors_as_for_2(client, staff, world):
    _zone, park, _b = world
    busy_instructors(park, 2)

    def count() -> int:
        with on_day(AFTER_2025), CaptureQueriesContext(connection) as ctx:
            assert client.get(PAGE, {"area": "A", "year": "2025"}).status_code == 200
        return len(ctx.captured_queries)

    two = count()
    busy_instructors(park, 6, offset=2)
    assert count() == two
