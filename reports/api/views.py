"""Coverage statistics over REST: stored figures for quarters, live answers for ``date=``, drill-through lists."""

from __future__ import annotations

import hashlib
import io

from django.conf import settings
from django.db.models import F
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, renderers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.access import access_for
from registry.audit import record_event

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

AREA = OpenApiParameter("area", str, description="area code (default: the top area)")
PERIOD = OpenApiParameter("period", str, description="quarter such as 2025Q3 (default: the current quarter)")
DATE = OpenApiParameter("date", OpenApiTypes.DATE, description="an as-of date instead of a period")
INDICATOR = OpenApiParameter("indicator", str, description="indicator code (default: the headline)")
PART = OpenApiParameter("part", str, enum=[NUMERATOR, DENOMINATOR], description="drill-through part")


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

    @extend_schema(parameters=[AREA, PERIOD, DATE, INDICATOR], responses=FigureSerializer)
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


class IndicatorListView(generics.ListAPIView):
    queryset = Indicator.objects.all()
    serializer_class = IndicatorSerializer
    filter_backends: list = []


class SeriesView(SelectionMixin, generics.ListAPIView):
    """The stored figures of every computed quarter, oldest first."""

    serializer_class = SeriesPointSerializer
    filter_backends: list = []

    @extend_schema(parameters=[AREA, INDICATOR])
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

    @extend_schema(parameters=[AREA, PERIOD, DATE, INDICATOR, PART])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        s = self.selection.resolve()
        part = self.request.query_params.get("part", NUMERATOR)
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
        parameters=[AREA, PERIOD, OpenApiParameter("format", str, enum=["xlsx", "html"])],
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
