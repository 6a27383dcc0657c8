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
    assert indicators["count"] == 12
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
