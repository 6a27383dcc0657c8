"""Coverage pages through the test client: dashboard, drill-through, changes, work queue and closing quarters."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry.periods import Quarter
from reports.engine.recompute import recompute
from reports.models import PeriodLock, PeriodLockEvent
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    EnterpriseFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_user,
)

pytestmark = pytest.mark.django_db
Q3 = Quarter(2025, 3)


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    parks = [AreaFactory(code=f"P{i}", parent=zone, name=f"园区{i}") for i in (1, 2)]
    for i in range(4):
        firm = EnterpriseFactory(area=parks[i % 2], name=f"企业{i}")
        AboveScalePeriodFactory(enterprise=firm)
        if i == 0:
            org = LinkFactory(enterprise=firm, organization=OrganizationFactory(area=parks[0])).organization
            MemberFactory(organization=org, enterprise=firm, gender="F")
    recompute(periods=[Q3.previous(), Q3])
    return zone, parks


@pytest.fixture
def staff(client, world):
    user = make_user("clerk", role="staff", area=world[0])
    client.force_login(user)
    return user


def test_dashboard_shows_headline_with_numerator_and_denominator(client, staff, world):
    response = client.get("/", {"area": "Z", "period": "2025Q3"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "25.0%" in html  # 1 of 4
    assert "?area=Z&amp;period=2025Q3&amp;indicator=org-coverage-above-scale&amp;part=numerator" in html
    assert "园区1" in html and "50.0%" in html  # the sub-area chart: 1 of 2 in park 1
    assert "<script" not in html.split("</head>")[1]


def test_dashboard_bad_period_and_unknown_area(client, staff, world):
    assert client.get("/", {"period": "2025Q5"}).status_code == 400
    assert "季度格式" in client.get("/", {"period": "2025Q5"}).content.decode()
    assert client.get("/", {"area": "NOPE"}).status_code == 404


def test_dashboard_requires_login(client, world):
    assert client.get("/").status_code == 302


def test_drill_lists_numerator_and_denominator(client, staff, world):
    params = {"area": "Z", "period": "2025Q3", "indicator": "org-coverage-above-scale"}
    numerator = client.get("/coverage/enterprises/", {**params, "part": "numerator"})
    denominator = client.get("/coverage/enterprises/", {**params, "part": "denominator"})
    assert [e.name for e in numerator.context["rows"]] == ["企业0"]
    assert [e.name for e in denominator.context["rows"]] == ["企业0", "企业1", "企业2", "企业3"]
    live = client.get("/coverage/enterprises/", {**params, "part": "denominator", "date": "2025-08-01"})
    assert live.context["live"] is True
    assert live.context["figure"].denominator == 4


@pytest.fixture
def crowded(world):
    """Thirty more uncovered 规上 units in the park, computed: enough rows for two page sizes."""
    for i in range(30):
        AboveScalePeriodFactory(enterprise=EnterpriseFactory(area=world[1][0], name=f"新企业{i}"))
    recompute(periods=[Q3])


def queries_per_page_size(client, url: str, params: dict) -> list[int]:
    """Queries a list page runs at page sizes 5 and 30 (each page full), for the P5 check."""
    counts = []
    for size in (5, 30):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {**params, "page_size": size})
        assert len(response.context["rows"]) == size
        counts.append(len(ctx))
    return counts


def test_drill_query_count_does_not_grow_with_page_size(client, staff, crowded):
    params = {"area": "Z", "period": "2025Q3", "part": "denominator"}
    small, large = queries_per_page_size(client, "/coverage/enterprises/", params)
    assert small == large


def test_work_item_page(client, staff, world):
    response = client.get("/workqueue/uncovered-above-scale/", {"area": "Z", "period": "2025Q3"})
    assert sorted(e.name for e in response.context["rows"]) == ["企业1", "企业2", "企业3"]
    assert client.get("/workqueue/nonsense/", {"area": "Z"}).status_code == 404


@pytest.mark.parametrize("as_of", [{}, {"date": "2025-08-01"}], ids=["stored", "live"])
def test_work_item_query_count_does_not_grow_with_page_size(client, staff, crowded, as_of):
    params = {"area": "Z", "period": "2025Q3", **as_of}
    small, large = queries_per_page_size(client, "/workqueue/uncovered-above-scale/", params)
    assert small == large
    page = client.get("/workqueue/uncovered-above-scale/", {**params, "page_size": 30})
    assert all(e.coverage == "none" for e in page.context["rows"])


def test_close_and_reopen_through_the_page(client, staff, world):
    assert client.post("/periods/", {"period": "2025Q3", "action": "close"}).status_code == 302
    assert PeriodLock.objects.filter(period="2025Q3").exists()
    refused = client.post("/periods/", {"period": "2025Q3", "action": "reopen", "reason": "更正"})
    assert refused.status_code == 403
    client.force_login(make_user("viewer", role="park", area=world[1][0]))
    assert client.post("/periods/", {"period": "2025Q2", "action": "close"}).status_code == 403
    admin = User.objects.create_superuser("root", password="pw")
    client.force_login(admin)
    missing_reason = client.post("/periods/", {"period": "2025Q3", "action": "reopen", "reason": ""})
    assert missing_reason.status_code == 400 and "原因" in missing_reason.content.decode()
    assert (
        client.post("/periods/", {"period": "2025Q3", "action": "reopen", "reason": "更正"}).status_code
        == 302
    )
    assert not PeriodLock.objects.exists()
    assert PeriodLockEvent.objects.filter(action="reopen", reason="更正", user=admin).count() == 1


def test_changes_page(client, staff, world):
    response = client.get("/coverage/changes/", {"area": "Z", "period": "2025Q3"})
    assert response.status_code == 200
    assert response.context["changes"] == []
    assert dt.date(2025, 6, 30) == response.context["since"].last_day


def test_park_user_sees_only_its_park(client, world):
    zone, parks = world
    client.force_login(make_user("parkuser", role="park", area=parks[1]))
    response = client.get("/", {"period": "2025Q3"})
    assert response.context["area"] == parks[1]
    assert client.get("/", {"area": "Z", "period": "2025Q3"}).status_code == 404
    assert client.get("/coverage/enterprises/", {"area": "P1", "period": "2025Q3"}).status_code == 404
    assert [a.code for a in response.context["ancestors"]] == []


@pytest.mark.parametrize(
    "url, params, status, message",
    [
        ("/", {"indicator": "nope"}, 400, "未知的指标代码“nope”。"),
        ("/", {"date": "2025-13-01", "period": "2025Q5"}, 400, "日期格式应为 YYYY-MM-DD，收到“2025-13-01”。"),
        ("/", {"area": "NOPE", "period": "2025Q5"}, 400, "收到“2025Q5”"),
        ("/coverage/changes/", {"area": "NOPE", "indicator": "nope"}, 404, None),
        ("/coverage/enterprises/", {"area": "Z", "period": "2019Q1"}, 404, None),  # not computed
        ("/reports/quarterly/", {"area": "Z", "period": "2019Q1"}, 404, None),
    ],
)
def test_page_errors(client, staff, world, url, params, status, message):
    response = client.get(url, params)
    assert response.status_code == status
    if message:
        assert message in response.content.decode()


def test_a_page_parses_its_parameters_once(client, staff, world, monkeypatch):
    from reports import params, views

    counts: dict[str, int] = {}

    def counting(module, name):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            counts[name] = counts.get(name, 0) + 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    counting(views, "parse_selection")
    for name in ("parse_date", "parse_period", "parse_area", "parse_indicator"):
        counting(params, name)
    assert client.get("/", {"area": "Z", "period": "2025Q3"}).status_code == 200
    assert counts == {
        "parse_selection": 1,
        "parse_date": 1,
        "parse_period": 1,
        "parse_area": 1,
        "parse_indicator": 1,
    }


def test_periods_page_shows_stored_quarters_as_text(client, world):
    client.force_login(User.objects.create_superuser("root", password="pw"))
    assert (
        client.post("/periods/", {"period": "2025Q3", "action": "close", "reason": "季末"}).status_code == 302
    )
    page = client.get("/periods/")
    locks = {str(q): lock for q, lock, _approved in page.context["periods"]}
    assert locks["2025Q3"].period == Q3 and locks["2025Q2"] is None  # the lock found by its Quarter
    html = page.content.decode()
    assert (
        '<input type="hidden" name="period" value="2025Q3"><input type="hidden" name="action" value="reopen">'
        in html
    )
    assert "锁定 2025Q3：季末</li>" in html
