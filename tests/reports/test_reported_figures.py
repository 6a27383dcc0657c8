"""Reported figures (上报数字, issue 14): the API, reconciliation with the stored figures, the page, the quarterly
report's section and sheet, and the audit trail.

World: district Z with parks P1 (three 规上 units: one covered by an organisation, one by an instructor from
2025-08-01, one uncovered) and P2 (empty). Stored figures for 2025Q2 and 2025Q3; 2025Q1 is not computed. In 2025Q3
P1 and Z read 党组织覆盖率（规上）1/3 and 党的工作覆盖率（规上）2/3.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook
from rest_framework.test import APIClient

from registry.models import Area
from registry.periods import Quarter
from reports.closing.reported import (
    reconciliation,
    record_reported_figure,
    save_reported_figures,
    update_reported_figure,
)
from reports.engine.recompute import recompute
from reports.models import Indicator, ReportedFigure
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    LinkFactory,
    OrganizationFactory,
    make_user,
)

pytestmark = pytest.mark.django_db

Q1, Q2, Q3 = Quarter(2025, 1), Quarter(2025, 2), Quarter(2025, 3)
URL = "/api/v1/reported-figures/"
PAGE = "/reports/reported/"
ORG = "org-coverage-above-scale"
WORK = "work-coverage-above-scale"
SINGLE = "single-rate-above-scale"


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    p1 = AreaFactory(code="P1", parent=zone, name="一园")
    AreaFactory(code="P2", parent=zone, name="二园")
    firms = [EnterpriseFactory(area=p1, name=f"企业{i}") for i in range(3)]
    for firm in firms:
        AboveScalePeriodFactory(enterprise=firm)
    LinkFactory(enterprise=firms[0], organization=OrganizationFactory(area=p1))
    AssignmentFactory(enterprise=firms[1], start=dt.date(2025, 8, 1))
    recompute(periods=[Q2, Q3])
    return zone


def indicator(code: str) -> Indicator:
    return Indicator.objects.get(code=code)


def area(code: str) -> Area:
    return Area.objects.get(code=code)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def staff(world):
    return make_user("clerk", role="staff", area=world)


@pytest.fixture
def api(staff):
    return client_for(staff)


def body(**overrides) -> dict:
    return {"area": "P1", "period": "2025Q3", "indicator": ORG, "numerator": 1, "denominator": 3, **overrides}


def figure(code: str = ORG, *, at: str = "P1", period: Quarter = Q3, n: int = 1, d: int = 3, user=None):
    return record_reported_figure(
        area=area(at), period=period, indicator=indicator(code), numerator=n, denominator=d, user=user
    )


# --- API --------------------------------------------------------------------------------------------------------


def test_staff_records_a_figure_equal_to_the_stored_one(api):
    response = api.post(URL, body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    stored = ReportedFigure.objects.get()
    assert data == {
        "id": stored.pk,
        "area": "P1",
        "period": "2025Q3",
        "indicator": ORG,
        "indicator_name": "党组织覆盖率（规模以上非公企业）",
        "numerator": 1,
        "denominator": 3,
        "percent": "33.3",
        "computed": {"numerator": 1, "denominator": 3},
        "computed_percent": "33.3",
        "matches": True,
        "recorded_by": "clerk",
        "recorded_at": data["recorded_at"],
    }
    assert (stored.area.code, stored.period, stored.numerator, stored.denominator) == ("P1", Q3, 1, 3)
    assert api.get(f"{URL}{stored.pk}/").json()["matches"] is True


def test_a_different_figure_does_not_match(api):
    response = api.post(URL, body(indicator=WORK, numerator=1, denominator=3), format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["computed"], data["computed_percent"], data["matches"]) == (
        {"numerator": 2, "denominator": 3},
        "66.7",
        False,
    )


def test_nothing_computed_reads_null_and_does_not_match(api):
    response = api.post(URL, body(period="2025Q1"), format="json")
    assert response.status_code == 201
    assert (response.json()["computed"], response.json()["computed_percent"], response.json()["matches"]) == (
        None,
        None,
        False,
    )


@pytest.mark.parametrize("role", ["park", "reader"])
def test_read_only_roles_may_not_write(world, role):
    user = make_user(f"ro-{role}", role=role, area=area("P1"))
    client = client_for(user)
    stored = figure()
    assert client.post(URL, body(indicator=WORK), format="json").status_code == 403
    assert client.patch(f"{URL}{stored.pk}/", {"numerator": 0}, format="json").status_code == 403
    assert client.delete(f"{URL}{stored.pk}/").status_code == 403
    assert ReportedFigure.objects.count() == 1
    # …but they read their own area's figures.
    listed = client.get(URL).json()
    assert [row["id"] for row in listed["results"]] == [stored.pk]


def test_outsiders_neither_see_nor_change_a_figure(world):
    stored = figure()
    outsider = client_for(make_user("p2-park", role="park", area=area("P2")))
    assert outsider.get(URL).json()["count"] == 0
    assert outsider.get(f"{URL}{stored.pk}/").status_code == 404
    other_staff = client_for(make_user("p2-clerk", role="staff", area=area("P2")))
    assert other_staff.get(f"{URL}{stored.pk}/").status_code == 404
    assert other_staff.patch(f"{URL}{stored.pk}/", {"numerator": 0}, format="json").status_code == 404
    assert other_staff.delete(f"{URL}{stored.pk}/").status_code == 404
    created = other_staff.post(URL, body(indicator=WORK), format="json")
    assert (created.status_code, list(created.json())) == (400, ["area"])
    assert ReportedFigure.objects.count() == 1


def test_numerator_above_denominator_is_a_chinese_400(api):
    response = api.post(URL, body(numerator=5, denominator=3), format="json")
    assert response.status_code == 400
    assert response.json() == {"numerator": ["上报分子（5）不能大于上报分母（3）。"]}
    assert ReportedFigure.objects.count() == 0


def test_a_second_figure_for_the_same_area_quarter_and_indicator_is_a_400_naming_the_first(api):
    first = api.post(URL, body(), format="json").json()
    response = api.post(URL, body(numerator=2), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "indicator": [
            f"一园 2025Q3 的“党组织覆盖率（规模以上非公企业）”已登记上报数字（编号 {first['id']}）："
            "同一区域、季度和指标只能登记一条，请修改该条记录。"
        ]
    }
    assert ReportedFigure.objects.get().numerator == 1


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        (
            {"indicator": "nope"},
            "indicator",
            "未知的指标代码“nope”，全部指标见 GET /api/v1/coverage/indicators/。",
        ),
        ({"period": "2025Q5"}, "period", "季度格式应为“2025Q3”（年份 + Q + 1 到 4），收到“2025Q5”。"),
        ({"period": "2099Q1"}, "period", "2099Q1 尚未开始，不能登记该季度的上报数字。"),
        ({"numerator": -1}, "numerator", None),
        ({"area": "NOPE"}, "area", None),
    ],
)
def test_bad_input_is_a_400_on_its_field(api, overrides, field, message):
    response = api.post(URL, body(**overrides), format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    if message:
        assert response.json()[field] == [message]
    assert ReportedFigure.objects.count() == 0


def test_update_and_delete(api):
    created = api.post(URL, body(indicator=WORK, numerator=1, denominator=3), format="json").json()
    assert created["matches"] is False
    patched = api.patch(f"{URL}{created['id']}/", {"numerator": 2}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["numerator"], patched.json()["matches"]) == (2, True)
    bad = api.patch(f"{URL}{created['id']}/", {"numerator": 4}, format="json")
    assert bad.json() == {"numerator": ["上报分子（4）不能大于上报分母（3）。"]}
    put = api.put(f"{URL}{created['id']}/", body(indicator=WORK, numerator=0, denominator=3), format="json")
    assert (put.status_code, put.json()["numerator"], put.json()["matches"]) == (200, 0, False)
    assert api.delete(f"{URL}{created['id']}/").status_code == 204
    assert ReportedFigure.objects.count() == 0
    deleted = LogEntry.objects.get(object_id=created["id"], action=LogEntry.Action.DELETE)
    assert deleted.changes_dict["numerator"] == ["0", "None"]


def test_list_filters(api, staff):
    org = figure(ORG, n=1, d=3, user=staff)  # matches
    work = figure(WORK, n=1, d=3, user=staff)  # computed 2/3
    q1 = figure(ORG, period=Q1, n=1, d=3, user=staff)  # not computed
    zone = figure(ORG, at="Z", n=1, d=3, user=staff)  # matches

    def ids(**params):
        response = api.get(URL, params)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids() == {org.pk, work.pk, q1.pk, zone.pk}
    assert ids(matches="false") == {work.pk, q1.pk}
    assert ids(matches="true") == {org.pk, zone.pk}
    assert ids(area="P1") == {org.pk, work.pk, q1.pk}  # the area itself, not its subtree
    assert ids(area="Z") == {zone.pk}
    assert ids(period="2025Q1") == {q1.pk}
    assert ids(indicator=WORK) == {work.pk}
    assert ids(area="P1", period="2025Q3", matches="false") == {work.pk}
    assert api.get(URL, {"matches": "maybe"}).status_code == 400
    assert api.get(URL, {"period": "2025Q9"}).status_code == 400
    assert api.get(URL, {"indicator": "nope"}).status_code == 400


def test_list_query_count_does_not_grow_with_the_page(api, staff, django_assert_max_num_queries):
    rows = [
        ReportedFigure(area=area("P1"), period=period, indicator=i, numerator=0, denominator=1)
        for period in (Q1, Q2, Q3)
        for i in Indicator.objects.all()
    ]
    ReportedFigure.objects.bulk_create(rows)
    api.get(URL, {"page_size": 1})  # warm up: the token user, content types
    with CaptureQueriesContext(connection) as small:
        response = api.get(URL, {"page_size": 3})
    assert len(response.json()["results"]) == 3
    assert len(small) <= 3  # the page and its count (the stored figures are part of the page's query)
    with django_assert_max_num_queries(len(small)):
        response = api.get(URL, {"page_size": 30})
    results = response.json()["results"]
    assert len(results) == 30
    # Each row still has its own stored figure (the 2025Q3 rows first, ordered by indicator position).
    assert results[0]["computed"] == {"numerator": 1, "denominator": 3}
    # 2025Q3's and 2025Q2's rows, then the first of 2025Q1 (never computed).
    assert [r["computed"] for r in results if r["period"] == "2025Q1"] == [None] * (
        30 - 2 * Indicator.objects.count()
    )


def test_recording_is_audited_with_the_caller(api, staff):
    created = api.post(URL, body(), format="json").json()
    entry = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(ReportedFigure), object_id=created["id"]
    )
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == staff
    assert entry.changes_dict["numerator"] == ["None", "1"]
    api.patch(f"{URL}{created['id']}/", {"numerator": 0}, format="json")
    update = LogEntry.objects.filter(object_id=created["id"], action=LogEntry.Action.UPDATE).get()
    assert update.changes_dict["numerator"] == ["1", "0"]


# --- reconciliation() -------------------------------------------------------------------------------------------


def test_reconciliation_of_a_quarter(world, staff):
    figure(ORG, n=1, d=3, user=staff)
    figure(WORK, n=1, d=4, user=staff)
    rows = reconciliation(area("P1"), Q3)
    assert [r.indicator.code for r in rows] == list(
        Indicator.objects.order_by("position", "code").values_list("code", flat=True)
    )
    assert len(rows) == 14  # 12 plain indicators and 2 of 有效覆盖 (issue 15)
    by_code = {r.indicator.code: r for r in rows}
    org, work, single = by_code[ORG], by_code[WORK], by_code[SINGLE]
    assert (org.reported, org.computed, org.matches, org.numerator_difference, org.status) == (
        (1, 3),
        (1, 3),
        True,
        0,
        "一致",
    )
    assert (work.reported, work.computed, work.matches) == ((1, 4), (2, 3), False)
    assert (work.numerator_difference, work.denominator_difference, work.difference_text) == (
        -1,
        1,
        "分子 -1，分母 +1",
    )
    assert (str(work.reported_percent), str(work.computed_percent), work.status) == ("25.0", "66.7", "不一致")
    assert (single.reported, single.computed, single.matches, single.numerator_difference, single.status) == (
        None,
        (1, 3),
        False,
        None,
        "未上报",
    )


def test_reconciliation_of_a_quarter_not_computed(world, staff):
    figure(ORG, period=Q1, n=1, d=3, user=staff)
    rows = {r.indicator.code: r for r in reconciliation(area("P1"), Q1)}
    org = rows[ORG]
    assert (org.reported, org.computed, org.matches, org.numerator_difference, org.status) == (
        (1, 3),
        None,
        False,
        None,
        "未计算",
    )
    assert all(r.computed is None for r in rows.values())


def test_services_refuse_with_chinese_messages(world, staff):
    with pytest.raises(ValidationError) as excinfo:
        figure(ORG, n=4, d=3, user=staff)
    assert excinfo.value.message_dict == {"numerator": ["上报分子（4）不能大于上报分母（3）。"]}
    outsider = make_user("p2-clerk", role="staff", area=area("P2"))
    with pytest.raises(ValidationError) as excinfo:
        figure(ORG, user=outsider)
    assert excinfo.value.message_dict == {"area": ["区域“一园”不在您的管辖范围内。"]}
    stored = figure(ORG, user=staff)
    with pytest.raises(ValidationError) as excinfo:
        update_reported_figure(figure=stored, user=staff, denominator=0)
    assert excinfo.value.message_dict == {"numerator": ["上报分子（1）不能大于上报分母（0）。"]}
    assert ReportedFigure.objects.get().denominator == 3


def test_saving_a_form_is_all_or_nothing(world, staff):
    figure(ORG, n=1, d=3, user=staff)
    with pytest.raises(ValidationError) as excinfo:
        save_reported_figures(
            area=area("P1"), period=Q3, values={ORG: (0, 3), WORK: (5, 3), SINGLE: (1, None)}, user=staff
        )
    assert excinfo.value.message_dict == {
        WORK: ["上报分子（5）不能大于上报分母（3）。"],
        SINGLE: ["请同时填写上报分子和上报分母，或都不填。"],
    }
    assert list(ReportedFigure.objects.values_list("indicator__code", "numerator")) == [(ORG, 1)]
    written = save_reported_figures(
        area=area("P1"), period=Q3, values={ORG: (None, None), WORK: (2, 3)}, user=staff
    )
    assert written == 2
    assert list(ReportedFigure.objects.values_list("indicator__code", "numerator", "denominator")) == [
        (WORK, 2, 3)
    ]


# --- the page ---------------------------------------------------------------------------------------------------


def form_data(values: dict[str, tuple]) -> dict:
    data = {}
    for i in Indicator.objects.all():
        n, d = values.get(i.code, ("", ""))
        data[f"{i.code}-numerator"], data[f"{i.code}-denominator"] = n, d
    return data


def test_staff_saves_the_page(client, staff):
    client.force_login(staff)
    page = client.get(PAGE, {"area": "P1", "period": "2025Q3"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="org-coverage-above-scale-numerator"' in html and "1/3（33.3%）" in html
    response = client.post(
        f"{PAGE}?area=P1&period=2025Q3", form_data({ORG: (1, 3), WORK: (1, 3), SINGLE: (0, 3)})
    )
    assert response.status_code == 302
    assert response["Location"] == "/reports/reported/?area=P1&period=2025Q3"
    assert set(
        ReportedFigure.objects.values_list("indicator__code", "numerator", "denominator", "recorded_by")
    ) == {
        (ORG, 1, 3, staff.pk),
        (WORK, 1, 3, staff.pk),
        (SINGLE, 0, 3, staff.pk),
    }
    shown = client.get(PAGE, {"area": "P1", "period": "2025Q3"}).content.decode()
    assert 'value="1"' in shown
    assert "不一致（分子 -1）" in shown and "text-danger" in shown
    assert '<span data-count="matching">1</span>' in shown  # 党组织覆盖率 only (单独组建 0/3 ≠ 1/3)


def test_a_bad_row_saves_nothing_and_says_why(client, staff):
    figure(ORG, n=1, d=3, user=staff)
    client.force_login(staff)
    response = client.post(f"{PAGE}?area=P1&period=2025Q3", form_data({ORG: (0, 3), WORK: (4, 3)}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "上报分子（4）不能大于上报分母（3）。" in html
    assert "有 1 项指标填写有误，全部未保存" in html
    assert list(ReportedFigure.objects.values_list("indicator__code", "numerator")) == [(ORG, 1)]
    typed = client.post(f"{PAGE}?area=P1&period=2025Q3", form_data({ORG: ("abc", 3), WORK: (2, 3)}))
    assert typed.status_code == 400
    assert "上报分子：输入整数。" in typed.content.decode()
    assert list(ReportedFigure.objects.values_list("indicator__code", "numerator")) == [(ORG, 1)]


def test_read_only_roles_see_the_page_without_inputs(client, world):
    figure(ORG, n=1, d=3)
    reader = make_user("reader", role="reader", area=world)
    client.force_login(reader)
    page = client.get(PAGE, {"area": "P1", "period": "2025Q3"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<input" not in html.split('id="reported-figures"')[1] and "当前账号只能查看上报数字" in html
    assert client.post(f"{PAGE}?area=P1&period=2025Q3", form_data({ORG: (0, 3)})).status_code == 403
    assert ReportedFigure.objects.get().numerator == 1
    outsider = make_user("p2-park", role="park", area=area("P2"))
    client.force_login(outsider)
    assert client.get(PAGE, {"area": "P1", "period": "2025Q3"}).status_code == 404


def test_quarterly_report_shows_the_reconciliation(client, staff):
    figure(ORG, at="Z", n=1, d=3, user=staff)
    figure(WORK, at="Z", n=1, d=3, user=staff)
    client.force_login(staff)
    page = client.get("/reports/quarterly/", {"area": "Z", "period": "2025Q3"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "附：上报数字核对" in html
    section = html.split('id="reconciliation"')[1]
    assert '<tr data-indicator="work-coverage-above-scale" class="mismatch">' in section
    assert '<span class="text-danger fw-semibold">不一致（分子 -1）</span>' in section
    assert section.count('<span class="text-success">一致</span>') == 1
    assert "/reports/reported/?area=Z&amp;period=2025Q3" in section


def test_quarterly_workbook_has_the_reconciliation_sheet(client, staff):
    figure(ORG, at="Z", n=1, d=3, user=staff)
    figure(WORK, at="Z", n=1, d=3, user=staff)
    client.force_login(staff)
    response = client.get("/reports/quarterly.xlsx", {"area": "Z", "period": "2025Q3"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert "上报核对" in workbook.sheetnames
    rows = list(workbook["上报核对"].values)
    assert rows[1][:8] == (
        "指标",
        "上报分子",
        "上报分母",
        "上报比率",
        "台账分子",
        "台账分母",
        "台账比率",
        "是否一致",
    )
    by_name = {row[0]: row for row in rows[2:]}
    assert len(by_name) == 14
    org = by_name["党组织覆盖率（规模以上非公企业）"]
    assert (org[1], org[2], org[4], org[5], org[7], org[8], org[9]) == (1, 3, 1, 3, "一致", 0, 0)
    work = by_name["党的工作覆盖率（规模以上非公企业）"]
    assert (work[1], work[2], work[4], work[5], work[7], work[8], work[9]) == (1, 3, 2, 3, "不一致", -1, 0)
    assert (
        workbook["上报核对"]
        .cell(row=2 + list(by_name).index(work[0]) + 1, column=8)
        .font.color.rgb.endswith("C00000")
    )
    single = by_name["单独组建率（规模以上非公企业）"]
    assert (single[1], single[4], single[7], single[8]) == (None, 1, "未上报", None)
