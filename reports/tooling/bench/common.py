"""What every part of the benchmark shares: the result row, medians, rolled-back runs, the data and the table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

BASE_DIR = Path(settings.BASE_DIR)


@dataclass
class Row:
    name: str
    value: float
    unit: str
    bound: float | None
    target: str
    met: bool | None
    note: str = ""

    @property
    def ratio(self) -> str:
        return f"{self.value / self.bound:.2f}×" if self.bound else "—"


def median_time(func: Callable[[], object], runs: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        func()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def median_times(funcs: list[Callable[[], object]], runs: int, warmup: int = 1) -> list[float]:
    """Like :func:`median_time` for several functions, their runs interleaved, so that a slow spell of the machine
    (autovacuum, another process) falls on all of them rather than on whichever ran then."""
    for _ in range(warmup):
        for func in funcs:
            func()
    times: list[list[float]] = [[] for _ in funcs]
    for _ in range(runs):
        for func, measured in zip(funcs, times, strict=True):
            started = time.perf_counter()
            func()
            measured.append(time.perf_counter() - started)
    return [statistics.median(measured) for measured in times]


class Rollback(Exception):
    """Raised to undo a measured write."""


def rolled_back(func: Callable[[], object]) -> Callable[[], object]:
    def run():
        try:
            with transaction.atomic():
                func()
                raise Rollback
        except Rollback:
            pass

    return run


# --- data -----------------------------------------------------------------------------------------------------------


def ensure_data(enterprises: int, members: int, out) -> None:
    """Reuse the synthetic province if it has the asked-for size, else generate it anew (and compute it)."""
    from members.models import Employment, Member, Membership, Mobility
    from registry.models import Area, Enterprise
    from reports.engine.recompute import recompute

    from ..synthetic import Sizes, generate, wipe

    if (
        Area.objects.filter(code="SYN").exists()
        and Enterprise.objects.count() == enterprises
        and Member.objects.count() == members
        # A province generated before members had dated history has none: generate it anew.
        and Membership.objects.count() > members
        and Employment.objects.exists()
        and Mobility.objects.exists()
    ):
        out(f"using the existing synthetic province ({enterprises} enterprises, {members} members)")
        from registry.periods import Quarter

        recompute(periods=[Quarter.current()])  # idempotent: writes only what is missing or stale
        return
    out(f"generating {enterprises} enterprises and {members} members …")
    started = time.perf_counter()
    wipe()
    generate(Sizes(enterprises=enterprises, members=members))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    out(f"  generated in {time.perf_counter() - started:.1f}s; computing every quarter …")
    started = time.perf_counter()
    recompute(periods=None)
    # What autovacuum would soon do: the plans measured below see the stored rows' real sizes.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    out(f"  computed in {time.perf_counter() - started:.1f}s")


def render(rows: list[Row]) -> str:
    header = (
        f"| {'measurement':<52} | {'value':>12} | {'lower bound':>12} | {'ratio':>7} | {'target':<26} | met |"
    )
    lines = [header, "|" + "|".join("-" * (len(c) + 0) for c in header.split("|")[1:-1]) + "|"]
    for r in rows:
        value = (
            f"{r.value:.3f} {r.unit}"
            if isinstance(r.value, float) and r.value % 1
            else f"{r.value:g} {r.unit}"
        )
        bound = f"{r.bound:.3f}" if r.bound is not None else "—"
        met = "—" if r.met is None else ("yes" if r.met else "NO")
        lines.append(
            f"| {r.name:<52} | {value:>12} | {bound:>12} | {r.ratio:>7} | {r.target:<26} | {met:>3} |"
        )
    return "\n".join(lines)


def bench_user(role: str):
    from django.contrib.auth.models import User

    from registry.models import Area, UserProfile

    user, created = User.objects.get_or_create(username=f"bench-{role}")
    if role == "admin":
        User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
        user.refresh_from_db()
    elif created:
        UserProfile.objects.create(user=user, role=role, area=Area.objects.get(code="SYN"))
    return user
