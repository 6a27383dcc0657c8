"""Members, instructors and assignments over REST. ID numbers and phones are written in full and read back masked
(members.rules), birth dates as the birth year (registry.masking), unless an audited ``?reveal=true`` retrieve asks
(registry.api.mixins.RevealMixin); serializers call the rule functions and leave every write to members.services."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from members import rules
from members.choices import STAGE_ORDER, MembershipEnd, MembershipStart, Stage
from members.filtersets import PLAN_YEARS
from members.models import Applicant, DevelopmentPlan, Instructor, InstructorAssignment, Member
from orgs.models import PartyOrganization
from registry.api.serializers import (
    AreaCodeField,
    DuplicateMessageMixin,
    HappenedDatesMixin,
    PlainTextMixin,
    ScopedRelationsMixin,
    call_rule,
    keep_unmasked,
)
from registry.masking import mask_birth_date, unmasked_birth_date
from registry.models import Enterprise

BIRTH_DATE_HELP = _(
    "出生日期。读取时脱敏为出生年份，如“1985年”（?reveal=true 查看时为完整日期，如 1985-06-01）；"
    "写入完整日期，原样写回脱敏的出生年份表示不修改。"
)


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$", "example": "1985-06-01"},
            {"type": "string", "pattern": r"^\d{4}年$", "example": "1985年"},
        ],
        "description": str(BIRTH_DATE_HELP),
    }
)
class BirthDateField(serializers.DateField):
    """A person's birth date: read as the birth year (registry.masking) unless the serializer's context has
    ``reveal``; the masked year written back is the stored date, any other masked year a 400, never stored."""

    def to_representation(self, value):
        if not self.context.get("reveal"):  # set only by an audited ?reveal=true retrieve (RevealMixin)
            return mask_birth_date(value)
        return super().to_representation(value)

    def to_internal_value(self, value):
        instance = getattr(self.parent, "instance", None)
        stored = getattr(instance, self.source, None) if instance is not None else None
        try:
            value = unmasked_birth_date(value, stored=stored)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None
        return super().to_internal_value(value)


class MemberSerializer(
    DuplicateMessageMixin,
    HappenedDatesMixin,
    PlainTextMixin,
    ScopedRelationsMixin,
    serializers.ModelSerializer,
):
    """The member's current (or last) state. Changing ``organization`` / ``enterprise`` / ``is_mobile`` in a PATCH
    is a dated event of their history (members.services.update_member); the ``*_since`` fields date it."""

    happened_fields = ("birth_date", "joined_party_on", "joined_on")

    enterprise_since = serializers.DateField(
        write_only=True,
        required=False,
        allow_null=True,
        help_text=_("修改时：工作单位变更的日期（默认今天）"),
    )
    mobile_since = serializers.DateField(
        write_only=True,
        required=False,
        allow_null=True,
        help_text=_("修改时：外出流动或返回的日期（默认今天）"),
    )
    mobile_destination = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("外出流动去向"),
    )
    birth_date = BirthDateField(help_text=BIRTH_DATE_HELP)

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
            "joined_party_on",
            "confirmed_on",
            "joined_on",
            "organization",
            "enterprise",
            "is_mobile",
            "retired",
            "ended_on",
            "end_reason",
            "enterprise_since",
            "mobile_since",
            "mobile_destination",
        ]
        # The rule normalises pasted numbers before checking length; uniqueness is the model's.
        extra_kwargs = {
            "id_number": {"validators": [], "max_length": 64, "help_text": _("写入完整号码；读取时脱敏")},
            "phone": {"help_text": _("读取时脱敏")},
            "joined_party_on": {
                "required": False,
                "help_text": _(
                    "入党日期（成为预备党员之日）；新建时默认等于 joined_on，不得晚于它，且应年满十八岁"
                ),
            },
            "confirmed_on": {"read_only": True, "help_text": _("转正日期；预备党员或未登记时为 null")},
            "joined_on": {"help_text": _("当前（或最后）一段组织关系的起始日期：转入本组织日期")},
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


# --- actions on a member: transfer, 转正, 延长预备期, history -----------------------------------------------------


class MemberTransferSerializer(ScopedRelationsMixin, serializers.Serializer):
    """组织关系转接 (转回 for a member who left): organisation and workplace are chosen from the caller's subtree."""

    organization = serializers.PrimaryKeyRelatedField(
        queryset=PartyOrganization.objects.all(), help_text=_("转入的党组织")
    )
    on = serializers.DateField(help_text=_("转接日期：当日起计入新党组织，原组织计至前一日"))
    enterprise = serializers.PrimaryKeyRelatedField(
        queryset=Enterprise.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("同日变更的工作单位（null：不在登记单位工作）；不填则不变"),
    )


class MemberConfirmSerializer(serializers.Serializer):
    on = serializers.DateField(help_text=_("转正日期：预备期满（一年，或延长后）之日或以后"))


class MemberExtendProbationSerializer(serializers.Serializer):
    until = serializers.DateField(help_text=_("预备期延长至（最长延长一年）"))


class MembershipSpanSerializer(serializers.Serializer):
    organization = serializers.IntegerField(source="organization.pk", help_text=_("党组织 id"))
    organization_name = serializers.CharField(source="organization.name")
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True, help_text=_("结束日期（不含当日）；null 表示至今"))
    how_started = serializers.ChoiceField(choices=MembershipStart.choices, allow_blank=True)
    how_ended = serializers.ChoiceField(choices=MembershipEnd.choices, allow_blank=True)


class EmploymentSpanSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(source="enterprise.pk", help_text=_("单位 id"))
    enterprise_name = serializers.CharField(source="enterprise.name")
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True)


class CategorySpanSerializer(serializers.Serializer):
    # A plain string: a second choice field named "category" would rename the Member schema's enum component.
    category = serializers.CharField(help_text=_("党员类别：full 正式党员，probationary 预备党员"))
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True)


class MobilitySpanSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True)
    destination = serializers.CharField()


class MemberHistorySerializer(serializers.Serializer):
    """members.history.history_of: each list oldest first; ``end`` is exclusive, null while open."""

    memberships = MembershipSpanSerializer(many=True, help_text=_("组织关系"))
    employments = EmploymentSpanSerializer(many=True, help_text=_("工作单位"))
    categories = CategorySpanSerializer(many=True, help_text=_("预备/正式"))
    mobility = MobilitySpanSerializer(many=True, help_text=_("外出流动"))


# --- 发展党员: applicants, their steps, yearly plans ----------------------------------------------------------------


class ApplicantSerializer(
    HappenedDatesMixin, PlainTextMixin, ScopedRelationsMixin, serializers.ModelSerializer
):
    """An applicant's file. Stage dates are written with the file or, one step at a time with the rules checked
    against the record, through ``advance/``; admission (``admitted_on``) only there, as it creates the member."""

    happened_fields = ("birth_date", "applied_on", "activist_on", "candidate_on")

    stage = serializers.ChoiceField(
        choices=Stage.choices, read_only=True, help_text=_("当前阶段（由各阶段日期和终止日期得出）")
    )
    birth_date = BirthDateField(help_text=BIRTH_DATE_HELP)

    class Meta:
        model = Applicant
        fields = [
            "id",
            "name",
            "gender",
            "birth_date",
            "education",
            "ethnicity",
            "id_number",
            "phone",
            "organization",
            "enterprise",
            "applied_on",
            "activist_on",
            "candidate_on",
            "admitted_on",
            "withdrawn_on",
            "withdraw_reason",
            "stage",
            "member",
        ]
        read_only_fields = ["admitted_on", "member"]
        # As for members: the rule normalises pasted numbers; the one-open-file check is the model's (service).
        extra_kwargs = {
            "id_number": {"validators": [], "max_length": 64, "help_text": _("写入完整号码；读取时脱敏")},
            "phone": {"help_text": _("读取时脱敏")},
            "organization": {"help_text": _("培养党组织 id")},
            "admitted_on": {"help_text": _("接收为预备党员日期：只能通过 advance/ 办理")},
            "member": {"help_text": _("接收后的党员 id；未接收为 null")},
            "withdrawn_on": {"help_text": _("终止日期；与 withdraw_reason 一起填写")},
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


class ApplicantAdvanceSerializer(HappenedDatesMixin, serializers.Serializer):
    happened_fields = ("on",)
    stage = serializers.ChoiceField(
        choices=[(stage.value, stage.label) for stage in STAGE_ORDER[1:]],
        help_text=_("进入的阶段：只能是下一个阶段"),
    )
    on = serializers.DateField(
        help_text=_(
            "该阶段的日期：积极分子不早于申请日期，发展对象在积极分子满一年之后，接收不早于列为发展对象日期"
        )
    )


class DevelopmentPlanSerializer(PlainTextMixin, ScopedRelationsMixin, serializers.ModelSerializer):
    """发展党员指导性计划: one per area and year; the area's whole subtree counts against it."""

    area = AreaCodeField(help_text=_("区域代码"))

    class Meta:
        model = DevelopmentPlan
        fields = ["id", "area", "year", "planned"]
        extra_kwargs = {
            "year": {"min_value": PLAN_YEARS[0], "max_value": PLAN_YEARS[1]},
            "planned": {"help_text": _("该年度计划发展党员人数")},
        }
        validators: list = []  # one per area and year: the model's constraint, checked by the service
