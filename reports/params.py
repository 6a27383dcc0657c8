"""Parsing the area / period / date / indicator a page or API call asks for, with Chinese messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from registry.access import Access
from registry.models import Area
from registry.periods import PeriodError, Quarter

from .engine.figures import FigureNotFound, get_indicator
from .models import Indicator

EARLIEST_DATE = dt.date(1900, 1, 1)


class BadParameter(ValueError):
    """A query parameter that cannot be understood (a 400, never a 500)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class UnknownArea(LookupError):
    """An area code that does not exist (a 404)."""


@dataclass
class Selection:
    area: Area
    period: Quarter
    indicator: Indicator
    on: dt.date | None = None  # an as-of date instead of a quarter

    @property
    def as_of(self) -> dt.date:
        return self.on or self.period.last_day


def default_area(access: Access) -> Area | None:
    """The user's own area; for administrators the top of the tree."""
    if access.area is not None:
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
    """Area, period (or as-of date) and indicator from a QueryDict; raises BadParameter / UnknownArea."""
    on = parse_date(params.get("date"))
    period = Quarter.containing(on) if on else parse_period(params.get("period"))
    return Selection(
        area=parse_area(params.get("area"), access),
        period=period,
        indicator=parse_indicator(params.get("indicator")),
        on=on,
    )
