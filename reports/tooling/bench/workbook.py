"""P2: the quarterly workbook of a big area against bare openpyxl writing the same cells."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Callable

from .common import Row, median_times


def bench_workbook(runs: int, out) -> list[Row]:
    from openpyxl import Workbook

    from registry.models import Area, Enterprise
    from registry.periods import Quarter
    from reports.quarterly.report import build_quarterly_report, enterprise_rows
    from reports.quarterly.workbook import write_quarterly_workbook

    quarter = Quarter.current()
    areas = Area.objects.filter(parent__code="SYN").order_by("path")
    area = (
        max(areas, key=lambda a: Enterprise.objects.in_area(a).count())
        if areas
        else Area.objects.get(code="SYN")
    )
    size = Enterprise.objects.in_area(area).count()

    def ours():
        buffer = io.BytesIO()
        write_quarterly_workbook(build_quarterly_report(area, quarter), buffer)

    report = build_quarterly_report(area, quarter)
    cells = list(enterprise_rows(report))

    def bare():
        wb = Workbook(write_only=True)
        for title in ("汇总", "分区域", "组建方式", "党员构成", "变化情况"):
            wb.create_sheet(title).append([title])
        sheet = wb.create_sheet("单位明细")
        for row in cells:
            sheet.append(row)
        wb.save(io.BytesIO())

    value, bound = median_times([ours, bare], runs)
    peak = _peak_rss_growth(ours)
    tracemalloc.start()
    ours()
    python_peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()
    return [
        Row(
            f"P2 quarterly workbook, area of {size} units",
            value,
            "s",
            bound,
            "≤ 1.5 × bound",
            value <= 1.5 * bound,
        ),
        Row(
            "P2 peak memory while writing it (process RSS growth)", peak, "MB", None, "≤ 150 MB", peak <= 150
        ),
        Row("P2 peak Python allocations while writing it", python_peak, "MB", None, "(reported)", None),
    ]


def _peak_rss_growth(func: Callable[[], object]) -> float:
    """How far ``func`` raises the process's peak resident memory, in MB, measured in a forked child (whose peak
    starts at the parent's current size), so what the parent ran before does not hide it."""
    import multiprocessing
    import resource

    from django.db import connections

    def child(queue):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        func()
        queue.put((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)  # kB on Linux
        connections.close_all()

    connections.close_all()  # a forked child must open its own database connection
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=child, args=(queue,))
    process.start()
    grown = queue.get(timeout=600)
    process.join()
    return grown
