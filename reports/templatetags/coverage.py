from django import template
from django.utils.translation import gettext as _

from registry.choices import CoverageState
from registry.numbers import format_percent

register = template.Library()


@register.filter
def coverage_label(state: str) -> str:
    """single → 单独组建 …"""
    try:
        return CoverageState(state).label
    except ValueError:
        return "—"


@register.filter
def share(figures, name: str) -> str:
    """A member figure as a share of the total, half-up to one decimal: ``members|share:"female"``."""
    return format_percent(figures.share(name))


@register.filter
def percent(value) -> str:
    """A rate with its sign: 51.5 → "51.5%", 0.0 → "0.0%"; "—" only when there is no population (None, 0/0).

    ``default`` cannot do this: a zero rate is falsy, so ``|default:"—"`` turned 0/1 into "—"."""
    return format_percent(value)


@register.filter
def delta(now: int, before: int) -> str:
    """A count's change in words, followed in the text by its unit: 增加3 / 减少2 / 持平，共35 / 仍为0."""
    now, before = now or 0, before or 0
    diff = now - before
    if diff > 0:
        return _("增加%(n)s") % {"n": diff}
    if diff < 0:
        return _("减少%(n)s") % {"n": -diff}
    if now == 0:
        return _("仍为%(n)s") % {"n": now}
    return _("持平，共%(n)s") % {"n": now}


@register.filter
def pp_delta(now, before) -> str:
    """A percentage's change in percentage points."""
    if now is None or before is None:
        return _("无可比数据")
    diff = now - before
    if diff > 0:
        return _("提高%(n)s个百分点") % {"n": diff}
    if diff < 0:
        return _("下降%(n)s个百分点") % {"n": -diff}
    return _("持平")
