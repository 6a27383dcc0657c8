"""The audit trail: record changes are logged by django-auditlog (settings.AUDITLOG_INCLUDE_TRACKING_MODELS);
this module adds the events that change no record (logins, failed logins, logouts, reveals, downloads), reads
a record's history for its page and turns an entry's stored changes into what a person reads (``shown_changes``).

Events are auditlog ``LogEntry`` rows with action ACCESS, so one log (searchable in the admin) holds everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import masking
from .clientip import client_ip

EVENT_LABELS = {
    "login": _("登录"),
    "logout": _("退出登录"),
    "login_failed": _("登录失败"),
    "reveal": _("查看完整个人信息"),
    "download": _("下载"),
    "export": _("导出"),
}


def _client_addr(request) -> str | None:
    # The proxy header counts only from a trusted proxy (registry.clientip): a client cannot choose its address.
    return None if request is None else client_ip(request)


def record_event(request, action: str, obj: Model | None = None, detail: str = "", *, actor=None) -> LogEntry:
    """Log an event that changes no record: ``action`` is one of EVENT_LABELS' keys (others are kept as given).

    ``obj`` is what the event concerns (a member whose data was revealed, the area of a download); without it
    the event is filed under the acting user. ``detail`` is free text (a file name, a username tried).
    """
    user = getattr(request, "user", None) if actor is None else actor
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    subject = obj if obj is not None else user
    if subject is not None:
        content_type = ContentType.objects.get_for_model(subject)
        object_pk, object_repr = str(subject.pk), str(subject)
    else:
        content_type = ContentType.objects.get_for_model(get_user_model())
        object_pk, object_repr = "", detail
    label = str(EVENT_LABELS.get(action, action))
    return LogEntry.objects.create(
        content_type=content_type,
        object_pk=object_pk,
        object_id=subject.pk if subject is not None and isinstance(subject.pk, int) else None,
        object_repr=object_repr[:500],
        action=LogEntry.Action.ACCESS,
        changes_text=f"{label}：{detail}" if detail else label,
        actor=user,
        actor_email=getattr(user, "email", None) if user is not None else None,
        remote_addr=_client_addr(request),
        additional_data={
            "event": action,
            "detail": detail,
            "path": getattr(request, "path", ""),
            "method": getattr(request, "method", ""),
        },
    )


def history(obj: Model, related: Iterable[QuerySet] = (), limit: int = 100) -> list[LogEntry]:
    """The log of ``obj`` and of the rows in ``related`` (its dated links, periods…), newest first."""
    q = Q(content_type=ContentType.objects.get_for_model(obj), object_pk=str(obj.pk))
    for queryset in related:
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)]
        if ids:
            q |= Q(content_type=ContentType.objects.get_for_model(queryset.model), object_pk__in=ids)
    return list(
        LogEntry.objects.filter(q).select_related("actor", "content_type").order_by("-timestamp")[:limit]
    )


@dataclass(frozen=True)
class ShownChange:
    """One changed field of a log entry as a person reads it: ``old`` is None in a creation (new values only)."""

    label: str
    old: str | None
    new: str

    def __str__(self) -> str:
        if self.old is None:
            return f"{self.label}：{self.new}"
        return f"{self.label}：{self.old or EMPTY} → {self.new or EMPTY}"


EMPTY = "—"
_NONE = ("", "None", None)  # how an empty value is stored: auditlog writes "None", bulk entries ""


def shown_changes(entry: LogEntry, *, reveal: bool = False) -> list[ShownChange]:
    """The changes of a create/update/delete ``entry`` for a history page: labelled with the fields' verbose names,
    choices by their labels, booleans 是/否, dates ISO, related records by their names (as logged). Ids, reverse
    relations, internal and unknown fields and empty-to-empty changes are left out; a creation lists the filled
    fields only (``old`` None), a deletion the values it had. Birth dates show the birth year only unless
    ``reveal`` (registry.masking); ID numbers and phones are logged masked and stay so."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    if model is None or entry.action not in (
        LogEntry.Action.CREATE,
        LogEntry.Action.UPDATE,
        LogEntry.Action.DELETE,
    ):
        return []
    shown = []
    # In the model's field order: PostgreSQL keeps the logged changes as jsonb, which does not keep key order.
    position = {field.name: index for index, field in enumerate(model._meta.get_fields())}
    changes = sorted(
        (entry.changes_dict or {}).items(), key=lambda item: position.get(item[0], len(position))
    )
    for name, values in changes:
        field = _shown_field(model, name)
        if field is None or not isinstance(values, list | tuple) or len(values) != 2:
            continue
        old, new = (None if v in _NONE else str(v) for v in values)
        if old == new:
            continue
        label = str(field.verbose_name)
        masked_birth = name in masking.BIRTH_DATE_FIELDS and not reveal
        if masked_birth:
            label = str(masking.BIRTH_YEAR_LABEL)
        old, new = (_shown_value(field, v, mask_birth=masked_birth) for v in (old, new))
        if entry.action == LogEntry.Action.CREATE:
            if new:
                shown.append(ShownChange(label, None, new))
        elif entry.action == LogEntry.Action.DELETE:
            if old:
                shown.append(ShownChange(label, None, old))
        elif old != new or masked_birth:
            shown.append(ShownChange(label, old, new))
    return shown


def _shown_field(model: type[Model], name: str) -> models.Field | None:
    """The model field a logged change is about, or None when a history leaves it out: the id, reverse relations
    (older entries list them), fields the program keeps for itself (not editable: an area's path, time stamps)
    and names the model no longer has."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not field.concrete or field.auto_created or field.primary_key or not field.editable:
        return None
    if field.many_to_many or field.one_to_many:
        return None
    return field


def _shown_value(field: models.Field, value: str | None, *, mask_birth: bool) -> str:
    if value is None:
        return ""
    if isinstance(field, models.BooleanField):
        return {"True": str(_("是")), "False": str(_("否"))}.get(value, value)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(field, models.DateTimeField):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(field, models.DateField):
        try:
            day = dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
        return masking.mask_birth_date(day) if mask_birth else day.isoformat()
    if field.name in MASKED_FIELDS and not masking.is_masked(value):
        # Logged masked (settings' mask_fields, record_bulk_changes); an entry written otherwise is masked here.
        return getattr(masking, MASKED_FIELDS[field.name])(value)
    return value


def _on_login(sender, request, user, **kwargs):
    record_event(request, "login", obj=user, actor=user)


def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_event(request, "logout", obj=user, actor=user)


def _on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    known = get_user_model().objects.filter(username=username).first() if username else None
    record_event(request, "login_failed", obj=known, detail=username, actor=None)


def untrack_reverse_relations() -> None:
    """django-auditlog logs a create with every field ``_meta.get_fields()`` lists, reverse relations included
    ("memberships: None → members.Membership.None" on a new member's page). Exclude them from every tracked model:
    a row's history lists its own columns; related rows have histories of their own."""
    from auditlog.registry import auditlog

    for model, options in auditlog._registry.items():
        reverse = [f.name for f in model._meta.get_fields() if f.auto_created and not f.concrete]
        # A new list: models registered from settings may share one exclude list object.
        options["exclude_fields"] = [*options["exclude_fields"], *reverse]


def connect_signals() -> None:
    """Called from RegistryConfig.ready(): logins, logouts and failed logins go to the log."""
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(_on_login, dispatch_uid="registry.audit.login")
    user_logged_out.connect(_on_logout, dispatch_uid="registry.audit.logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="registry.audit.login_failed")


MASKED_FIELDS = {"id_number": "mask_id_number", "phone": "mask_phone", "contact_phone": "mask_phone"}


def record_bulk_changes(*, actor, entries: Iterable[tuple[Model, str, dict[str, Any]]], source: str) -> int:
    """Log rows written in bulk (Excel imports), which django-auditlog's signals never see: one entry per row with
    the same ``{field: [old, new]}`` changes a signal-based entry carries, personal fields masked."""
    actions = {"create": LogEntry.Action.CREATE, "update": LogEntry.Action.UPDATE}
    rows = []
    for obj, action, changes in entries:
        shown = {}
        for name, (old, new) in changes.items():
            mask = getattr(masking, MASKED_FIELDS[name]) if name in MASKED_FIELDS else None
            shown[name] = [mask(str(v or "")) if mask else ("" if v is None else str(v)) for v in (old, new)]
        rows.append(
            LogEntry(
                content_type=ContentType.objects.get_for_model(obj),
                object_pk=str(obj.pk),
                object_id=obj.pk if isinstance(obj.pk, int) else None,
                object_repr=str(obj)[:500],
                action=actions[action],
                changes=shown,
                actor=actor if getattr(actor, "is_authenticated", False) else None,
                additional_data={"source": source},
            )
        )
    LogEntry.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
