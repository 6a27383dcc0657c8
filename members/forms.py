"""Member and instructor forms: validate, then call members.services."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs.models import PartyOrganization
from registry.forms import (
    AreaChoiceField,
    EndForm,
    EnterpriseChoiceField,
    RecordFormMixin,
    ScopedFormMixin,
    StyledFormMixin,
    offer_enterprises_in,
)
from registry.models import Enterprise

from .choices import EndReason
from .models import Instructor, Member
from .rules import validate_id_number
from .services import assign_instructor, create_instructor, create_member, update_instructor, update_member


class MemberForm(RecordFormMixin, forms.ModelForm):
    """Create or edit a member. The ID number is entered on creation only and never written back into a page."""

    personal_fields = ("phone",)

    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=40,
        help_text=_("18 位，最后一位可为 X；可粘贴全角字符或带空格，保存时自动规范化。"),
    )
    organization = forms.ModelChoiceField(
        label=_("所在党组织（组织关系）"), queryset=PartyOrganization.objects.order_by("name", "pk")
    )
    enterprise = EnterpriseChoiceField(
        label=_("工作单位"), queryset=Enterprise.objects.order_by("name", "pk"), required=False
    )

    class Meta:
        model = Member
        fields = [
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
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Changing an ID number is not done here, and the full number must not reach the page.
            del self.fields["id_number"]
        keep = [self.data.get("enterprise", "")] if self.is_bound else [self.instance.enterprise_id or ""]
        organization = self._chosen_organization()
        offer_enterprises_in(
            self.fields["enterprise"], area=organization.area if organization else None, keep=keep
        )

    def _chosen_organization(self) -> PartyOrganization | None:
        pk = self.data.get("organization", "") if self.is_bound else self.instance.organization_id
        if not pk or not str(pk).isdigit():
            return None
        return PartyOrganization.objects.select_related("area").filter(pk=pk).first()

    def clean_id_number(self) -> str:
        return validate_id_number(self.cleaned_data["id_number"])

    def save(self, commit: bool = True) -> Member:
        """Call the members service; raises ValidationError when it refuses."""
        fields = {name: self.cleaned_data[name] for name in self._meta.fields if name in self.fields}
        if self.instance.pk:
            return update_member(member=self.instance, **fields)
        return create_member(**fields)


class MemberEndForm(EndForm):
    reason = forms.ChoiceField(label=_("减少原因"), choices=[("", "---------"), *EndReason.choices])


class InstructorForm(RecordFormMixin, forms.ModelForm):
    area = AreaChoiceField(label=_("所属区域"))
    personal_fields = ("phone",)

    class Meta:
        model = Instructor
        fields = ["name", "unit", "full_time", "phone", "area"]

    def save(self, commit: bool = True) -> Instructor:
        fields = {name: self.cleaned_data[name] for name in self._meta.fields}
        if self.instance.pk:
            return update_instructor(instructor=self.instance, **fields)
        return create_instructor(**fields)


class AssignmentForm(ScopedFormMixin, StyledFormMixin, forms.Form):
    """An instructor starts working with an enterprise (工作覆盖 while no organisation covers it)."""

    enterprise = EnterpriseChoiceField(label=_("联系单位"), queryset=Enterprise.objects.none())
    start = forms.DateField(label=_("开始日期"))

    def __init__(self, *args, instructor: Instructor, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instructor = instructor
        today = today or timezone.localdate()
        self.fields["start"].initial = today
        field = self.fields["enterprise"]
        field.queryset = self.scoped(Enterprise.objects.operating_on(today).order_by("name", "pk"))
        keep = [self.data.get("enterprise", "")] if self.is_bound else []
        offer_enterprises_in(field, area=instructor.area, keep=keep)

    def save(self):
        return assign_instructor(
            instructor=self.instructor,
            enterprise=self.cleaned_data["enterprise"],
            start=self.cleaned_data["start"],
        )
