"""Reads that need thought, as QuerySet methods that read as sentences.

``Enterprise.objects.operating_on(d).above_scale_on(d).in_area(area).with_coverage(d)``
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Collate
from django.utils import timezone

from .choices import Category, CoverageState
from .dating import active_q, count_of

# --- Chinese names in pinyin order ---------------------------------------------------------------------------------

PINYIN_COLLATION = (
    "zh-x-icu"  # PostgreSQL's ICU collation for Chinese: pinyin order (needs PostgreSQL built with ICU)
)


class Pinyin(Collate):
    """``expression`` in pinyin order (张 after 李, 王 before 赵): the ICU collation on PostgreSQL. SQLite has no
    Chinese collation: there it is the plain column, in code-point order, which the ``pk`` of
    :func:`pinyin_order` makes stable."""

    def __init__(self, expression):
        super().__init__(F(expression) if isinstance(expression, str) else expression, PINYIN_COLLATION)

    def as_sql(self, compiler, connection, **extra_context):
        if connection.vendor != "postgresql":
            return compiler.compile(self.get_source_expressions()[0])
        return super().as_sql(compiler, connection, **extra_context)


def pinyin_order(field: str = "name") -> list:
    """``order_by`` arguments for a list of Chinese names: by pinyin, ties by ``pk`` (a stable page order)."""
    return [Pinyin(field).asc(), "pk"]


class AreaQuerySet(models.QuerySet):
    def restrict(self, access):
        """Only the areas in ``access``'s subtree (registry.access)."""
        return self.filter(access.path_q("path"))

    def subtree_of(self, area):
        """The area and everything below it."""
        return self.filter(path__startswith=area.path)


class EnterpriseQuerySet(models.QuerySet):
    def restrict(self, access):
        if access.is_instructor:
            return self.assigned_to(access.instructor_id, timezone.localdate())
        return self.filter(access.path_q("area__path"))

    def assigned_to(self, instructor_id: int, on: dt.date):
        """The enterprises an instructor is assigned to on ``on`` (its assignments are members' rows, reached by
        the reverse relation's name)."""
        assignment = self.model._meta.get_field("instructor_assignments").related_model
        return self.filter(
            Exists(
                assignment.objects.filter(
                    enterprise=OuterRef("pk"), instructor_id=instructor_id, start__lte=on
                ).filter(Q(end__isnull=True) | Q(end__gt=on))
            )
        )

    def in_area(self, area):
        """Enterprises anywhere in ``area``'s subtree."""
        return self.filter(area__path__startswith=area.path)

    def operating_on(self, on: dt.date):
        """Established on or before ``on`` and not yet deregistered or moved away."""
        return self.filter(active_q(on, start="established_on", end="deregistered_on"))

    def non_public(self):
        return self.filter(category=Category.ENTERPRISE)

    def social_orgs(self):
        return self.filter(category=Category.SOCIAL_ORG)

    def above_scale_on(self, on: dt.date):
        return self.filter(active_q(on, prefix="above_scale_periods__"))

    def with_above_scale(self, on: dt.date):
        return self.annotate(
            is_above_scale=models.Exists(
                self.model.above_scale_periods.rel.related_model.objects.filter(
                    enterprise=models.OuterRef("pk")
                ).active_on(on)
            )
        )

    # Coverage is derived from the dated links of the apps above (orgs' links, members' instructor assignments),
    # reached through the reverse relations so this app imports none of them. Correlated EXISTS use each link
    # table's (enterprise, start) index: a park's few hundred firms cost a few hundred probes, not a scan of
    # every link in the province.
    def _org_link_exists(self, on: dt.date, setup: str):
        links = self.model.org_links.rel.related_model.objects.filter(
            active_q(on), active_q(on, start="founded_on", end="dissolved_on", prefix="organization__")
        )
        return Exists(links.filter(enterprise=OuterRef("pk"), organization__setup=setup))

    def _instructor_exists(self, on: dt.date):
        assignments = self.model.instructor_assignments.rel.related_model.objects.filter(active_q(on))
        return Exists(assignments.filter(enterprise=OuterRef("pk")))

    def with_coverage(self, on: dt.date):
        """Annotate ``coverage``: single wins over joint, an org over an instructor (exactly one state)."""
        return self.annotate(
            coverage=Case(
                When(self._org_link_exists(on, "single"), then=Value(CoverageState.SINGLE)),
                When(self._org_link_exists(on, "joint"), then=Value(CoverageState.JOINT)),
                When(self._instructor_exists(on), then=Value(CoverageState.WORK)),
                default=Value(CoverageState.NONE),
                output_field=models.CharField(),
            )
        )

    def covered_as(self, state: str, on: dt.date):
        return self.with_coverage(on).filter(coverage=state)

    def with_member_counts(self, on: dt.date):
        """Annotate ``party_members`` and ``full_members``: members employed here on ``on`` (members.Employment,
        reached through the relation: registry does not import the apps built on it)."""
        employments = self.model.employments.rel.related_model.objects.counted_on(on)
        return self.annotate(
            party_members=count_of(employments, "enterprise"),
            full_members=count_of(employments.full_on(on), "enterprise"),
        )
