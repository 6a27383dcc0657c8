"""组织关系转接 over a period: who moved from which organisation to which, on what day, and its Excel download.

One row per move. A transfer inside the registry is two membership rows (one ends with ``transfer``, the next
starts with ``transfer_in`` the same day) and is listed once, from the row that starts; a transfer out of the
registry is the row that ends with ``transfer_out``. Both halves are a query on Membership, joined by UNION so a
page is one query whatever its size.
"""

from __future__ import annotations

import datetime as dt
from typing import IO

from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from registry.access import Access
from registry.excel.cells import Column, Kind, choice_formatter, parse_date
from registry.excel.sheets import Heading, save_workbook

from .choices import MembershipEnd, MembershipStart
from .models import Membership

CHUNK = 2000  # rows per query when exporting


class TransferKind(models.TextChoices):
    WITHIN = "within", _("系统内转接")
    IN = "in", _("转入（系统外）")
    BACK = "back", _("转回")
    OUT = "out", _("转出（系统外）")


# The columns of a transfer row, in the same order on both halves of the UNION.
COLUMNS = (
    "row_id",
    "member_ref",
    "name",
    "from_id",
    "from_name",
    "to_id",
    "to_name",
    "day",
    "kind",
    "member_visible",
)


def _previous() -> models.QuerySet:
    """The membership a transfer-in row continues: ended by a transfer inside the registry on its first day."""
    return Membership.objects.filter(
        member=OuterRef("member"), end=OuterRef("start"), how_ended=MembershipEnd.TRANSFER
    )


def _touching(path: str, *, incoming: bool) -> Q:
    """Rows whose organisation lies in the subtree at ``path``; an incoming row also when it came from there."""
    here = Q(organization__area__path__startswith=path)
    if incoming:
        return here | Q(Exists(_previous().filter(organization__area__path__startswith=path)))
    return here


def _of_organization(organization, *, incoming: bool) -> Q:
    here = Q(organization=organization)
    if incoming:
        return here | Q(Exists(_previous().filter(organization=organization)))
    return here


def _visible(access: Access) -> models.Expression:
    """Whether the user may open the member's page (members are seen where their membership is held now)."""
    if access.area is None:
        return Value(True, output_field=models.BooleanField())
    return Case(
        When(member__organization__area__path__startswith=access.area.path, then=Value(True)),
        default=Value(False),
        output_field=models.BooleanField(),
    )


def _incoming(first: dt.date, last: dt.date, access: Access) -> models.QuerySet:
    previous = _previous()
    earlier = Membership.objects.filter(member=OuterRef("member"), start__lt=OuterRef("start"))
    return Membership.objects.filter(
        how_started=MembershipStart.TRANSFER_IN, start__gte=first, start__lte=last
    ).annotate(
        row_id=F("pk"),
        member_ref=F("member_id"),
        name=F("member__name"),
        from_id=Subquery(previous.values("organization_id")[:1]),
        from_name=Subquery(previous.values("organization__name")[:1]),
        to_id=F("organization_id"),
        to_name=F("organization__name"),
        day=F("start"),
        kind=Case(
            When(Exists(previous), then=Value(TransferKind.WITHIN.value)),
            When(Exists(earlier), then=Value(TransferKind.BACK.value)),
            default=Value(TransferKind.IN.value),
            output_field=models.CharField(),
        ),
        member_visible=_visible(access),
    )


def _outgoing(first: dt.date, last: dt.date, access: Access) -> models.QuerySet:
    return Membership.objects.filter(
        how_ended=MembershipEnd.TRANSFER_OUT, end__gte=first, end__lte=last
    ).annotate(
        row_id=F("pk"),
        member_ref=F("member_id"),
        name=F("member__name"),
        from_id=F("organization_id"),
        from_name=F("organization__name"),
        to_id=Value(None, output_field=models.IntegerField()),
        to_name=Value(None, output_field=models.CharField()),
        day=F("end"),
        kind=Value(TransferKind.OUT.value, output_field=models.CharField()),
        member_visible=_visible(access),
    )


def transfers(
    *,
    access: Access,
    first: dt.date,
    last: dt.date,
    area=None,
    organization=None,
    name: str = "",
    kind: str = "",
) -> models.QuerySet:
    """Moves of 组织关系 from ``first`` to ``last`` (both included), newest first, as dicts of :data:`COLUMNS`.

    A user sees a move when either organisation lies in their area (a transfer between two areas is seen by
    both); ``area`` and ``organization`` narrow it the same way; ``kind`` is a :class:`TransferKind`.
    """
    if access.sees_nothing:
        return Membership.objects.none().values("pk")
    halves = []
    for incoming, queryset in (
        (True, _incoming(first, last, access)),
        (False, _outgoing(first, last, access)),
    ):
        if kind and (kind == TransferKind.OUT) == incoming:
            continue
        if kind and incoming:
            queryset = queryset.filter(kind=kind)
        if access.area is not None:
            queryset = queryset.filter(_touching(access.area.path, incoming=incoming))
        if area is not None:
            queryset = queryset.filter(_touching(area.path, incoming=incoming))
        if organization is not None:
            queryset = queryset.filter(_of_organization(organization, incoming=incoming))
        if name:
            queryset = queryset.filter(member__name__icontains=name)
        halves.append(queryset.order_by().values(*COLUMNS))
    combined = halves[0].union(*halves[1:], all=True) if len(halves) > 1 else halves[0]
    return combined.order_by("-day", "name", "row_id")


# ---------------------------------------------------------------- Excel ----


def format_organization(value) -> str:
    """An empty side of a move is outside the registry."""
    return value or _g("系统外")


TRANSFERS = Kind(
    name="transfers",
    title="组织关系转接",
    key=(),
    columns=(
        Column("姓名", "name", width=10, importable=False),
        Column("转出组织", "from_name", format=format_organization, width=30, importable=False),
        Column("转入组织", "to_name", format=format_organization, width=30, importable=False),
        Column("日期", "day", parse_date, width=12, importable=False),
        Column("方式", "kind", format=choice_formatter(TransferKind), width=14, importable=False),
    ),
)


def export_transfers(queryset, *, heading: Heading | None = None) -> IO[bytes]:
    """The moves of :func:`transfers` as a one-sheet workbook (every text cell passes the formula guard);
    ``heading``: what the title row says (area, period)."""
    return save_workbook([(TRANSFERS, queryset.iterator(CHUNK), None)], heading=heading)
