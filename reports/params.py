"""Parsing the area / period / date / indicator a page or API call asks for, with Chinese messages."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.utils.translation import gettext as _

from registry.access import Access
from registry.models import Area
from registry.periods import PeriodError, Quarter

from .engine.figures import FigureNotFound, get_indicator
from .models import Indicator

EARLIEST_DATE = dt.date(1900, 1, 1)
SESSION_KEY = "reports.selection"  # the area and quarter last chosen on a coverage page
REMEMBERED = ("area", "period")


class BadParameter(ValidationError):
    """A query parameter that cannot be understood: a 400 naming the parameter, never a 500.

    A ValidationError keyed by the parameter, so the API's exception handler (registry/api/base.py) answers it as
    ``{"period": ["…"]}`` like any other invalid input; pages show ``messages`` (SelectionMixin).
    """

    def __init__(self, field: str, message: str):
        super().__init__({field: [message]})
        self.field = field

    def __str__(self) -> str:
        return " ".join(self.messages)


class UnknownArea(Http404):
    """An area code that does not exist, or lies outside the user's subtree: a 404 for pages and API alike."""


class Selection:
    """What a page or API call asks for: area, quarter (or as-of date) and indicator, from its query string.

    Made once per request (``parse_selection``). Each part is parsed on first use and kept, so a request never
    parses a parameter twice, and a view pays only for the parts it uses (a cached figure needs no area or
    indicator lookup; the series ignores the quarter). A bad part raises BadParameter or UnknownArea when used;
    ``resolve()`` uses every part, in the order errors are reported: date, quarter, area, indicator.
    """

    def __init__(self, params, access: Access):
        self.params = params
        self.access = access

    @cached_property
    def on(self) -> dt.date | None:
        """An as-of date instead of a quarter (``date=``), or None."""
        return parse_date(self.params.get("date"))

    @cached_property
    def period(self) -> Quarter:
        """The asked quarter; with ``date=``, the quarter containing that date."""
        return Quarter.containing(self.on) if self.on else parse_period(self.params.get("period"))

    @cached_property
    def area(self) -> Area:
        return parse_area(self.params.get("area"), self.access)

    @cached_property
    def indicator(self) -> Indicator:
        return parse_indicator(self.params.get("indicator"))

    @property
    def as_of(self) -> dt.date:
        return self.on or self.period.last_day

    def resolve(self) -> Selection:
        """Parse every part now (raising the first error), and return the selection."""
        for part in ("on", "period", "area", "indicator"):
            getattr(self, part)
        return self


def default_area(access: Access) -> Area | None:
    """The user's own area; for administrators the top of the tree."""
    # ``covers``: an instructor's account has an area on its profile but sees none of its figures (issue 15).
    if access.area is not None and access.covers(access.area):
        return access.area
    return Area.objects.restrict(access).filter(parent__isnull=True).order_by("path").first()


def parse_area(code: str | None, access: Access) -> Area:
    """The asked-for area, which must lie in the user's subtree: anything else is "not found", never "forbidden"."""
    if not code:
        area = default_area(access)
        if area is None:
            raise UnknownArea(_("没有可以查看的区域。"))
        return area
    area = Area.objects.restrict(access).filter(code=code.strip()).first()
    if area is None:
        raise UnknownArea(_("未知的区域代码“%(code)s”。") % {"code": code})
    return area


def parse_period(text: str | None) -> Quarter:
    if not text:
        return Quarter.current()
    try:
        return Quarter.parse(text)
    except PeriodError as exc:
        raise BadParameter("period", str(exc)) from None


def parse_date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        on = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BadParameter("date", _("日期格式应为 YYYY-MM-DD，收到“%(text)s”。") % {"text": text}) from None
    if on < EARLIEST_DATE:  # figures look back decades (ages); year 1 has no past to look at
        raise BadParameter("date", _("日期不能早于 %(d)s。") % {"d": EARLIEST_DATE.isoformat()})
    return on


def parse_indicator(code: str | None) -> Indicator:
    try:
        return get_indicator(code)
    except FigureNotFound as exc:
        raise BadParameter("indicator", str(exc)) from None


def parse_selection(params, access: Access) -> Selection:
    """The selection of a request: area, quarter (or as-of date) and indicator from a QueryDict, each parsed on
    first use; raises BadParameter / UnknownArea then."""
    return Selection(params, access)


def last_complete_quarter() -> Quarter:
    """The latest quarter that has ended: what a quarterly report is written about."""
    return Quarter.current().previous()


def with_remembered(params, session, *, default_period: Quarter | None = None) -> tuple[QueryDict, set[str]]:
    """The query string with what it does not say filled in: the area and quarter last chosen on any coverage
    page (kept in the session, so the menu's plain links open them), else ``default_period``.

    Returns the filled QueryDict and the names of the parameters taken from the session. An as-of date
    (``date=``) stands for the quarter: no quarter is filled in beside it.
    """
    kept = session.get(SESSION_KEY) or {}
    filled, from_session = params.copy(), set()
    for name in REMEMBERED:
        if params.get(name) or (name == "period" and params.get("date")):
            continue
        if kept.get(name):
            filled[name] = kept[name]
            from_session.add(name)
        elif name == "period" and default_period is not None:
            filled[name] = str(default_period)
    return filled, from_session


def remember(session, params, selection: Selection) -> None:
    """Keep the area and quarter the query string chose (a default is not a choice) for the next page."""
    kept = dict(session.get(SESSION_KEY) or {})
    if params.get("area"):
        kept["area"] = selection.area.code
    if params.get("period") and not params.get("date"):
        kept["period"] = str(selection.period)
    if kept != session.get(SESSION_KEY):
        session[SESSION_KEY] = kept


def forget(session, names: set[str]) -> None:
    """Drop remembered parameters that no longer parse (an area moved out of the user's scope)."""
    kept = {k: v for k, v in (session.get(SESSION_KEY) or {}).items() if k not in names}
    session[SESSION_KEY] = kept
