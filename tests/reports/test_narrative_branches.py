"""The quarterly report's wording: every branch of the narrative (up, down, equal, zero, no previous quarter), on
the page, in the print document and on the workbook's 汇总 sheet, and rates of 0 % shown as such (issue 16)."""

import datetime as dt
import io

import pytest
from django.template import Context, Template
from openpyxl import load_workbook

from registry.periods import Quarter
from reports.engine.recompute import recompute
from reports.quarterly.report import build_quarterly_report, render_quarterly_document
from reports.quarterly.workbook import write_quarterly_workbook
from tests.factories import AboveScalePeriodFactory, AreaFactory, EnterpriseFactory, LinkFactory, make_user

pytestmark = pytest.mark.django_db
Q2, Q3 = Quarter(2025, 2), Quarter(2025, 3)
IN_Q3 = dt.date(2025, 8, 1)


@pytest.fixture
def park():
    return AreaFactory(code="P", name="示范园区", kind="park")


def above_scale_firm(park, name="甲公司", **kwargs):
    firm = EnterpriseFactory(area=park, name=name, **kwargs)
    AboveScalePeriodFactory(enterprise=firm)
    return firm


def narrative(park, periods=(Q2, Q3)) -> str:
    recompute(periods=list(periods))
    return build_quarterly_report(park, Q3).narrative


def summary_text(report) -> str:
    buffer = io.BytesIO()
    write_quarterly_workbook(report, buffer)
    sheet = load_workbook(io.BytesIO(buffer.getvalue()))["汇总"]
    return "".join(str(c.value) for row in sheet.iter_rows() for c in row if isinstance(c.value, str))


@pytest.mark.parametrize(
    "now, before, words",
    [(5, 2, "增加3"), (2, 5, "减少3"), (35, 35, "持平，共35"), (0, 0, "仍为0"), (0, None, "仍为0")],
)
def test_delta_filter_words_every_branch(now, before, words):
    rendered = Template("{% load coverage %}{{ now|delta:before }}家").render(
        Context({"now": now, "before": before})
    )
    assert rendered == f"{words}家"


def test_equal_count_keeps_its_number_on_page_print_view_and_workbook(client, park):
    firm = above_scale_firm(park)
    LinkFactory(enterprise=firm)  # covered in both quarters
    text = narrative(park)
    sentence = "与上季度相比，建立党组织的规上企业持平，共1家，覆盖率持平。"
    assert text.endswith(sentence)
    assert "共家" not in text

    client.force_login(make_user("clerk", role="staff", area=park))
    page = client.get("/reports/quarterly/", {"area": "P", "period": "2025Q3"}).content.decode()
    assert sentence in page and "共家" not in page
    report = build_quarterly_report(park, Q3)
    assert sentence in render_quarterly_document(report)
    assert sentence in summary_text(report)


def test_count_up(park):
    firm = above_scale_firm(park)
    LinkFactory(enterprise=firm, start=IN_Q3)
    assert narrative(park).endswith("与上季度相比，建立党组织的规上企业增加1家，覆盖率提高100.0个百分点。")


def test_count_down(park):
    firm = above_scale_firm(park)
    above_scale_firm(park, name="乙公司")
    LinkFactory(enterprise=firm, end=IN_Q3)
    text = narrative(park)
    assert text.endswith("与上季度相比，建立党组织的规上企业减少1家，覆盖率下降50.0个百分点。")


def test_zero_covered_in_both_quarters(park):
    above_scale_firm(park)
    text = narrative(park)
    assert text == (
        "截至2025年9月30日，全园区共有规模以上非公有制企业1家，建立党组织的0家，占规模以上非公企业总数的0.0%；"
        "全园区党员总数0人。通过选派党建指导员实现党的工作覆盖0家，党的工作覆盖率0.0%。"
        "与上季度相比，建立党组织的规上企业仍为0家，覆盖率持平。"
    )


def test_no_above_scale_enterprise_at_all(park):
    EnterpriseFactory(area=park)  # a unit, but not above scale: the population is empty (0/0)
    text = narrative(park)
    assert text == (
        "截至2025年9月30日，全园区暂无规模以上非公有制企业；全园区党员总数0人。"
        "与上季度相比，建立党组织的规上企业仍为0家，覆盖率无可比数据。"
    )
    assert "%" not in text


def test_first_quarter_without_a_previous_one(park):
    firm = above_scale_firm(park)
    LinkFactory(enterprise=firm)
    text = narrative(park, periods=(Q3,))  # the quarter before was never computed
    assert "与上季度相比" not in text
    assert text.endswith(
        "单独组建率100.0%；通过选派党建指导员实现党的工作覆盖0家，党的工作覆盖率100.0%。上季度无可比数据。"
    )


def test_zero_rate_is_a_number_and_only_an_empty_population_is_a_dash(client, park):
    above_scale_firm(park)
    EnterpriseFactory(area=park, category="social_org", name="某协会")  # 0 of 1 social organisations covered
    recompute(periods=[Q3])
    client.force_login(make_user("clerk", role="staff", area=park))
    html = client.get("/reports/quarterly/", {"area": "P", "period": "2025Q3"}).content.decode()
    assert "—%" not in html
    rows = {
        f.indicator.name: f
        for f in client.get("/reports/quarterly/", {"area": "P", "period": "2025Q3"}).context["figures"]
    }
    social = next(f for name, f in rows.items() if f.indicator.population == "social_org")
    assert (social.numerator, social.denominator) == (0, 1)
    assert '<td class="text-end">0</td><td class="text-end">1</td><td class="text-end">0.0%</td>' in html
    assert "覆盖率 0.0%" in html  # 社会组织 … 覆盖率 in the 组建方式 paragraph


def test_percent_filter():
    from decimal import Decimal

    render = Template("{% load coverage %}{{ v|percent }}").render
    assert render(Context({"v": Decimal("0.0")})) == "0.0%"
    assert render(Context({"v": Decimal("51.5")})) == "51.5%"
    assert render(Context({"v": None})) == "—"
