"""Members, instructors and assignments over REST. ID numbers and phones are written in full and read back masked
(members.rules) unless an audited ``?reveal=true`` retrieve asks (registry.api.mixins.RevealMixin); serializers
call the rule functions and leave every write to members.services."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from members import rules
from members.models import Instructor, InstructorAssignment, Member
from registry.api.serializers import (
    AreaCodeField,
    PlainTextMixin,
    ScopedRelationsMixin,
    call_rule,
    keep_unmasked,
)


class MemberSerializer(PlainTextMixin, ScopedRelationsMixin, serializers.ModelSerializer):
    class Meta:
        model = Member
        fields = [
            "id",
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "education",
            "id_number",
            "phone",
            "category",
            "joined_on",
            "organization",
            "enterprise",
            "is_mobile",
            "retired",
            "ended_on",
            "end_reason",
        ]
        # The rule normalises pasted numbers before checking length; uniqueness is the model's.
        extra_kwargs = {
            "id_number": {"validators": [], "max_length": 64, "help_text": _("写入完整号码；读取时脱敏")},
            "phone": {"help_text": _("读取时脱敏")},
        }
        validators: list = []

    def validate_id_number(self, value: str) -> str:
        value = keep_unmasked(self, "id_number", value, mask=rules.mask_id_number)
        return call_rule(rules.validate_id_number, value)

    def validate_phone(self, value: str) -> str:
        return keep_unmasked(self, "phone", value, mask=rules.mask_phone)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("reveal"):  # set only by an audited ?reveal=true retrieve (RevealMixin)
            data["id_number"] = rules.mask_id_number(instance.id_number)
            data["phone"] = rules.mask_phone(instance.phone)
        return data


class InstructorSerializer(PlainTextMixin, ScopedRelationsMixin, serializers.ModelSerializer):
    area = AreaCodeField(help_text=_("区域代码"))

    class Meta:
        model = Instructor
        fields = ["id", "name", "unit", "full_time", "phone", "area", "ended_on"]
        extra_kwargs = {"phone": {"help_text": _("读取时脱敏")}}

    def validate_phone(self, value: str) -> str:
        return keep_unmasked(self, "phone", value, mask=rules.mask_phone)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("reveal"):
            data["phone"] = rules.mask_phone(instance.phone)
        return data


class InstructorAssignmentSerializer(PlainTextMixin, ScopedRelationsMixin, serializers.ModelSerializer):
    """An assignment's instructor, enterprise and start are fixed once created; it changes only by ending."""

    class Meta:
        model = InstructorAssignment
        fields = ["id", "instructor", "enterprise", "start", "end"]

    def validate(self, attrs):
        if self.instance is not None:
            errors = {
                name: [_("创建后不能修改；请结束本条并新建一条。")]
                for name in ("instructor", "enterprise", "start")
                if name in attrs and attrs[name] != getattr(self.instance, name)
            }
            if "end" in attrs and attrs["end"] is None and self.instance.end is not None:
                errors["end"] = [_("结束日期不能撤销；请新建一条。")]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs
