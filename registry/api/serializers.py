"""Areas and enterprises over REST. Serializers check shapes and call the registry's rule functions; writes go
through registry.services (the viewsets call them)."""

from __future__ import annotations

import copy

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from registry import rules
from registry.access import access_for
from registry.choices import CoverageState
from registry.masking import unmasked
from registry.models import Area, Enterprise
from registry.validators import NotFutureValidator, PlainTextValidator, check_text, duplicate_error

INT_MAX = 2**31 - 1  # the largest value every supported database stores in an integer column


def call_rule(rule, value):
    """Run a rule function; its Django ValidationError becomes this field's DRF error."""
    try:
        return rule(value)
    except DjangoValidationError as exc:
        raise serializers.ValidationError(exc.messages) from None


def keep_unmasked(serializer: serializers.Serializer, field: str, value: str, *, mask) -> str:
    """``value`` as submitted for ``field``; a masked value sent back is the stored one (registry.masking.unmasked)
    or this field's 400, never stored."""
    stored = getattr(serializer.instance, field, "") if serializer.instance is not None else ""
    return call_rule(lambda v: unmasked(v, stored=stored or "", mask=mask), value)


class ScopedRelationsMixin:
    """Related objects are chosen from the caller's subtree only: one outside it "does not exist" (400)."""

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is None:
            return fields
        access = access_for(request.user)
        for field in fields.values():
            relation = getattr(field, "child_relation", field)
            queryset = getattr(relation, "queryset", None)
            if queryset is not None and hasattr(queryset, "restrict"):
                relation.queryset = queryset.restrict(access)
        return fields


class PlainTextMixin:
    """Every text field refuses NUL and control characters (registry.validators), in place of DRF's NUL-only check,
    so one Chinese message names the problem. Multi-line fields list themselves in ``multiline_fields``."""

    multiline_fields: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            if isinstance(field, serializers.CharField) and not field.read_only:
                field.validators = [
                    v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
                ] + [PlainTextValidator(multiline=name in self.multiline_fields)]
        return fields


class HappenedDatesMixin:
    """The dates of things that have happened (``happened_fields``: 成立, 入党, 递交申请…) cannot be after today
    (registry.rules.check_not_future, the check forms and imports make too)."""

    happened_fields: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        for name in self.happened_fields:
            field = fields.get(name)
            if field is not None and not field.read_only:
                field.validators = [*field.validators, NotFutureValidator()]
        return fields


class DuplicateMessageMixin:
    """A credit code, ID number or organisation name already registered is a 400 on that field naming the record
    that holds it and its id ("统一社会信用代码 91… 已登记为「某某公司」（编号 12）。", registry.validators), the
    same text a create that loses a race for the value gets from the service."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.concrete:
                setattr(candidate, field.name, value)
        error = duplicate_error(candidate)
        if error is not None:
            raise serializers.ValidationError(error.message_dict)
        return attrs


class AreaCodeField(serializers.SlugRelatedField):
    """An area given and shown by its code."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Area.objects.all())
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data):
        call_rule(check_text, data)  # a NUL must not reach the lookup (PostgreSQL refuses it: a 500)
        return super().to_internal_value(data)


class AreaSerializer(PlainTextMixin, ScopedRelationsMixin, serializers.ModelSerializer):
    parent = AreaCodeField(allow_null=True, required=False, help_text=_("上级区域代码，顶级为 null"))

    class Meta:
        model = Area
        fields = ["code", "name", "kind", "parent"]
        extra_kwargs = {"code": {"validators": []}}  # uniqueness is reported by the model check
        validators: list = []

    def validate_parent(self, parent: Area | None) -> Area | None:
        request = self.context.get("request")
        if parent is None and request is not None and access_for(request.user).area is not None:
            raise serializers.ValidationError(_("只有系统管理员可以新建顶级区域。"))
        return parent


class EnterpriseSerializer(
    DuplicateMessageMixin,
    HappenedDatesMixin,
    PlainTextMixin,
    ScopedRelationsMixin,
    serializers.ModelSerializer,
):
    happened_fields = ("established_on",)
    area = AreaCodeField(help_text=_("区域代码"))
    above_scale = serializers.BooleanField(
        source="is_above_scale",
        required=False,
        help_text=_(
            "今天是否规模以上；新建时从 above_scale_since（默认成立日期）起算，修改从 above_scale_since（默认今天）起算"
        ),
    )
    above_scale_since = serializers.DateField(
        write_only=True, required=False, allow_null=True, help_text=_("规上状态变化的起始日期")
    )
    party_members = serializers.IntegerField(read_only=True, help_text=_("今天在该单位工作的党员数"))
    coverage = serializers.ChoiceField(
        choices=CoverageState.choices, read_only=True, help_text=_("今天的覆盖状态")
    )

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "credit_code",
            "category",
            "area",
            "above_scale",
            "above_scale_since",
            "employees",
            "industry",
            "established_on",
            "deregistered_on",
            "party_members",
            "coverage",
        ]
        # The rule normalises pasted codes (spaces, full-width) before checking length; uniqueness is the model's.
        extra_kwargs = {
            "credit_code": {"validators": [], "max_length": 64},
            "employees": {"max_value": INT_MAX},
        }
        validators: list = []

    def validate_credit_code(self, value: str) -> str:
        return call_rule(rules.validate_credit_code, value)
