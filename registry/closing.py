"""Closed quarters: a write that reaches back into a quarter a park has submitted (or the district approved) is
refused; one that reaches into an earlier quarter still open goes through and says which quarters it changed.

Every write that can move figures records its recompute request through ``registry.services.record_recompute``
with the earliest date it touches per area; :func:`check_reach` runs there, so pages, API, imports and bulk
services are guarded by the same rule. The closed quarters are ``ClosedQuarter`` rows that the quarter-close
services in reports keep in step with each submission.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Area, ClosedQuarter
from .periods import Quarter, quarters_between


class QuarterClosed(ValidationError):
    """A write refused because its effect reaches into a submitted or approved quarter (409 in the API)."""

    code = "quarter_closed"

    def __init__(self, period: Quarter, area: Area, status: str):
        self.period, self.area, self.status = period, area, status
        if status == "approved":
            message = _(
                "%(area)s %(period)s 的数据已审核通过，不能再修改。如确需更正，请系统管理员重新打开该季度后再修改。"
            )
        else:
            message = _("%(area)s %(period)s 的数据已报送，不能再修改。如需更正，请区委组织部退回后再修改。")
        super().__init__(message % {"area": area.name, "period": period}, code=self.code)


def first_reached(since: dt.date | None) -> Quarter:
    """The first quarter whose figures a change dated ``since`` can move (None: from the first one computed)."""
    first = Quarter.parse(getattr(settings, "COVERAGE_FIRST_PERIOD", "2023Q1"))
    return first if since is None else max(Quarter.containing(since), first)


def check_reach(pairs: Iterable[tuple[int, dt.date | None]]) -> None:
    """Refuse (:class:`QuarterClosed`) a change touching area ids from dates ``pairs`` when one of the quarters it
    reaches is closed for that area or an area above it; otherwise note the past quarters it reaches."""
    earliest: dict[int, Quarter] = {}
    for area_id, since in pairs:
        quarter = first_reached(since)
        if area_id not in earliest or quarter < earliest[area_id]:
            earliest[area_id] = quarter
    if not earliest:
        return
    closed = list(
        ClosedQuarter.objects.filter(period__gte=str(min(earliest.values())))
        .select_related("area")
        .order_by("period", "area__path")
    )
    if closed:
        paths = dict(Area.objects.filter(pk__in=earliest).values_list("pk", "path"))
        for row in closed:
            for area_id, quarter in earliest.items():
                if row.period >= quarter and paths.get(area_id, "").startswith(row.area.path):
                    raise QuarterClosed(row.period, row.area, row.status)
    _note(min(earliest.values()))


# --- which past quarters a request's writes changed --------------------------------------------------------------

_reached: ContextVar[set[Quarter] | None] = ContextVar("registry_reached_quarters", default=None)


@contextlib.contextmanager
def collecting_reach() -> Iterator[set[Quarter]]:
    """Collect, for the duration, the past quarters whose figures the writes made here change."""
    found: set[Quarter] = set()
    token = _reached.set(found)
    try:
        yield found
    finally:
        _reached.reset(token)


def _note(first: Quarter) -> None:
    found = _reached.get()
    if found is not None:
        # The current quarter is not "backdated"; a quarter the district has locked keeps its figures.
        found.update(quarters_between(first, Quarter.current().previous()))


def describe_reach(quarters: Iterable[Quarter], locked: Iterable[Quarter] = ()) -> str:
    """The sentence a page or API response gives for a backdated change ('' when it changed no past quarter)."""
    changed = sorted(set(quarters) - set(locked))
    if not changed:
        return ""
    if len(changed) <= 3:
        return _("此修改改变了 %(quarters)s 的统计数据。") % {"quarters": "、".join(str(q) for q in changed)}
    return _("此修改改变了 %(first)s 至 %(last)s 共 %(n)s 个季度的统计数据。") % {
        "first": changed[0],
        "last": changed[-1],
        "n": len(changed),
    }
