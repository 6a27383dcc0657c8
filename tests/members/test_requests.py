"""Enterprise requests (issue 15): the rules of receiving and closing, 办结率 at the quarter's edges, the summary
endpoint, the API and staff's pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from members import work
from members.models import EnterpriseRequest
from registry.periods import Quarter
from tests.factories import AreaFactory, AssignmentFactory, EnterpriseFactory, InstructorFactory, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/enterprise-requests/"
SUMMARY = f"{URL}summary/"
FIELDS = {"id", "enterprise", "instructor", "received_on", "category", "content", "closed_on", "result"}
Q3 = Quarter(2025, 3)  # 2025-07-01 … 2025-09-30
D = dt.date


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", name="开发区", kind="district")
    p1 = AreaFactory(code="P1", name="一园", parent=zone)
    p2 = AreaFactory(code="P2", name="二园", parent=zone)
    firm = EnterpriseFactory(area=p1, name="甲公司")
    other = EnterpriseFactory(area=p2, name="乙公司")
    zhao = InstructorFactory(area=p1, name="赵指导")
    AssignmentFactory(instructor=zhao, enterprise=firm, start=D(2020, 1, 1))
    return {"zone": zone, "p1": p1, "p2": p2, "firm": firm, "other": other, "zhao": zhao}


def request(world, received_on, closed_on=None, *, firm="firm", **extra) -> EnterpriseRequest:
    return work.create_request(
        enterprise=world[firm],
        instructor=extra.pop("instructor", world["zhao"]),
        received_on=received_on,
        category=extra.pop("category", "labour"),
        content="招工难",
        closed_on=closed_on,
        result="已对接职业院校" if closed_on else "",
        **extra,
    )


# --- rules --------------------------------------------------------------------------------------------------------


def test_closing_before_receiving_or_in_the_future_or_without_a_result_is_refused(world):
    received = request(world, D(2025, 8, 1))
    with pytest.raises(ValidationError) as exc:
        work.close_request(request=received, closed_on=D(2025, 7, 31), result="已办")
    assert exc.value.message_dict == {"closed_on": ["办结日期不能早于受理日期。"]}
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        work.close_request(request=received, closed_on=tomorrow, result="已办")
    assert "不能晚于今天" in exc.value.message_dict["closed_on"][0]
    with pytest.raises(ValidationError) as exc:
        work.update_request(request=received, closed_on=D(2025, 8, 2))
    assert exc.value.message_dict == {"result": ["办结时请填写办理结果。"]}
    assert EnterpriseRequest.objects.get().closed_on is None  # nothing half-saved
    closed = work.close_request(request=received, closed_on=D(2025, 8, 1), result="当日办结")
    assert (closed.closed_on, closed.result) == (D(2025, 8, 1), "当日办结")
    reopened = work.update_request(request=received, closed_on=None)
    assert reopened.closed_on is None


def test_received_in_the_future_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        request(world, timezone.localdate() + dt.timedelta(days=1))
    assert "received_on" in exc.value.message_dict
    assert not EnterpriseRequest.objects.exists()


def test_unknown_fields_are_a_programming_error(world):
    received = request(world, D(2025, 8, 1))
    with pytest.raises(TypeError):
        work.update_request(request=received, area="P1")


# --- 办结率 -------------------------------------------------------------------------------------------------------


@pytest.fixture
def quarter_rows(world):
    return {
        "first_day_closed_last_day": request(world, Q3.first_day, Q3.last_day),
        "last_day_closed_next_day": request(world, Q3.last_day, Q3.next().first_day),
        "last_day_open": request(world, Q3.last_day),
        "day_before": request(world, Q3.first_day - dt.timedelta(days=1), Q3.first_day),
        "other_park": request(world, D(2025, 8, 15), D(2025, 8, 20), firm="other", instructor=None),
    }


def test_closure_at_the_quarter_edges(world, quarter_rows):
    # Received on the first and the last day count; closed on the last day counts, the day after does not; the
    # request received the day before the quarter is not in it (it counts in Q2, closed within Q3 or not).
    assert work.request_closure(world["p1"], Q3) == (3, 1, Decimal("33.3"))
    assert work.request_closure(world["zone"], "2025Q3") == (4, 2, Decimal("50.0"))
    assert work.request_closure(world["p2"], Q3) == (1, 1, Decimal("100.0"))
    assert work.request_closure(world["p1"], Q3.previous()) == (1, 0, Decimal("0.0"))
    assert work.request_closure(world["p1"], Q3.next()) == (0, 0, None)
    assert work.request_closure(None, Q3) == (4, 2, Decimal("50.0"))


def test_summary_endpoint(world, quarter_rows):
    staff = APIClient()
    staff.force_authenticate(make_user("staff", role="staff", area=world["zone"]))
    response = staff.get(SUMMARY, {"area": "P1", "period": "2025Q3"})
    assert response.status_code == 200
    assert response.json() == {"received": 3, "closed": 1, "percent": "33.3"}
    assert staff.get(SUMMARY, {"period": "2025Q3"}).json() == {"received": 4, "closed": 2, "percent": "50.0"}
    assert staff.get(SUMMARY, {"area": "P1", "period": "2025Q4"}).json() == {
        "received": 0,
        "closed": 0,
        "percent": None,
    }
    assert set(staff.get(SUMMARY).json()) == {"received", "closed", "percent"}  # the current quarter
    bad = staff.get(SUMMARY, {"period": "2025Q5"})
    assert bad.status_code == 400 and "period" in bad.json()
    assert staff.get(SUMMARY, {"area": "NOPE"}).status_code == 404
    park2 = APIClient()
    park2.force_authenticate(make_user("park2", role="park", area=world["p2"]))
    assert park2.get(SUMMARY, {"area": "P1", "period": "2025Q3"}).status_code == 404  # outside its area
    assert park2.get(SUMMARY, {"period": "2025Q3"}).json() == {"received": 1, "closed": 1, "percent": "100.0"}
    csv = staff.get(SUMMARY, {"area": "P1", "period": "2025Q3", "format": "csv"})
    assert csv.status_code == 200 and "33.3" in csv.content.decode()


# --- API --------------------------------------------------------------------------------------------------------


@pytest.fixture
def staff_api(world):
    client = APIClient()
    client.force_authenticate(make_user("staff", role="staff", area=world["zone"]))
    return client


def test_api_record_and_close(world, staff_api):
    response = staff_api.post(
        URL,
        {
            "enterprise": world["other"].pk,
            "received_on": "2025-08-01",
            "category": "safety",
            "content": "消防通道",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == FIELDS
    assert (data["instructor"], data["closed_on"], data["result"]) == (None, None, "")
    early = staff_api.patch(f"{URL}{data['id']}/", {"closed_on": "2025-07-01", "result": "x"}, format="json")
    assert early.status_code == 400 and early.json() == {"closed_on": ["办结日期不能早于受理日期。"]}
    no_result = staff_api.patch(f"{URL}{data['id']}/", {"closed_on": "2025-08-03"}, format="json")
    assert no_result.status_code == 400 and "result" in no_result.json()
    closed = staff_api.patch(
        f"{URL}{data['id']}/", {"closed_on": "2025-08-03", "result": "已协调消防部门"}, format="json"
    )
    assert closed.status_code == 200
    assert (closed.json()["closed_on"], closed.json()["result"]) == ("2025-08-03", "已协调消防部门")
    assert staff_api.delete(f"{URL}{data['id']}/").status_code == 405


def test_api_filters(world, staff_api, quarter_rows):
    def ids(**params):
        response = staff_api.get(URL, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    rows = {name: r.pk for name, r in quarter_rows.items()}
    assert ids(open="true") == {rows["last_day_open"]}
    assert ids(open="false") == set(rows.values()) - {rows["last_day_open"]}
    assert ids(area="P2") == {rows["other_park"]}
    assert ids(date_from="2025-07-01", date_to="2025-09-30") == set(rows.values()) - {rows["day_before"]}
    assert ids(date_to="2025-06-30") == {rows["day_before"]}
    assert ids(instructor=world["zhao"].pk, enterprise=world["firm"].pk) == set(rows.values()) - {
        rows["other_park"]
    }
    assert staff_api.get(URL, {"open": "maybe"}).status_code == 400


def test_api_list_query_count_does_not_grow_with_the_page(world, staff_api, django_assert_max_num_queries):
    for day in range(1, 29):
        request(world, D(2025, 2, day), D(2025, 3, 1) if day % 2 else None)
    staff_api.get(URL, {"page_size": 1})
    with CaptureQueriesContext(connection) as small:
        assert len(staff_api.get(URL, {"page_size": 2}).json()["results"]) == 2
    with django_assert_max_num_queries(len(small)):
        assert len(staff_api.get(URL, {"page_size": 25}).json()["results"]) == 25


# --- staff's pages ----------------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client, world):
    client.force_login(make_user("staff", role="staff", area=world["zone"]))
    return client


def test_staff_pages_record_close_and_list(world, staff_client, django_assert_max_num_queries):
    response = staff_client.post(
        "/instructors/requests/new/",
        {
            "enterprise": world["firm"].pk,
            "instructor": "",
            "received_on": "2025-08-01",
            "category": "labour",
            "content": "招工难",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    received = EnterpriseRequest.objects.get()
    page = staff_client.get("/instructors/requests/", {"open": "true"}).content.decode()
    assert "招工难" in page and "未办结" in page
    url = f"/instructors/requests/{received.pk}/close/"
    form = staff_client.get(url).context["form"]
    refused = staff_client.post(
        url, {"closed_on": "2025-07-01", "result": "已办", "version": form.initial["version"]}
    )
    assert refused.status_code == 200
    assert "办结日期不能早于受理日期" in refused.content.decode()
    assert refused.context["form"].errors.keys() == {"closed_on"}
    closed = staff_client.post(
        url, {"closed_on": "2025-08-05", "result": "已办", "version": form.initial["version"]}
    )
    assert closed.status_code == 302
    assert EnterpriseRequest.objects.get().closed_on == D(2025, 8, 5)
    for day in range(1, 21):
        request(world, D(2025, 2, day))
    with CaptureQueriesContext(connection) as small:
        staff_client.get("/instructors/requests/", {"page_size": 2})
    with django_assert_max_num_queries(len(small)):
        assert len(staff_client.get("/instructors/requests/", {"page_size": 20}).context["object_list"]) == 20
    download = staff_client.get("/instructors/requests/export.xlsx", {"open": "false"})
    assert download.status_code == 200
