"""Quarters, the reporting period of the survey: written ``2025Q3`` and taken as of their last day."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[Qq]\s*([1-4])\s*$")


class PeriodError(ValueError):
    """A period string that is not a quarter such as 2025Q3."""


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = _QUARTER_RE.match(text or "")
        if not match:
            raise PeriodError(
                _("季度格式应为“2025Q3”（年份 + Q + 1 到 4），收到“%(text)s”。") % {"text": text}
            )
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def current(cls) -> Quarter:
        from django.utils import timezone

        return cls.containing(timezone.localdate())

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        """The day a quarter's figures are taken on."""
        return self.next().first_day - dt.timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def year_ago(self) -> Quarter:
        return Quarter(self.year - 1, self.number)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return _("%(year)s年第%(number)s季度") % {"year": self.year, "number": self.number}


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from ``first`` to ``last`` inclusive, in order."""
    out, q = [], first
    while q <= last:
        out.append(q)
        q = q.next()
    return out
