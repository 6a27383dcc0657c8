"""Coverage statistics over REST: stored figures for quarters, live answers for ``date=``, drill-through lists."""

from __future__ import annotations

import hashlib
import io

from django.conf import settings
from django.db.models import F
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, renderers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.access import access_for
from registry.audit import record_event

from ..engine.effective import with_unmet
from ..engine.explain import DENOMINATOR, NUMERATOR, drill_enterprises, drill_live
from ..engine.figures import (
    FigureNotFound,
    cache_figure,
    cached_figure,
    figures_generation,
    live_figure,
    stored_figure,
)
from ..models import Indicator, Snapshot
from ..params import Selection, parse_selection
from ..quarterly.report import build_quarterly_report, quarterly_filename, render_quarterly_document
from ..quarterly.workbook import write_quarterly_workbook
from .serializers import (
    DrillEnterpriseSerializer,
    FigureSerializer,
    IndicatorSerializer,
    SeriesPointSerializer,
)

# What an API client reads in the documentation (/api/docs/): Chinese, with examples.
AREA = OpenApiParameter(
    "area",
    str,
    description="区域代码，如 `KFQ`；统计该区域及其全部下级区域。不填为本人所在区域（系统管理员为顶级区域）。"
    "本人范围之外的区域返回 404。",
)
PERIOD = OpenApiParameter("period", str, description="季度，如 `2025Q3`；不填为当前季度。")
DATE = OpenApiParameter(
    "date",
    OpenApiTypes.DATE,
    description="统计日期，如 `2025-08-15`：按该日的登记数据实时计算，代替 period（给出 date 时不看 period）。",
)
INDICATOR = OpenApiParameter(
    "indicator",
    str,
    description="指标代码，如 `work-coverage-above-scale`，全部指标见 `GET /api/v1/coverage/indicators/`；"
    "不填为首要指标 `org-coverage-above-scale`（规模以上非公企业党组织覆盖率）。",
)
PART = OpenApiParameter(
    "part",
    str,
    enum=[NUMERATOR, DENOMINATOR],
    description="`numerator`（默认）：计入分子的单位，即已覆盖的；`denominator`：计入分母的全部单位。",
)

COVERAGE_EXAMPLE = OpenApiExample(
    "开发区 2025 年第三季度",
    value={
        "area": "KFQ",
        "period": "2025Q3",
        "as_of": "2025-09-30",
        "indicator": "org-coverage-above-scale",
        "numerator": 35,
        "denominator": 68,
        "percent": "51.5",
        "computed_at": "2025-10-08T02:00:05+08:00",
        "frozen": True,
        "breakdown": {"single": 20, "joint": 15, "work": 21, "none": 12},
        "members": {
            "total": 508,
            "full": 471,
            "probationary": 37,
            "female": 196,
            "minority": 12,
            "college_or_above": 402,
            "under_35": 187,
            "mobile": 9,
        },
    },
    response_only=True,
)
# A list's example is one item: drf-spectacular shows it as a page of results.
SERIES_EXAMPLE = OpenApiExample(
    "开发区 2025 年第三季度",
    value={
        "period": "2025Q3",
        "as_of": "2025-09-30",
        "numerator": 35,
        "denominator": 68,
        "percent": "51.5",
        "computed_at": "2025-10-08T02:00:05+08:00",
    },
    response_only=True,
)
DRILL_EXAMPLE = OpenApiExample(
    "计入分子的一个单位",
    value={
        "id": 1042,
        "name": "杭州云帆科技有限公司",
        "credit_code": "91330106MA2CFWXK3D",
        "category": "enterprise",
        "area": "P01",
        "coverage": "single",
        "unmet_conditions": ["换届逾期（届满日期 2025-06-30）"],
    },
    response_only=True,
)


class SelectionMixin:
    """A statistics endpoint: ``self.selection`` is the request's area / quarter / date / indicator, made once after
    authentication and parsed part by part as the view uses it. Its errors (BadParameter 400, UnknownArea 404) and
    a figure not computed yet (404) become responses in the API's exception handler, never here by hand."""

    selection: Selection

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.selection = parse_selection(request.query_params, access_for(request.user))

    def handle_exception(self, exc):
        if isinstance(exc, FigureNotFound):
            exc = exceptions.NotFound(str(exc))
        return super().handle_exception(exc)


class CoverageView(SelectionMixin, APIView):
    """One figure. Stored figures are served from the process's cache, keyed by what was asked and valid for one
    figures generation (bumped by every recompute that writes and by closing or reopening a quarter; see
    reports/figures.py for the bounds); each cached figure keeps its area, so the asking user's scope is checked
    on every request. As-of answers (``date=``) are always live."""

    @extend_schema(
        summary="覆盖率（含分子、分母）",
        description=(
            "一个区域（含全部下级区域）某季度的一项覆盖指标：分子、分母、百分数，各覆盖状态的单位数，"
            "以及党员人数。\n\n"
            "季度数字是季末（如 2025Q3 为 9 月 30 日）的统计结果，数据修改后自动重算；季度关账后 `frozen` 为 true，"
            "数字不再变化。该季度尚未统计时返回 404。给出 `date` 则按该日的登记数据实时计算，`period` 为 null。\n\n"
            "请求示例：\n\n"
            "```\nGET /api/v1/coverage/?area=KFQ&period=2025Q3\nAuthorization: Token <令牌>\n```\n\n"
            "返回示例见下方：35 / 68 = 51.5%。加 `&format=xlsx` 下载为 Excel。"
        ),
        parameters=[AREA, PERIOD, DATE, INDICATOR],
        responses=FigureSerializer,
        examples=[COVERAGE_EXAMPLE],
    )
    def get(self, request):
        s, params = self.selection, request.query_params
        if s.on:
            return Response(FigureSerializer(live_figure(s.area, s.on, s.indicator)).data)
        access = s.access
        asked_area = (params.get("area") or "").strip() or (access.area.code if access.area else "")
        asked = f"{asked_area}\n{s.period}\n{params.get('indicator') or ''}"  # codes as typed: hashed into a safe key
        key = f"figure:{hashlib.blake2b(asked.encode(), digest_size=16).hexdigest()}"
        generation, cached = cached_figure(key) if asked_area else (figures_generation(), None)
        if cached is not None:
            area, data = cached
            if access.covers(area):
                return Response(data)
        # Not cached (or cached for an area outside this user's scope): the area is looked up and scoped now, with
        # the same errors as without a cache (outsiders get 404).
        data = FigureSerializer(stored_figure(s.area, s.period, s.indicator)).data
        if asked_area == s.area.code:
            cache_figure(key, generation, (s.area, _plain(data)), settings.FIGURE_CACHE_SECONDS)
        return Response(data)


def _plain(data):
    """Serializer output as plain dicts (a ReturnDict would carry its serializer into the cache)."""
    return {k: _plain(v) for k, v in data.items()} if isinstance(data, dict) else data


@extend_schema(
    summary="统计指标",
    description=(
        "可以查询的覆盖指标：代码、名称、统计范围（分母：规模以上非公企业、非公企业、社会组织、两新组织）、"
        "分子条件（党组织覆盖、单独组建、党的工作覆盖，以及党组织有效覆盖、党的工作有效覆盖：这两项的分母只含"
        "建立党组织的、或仅有党建指导员的单位）、小数位数和政策依据。"
        "`is_headline` 为 true 的是首要指标，其他统计接口不填 `indicator` 时即用它。"
    ),
)
class IndicatorListView(generics.ListAPIView):
    queryset = Indicator.objects.all()
    serializer_class = IndicatorSerializer
    filter_backends: list = []


class SeriesView(SelectionMixin, generics.ListAPIView):
    """The stored figures of every computed quarter, oldest first."""

    serializer_class = SeriesPointSerializer
    filter_backends: list = []

    @extend_schema(
        summary="覆盖率季度走势",
        description=(
            "一个区域一项指标已统计的各个季度，按季度先后排列，每季度给出分子、分母和百分数，用于画走势图。"
            "`period` 和 `date` 在此不起作用。\n\n"
            "请求示例：\n\n```\nGET /api/v1/coverage/series/?area=KFQ&indicator=org-coverage-above-scale\n```"
        ),
        parameters=[AREA, INDICATOR],
        examples=[SERIES_EXAMPLE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        s = self.selection  # area and indicator only: a quarter or date given here is ignored
        return (
            Snapshot.objects.filter(area=s.area, indicator=s.indicator)
            .select_related("indicator")
            .order_by("period")
        )


class DrillView(SelectionMixin, generics.ListAPIView):
    """The enterprises in a figure's numerator or denominator."""

    serializer_class = DrillEnterpriseSerializer
    filter_backends: list = []

    @extend_schema(
        summary="计入统计的单位（穿透查询）",
        description=(
            "一个覆盖率背后的单位名单：`part=numerator`（默认）为计入分子的、已覆盖的单位，"
            "`part=denominator` 为计入分母的全部单位，与 `GET /api/v1/coverage/` 的同一组参数一一对应，"
            "名单的条数（`count`）就是分子或分母。`coverage` 为该单位在统计日的覆盖状态：single 单独组建、"
            "joint 联合组建、work 工作覆盖、none 未覆盖。按单位名称排列。"
            "有效覆盖指标（如 `effective-org-coverage-above-scale`）的 `part=denominator` 名单中，"
            "`unmet_conditions` 列出未达到有效覆盖的单位未满足的条件（如“未配备书记”“本季度未走访”），"
            "其他情况为空列表。\n\n"
            "请求示例（开发区 2025 年第三季度未覆盖和已覆盖的全部规上企业，下载为 Excel）：\n\n"
            "```\nGET /api/v1/coverage/enterprises/?area=KFQ&period=2025Q3&part=denominator&format=xlsx\n```"
        ),
        parameters=[AREA, PERIOD, DATE, INDICATOR, PART],
        examples=[DRILL_EXAMPLE],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_serializer(self, *args, **kwargs):
        """A list of an effective indicator's denominator carries each unit's unmet conditions (two queries per
        page, whatever its size)."""
        if args and kwargs.get("many") and self._part() == DENOMINATOR:
            s = self.selection
            if s.indicator.effective_only:
                args = (with_unmet(args[0], s.as_of), *args[1:])
        return super().get_serializer(*args, **kwargs)

    def _part(self) -> str:
        return self.request.query_params.get("part", NUMERATOR)

    def get_queryset(self):
        s = self.selection.resolve()
        part = self._part()
        if part not in (NUMERATOR, DENOMINATOR):
            raise exceptions.ValidationError({"part": ["part 只能是 numerator 或 denominator。"]})
        if s.on:
            return drill_live(s.area, s.on, s.indicator, part).order_by("name", "pk")
        return (
            drill_enterprises(s.area, s.period, s.indicator, part)
            .annotate(coverage=F("state"))
            .order_by("name", "pk")
        )


class FileNegotiation(BaseContentNegotiation):
    """``?format=`` names the file this view builds itself, not a renderer; errors still go out as JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class QuarterlyReportView(SelectionMixin, APIView):
    """The quarterly survey report of an area and quarter, as an .xlsx workbook or a printable HTML document."""

    renderer_classes = [renderers.JSONRenderer]
    content_negotiation_class = FileNegotiation

    @extend_schema(
        summary="季度调研报告",
        description=(
            "一个区域一个季度的“两新”组织党建工作调研报告：`format=xlsx`（默认）下载 Excel 工作簿"
            "（汇总说明、分项统计表和图表），`format=html` 返回可直接打印的网页。报告基于该季度已统计的数字。\n\n"
            "请求示例：\n\n```\nGET /api/v1/reports/quarterly/?area=KFQ&period=2025Q3&format=xlsx\n```"
        ),
        parameters=[
            AREA,
            PERIOD,
            OpenApiParameter(
                "format",
                str,
                enum=["xlsx", "html"],
                description="`xlsx`（默认）：Excel 工作簿；`html`：打印用网页。",
            ),
        ],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request):
        s = self.selection.resolve()
        fmt = request.query_params.get("format", "xlsx")
        if fmt not in ("xlsx", "html"):
            raise exceptions.ValidationError({"format": ["format 只能是 xlsx 或 html。"]})
        report = build_quarterly_report(s.area, s.period)
        if fmt == "html":
            return HttpResponse(render_quarterly_document(report), content_type="text/html; charset=utf-8")
        buffer = io.BytesIO()
        write_quarterly_workbook(report, buffer)
        record_event(request, "download", s.area, detail=quarterly_filename(report, "xlsx"))
        return FileResponse(
            io.BytesIO(buffer.getvalue()), as_attachment=True, filename=quarterly_filename(report, "xlsx")
        )
