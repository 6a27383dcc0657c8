"""Effective dating: a relationship that changes over time is a row with ``start`` and ``end``.

``end`` is exclusive: a row holds on day ``d`` when ``start <= d`` and (``end`` is empty or ``d < end``). The same
convention applies to ``founded_on``/``dissolved_on``, ``established_on``/``deregistered_on`` and
``joined_on``/``ended_on``: on the day something ends it no longer counts.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _


def active_q(on: dt.date, *, start: str = "start", end: str = "end", prefix: str = "") -> Q:
    """A Q object true for rows whose [start, end) range holds ``on``."""
    return Q(**{f"{prefix}{start}__lte": on}) & (
        Q(**{f"{prefix}{end}__isnull": True}) | Q(**{f"{prefix}{end}__gt": on})
    )


def holds_on(on: dt.date, start: dt.date | None, end: dt.date | None) -> bool:
    """The Python twin of :func:`active_q`, for objects already in memory."""
    return start is not None and start <= on and (end is None or on < end)


def overlaps(a_start, a_end, b_start, b_end) -> bool:
    """True when two [start, end) ranges share a day; None ends are open."""
    return (b_end is None or a_start < b_end) and (a_end is None or b_start < a_end)


class DatedQuerySet(models.QuerySet):
    def active_on(self, on: dt.date):
        return self.filter(active_q(on))


class DatedRecord(models.Model):
    start = models.DateField(_("起始日期"))
    end = models.DateField(
        _("截止日期"), null=True, blank=True, help_text=_("当日起不再有效；留空表示仍然有效。")
    )

    objects = DatedQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=models.F("start")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message=_("截止日期应晚于起始日期。"),
            )
        ]

    def holds_on(self, on: dt.date) -> bool:
        return holds_on(on, self.start, self.end)


def count_of(queryset: models.QuerySet, fk: str) -> Coalesce:
    """A correlated ``COUNT(*)`` of ``queryset`` rows whose ``fk`` is the outer row, 0 when none.

    Unlike ``Count()`` over a join it never multiplies rows with other annotations, and it uses the foreign key's
    index per outer row, so counting members of 50 listed enterprises does not scan every member.
    """
    counted = (
        queryset.filter(**{fk: models.OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=models.Count("*"))
        .values("n")
    )
    return Coalesce(models.Subquery(counted, output_field=models.IntegerField()), 0)


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later (earlier when negative); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
