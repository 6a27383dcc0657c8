"""Drill-through and work-queue lists download as Excel, written like the ledgers (issue 16, point 13)."""

import datetime as dt
import io
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from registry.audit import LogEntry
from registry.periods import Quarter
from reports.engine.recompute import recompute
from tests.factories import (
    AboveScalePeriodFactory,
    ApplicantFactory,
    AreaFactory,
    EnterpriseFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_user,
)

pytestmark = pytest.mark.django_db
Q3 = Quarter(2025, 3)
RISKY = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    parks = [AreaFactory(code=f"P{i}", parent=zone, name=f"园区{i}") for i in (1, 2)]
    for i in range(60):  # more than one page (50 rows)
        firm = EnterpriseFactory(area=parks[i % 2], name=f"企业{i:02d}")
        AboveScalePeriodFactory(enterprise=firm)
    risky = EnterpriseFactory(area=parks[0], name=RISKY)
    AboveScalePeriodFactory(enterprise=risky)
    covered = EnterpriseFactory(area=parks[0], name="有党组织的企业")
    AboveScalePeriodFactory(enterprise=covered)
    org = OrganizationFactory(area=parks[0], name="某某党支部", term_ends_on=dt.date(2025, 10, 1))
    LinkFactory(enterprise=covered, organization=org)
    for _ in range(3):
        MemberFactory(organization=org, enterprise=covered)
    ApplicantFactory(organization=org, name="张三", activist_on=dt.date(2023, 5, 1))
    recompute(periods=[Q3])
    return zone, parks


@pytest.fixture
def staff(client, world):
    user = make_user("clerk", role="staff", area=world[0])
    client.force_login(user)
    return user


def workbook(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def table(sheet, header: str) -> list[tuple]:
    """The rows from the header row on (a title block above it is allowed)."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row and row[0] == header)
    return [tuple(v for v in row) for row in rows[start:]]


def filename(response) -> str:
    disposition = response["Content-Disposition"]
    return unquote(disposition[disposition.lower().index("filename*=utf-8''") + len("filename*=utf-8''") :])


def test_drill_page_links_to_its_workbook(client, staff):
    html = client.get(
        "/coverage/enterprises/", {"area": "Z", "period": "2025Q3", "part": "denominator"}
    ).content.decode()
    assert (
        'href="/coverage/enterprises.xlsx?area=Z&amp;period=2025Q3&amp;part=denominator"' in html
        and "下载 Excel" in html
    )


def test_drill_downloads_every_row_with_the_pages_columns(client, staff):
    response = client.get(
        "/coverage/enterprises.xlsx",
        {"area": "Z", "period": "2025Q3", "indicator": "org-coverage-above-scale", "part": "denominator"},
    )
    wb = workbook(response)
    sheet = wb.worksheets[0]
    rows = table(sheet, "单位名称")
    assert rows[0][:4] == ("单位名称", "统一社会信用代码", "所在区域", "覆盖状态")
    body = rows[1:]
    assert len(body) == 62  # all of them, not the page's 50
    names = [r[0] for r in body]
    assert names == sorted(names)
    covered = body[names.index("有党组织的企业")]
    assert (covered[2], covered[3]) == ("园区1", "单独组建")
    name = filename(response)
    assert name == "党组织覆盖率（规模以上非公企业）分母名单-示范区-2025Q3.xlsx"
    assert sheet.title == "党组织覆盖率（规模以上非公企业）分母名单"
    event = LogEntry.objects.get(additional_data__event="export")
    assert event.object_repr == "示范区" and event.additional_data["detail"].startswith(name)


def test_drill_cells_are_data_never_formulas(client, staff):
    response = client.get(
        "/coverage/enterprises.xlsx", {"area": "P1", "period": "2025Q3", "part": "denominator"}
    )
    sheet = workbook(response).worksheets[0]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == RISKY)
    assert cell.data_type == "s" and cell.quotePrefix  # the ledgers' safe_cell(): text, not a formula


def test_drill_as_of_a_date(client, staff):
    response = client.get(
        "/coverage/enterprises.xlsx", {"area": "Z", "date": "2025-08-01", "part": "numerator"}
    )
    rows = table(workbook(response).worksheets[0], "单位名称")
    assert [r[0] for r in rows[1:]] == ["有党组织的企业"]
    assert filename(response).endswith("分子名单-示范区-2025-08-01.xlsx")


@pytest.mark.parametrize(
    "code, header, expected",
    [
        ("uncovered-above-scale", "单位名称", 61),
        ("term-ending", "党组织", 1),
        ("activists-ready", "姓名", 1),
    ],
)
def test_work_item_downloads(client, staff, code, header, expected):
    page = client.get(f"/workqueue/{code}/", {"area": "Z", "period": "2025Q3"}).content.decode()
    assert f'href="/workqueue/{code}.xlsx?area=Z&amp;period=2025Q3"' in page
    response = client.get(f"/workqueue/{code}.xlsx", {"area": "Z", "period": "2025Q3"})
    rows = table(workbook(response).worksheets[0], header)
    assert len(rows) - 1 == expected
    assert filename(response).endswith("-示范区-2025Q3.xlsx")


def test_work_item_rows_match_the_page(client, staff):
    response = client.get("/workqueue/term-ending.xlsx", {"area": "Z", "period": "2025Q3"})
    rows = table(workbook(response).worksheets[0], "党组织")
    assert rows == [
        ("党组织", "所在区域", "组建方式", "党员", "正式党员", "覆盖单位", "任期届满"),
        ("某某党支部", "园区1", "单独组建", 3, 3, 1, dt.datetime(2025, 10, 1)),
    ]
    applicants = table(
        workbook(client.get("/workqueue/activists-ready.xlsx", {"area": "Z", "period": "2025Q3"})).worksheets[
            0
        ],
        "姓名",
    )
    assert applicants[1] == ("张三", "某某党支部", dt.datetime(2023, 5, 1))


def test_downloads_are_scoped_like_the_pages(client, world):
    zone, parks = world
    client.force_login(make_user("parkuser", role="park", area=parks[1]))
    assert client.get("/coverage/enterprises.xlsx", {"area": "P1", "period": "2025Q3"}).status_code == 404
    assert (
        client.get("/workqueue/uncovered-above-scale.xlsx", {"area": "P1", "period": "2025Q3"}).status_code
        == 404
    )
    assert client.get("/workqueue/nope.xlsx", {"area": "P2", "period": "2025Q3"}).status_code == 404
    own = client.get("/workqueue/uncovered-above-scale.xlsx", {"period": "2025Q3"})
    rows = table(workbook(own).worksheets[0], "单位名称")
    assert {r[2] for r in rows[1:]} == {"园区2"} and len(rows) - 1 == 30


def test_sheets_print_like_the_ledgers(client, staff):
    """A title row (what, area, quarter, generated at), the header frozen and printed on every page, A4 landscape
    one page wide: the ledgers' layout, from the same writer."""
    response = client.get("/workqueue/uncovered-above-scale.xlsx", {"area": "Z", "period": "2025Q3"})
    sheet = workbook(response).worksheets[0]
    title = sheet["A1"].value
    assert title.startswith("未覆盖的规上企业") and "示范区" in title and "2025年第3季度" in title
    assert sheet.freeze_panes == "A3" and sheet.print_title_rows == "$1:$2"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
