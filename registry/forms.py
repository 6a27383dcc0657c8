"""Forms for the registry pages, and the small helpers every app's pages share.

Forms validate and then call a service; they never re-implement a rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .concurrency import CONFLICT_MESSAGE, current_version, version_of
from .masking import BIRTH_DATE_FIELDS, mask_birth_date, mask_phone, unmasked
from .models import Area, Enterprise
from .rules import normalize_code, validate_credit_code
from .services import create_enterprise, update_enterprise
from .validators import NotFutureValidator, PlainTextValidator, duplicate_error

DATE_FORMAT = "%Y-%m-%d"


def style_form(form: forms.BaseForm) -> forms.BaseForm:
    """Give a form's widgets Bootstrap classes and browser date pickers (``<input type="date">``)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.DateInput):
            widget.input_type = "date"
            widget.format = DATE_FORMAT
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        classes = widget.attrs.get("class", "").split()
        if css not in classes:
            widget.attrs["class"] = " ".join([*classes, css])
    return form


def add_service_errors(
    form: forms.BaseForm, exc: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's ValidationError on the form: next to the field when the form has it, else on top."""
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            name = aliases.get(name, name)
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def refuse_control_characters(form: forms.BaseForm) -> None:
    """Every text field of ``form`` refuses NUL and control characters (registry.validators; tab and newline only
    in a multi-line field), in place of Django's NUL-only check, so one message names the problem."""
    for field in form.fields.values():
        if isinstance(field, forms.CharField):
            multiline = isinstance(field.widget, forms.Textarea)
            field.validators = [
                v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
            ] + [PlainTextValidator(multiline=multiline)]


def refuse_future_dates(form: forms.BaseForm, names: Iterable[str]) -> None:
    """The date fields ``names`` of ``form`` (those it has) refuse a day after today (registry.rules); the date
    picker offers no later day either."""
    today = timezone.localdate().strftime(DATE_FORMAT)
    for name in names:
        field = form.fields.get(name)
        if isinstance(field, forms.DateField):
            if NotFutureValidator() not in field.validators:
                field.validators = [*field.validators, NotFutureValidator()]
            field.widget.attrs.setdefault("max", today)


class StyledFormMixin:
    """Bootstrap classes and date pickers on every widget; rows with errors get ``has-error``.

    ``happened_fields``: dates of things that have happened (成立, 入党…), refused when after today."""

    error_css_class = "has-error"
    required_css_class = "required"
    happened_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)
        refuse_control_characters(self)
        refuse_future_dates(self, self.happened_fields)


OUT_OF_SCOPE = _("所选项不存在或不在您的管辖范围内，请重新选择。")


class ScopedFormMixin:
    """Choices limited to the user's area subtree (``access``, registry.access); a posted row outside it is a
    field error. Fields whose queryset a form sets in its own ``__init__`` wrap it in ``self.scoped(...)``.

    Without ``access`` (a form used outside a page) nothing is limited.
    """

    def __init__(self, *args, access=None, **kwargs):
        self.access = access
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.ModelChoiceField) and hasattr(field.queryset, "restrict"):
                instance = getattr(self, "instance", None)
                keep = getattr(instance, f"{name}_id", None) if instance is not None and instance.pk else None
                field.queryset = self.scoped(field.queryset, keep=[keep] if keep else ())

    def scoped(self, queryset, keep: Iterable[int] = ()):
        """``queryset`` within the user's subtree, plus ``keep`` (values the record already has elsewhere)."""
        if self.access is None:
            return queryset
        restricted = queryset.restrict(self.access)
        keep = [pk for pk in keep if pk]
        if keep:
            restricted = queryset.filter(Q(pk__in=restricted.values("pk")) | Q(pk__in=keep))
        return restricted

    def full_clean(self):
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.error_messages = {**field.error_messages, "invalid_choice": OUT_OF_SCOPE}
        super().full_clean()


class PersonalDataFormMixin:
    """On an edit form the stored phone numbers and birth dates (``personal_fields``) never reach the page: the
    input is empty with the masked value as placeholder (a birth date's year in its help text), and leaving it
    empty keeps the stored value."""

    personal_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kept_personal_fields = []
        if not self.instance.pk:
            return
        for name in self.personal_fields:
            stored = getattr(self.instance, name, "")
            if name in self.fields and stored:
                self.kept_personal_fields.append(name)
                self.initial[name] = ""
                field = self.fields[name]
                # A date picker shows no placeholder: a birth date's year goes in the help text.
                if name in BIRTH_DATE_FIELDS:
                    field.required = False
                    field.help_text = _(
                        "为保护个人信息，完整出生日期不在此显示（已登记 %(year)s）；留空则保持不变。"
                    ) % {"year": mask_birth_date(stored)}
                    continue
                field.widget.attrs["placeholder"] = mask_phone(stored)
                field.help_text = _("为保护个人信息，原号码不在此显示；留空则保持不变。")

    def clean(self):
        cleaned = super().clean()
        for name in self.kept_personal_fields:
            if not cleaned.get(name):
                cleaned[name] = getattr(self.instance, name)
        for name in self.personal_fields:
            if isinstance(cleaned.get(name), str) and cleaned[name]:  # a masked phone typed back: "unchanged"
                stored = getattr(self.instance, name, "") if self.instance.pk else ""
                try:
                    cleaned[name] = unmasked(cleaned[name], stored=stored, mask=mask_phone)
                except ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned


class VersionedFormMixin:
    """Optimistic concurrency (registry.concurrency): an edit form carries the record's version; saving after
    someone else saved the record gives a conflict message and saves nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and hasattr(self.instance, "updated_at"):
            self.fields["version"] = forms.CharField(widget=forms.HiddenInput, required=False)
            self.initial["version"] = version_of(self.instance)

    def clean(self):
        cleaned = super().clean()
        self.check_version()  # early, so a stale form shows the conflict with its other errors
        return cleaned

    def check_version(self, *, lock: bool = False) -> None:
        """Raise the conflict error when the record changed since the form was opened. With ``lock`` (inside the
        saving transaction, registry.views.ServiceFormMixin) the row is locked first, so of N saves carrying one
        version exactly one passes: the others wait for the lock and then see the version it wrote. (SQLite
        serialises writing transactions instead: see the database settings.)"""
        version = (self.cleaned_data.get("version") or "").strip()
        if "version" not in self.fields or not version:
            return
        if lock:
            model = type(self.instance)
            list(model._default_manager.select_for_update().filter(pk=self.instance.pk).values_list("pk"))
        current, when = current_version(self.instance)
        if current != version:
            when_text = date_format(timezone.localtime(when), "Y-m-d H:i:s") if when else ""
            raise ValidationError(CONFLICT_MESSAGE % {"when": when_text}, code="conflict")


class DuplicateMessageMixin:
    """A value already registered (credit code, ID number, an organisation's name in its area) is refused with a
    message naming the record that holds it, linked when the user may open it (registry.validators), in place of
    Django's "具有 … 的 … 已存在。"."""

    def validate_unique(self):
        error = duplicate_error(
            self.instance,
            exclude=self._get_validation_exclusions(),
            access=getattr(self, "access", None),
            link=True,
        )
        if error is not None:
            self._update_errors(error)
        super().validate_unique()


class RecordFormMixin(
    DuplicateMessageMixin, VersionedFormMixin, PersonalDataFormMixin, ScopedFormMixin, StyledFormMixin
):
    """What every record form of the pages has: scoped choices, protected personal data, a version, styling,
    dates of past events that cannot lie ahead, and duplicate messages that name the existing record."""


class AreaChoiceField(forms.ModelChoiceField):
    """Areas in tree order, indented by depth."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Area.objects.order_by("path"))
        super().__init__(**kwargs)

    def label_from_instance(self, obj: Area) -> str:
        return "\u3000" * (obj.depth - 1) + obj.name


class EnterpriseLabelMixin:
    def label_from_instance(self, obj: Enterprise) -> str:
        return f"{obj.name}（{obj.credit_code}）"


class EnterpriseChoiceField(EnterpriseLabelMixin, forms.ModelChoiceField):
    pass


class EnterpriseMultipleChoiceField(EnterpriseLabelMixin, forms.ModelMultipleChoiceField):
    pass


class UnitPicker(forms.SelectMultiple):
    """Several units, picked from a searchable list (static/js/unit-picker.js): a search box, a checkbox list of the
    units offered (those of the chosen area's subtree, refreshed from ``options_url`` when the area changes) and
    the chosen units as removable tags, all usable from the keyboard. Without JavaScript it is the plain
    multiple select, with the same options, so the form still works."""

    def __init__(self, attrs=None, *, options_url=None, area_field: str = "area"):
        attrs = {"data-unit-picker": "", "data-area-field": area_field, "size": 8, **(attrs or {})}
        if options_url is not None:  # a reverse_lazy() stays unresolved until the page is drawn
            attrs["data-options-url"] = options_url
        super().__init__(attrs)


def offer_enterprises_in(
    field: forms.ModelChoiceField, *, area: Area | None, keep: Iterable[int] = ()
) -> None:
    """List only the enterprises of ``area``'s subtree (and ``keep``) in the widget.

    The field still accepts any enterprise of its queryset; this only keeps a select from listing every unit
    of a district.
    """
    if area is None:
        return
    keep = [int(pk) for pk in keep if str(pk).isdigit()]
    offered = field.queryset.filter(Q(area__path__startswith=area.path) | Q(pk__in=keep))
    choices = [(e.pk, field.label_from_instance(e)) for e in offered]
    if not isinstance(field, forms.ModelMultipleChoiceField) and field.empty_label is not None:
        choices.insert(0, ("", field.empty_label))
    field.widget.choices = choices


class EnterpriseForm(RecordFormMixin, forms.ModelForm):
    """Create or edit an enterprise; the 规上 status is stored as dated periods by the service."""

    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=40,
        help_text=_("18 位，可粘贴全角字符或带空格，保存时自动规范化。"),
    )
    area = AreaChoiceField(label=_("所在区域"))
    above_scale = forms.BooleanField(label=_("规模以上"), required=False)
    personal_fields = ("contact_phone",)
    happened_fields = ("established_on",)
    above_scale_since = forms.DateField(
        label=_("规上起始日期"),
        required=False,
        help_text=_("新建时留空则自成立日期起算；修改规上状态时留空则自今日起。"),
    )

    class Meta:
        model = Enterprise
        fields = [
            "name",
            "credit_code",
            "category",
            "economic_type",
            "industry",
            "area",
            "employees",
            "established_on",
            "address",
            "contact_person",
            "contact_phone",
        ]

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        if self.instance.pk:
            self.fields["above_scale"].initial = self.instance.above_scale_on(self.today)

    def clean_credit_code(self) -> str:
        return validate_credit_code(normalize_code(self.cleaned_data["credit_code"]))

    def save(self, commit: bool = True) -> Enterprise:
        """Call the registry service; raises ValidationError when the service refuses."""
        fields = {name: self.cleaned_data[name] for name in self._meta.fields}
        above_scale = self.cleaned_data["above_scale"]
        since = self.cleaned_data["above_scale_since"]
        if self.instance.pk:
            return update_enterprise(
                enterprise=self.instance, above_scale=above_scale, above_scale_since=since, **fields
            )
        return create_enterprise(above_scale=above_scale, above_scale_since=since, **fields)


class EndForm(StyledFormMixin, forms.Form):
    """The date something ends (注销/撤销/离任…); the view names the label."""

    on = forms.DateField(label=_("日期"))

    def __init__(self, *args, label=None, help_text=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["on"].label = label
        if help_text:
            self.fields["on"].help_text = help_text
        self.fields["on"].initial = timezone.localdate()
