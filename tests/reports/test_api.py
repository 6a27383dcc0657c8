"""Coverage statistics API: the contract, error shapes, file formats and tokens."""

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from registry.models import Area
from registry.periods import Quarter
from reports.engine.recompute import recompute
from reports.models import Indicator
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
Q3 = Quarter(2025, 3)


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district")
    park = AreaFactory(code="P1", parent=zone)
    firms = [EnterpriseFactory(area=park, name=f"企业{i}") for i in range(3)]
    for firm in firms:
        AboveScalePeriodFactory(enterprise=firm)
    org = LinkFactory(enterprise=firms[0], organization=OrganizationFactory(area=park)).organization
    AssignmentFactory(enterprise=firms[1], start=dt.date(2025, 8, 1))
    MemberFactory(organization=org, gender="F")
    MemberFactory(organization=org, category="probationary", birth_date=dt.date(2000, 1, 1))
    recompute(periods=[Q3.previous(), Q3])
    return zone, park, firms


@pytest.fixture
def api(world):
    client = APIClient()
    client.force_authenticate(make_user("reader", role="reader", area=Area.objects.get(code="Z")))
    return client


def test_coverage_contract(api, world):
    response = api.get("/api/v1/coverage/", {"area": "Z", "period": "2025Q3"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "area",
        "period",
        "as_of",
        "indicator",
        "numerator",
        "denominator",
        "percent",
        "computed_at",
        "frozen",
        "breakdown",
        "members",
    }
    assert (body["area"], body["period"], body["as_of"], body["indicator"]) == (
        "Z",
        "2025Q3",
        "2025-09-30",
        "org-coverage-above-scale",
    )
    assert (body["numerator"], body["denominator"], body["percent"], body["frozen"]) == (1, 3, "33.3", False)
    assert body["breakdown"] == {"single": 1, "joint": 0, "work": 1, "none": 1}
    assert body["members"] == {
        "total": 2,
        "full": 1,
        "probationary": 1,
        "female": 1,
        "minority": 0,
        "college_or_above": 2,
        "under_35": 1,
        "mobile": 0,
    }


def test_coverage_other_indicator_and_as_of_date(api, world):
    work = api.get(
        "/api/v1/coverage/", {"area": "Z", "period": "2025Q3", "indicator": "work-coverage-above-scale"}
    )
    assert (work.json()["numerator"], work.json()["percent"]) == (2, "66.7")
    before = api.get(
        "/api/v1/coverage/", {"area": "Z", "date": "2025-07-31", "indicator": "work-coverage-above-scale"}
    )
    assert (before.json()["numerator"], before.json()["period"], before.json()["computed_at"]) == (
        1,
        None,
        None,
    )


@pytest.mark.parametrize(
    "params, status, field",
    [
        ({"period": "2025Q5"}, 400, "period"),
        ({"date": "2025-13-01"}, 400, "date"),
        ({"indicator": "nope"}, 400, "indicator"),
        ({"area": "NOPE"}, 404, "detail"),
        ({"area": "Z", "period": "2019Q1"}, 404, "detail"),
    ],
)
def test_coverage_errors(api, world, params, status, field):
    response = api.get("/api/v1/coverage/", params)
    assert response.status_code == status
    assert field in response.json()


def test_unauthenticated_is_401(world):
    assert APIClient().get("/api/v1/coverage/").status_code == 401


def test_indicators_series_and_drill(api, world):
    indicators = api.get("/api/v1/coverage/indicators/").json()
    assert indicators["count"] == 14  # 12 plain + 2 有效覆盖 (issue 15)
    assert [i["code"] for i in indicators["results"] if i["is_headline"]] == ["org-coverage-above-scale"]
    series = api.get("/api/v1/coverage/series/", {"area": "Z"}).json()
    assert [(p["period"], p["numerator"], p["denominator"]) for p in series["results"]] == [
        ("2025Q2", 1, 3),
        ("2025Q3", 1, 3),
    ]
    drill = api.get(
        "/api/v1/coverage/enterprises/", {"area": "Z", "period": "2025Q3", "part": "denominator"}
    ).json()
    assert [(e["name"], e["coverage"]) for e in drill["results"]] == [
        ("企业0", "single"),
        ("企业1", "work"),
        ("企业2", "none"),
    ]
    assert api.get("/api/v1/coverage/enterprises/", {"part": "half"}).status_code == 400


def test_file_formats(api, world):
    response = api.get("/api/v1/coverage/", {"area": "Z", "period": "2025Q3", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert (rows[0]["numerator"], rows[0]["breakdown.work"], rows[0]["percent"]) == ("1", "1", "33.3")
    drill = api.get(
        "/api/v1/coverage/enterprises/",
        {"area": "Z", "period": "2025Q3", "part": "denominator", "format": "xlsx", "page_size": 1},
    )
    sheet = load_workbook(io.BytesIO(drill.content)).active
    values = list(sheet.values)
    assert values[0][:2] == ("id", "name")
    assert [row[1] for row in values[1:]] == ["企业0", "企业1", "企业2"]  # every row, not one page


def test_token_login(world):
    make_user("api", role="reader", area=world[0], password="s3cret-pass")
    client = APIClient()
    assert (
        client.post(
            "/api/v1/auth/token/", {"username": "api", "password": "wrong"}, format="json"
        ).status_code
        == 400
    )
    missing = client.post("/api/v1/auth/token/", {}, format="json")
    assert set(missing.json()) == {"username", "password"}
    token = client.post(
        "/api/v1/auth/token/", {"username": "api", "password": "s3cret-pass"}, format="json"
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token['token']}")
    assert client.get("/api/v1/coverage/", {"area": "Z", "period": "2025Q3"}).status_code == 200


def test_schema_and_docs_are_served_locally(api):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/coverage/" in schema.content
    docs = api.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower() and "//unpkg" not in docs


def test_scoping_unknown_outside_the_subtree(world):
    zone, park, _ = world
    other = AreaFactory(code="OTHER", kind="park")
    recompute(periods=[Q3])
    client = APIClient()
    client.force_authenticate(make_user("parkuser", role="park", area=park))
    assert client.get("/api/v1/coverage/", {"area": "P1", "period": "2025Q3"}).status_code == 200
    assert (
        client.get("/api/v1/coverage/", {"period": "2025Q3"}).json()["area"] == "P1"
    )  # defaults to own area
    assert client.get("/api/v1/coverage/", {"area": "Z", "period": "2025Q3"}).status_code == 404
    assert client.get("/api/v1/coverage/", {"area": other.code, "period": "2025Q3"}).status_code == 404
    client.force_authenticate(make_user("nobody", role=None))
    assert client.get("/api/v1/coverage/", {"period": "2025Q3"}).status_code == 404


def test_date_before_1900_is_400_not_500(api, world):
    response = api.get("/api/v1/coverage/", {"area": "Z", "date": "0008-03-03"})
    assert response.status_code == 400
    assert response.json() == {"date": ["日期不能早于 1900-01-01。"]}


PERIOD_ERROR = {"period": ["季度格式应为“2025Q3”（年份 + Q + 1 到 4），收到“2025Q5”。"]}
DATE_ERROR = {"date": ["日期格式应为 YYYY-MM-DD，收到“2025-13-01”。"]}
INDICATOR_ERROR = {"indicator": ["未知的指标代码“nope”。"]}
AREA_ERROR = {"detail": "未知的区域代码“NOPE”。"}
COVERAGE, SERIES, DRILL, QUARTERLY = (
    "/api/v1/coverage/",
    "/api/v1/coverage/series/",
    "/api/v1/coverage/enterprises/",
    "/api/v1/reports/quarterly/",
)


@pytest.mark.parametrize(
    "url, params, status, body",
    [
        (COVERAGE, {"period": "2025Q5"}, 400, PERIOD_ERROR),
        (COVERAGE, {"date": "2025-13-01", "period": "2025Q5"}, 400, DATE_ERROR),  # the date is read first
        (COVERAGE, {"date": "2025-13-01"}, 400, DATE_ERROR),
        (COVERAGE, {"indicator": "nope"}, 400, INDICATOR_ERROR),
        (COVERAGE, {"area": "NOPE", "indicator": "nope"}, 404, AREA_ERROR),  # the area before the indicator
        (COVERAGE, {"area": "NOPE", "period": "2025Q5"}, 400, PERIOD_ERROR),  # the quarter before the area
        (COVERAGE, {"area": "NOPE", "date": "2025-09-30"}, 404, AREA_ERROR),
        (COVERAGE, {"area": "Z", "date": "2025-09-30", "indicator": "nope"}, 400, INDICATOR_ERROR),
        (SERIES, {"area": "NOPE"}, 404, AREA_ERROR),
        (SERIES, {"area": "Z", "indicator": "nope"}, 400, INDICATOR_ERROR),
        (DRILL, {"period": "2025Q5"}, 400, PERIOD_ERROR),
        (DRILL, {"area": "NOPE", "part": "half"}, 404, AREA_ERROR),
        (DRILL, {"indicator": "nope"}, 400, INDICATOR_ERROR),
        (DRILL, {"area": "Z", "part": "half"}, 400, {"part": ["part 只能是 numerator 或 denominator。"]}),
        (QUARTERLY, {"area": "Z", "period": "2025Q5"}, 400, PERIOD_ERROR),
        (QUARTERLY, {"area": "NOPE", "format": "pdf"}, 404, AREA_ERROR),
        (QUARTERLY, {"area": "Z", "format": "pdf"}, 400, {"format": ["format 只能是 xlsx 或 html。"]}),
    ],
)
def test_stats_error_bodies(api, world, url, params, status, body):
    response = api.get(url, params)
    assert (response.status_code, response.json()) == (status, body)


def test_a_figure_not_computed_is_404_with_its_message(api, world):
    zone = world[0]
    name = Indicator.objects.get(code="org-coverage-above-scale").name
    detail = {"detail": f"{zone.name} 2019Q1 的“{name}”尚未计算。"}
    for url in (COVERAGE, QUARTERLY):
        response = api.get(url, {"area": "Z", "period": "2019Q1"})
        assert (response.status_code, response.json()) == (404, detail)


def test_series_ignores_a_quarter(api, world):
    response = api.get(SERIES, {"area": "Z", "period": "2025Q5", "date": "nonsense"})
    assert response.status_code == 200
    assert [p["period"] for p in response.json()["results"]] == ["2025Q2", "2025Q3"]


@pytest.fixture
def parse_counts(monkeypatch):
    """How often one request parses its selection and each of its parts."""
    from reports import params
    from reports.api import views

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
    return counts


@pytest.mark.parametrize(
    "url, params, parsed",
    [
        (COVERAGE, {"area": "Z", "period": "2025Q3"}, ["date", "period", "area", "indicator"]),
        (COVERAGE, {"area": "Z", "date": "2025-09-30"}, ["date", "area", "indicator"]),
        (SERIES, {"area": "Z"}, ["area", "indicator"]),
        (DRILL, {"area": "Z", "period": "2025Q3"}, ["date", "period", "area", "indicator"]),
        (
            QUARTERLY,
            {"area": "Z", "period": "2025Q3", "format": "html"},
            ["date", "period", "area", "indicator"],
        ),
    ],
)
def test_stats_api_parses_its_parameters_once(api, world, parse_counts, url, params, parsed):
    assert api.get(url, params).status_code == 200
    assert parse_counts == {"parse_selection": 1, **{f"parse_{part}": 1 for part in parsed}}


def test_a_cached_figure_parses_only_its_quarter(api, world, parse_counts):
    assert api.get(COVERAGE, {"area": "Z", "period": "2025Q3"}).status_code == 200
    parse_counts.clear()
    assert api.get(COVERAGE, {"area": "Z", "period": "2025Q3"}).json()["numerator"] == 1
    assert parse_counts == {"parse_selection": 1, "parse_date": 1, "parse_period": 1}
