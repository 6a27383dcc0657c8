"""The quarterly survey report (季度调研报告): built once from stored figures, rendered as HTML or as a workbook.

Wording lives in templates/reports/ (the narrative is a text template) so the department can edit it without code.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.template.loader import render_to_string

from registry.choices import AreaKind
from registry.models import Area
from registry.periods import Quarter

from ..choices import Numerator, Population
from ..closing.reported import reconciliation
from ..engine.bridge import Bridge
from ..engine.bridge import bridge as quarter_bridge
from ..engine.coverage import MemberFigures
from ..engine.development import DevelopmentFigures, quarter_development
from ..engine.explain import Change, changes
from ..engine.figures import Figure, FigureNotFound, by_child_area, stored_figure
from ..engine.workqueue import WorkItem, stored_work_queue
from ..models import Indicator
from .charts import bar_chart

SCOPE_WORDS = {
    AreaKind.DISTRICT: "全区",
    AreaKind.PARK: "全园区",
    AreaKind.SUBDISTRICT: "全片区（街道）",
    AreaKind.COMMUNITY: "全社区",
}
WORK_QUEUE_ROWS = 20  # rows listed per work-queue entry; the count is always complete


@dataclass
class QuarterlyReport:
    area: Area
    period: Quarter
    headline: Figure
    single: Figure
    work: Figure
    social_org: Figure | None
    sub_areas: list[dict]
    previous: Figure | None
    year_ago: Figure | None
    changes_quarter: list[Change]
    changes_year: list[Change]
    work_items: list[tuple[WorkItem, int, list[str]]]  # entry, count, first names
    development: DevelopmentFigures | None = None  # 发展党员: the quarter's year as at its end
    bridge: Bridge | None = None  # 与上季度数字衔接 of the headline indicator
    reconciliation: list = field(default_factory=list)  # 上报数字核对: closing.reported.ReconciliationRow
    narrative: str = ""
    extra: dict = field(default_factory=dict)
    # 有效覆盖 of 规上 firms (None where the indicators are not defined or not computed for the quarter).
    effective_org: Figure | None = None
    effective_work: Figure | None = None

    @property
    def as_of(self) -> dt.date:
        return self.period.last_day

    @property
    def members(self) -> MemberFigures:
        return self.headline.members

    @property
    def scope_word(self) -> str:
        return SCOPE_WORDS.get(self.area.kind, "全区")

    @property
    def figures(self) -> list[Figure]:
        """The figure table (page and workbook): each effective rate next to its plain one."""
        rows = (
            self.headline,
            self.effective_org,
            self.single,
            self.work,
            self.effective_work,
            self.social_org,
        )
        return [f for f in rows if f is not None]


def _indicator(population: str, numerator: str) -> Indicator:
    return Indicator.objects.filter(population=population, numerator=numerator).order_by("position").first()


def _figure_or_none(area: Area, period: Quarter, indicator: Indicator | None) -> Figure | None:
    if indicator is None:
        return None
    try:
        return stored_figure(area, period, indicator)
    except FigureNotFound:
        return None


def _work_items(area: Area, period: Quarter) -> list[tuple[WorkItem, int, list[str]]]:
    """Each work-queue entry at the quarter's end: its full count and the first names, from the stored rows.

    Every flagged row's name is read (two queries in all) and the first picked here: faced with ORDER BY name LIMIT,
    PostgreSQL may sort every unit of the province by name and probe each.
    """
    queue = stored_work_queue(area, period)
    flagged = queue.flagged("name", "pk")
    return [
        (
            item,
            len(flagged[item.code]),
            [name for name, _pk in heapq.nsmallest(WORK_QUEUE_ROWS, flagged[item.code])],
        )
        for item in queue
    ]


def build_quarterly_report(area: Area, period: Quarter) -> QuarterlyReport:
    """Every figure of the report, from stored snapshots (raises FigureNotFound when the quarter is not computed)."""
    org = _indicator(Population.ABOVE_SCALE, Numerator.ORG)
    headline = stored_figure(area, period, org)
    report = QuarterlyReport(
        area=area,
        period=period,
        headline=headline,
        single=stored_figure(area, period, _indicator(Population.ABOVE_SCALE, Numerator.SINGLE)),
        work=stored_figure(area, period, _indicator(Population.ABOVE_SCALE, Numerator.WORK)),
        social_org=_figure_or_none(area, period, _indicator(Population.SOCIAL_ORG, Numerator.ORG)),
        sub_areas=by_child_area(area, period, org),
        previous=_figure_or_none(area, period.previous(), org),
        year_ago=_figure_or_none(area, period.year_ago(), org),
        changes_quarter=changes(area, period),
        changes_year=changes(area, period, since=period.year_ago()),
        work_items=_work_items(area, period),
        development=quarter_development(area, period),
        bridge=quarter_bridge(area, period, org),
        reconciliation=reconciliation(area, period),
        effective_org=_figure_or_none(
            area, period, _indicator(Population.ABOVE_SCALE, Numerator.EFFECTIVE_ORG)
        ),
        effective_work=_figure_or_none(
            area, period, _indicator(Population.ABOVE_SCALE, Numerator.EFFECTIVE_WORK)
        ),
    )
    report.narrative = render_to_string("reports/quarterly_narrative.txt", {"report": report}).strip()
    return report


def quarterly_context(report: QuarterlyReport) -> dict:
    """What the report templates need besides the report: the figure table and the sub-area chart."""

    rows = [{**row, "label": row["area"].name} for row in report.sub_areas]
    return {"report": report, "figures": report.figures, "sub_area_chart": bar_chart(rows)}


def render_quarterly_document(report: QuarterlyReport) -> str:
    """The printable A4 document on its own, without the site's navigation (API format=html)."""
    return render_to_string("reports/quarterly_document.html", quarterly_context(report))


def quarterly_filename(report: QuarterlyReport, extension: str) -> str:
    return f"{report.area.code}-{report.period}-quarterly-report.{extension}"


def enterprise_rows(report: QuarterlyReport) -> Iterator[tuple]:
    """Every operating unit of the area at the quarter's end with its state: the workbook's detail sheet.

    Streams one query of stored rows (member counts included), so a big area's workbook does not hold the list in
    memory.
    """
    from registry.choices import Category, CoverageState

    from ..models import EnterpriseState

    states = (
        EnterpriseState.objects.filter(period=report.period, area_id__in=report.area.subtree_ids())
        .order_by("area__path", "enterprise__name")
        .values_list(
            "enterprise__name",
            "enterprise__credit_code",
            "area__name",
            "category",
            "above_scale",
            "state",
            "party_members",
        )
    )
    # Labels translated once, not once a row (a lazy string costs a gettext lookup every time it is read).
    categories = {value: str(label) for value, label in Category.choices}
    labels = {value: str(label) for value, label in CoverageState.choices}
    for name, code, area, category, above_scale, state, party_members in states.iterator(chunk_size=2000):
        yield (
            name,
            code,
            area,
            categories.get(category, category),
            "是" if above_scale else "否",
            labels.get(state, state),
            party_members,
        )
