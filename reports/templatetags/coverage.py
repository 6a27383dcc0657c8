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
