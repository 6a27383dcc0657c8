from django import template

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
def delta(now: int, before: int) -> str:
    """A count's change in words: 增加3 / 减少2 / 持平."""
    diff = (now or 0) - (before or 0)
    if diff > 0:
        return f"增加{diff}"
    if diff < 0:
        return f"减少{-diff}"
    return "持平，共"


@register.filter
def pp_delta(now, before) -> str:
    """A percentage's change in percentage points."""
    if now is None or before is None:
        return "无可比数据"
    diff = now - before
    if diff > 0:
        return f"提高{diff}个百分点"
    if diff < 0:
        return f"下降{-diff}个百分点"
    return "持平"
