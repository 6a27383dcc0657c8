"""Filter pieces the API adds on top of the shared FilterSets: a query string the page form would forgive is a 400
here, so a client never gets a silently unfiltered list."""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from registry.access import access_for

TRUE_VALUES = ("true", "True", "1")
FALSE_VALUES = ("false", "False", "0")


class StrictNullBooleanField(forms.NullBooleanField):
    """``true``/``false`` (or ``1``/``0``), empty for "any"; anything else is an error, not "any"."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value is True or value in TRUE_VALUES:
            return True
        if value is False or value in FALSE_VALUES:
            return False
        raise ValidationError(_("请填写 true 或 false。"), code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictNullBooleanField


class ScopedFilterSetMixin:
    """Choices of model filters (``?area=``, ``?organization=``) come from the caller's subtree only, so a code
    outside it is an invalid choice (400) exactly as an unknown one is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        access = access_for(getattr(self.request, "user", None))
        for flt in self.filters.values():
            queryset = getattr(flt, "queryset", None)
            if queryset is not None and not callable(queryset) and hasattr(queryset, "restrict"):
                flt.queryset = queryset.restrict(access)
