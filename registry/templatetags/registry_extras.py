"""Template filters for labels of values that come from annotations rather than model fields."""

from django import template

from registry.choices import CoverageState

register = template.Library()

_COVERAGE_BADGES = {
    CoverageState.SINGLE: "text-bg-success",
    CoverageState.JOINT: "text-bg-primary",
    CoverageState.WORK: "text-bg-warning",
    CoverageState.NONE: "text-bg-secondary",
}


@register.filter
def coverage_label(value: str) -> str:
    """``single`` → 单独组建."""
    try:
        return CoverageState(value).label
    except ValueError:
        return ""


@register.filter
def coverage_badge(value: str) -> str:
    """A Bootstrap badge class for a coverage state."""
    return _COVERAGE_BADGES.get(value, "text-bg-light")
