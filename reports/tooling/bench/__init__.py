"""``make bench``: the registry's hot paths against a lower bound measured in the same run, on PostgreSQL.

Each measurement is the median of several runs after a warm-up, printed with its lower bound, the ratio and the
target from the performance issue. Nothing here asserts: the table is the result.
"""

from .common import Row, ensure_data, render
from .http import bench_http
from .imports import bench_import
from .recompute import bench_recompute
from .workbook import bench_workbook

__all__ = ["Row", "bench_http", "bench_import", "bench_recompute", "bench_workbook", "ensure_data", "render"]
