"""Template filters for labels of values that come from annotations rather than model fields."""

from django import template

from registry import masking
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


_AUDIT_ACTIONS = {0: "新增", 1: "修改", 2: "删除"}


@register.filter
def audit_action(entry) -> str:
    """What an audit log entry (registry.audit) records, in Chinese."""
    if entry.action in _AUDIT_ACTIONS:
        return _AUDIT_ACTIONS[entry.action]
    from registry.audit import EVENT_LABELS

    event = (entry.additional_data or {}).get("event", "")
    return str(EVENT_LABELS.get(event, event or "访问"))


@register.filter
def audit_subject(entry) -> str:
    """The kind of record an entry is about (``覆盖关系``…), for histories that include related rows."""
    model = entry.content_type.model_class()
    return str(model._meta.verbose_name) if model is not None else ""


# The tags below read ``revealed`` from the page's context (set by registry.views.RevealMixin): personal data is
# shown in full only on the page a reveal rendered.


@register.simple_tag(takes_context=True)
def audit_changes(context, entry) -> list:
    """An entry's changes as people read them (registry.audit.shown_changes); birth dates in full if revealed."""
    from registry.audit import shown_changes

    return shown_changes(entry, reveal=bool(context.get("revealed")))


@register.simple_tag(takes_context=True)
def birth_date(context, value) -> str:
    """A birth date as the viewer may see it (registry.masking.shown_birth_date): the year unless revealed."""
    return masking.shown_birth_date(value, reveal=bool(context.get("revealed")))


@register.simple_tag(takes_context=True)
def birth_date_label(context) -> str:
    """出生日期 for the full date, 出生年份 for the masked one (registry.masking.birth_date_label)."""
    return masking.birth_date_label(reveal=bool(context.get("revealed")))
