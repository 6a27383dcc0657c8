"""Quarters, the reporting period of the survey: written ``2025Q3`` and taken as of their last day."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.utils.translation import gettext as _

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[Qq]\s*([1-4])\s*$")


class PeriodError(ValueError):
    """A period string that is not a quarter such as 2025Q3."""


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str | Quarter) -> Quarter:
        if isinstance(text, Quarter):
            return text
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


@functools.lru_cache(maxsize=512)
def _stored_quarter(text: str) -> Quarter:
    # Columns hold a handful of distinct quarters: each text is parsed once per process (Quarter is immutable).
    return Quarter.parse(text)


class QuarterAttribute(DeferredAttribute):
    """A model's quarter attribute: a quarter assigned as text (``period="2025Q3"``) reads back as a ``Quarter``,
    so an instance holds the same type whether it was built in code or loaded. Text that is not a quarter is kept
    as given, for ``full_clean()`` to report."""

    def __set__(self, instance, value):
        if isinstance(value, str):
            with contextlib.suppress(PeriodError):
                value = _stored_quarter(value)
        instance.__dict__[self.field.attname] = value


class QuarterField(models.CharField):
    """A quarter column: ``Quarter`` objects in Python, ``2025Q3`` in the database (sortable as text).

    The single conversion point between the two: code hands and receives ``Quarter`` objects; lookups also take
    the string form, and pattern lookups (``startswith="2025"``) pass their text through unchanged.
    """

    description = "A quarter such as 2025Q3"
    descriptor_class = QuarterAttribute

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 6)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return None if value is None else _stored_quarter(value)

    def to_python(self, value):
        if value is None or isinstance(value, Quarter):
            return value
        try:
            return Quarter.parse(str(value))
        except PeriodError as exc:
            raise ValidationError(str(exc), code="invalid") from exc

    def run_validators(self, value):
        # CharField's validators (max_length) measure text: a Quarter is checked as the text it is stored as.
        super().run_validators(str(value) if isinstance(value, Quarter) else value)

    def get_prep_value(self, value):
        return None if value is None else str(value)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else str(value)
