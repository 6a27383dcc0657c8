"""Instructors' visits (issue 15): the assignment-dates rule, the service, the API and staff's pages."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from members import work
from members.models import InstructorVisit
from registry.access import access_for
from tests.factories import AreaFactory, AssignmentFactory, EnterpriseFactory, InstructorFactory, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/instructor-visits/"
FIELDS = {"id", "instructor", "enterprise", "visited_on", "kind", "content", "problems"}
START, END = dt.date(2024, 1, 10), dt.date(2024, 6, 1)  # the assignment holds on START … END - 1 day


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", name="开发区", kind="district")
    p1 = AreaFactory(code="P1", name="一园", parent=zone)
    p2 = AreaFactory(code="P2", name="二园", parent=zone)
    firm = EnterpriseFactory(area=p1, name="甲公司")
    other = EnterpriseFactory(area=p2, name="乙公司")
    zhao = InstructorFactory(area=p1, name="赵指导")
    qian = InstructorFactory(area=p2, name="钱指导")
    AssignmentFactory(instructor=zhao, enterprise=firm, start=START, end=END)
    AssignmentFactory(instructor=qian, enterprise=other, start=dt.date(2020, 1, 1))
    return {"zone": zone, "p1": p1, "p2": p2, "firm": firm, "other": other, "zhao": zhao, "qian": qian}


def visit(world, on: dt.date, **extra) -> InstructorVisit:
    return work.create_visit(
        instructor=extra.pop("instructor", world["zhao"]),
        enterprise=extra.pop("enterprise", world["firm"]),
        visited_on=on,
        kind="visit",
        content="了解党员情况",
        **extra,
    )


# --- the rule: inside an assignment's dates, not in the future --------------------------------------------------


@pytest.mark.parametrize(
    "on",
    [START - dt.timedelta(days=1), END, END + dt.timedelta(days=30)],
    ids=["day-before-start", "on-end-day", "after-end"],
)
def test_visit_outside_the_assignment_is_refused(world, on):
    with pytest.raises(ValidationError) as exc:
        visit(world, on)
    message = exc.value.message_dict["visited_on"][0]
    assert "没有联系" in message and "2024-01-10 至 2024-05-31" in message
    assert not InstructorVisit.objects.exists()


@pytest.mark.parametrize("on", [START, END - dt.timedelta(days=1), dt.date(2024, 3, 1)])
def test_visit_inside_the_assignment_is_recorded(world, on):
    recorded = visit(world, on, problems="暂无")
    assert InstructorVisit.objects.get().pk == recorded.pk
    assert (recorded.visited_on, recorded.problems) == (on, "暂无")


def test_visit_in_the_future_is_refused(world):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        visit(world, today + dt.timedelta(days=1), instructor=world["qian"], enterprise=world["other"])
    assert "不能晚于今天" in exc.value.message_dict["visited_on"][0]
    assert visit(world, today, instructor=world["qian"], enterprise=world["other"]).visited_on == today


def test_a_firm_never_assigned_is_named(world):
    with pytest.raises(ValidationError) as exc:
        visit(world, dt.date(2024, 3, 1), enterprise=world["other"])
    assert exc.value.message_dict == {"enterprise": ["“赵指导”没有联系过“乙公司”，不能登记走访。"]}


def test_update_rechecks_the_day_and_saves_nothing_when_refused(world):
    recorded = visit(world, dt.date(2024, 3, 1))
    with pytest.raises(ValidationError):
        work.update_visit(visit=recorded, visited_on=END, content="改了")
    assert InstructorVisit.objects.get().content == "了解党员情况"
    work.update_visit(visit=recorded, content="改了")
    assert InstructorVisit.objects.get().content == "改了"
    assert recorded.content == "改了"  # the caller's copy shows what was written


def test_visits_are_audited(world):
    recorded = visit(world, dt.date(2024, 3, 1))
    work.update_visit(visit=recorded, problems="缺少活动场所")
    actions = list(LogEntry.objects.get_for_object(recorded).order_by("pk").values_list("action", flat=True))
    assert actions == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]


def test_read_only_roles_may_not_record(world):
    reader = access_for(make_user("reader", role="reader", area=world["p1"]))
    with pytest.raises(PermissionDenied):
        visit(world, dt.date(2024, 3, 1), access=reader)
    staff_p2 = access_for(make_user("staff2", role="staff", area=world["p2"]))
    with pytest.raises(ValidationError) as exc:
        visit(world, dt.date(2024, 3, 1), access=staff_p2)
    assert "enterprise" in exc.value.message_dict


# --- API --------------------------------------------------------------------------------------------------------


@pytest.fixture
def staff_api(world):
    client = APIClient()
    client.force_authenticate(make_user("staff", role="staff", area=world["zone"]))
    return client


def body(world, **overrides) -> dict:
    data = {
        "instructor": world["zhao"].pk,
        "enterprise": world["firm"].pk,
        "visited_on": "2024-03-01",
        "kind": "guidance",
        "content": "指导组建联合党支部",
    }
    data.update(overrides)
    return data


def test_api_create_and_read(world, staff_api):
    response = staff_api.post(URL, body(world), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == FIELDS
    assert (data["instructor"], data["enterprise"], data["kind"]) == (
        world["zhao"].pk,
        world["firm"].pk,
        "guidance",
    )
    assert staff_api.get(f"{URL}{data['id']}/").json() == data
    patched = staff_api.patch(f"{URL}{data['id']}/", {"problems": "党员流动性大"}, format="json")
    assert patched.status_code == 200 and patched.json()["problems"] == "党员流动性大"
    assert staff_api.delete(f"{URL}{data['id']}/").status_code == 405


def test_api_refusals_are_400_by_field_and_save_nothing(world, staff_api):
    outside = staff_api.post(URL, body(world, visited_on=END.isoformat()), format="json")
    assert outside.status_code == 400
    assert "没有联系" in outside.json()["visited_on"][0]
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    ahead = staff_api.post(
        URL,
        body(world, instructor=world["qian"].pk, enterprise=world["other"].pk, visited_on=future),
        format="json",
    )
    assert ahead.status_code == 400 and "visited_on" in ahead.json()
    missing = staff_api.post(URL, body(world, instructor=None) | {"instructor": None}, format="json")
    assert missing.status_code == 400 and "instructor" in missing.json()
    assert staff_api.post(URL, body(world, content=""), format="json").json().keys() == {"content"}
    assert not InstructorVisit.objects.exists()


def test_api_scope_and_read_only_roles(world):
    recorded = visit(world, dt.date(2024, 3, 1))
    staff_p2 = APIClient()
    staff_p2.force_authenticate(make_user("staff2", role="staff", area=world["p2"]))
    assert staff_p2.get(URL).json()["count"] == 0
    assert staff_p2.get(f"{URL}{recorded.pk}/").status_code == 404
    assert staff_p2.patch(f"{URL}{recorded.pk}/", {"content": "x"}, format="json").status_code == 404
    refused = staff_p2.post(URL, body(world), format="json")  # a firm of the other park is no choice
    assert refused.status_code == 400 and "enterprise" in refused.json()
    for role in ("park", "reader"):
        client = APIClient()
        client.force_authenticate(make_user(role, role=role, area=world["p1"]))
        assert client.get(URL).json()["count"] == 1
        assert client.post(URL, body(world), format="json").status_code == 403
        assert client.patch(f"{URL}{recorded.pk}/", {"content": "x"}, format="json").status_code == 403
    assert InstructorVisit.objects.get().content == "了解党员情况"


def test_api_filters(world, staff_api):
    a = visit(world, dt.date(2024, 2, 1))
    b = visit(world, dt.date(2024, 4, 1))
    c = visit(world, dt.date(2024, 4, 2), instructor=world["qian"], enterprise=world["other"])

    def ids(**params):
        response = staff_api.get(URL, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {a.pk, b.pk, c.pk}
    assert ids(area="P1") == {a.pk, b.pk}
    assert ids(area="Z") == {a.pk, b.pk, c.pk}
    assert ids(instructor=world["qian"].pk) == {c.pk}
    assert ids(enterprise=world["firm"].pk) == {a.pk, b.pk}
    assert ids(date_from="2024-04-01") == {b.pk, c.pk}
    assert ids(date_to="2024-04-01") == {a.pk, b.pk}
    assert ids(date_from="2024-03-01", date_to="2024-04-01") == {b.pk}
    assert staff_api.get(URL, {"area": "NOPE"}).status_code == 400
    assert staff_api.get(URL, {"date_from": "2024-13-01"}).status_code == 400
    # Newest first.
    assert [row["id"] for row in staff_api.get(URL).json()["results"]] == [c.pk, b.pk, a.pk]


def test_api_list_query_count_does_not_grow_with_the_page(world, staff_api, django_assert_max_num_queries):
    for day in range(1, 29):
        visit(world, dt.date(2024, 2, day))
    staff_api.get(URL, {"page_size": 1})  # warm up: the user's profile, content types
    with CaptureQueriesContext(connection) as small:
        assert len(staff_api.get(URL, {"page_size": 2}).json()["results"]) == 2
    with django_assert_max_num_queries(len(small)):
        assert len(staff_api.get(URL, {"page_size": 25}).json()["results"]) == 25


# --- staff's pages ----------------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, world):
    client.force_login(make_user("staff", role="staff", area=world["zone"]))
    return client


def test_staff_list_filter_and_download(world, staff_client, django_assert_max_num_queries):
    for day in range(1, 21):
        visit(world, dt.date(2024, 2, day))
    visit(world, dt.date(2024, 4, 2), instructor=world["qian"], enterprise=world["other"], problems="无")
    response = staff_client.get("/instructors/visits/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "甲公司" in page and "乙公司" in page and 'data-label="走访日期"' in page
    assert len(staff_client.get("/instructors/visits/", {"area": "P2"}).context["object_list"]) == 1
    with CaptureQueriesContext(connection) as small:
        staff_client.get("/instructors/visits/", {"page_size": 2})
    with django_assert_max_num_queries(len(small)):
        assert len(staff_client.get("/instructors/visits/", {"page_size": 20}).context["object_list"]) == 20
    download = staff_client.get("/instructors/visits/export.xlsx", {"area": "P2"})
    assert download.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = [r for r in sheet.iter_rows(values_only=True) if any(r)]
    assert "走访日期" in rows[1] and rows[2][2] == "乙公司" and len(rows) == 3


def test_staff_form_records_and_refuses_by_field(world, staff_client):
    data = body(world, visited_on="2023-12-01")
    response = staff_client.post("/instructors/visits/new/", data)
    assert response.status_code == 200
    assert "没有联系" in response.content.decode()
    assert not InstructorVisit.objects.exists()
    response = staff_client.post("/instructors/visits/new/", body(world))
    assert response.status_code == 302 and response["Location"] == "/instructors/visits/"
    recorded = InstructorVisit.objects.get()
    edit = staff_client.get(f"/instructors/visits/{recorded.pk}/edit/")
    assert edit.status_code == 200
    version = edit.context["form"].initial["version"]
    changed = staff_client.post(
        f"/instructors/visits/{recorded.pk}/edit/", {**body(world), "content": "复查", "version": version}
    )
    assert changed.status_code == 302
    assert InstructorVisit.objects.get().content == "复查"


def test_read_only_roles_get_403_on_forms(world, client):
    recorded = visit(world, dt.date(2024, 3, 1))
    client.force_login(make_user("park", role="park", area=world["p1"]))
    assert client.get("/instructors/visits/").status_code == 200
    assert client.get("/instructors/visits/new/").status_code == 403
    assert client.post(f"/instructors/visits/{recorded.pk}/edit/", body(world)).status_code == 403
