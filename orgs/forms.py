"""Organisation forms: validate, then call orgs.services."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.forms import (
    AreaChoiceField,
    EnterpriseMultipleChoiceField,
    RecordFormMixin,
    UnitPicker,
    offer_enterprises_in,
)
from registry.models import Area, Enterprise

from .models import PartyOrganization
from .services import create_organization, update_organization


class OrganizationForm(RecordFormMixin, forms.ModelForm):
    happened_fields = ("founded_on",)
    area = AreaChoiceField(label=_("所在区域"))
    enterprises = EnterpriseMultipleChoiceField(
        label=_("覆盖单位"),
        queryset=Enterprise.objects.none(),
        required=False,
        help_text=_(
            "单独组建选 1 个单位，联合组建选 2 个及以上。列表只含所在区域（含下级）的在营单位，"
            "可输入名称或信用代码搜索。"
        ),
        widget=UnitPicker(options_url=reverse_lazy("orgs:unit_options")),
    )
    links_change_on = forms.DateField(
        label=_("覆盖关系变更日期"),
        required=False,
        help_text=_("覆盖单位有增减时，自该日起生效；留空为今日。"),
    )

    class Meta:
        model = PartyOrganization
        fields = [
            "name",
            "kind",
            "setup",
            "parent",
            "area",
            "founded_on",
            "approval_no",
            "secretary",
            "has_committee",
            "term_ends_on",
        ]

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        organization = self.instance
        enterprises = self.fields["enterprises"]
        linked = (
            list(organization.enterprises_on(self.today).values_list("pk", flat=True))
            if organization.pk
            else []
        )
        enterprises.queryset = self.scoped(
            Enterprise.objects.operating_on(self.today).order_by("name", "pk"), keep=linked
        )
        self.fields["parent"].queryset = self.scoped(
            PartyOrganization.objects.order_by("name", "pk"), keep=[organization.parent_id]
        )
        if organization.pk:
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(pk=organization.pk)
            self.fields["secretary"].queryset = self.scoped(
                organization.members.active_on(self.today).order_by("name"), keep=[organization.secretary_id]
            )
            self.fields["secretary"].help_text = _("只能从本组织现有党员中选择。")
            enterprises.initial = linked
        else:
            # A new organisation has no members yet: its secretary is chosen when editing it.
            del self.fields["secretary"]
            del self.fields["links_change_on"]
        keep = self.data.getlist("enterprises") if self.is_bound else (enterprises.initial or [])
        offer_enterprises_in(enterprises, area=self._chosen_area(), keep=keep)

    def _chosen_area(self) -> Area | None:
        if self.is_bound:
            pk = self.data.get("area", "")
            return Area.objects.filter(pk=pk).first() if str(pk).isdigit() else None
        if self.instance.pk:
            return self.instance.area
        area = self.initial.get("area")
        return area if isinstance(area, Area) else None

    def save(self, commit: bool = True) -> PartyOrganization:
        """Call the orgs service; raises ValidationError when it refuses."""
        fields = {name: self.cleaned_data[name] for name in self._meta.fields if name in self.fields}
        enterprises = list(self.cleaned_data["enterprises"])
        if self.instance.pk:
            return update_organization(
                organization=self.instance,
                enterprises=enterprises,
                links_change_on=self.cleaned_data.get("links_change_on"),
                **fields,
            )
        return create_organization(enterprises=enterprises, **fields)
