"""Reported figures (上报数字): what an area reported upward (党内统计) for a quarter, set beside what the registry
computes (the stored ``Snapshot`` of that area, quarter and indicator).

Every rule lives here: the API serializer and the page only parse their input and call these functions. Messages
are Chinese; every error is a Django ``ValidationError`` keyed by the field it is about (``area``, ``period``,
``indicator``, ``numerator``, ``denominator``), which the API answers as a 400 and the page shows on its row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Case, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils.translation import gettext as _

from registry.access import access_for
from registry.models import Area
from registry.numbers import percent
from registry.periods import PeriodError, Quarter

from ..models import Indicator, ReportedFigure, Snapshot

# The largest count every supported database stores in an integer column.
MAX_COUNT = 2**31 - 1
FIELDS = ("area", "period", "indicator", "numerator", "denominator")


# --- rules ------------------------------------------------------------------------------------------------------


def parse_reported_period(value: str | Quarter) -> Quarter:
    """The quarter a figure is reported for: a quarter such as ``2025Q3`` that has begun (the current quarter or an
    earlier one). Raises ValidationError on ``period`` otherwise."""
    try:
        quarter = Quarter.parse(value if isinstance(value, Quarter) else str(value or "").strip())
    except PeriodError as exc:
        raise ValidationError({"period": [str(exc)]}) from None
    if quarter > Quarter.current():
        raise ValidationError(
            {"period": [_("%(period)s 尚未开始，不能登记该季度的上报数字。") % {"period": quarter}]}
        )
    return quarter


def indicators_for_quarter(period: Quarter) -> QuerySet:
    """The indicators valid in ``period`` (as of its last day), in position order."""
    return Indicator.objects.valid_on(period.last_day).order_by("position", "code")


def _count_errors(figure: ReportedFigure) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    labels = {"numerator": _("上报分子"), "denominator": _("上报分母")}
    for name, label in labels.items():
        value = getattr(figure, name)
        if value is None or value == "":
            errors[name] = [_("请填写%(label)s。") % {"label": label}]
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[name] = [_("%(label)s应为整数。") % {"label": label}]
        elif value < 0:
            errors[name] = [_("%(label)s不能为负数。") % {"label": label}]
        elif value > MAX_COUNT:
            errors[name] = [_("%(label)s不能大于 %(max)s。") % {"label": label, "max": MAX_COUNT}]
    if not errors and figure.numerator > figure.denominator:
        errors["numerator"] = [
            _("上报分子（%(n)s）不能大于上报分母（%(d)s）。")
            % {"n": figure.numerator, "d": figure.denominator}
        ]
    return errors


def duplicate_of(figure: ReportedFigure) -> ReportedFigure | None:
    """The stored figure of the same area, quarter and indicator (other than ``figure`` itself), or None."""
    return (
        ReportedFigure.objects.filter(
            area_id=figure.area_id, period=figure.period, indicator_id=figure.indicator_id
        )
        .exclude(pk=figure.pk)
        .first()
    )


def duplicate_error(figure: ReportedFigure, existing: ReportedFigure) -> ValidationError:
    return ValidationError(
        {
            "indicator": [
                ValidationError(
                    _(
                        "%(area)s %(period)s 的“%(indicator)s”已登记上报数字（编号 %(id)s）："
                        "同一区域、季度和指标只能登记一条，请修改该条记录。"
                    )
                    % {
                        "area": figure.area.name,
                        "period": figure.period,
                        "indicator": figure.indicator.name,
                        "id": existing.pk,
                    },
                    code="duplicate",
                )
            ]
        }
    )


def validate_reported_figure(figure: ReportedFigure, *, user=None) -> None:
    """Every rule of a reported figure, with Chinese messages; raises ValidationError keyed by field.

    The area must lie in ``user``'s scope (when a user is given), the quarter must have begun, the indicator must
    be valid in that quarter, both counts whole and 0 ≤ numerator ≤ denominator, and the area, quarter and
    indicator not registered already. The model's own checks (``full_clean``) run last.
    """
    errors: dict[str, list] = {}
    if figure.area_id is None:
        errors["area"] = [_("请选择区域。")]
    elif user is not None and not access_for(user).covers(figure.area):
        errors["area"] = [_("区域“%(name)s”不在您的管辖范围内。") % {"name": figure.area.name}]
    try:
        figure.period = parse_reported_period(figure.period)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if figure.indicator_id is None:
        errors["indicator"] = [_("请选择指标。")]
    elif (
        "period" not in errors
        and not indicators_for_quarter(figure.period).filter(pk=figure.indicator_id).exists()
    ):
        errors["indicator"] = [
            _("指标“%(name)s”在 %(period)s 未启用，不能登记上报数字。")
            % {"name": figure.indicator.name, "period": figure.period}
        ]
    errors.update(_count_errors(figure))
    if not errors:
        existing = duplicate_of(figure)
        if existing is not None:
            raise duplicate_error(figure, existing)
    if errors:
        raise ValidationError(errors)
    figure.full_clean()


def _save(figure: ReportedFigure, **kwargs) -> None:
    """Save a validated figure; losing a race for its (area, quarter, indicator) is the duplicate error, never an
    IntegrityError."""
    try:
        with transaction.atomic():
            figure.save(**kwargs)
    except IntegrityError:
        existing = duplicate_of(figure)
        if existing is not None:
            raise duplicate_error(figure, existing) from None
        raise


def _user_or_none(user):
    return user if user is not None and getattr(user, "is_authenticated", False) else None


# --- services ---------------------------------------------------------------------------------------------------


@transaction.atomic
def record_reported_figure(
    *, area: Area, period: str | Quarter, indicator: Indicator, numerator: int, denominator: int, user
) -> ReportedFigure:
    """Record what ``area`` reported for ``indicator`` in ``period``; returns the saved figure.

    Raises ValidationError (Chinese, keyed by field) when a rule fails — including a figure already recorded for
    the same area, quarter and indicator (update that one instead). Audited by django-auditlog."""
    figure = ReportedFigure(
        area=area,
        period=period,
        indicator=indicator,
        numerator=numerator,
        denominator=denominator,
        recorded_by=_user_or_none(user),
    )
    validate_reported_figure(figure, user=user)
    _save(figure)
    return figure


@transaction.atomic
def update_reported_figure(*, figure: ReportedFigure, user, **fields) -> ReportedFigure:
    """Change the given fields (any of area, period, indicator, numerator, denominator) of a recorded figure.

    The row is locked and re-read, the fields set, every rule checked again (as :func:`record_reported_figure`);
    only a change is saved, with ``user`` as the one who recorded it. Returns the stored row; ``figure`` (the
    caller's copy) shows it too."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"update_reported_figure() got unexpected fields: {sorted(unknown)}")
    current = ReportedFigure.objects.select_for_update().select_related("area", "indicator").get(pk=figure.pk)
    changed = []
    for name, value in fields.items():
        if name == "period" and not isinstance(value, Quarter):
            value = parse_reported_period(value)
        old = getattr(current, name)
        if old != value:
            setattr(current, name, value)
            changed.append(name)
    if changed:
        current.recorded_by = _user_or_none(user)
        validate_reported_figure(current, user=user)
        _save(current)
    for name in (*FIELDS, "recorded_by", "recorded_at"):
        setattr(figure, name, getattr(current, name))
    return current


@transaction.atomic
def delete_reported_figure(*, figure: ReportedFigure, user) -> None:
    """Remove a recorded figure (the quarter then reads as not reported for that indicator). Audited."""
    if user is not None and not access_for(user).covers(figure.area):
        raise ValidationError({"area": [_("该记录不在您的管辖范围内。")]})
    figure.delete()  # one instance: django-auditlog logs the delete


@transaction.atomic
def save_reported_figures(
    *,
    area: Area,
    period: str | Quarter,
    values: Mapping[str, tuple[int | None, int | None]],
    user,
) -> int:
    """The page's form: ``values`` maps indicator codes to (numerator, denominator) as entered for ``area`` and
    ``period``. A filled row is recorded or updated, a row left empty (both counts) removes the figure recorded
    before, a half-filled row is an error.

    All or nothing: every row is checked; if any fails, nothing is saved and ValidationError is raised keyed by
    indicator code (each value the row's Chinese messages). Returns the number of figures created, changed or
    removed."""
    quarter = parse_reported_period(period)
    indicators = {i.code: i for i in indicators_for_quarter(quarter)}
    existing = {
        f.indicator_id: f
        for f in ReportedFigure.objects.select_for_update().filter(area=area, period=quarter)
    }
    errors: dict[str, list[str]] = {}
    written = 0
    for code, (numerator, denominator) in values.items():
        indicator = indicators.get(code)
        if indicator is None:
            errors[code] = [_("指标“%(code)s”在 %(period)s 未启用。") % {"code": code, "period": quarter}]
            continue
        stored = existing.get(indicator.pk)
        try:
            if numerator is None and denominator is None:
                if stored is not None:
                    delete_reported_figure(figure=stored, user=user)
                    written += 1
                continue
            if numerator is None or denominator is None:
                raise ValidationError(_("请同时填写上报分子和上报分母，或都不填。"))
            if stored is None:
                record_reported_figure(
                    area=area,
                    period=quarter,
                    indicator=indicator,
                    numerator=numerator,
                    denominator=denominator,
                    user=user,
                )
                written += 1
            elif (stored.numerator, stored.denominator) != (numerator, denominator):
                update_reported_figure(figure=stored, user=user, numerator=numerator, denominator=denominator)
                written += 1
        except ValidationError as exc:
            errors[code] = exc.messages
    if errors:
        raise ValidationError(errors)
    return written


# --- reading: reported beside computed --------------------------------------------------------------------------


def with_computed(queryset: QuerySet) -> QuerySet:
    """Reported figures annotated with the registry's stored figure of the same area, quarter and indicator
    (``computed_numerator``, ``computed_denominator``: None when not computed) and ``matches`` (both equal; False
    when nothing is computed). Part of the one query that reads the rows: a page of any size costs no more."""
    stored = Snapshot.objects.filter(
        area_id=OuterRef("area_id"), period=OuterRef("period"), indicator_id=OuterRef("indicator_id")
    )
    return queryset.annotate(
        computed_numerator=Subquery(stored.values("numerator")[:1]),
        computed_denominator=Subquery(stored.values("denominator")[:1]),
    ).annotate(
        matches=Case(
            When(
                Q(computed_numerator=F("numerator")) & Q(computed_denominator=F("denominator")),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


@dataclass(frozen=True)
class ReconciliationRow:
    """One indicator of an area's quarter: what was reported beside what the registry computed."""

    indicator: Indicator
    reported: tuple[int, int] | None  # (numerator, denominator) as reported; None: not reported
    computed: tuple[int, int] | None  # the stored figure; None: the quarter is not computed
    figure: ReportedFigure | None = None  # the reported row itself

    @property
    def matches(self) -> bool:
        """Reported equals computed, numerator and denominator; False when either is missing."""
        return self.reported is not None and self.computed is not None and self.reported == self.computed

    @property
    def compared(self) -> bool:
        return self.reported is not None and self.computed is not None

    @property
    def numerator_difference(self) -> int | None:
        """Reported minus computed numerator (None unless both exist)."""
        return self.reported[0] - self.computed[0] if self.compared else None

    @property
    def denominator_difference(self) -> int | None:
        """Reported minus computed denominator (None unless both exist)."""
        return self.reported[1] - self.computed[1] if self.compared else None

    @property
    def reported_percent(self) -> Decimal | None:
        return percent(*self.reported, self.indicator.decimals) if self.reported else None

    @property
    def computed_percent(self) -> Decimal | None:
        return percent(*self.computed, self.indicator.decimals) if self.computed else None

    @property
    def status(self) -> str:
        """一致 / 不一致 / 未上报 / 未计算, as the page, the report and the workbook say it."""
        if self.reported is None:
            return _("未上报")
        if self.computed is None:
            return _("未计算")
        return _("一致") if self.matches else _("不一致")

    @property
    def difference_text(self) -> str:
        """``分子 +2，分母 -1`` for a mismatch (only the parts that differ), else an empty string."""
        if not self.compared or self.matches:
            return ""
        parts = []
        for label, diff in ((_("分子"), self.numerator_difference), (_("分母"), self.denominator_difference)):
            if diff:
                parts.append(f"{label} {diff:+d}")
        return "，".join(parts)


def reconciliation(area: Area, period: str | Quarter) -> list[ReconciliationRow]:
    """One row per indicator valid in ``period``, in position order: reported (or None), computed (or None),
    whether they match and by how much they differ. Three queries, whatever the number of indicators."""
    quarter = Quarter.parse(period)
    indicators = list(indicators_for_quarter(quarter))
    reported = {f.indicator_id: f for f in ReportedFigure.objects.filter(area=area, period=quarter)}
    computed = {
        indicator_id: (n, d)
        for indicator_id, n, d in Snapshot.objects.filter(area=area, period=quarter).values_list(
            "indicator_id", "numerator", "denominator"
        )
    }
    rows = []
    for indicator in indicators:
        figure = reported.get(indicator.pk)
        rows.append(
            ReconciliationRow(
                indicator=indicator,
                reported=(figure.numerator, figure.denominator) if figure else None,
                computed=computed.get(indicator.pk),
                figure=figure,
            )
        )
    return rows
