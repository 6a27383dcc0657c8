"""The API documentation speaks to a client, in Chinese (issue 16, points 16 and 17).

Read from /api/schema/ as a client (or Swagger UI at /api/docs/) reads it: an ASCII title that client generators
can turn into a package name, the Chinese name and the conventions in the description, and for every operation,
parameter and object a Chinese text rather than a developer's English docstring.
"""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
CODE = re.compile(r"```.*?```|`[^`]*`", re.S)  # code samples: paths, field names, JSON
# Five English words in a row outside code: a sentence of a docstring, not a field name or a value.
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]+(?:[\s,.;:'()/-]+[A-Za-z]+){4,}")
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def english_prose(text: str) -> str | None:
    match = ENGLISH_SENTENCE.search(CODE.sub(" ", text))
    return match.group(0) if match else None


def test_prose_check_catches_a_developer_docstring():
    old = "One figure. Stored figures are served from the process's cache, keyed by what was asked."
    assert english_prose(old).startswith("One figure. Stored figures are served")
    assert (
        english_prose("接收为预备党员只能通过 advance/ 办理；示例 `GET /api/v1/coverage/?area=KFQ`") is None
    )


def test_title_is_ascii_and_the_description_is_chinese(schema):
    info = schema["info"]
    # openapi-python-client names the package "<title>-client": it must be a valid project name.
    assert re.fullmatch(r"[A-Za-z][A-Za-z0-9 ._-]*[A-Za-z0-9]", info["title"]), info["title"]
    assert info["title"] == "Coverage Registry API"
    assert info["description"].startswith("党建覆盖台账")
    assert "Authorization: Token" in info["description"]
    assert english_prose(info["description"]) is None


def test_every_operation_has_a_chinese_summary_and_description(schema):
    missing = []
    for name, operation in operations(schema):
        summary, description = operation.get("summary", ""), operation.get("description", "")
        if not CHINESE.search(summary) or not CHINESE.search(description):
            missing.append(f"{name}: no Chinese summary/description")
        elif prose := english_prose(f"{summary} {description}"):
            missing.append(f"{name}: English text {prose!r}")
    assert missing == []
    assert len(list(operations(schema))) >= 50  # every app's operations were read, not an empty schema


def test_every_parameter_object_and_tag_is_described_in_chinese(schema):
    problems = []
    for name, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            text = parameter.get("description", "")
            if not CHINESE.search(text) or english_prose(text):
                problems.append(f"{name} parameter {parameter['name']}: {text!r}")
        assert operation["tags"] and operation["tags"][0].isascii()  # module names of a generated client
    for component, body in schema["components"]["schemas"].items():
        text = body.get("description", "")
        if text and (not CHINESE.search(text) or english_prose(text)):
            problems.append(f"object {component}: {text!r}")
    for scheme, body in schema["components"]["securitySchemes"].items():
        if not CHINESE.search(body.get("description", "")):
            problems.append(f"security {scheme}")
    used = {tag for _name, operation in operations(schema) for tag in operation["tags"]}
    described = {tag["name"] for tag in schema["tags"] if CHINESE.search(tag.get("description", ""))}
    assert used - described == set()
    assert problems == []
    # The objects a statistics client reads are described, not merely free of English.
    for component in (
        "Figure",
        "Breakdown",
        "Members",
        "SeriesPoint",
        "DrillEnterprise",
        "Enterprise",
        "Member",
    ):
        assert CHINESE.search(schema["components"]["schemas"][component].get("description", "")), component


@pytest.mark.parametrize(
    ("path", "request_example"),
    [
        ("/api/v1/coverage/", "GET /api/v1/coverage/?area=KFQ&period=2025Q3"),
        ("/api/v1/coverage/series/", "GET /api/v1/coverage/series/?area=KFQ"),
        ("/api/v1/coverage/enterprises/", "GET /api/v1/coverage/enterprises/?area=KFQ&period=2025Q3&part="),
    ],
)
def test_statistics_endpoints_show_a_request_and_a_response(schema, path, request_example):
    operation = schema["paths"][path]["get"]
    assert request_example in operation["description"]
    (example,) = operation["responses"]["200"]["content"]["application/json"]["examples"].values()
    value = example["value"]
    if path == "/api/v1/coverage/":
        assert (value["numerator"], value["denominator"], value["percent"]) == (35, 68, "51.5")
        assert sum(value["breakdown"].values()) == value["denominator"]
    else:
        # A list is shown as the one page it is, not DRF's sample page of 123 items.
        assert (value["count"], value["next"], value["previous"]) == (1, None, None)
        assert len(value["results"]) == 1


def test_swagger_ui_page_has_a_chinese_title():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    assert "<title>党建覆盖台账接口文档</title>" in response.content.decode()
