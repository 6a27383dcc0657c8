"""Member and instructor forms: validate, then call members.services."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orgs.models import PartyOrganization
from registry.dating import add_years
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
from registry.periods import PeriodError, Quarter
from registry.rules import normalize_text

from .choices import STAGE_ORDER, EndReason, Stage
from .models import Applicant, DevelopmentPlan, Instructor, Member
from .pipeline import earliest_on, next_stage
from .rules import validate_id_number
from .services import (
    advance_applicant,
    assign_instructor,
    confirm_member,
    create_applicant,
    create_instructor,
    create_member,
    create_plan,
    extend_probation,
    transfer_member,
    update_applicant,
    update_instructor,
    update_member,
    update_plan,
)
from .transfers import TransferKind


class MemberForm(RecordFormMixin, forms.ModelForm):
    """Create or edit a member. The ID number is entered on creation only and never written back into a page."""

    personal_fields = ("phone", "birth_date")  # the birth date too: beside a masked ID number it rebuilds it
    happened_fields = ("birth_date", "joined_party_on", "joined_on")

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
            "id_number",  # first: typing it fills 出生日期 and 性别 (static/js/id-number.js)
            "gender",
            "ethnicity",
            "birth_date",
            "education",
            "phone",
            "category",
            "joined_party_on",
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
            self.fields["joined_on"].help_text = _(
                "组织关系转入当前党组织的日期。只改此日期是更正；与所在党组织一起修改时，即为转接日期。"
            )
            self.fields["organization"].help_text = _(
                "修改所在党组织即办理组织关系转接：自上面填写的“转入本组织日期”起转入新组织（该日期未修改则自今日起），"
                "原组织计至前一日。也可在党员页面使用“组织关系转接”。"
            )
        else:
            # The service takes the 转入本组织日期 when it is left empty: a member developed in this organisation.
            self.fields["joined_party_on"].required = False
            self.fields["joined_party_on"].help_text = _(
                "成为预备党员（支部大会通过）的日期，可早于转入本组织日期；在本组织发展入党的留空，即与转入本组织日期相同。"
            )
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


# --- dated events on a member's page (组织关系转接, 转正, 延长预备期, 工作单位变更) ----------------------------------


class MemberEventForm(ScopedFormMixin, StyledFormMixin, forms.Form):
    """A small form that records one dated event of ``member`` through its service.

    ``error_aliases`` maps the service's error keys to this form's fields, so its Chinese messages show next to
    the field they are about.
    """

    error_aliases: dict[str, str] = {}

    def __init__(self, *args, member: Member, today: dt.date | None = None, **kwargs):
        self.member = member
        self.today = today or timezone.localdate()
        super().__init__(*args, **kwargs)

    def save(self) -> Member:
        raise NotImplementedError


class TransferForm(MemberEventForm):
    """组织关系转接 into another organisation; for a member who left, 转回."""

    organization = forms.ModelChoiceField(
        label=_("转入党组织"), queryset=PartyOrganization.objects.order_by("name", "pk")
    )
    on = forms.DateField(label=_("转接日期"), help_text=_("当日起计入转入的党组织；原党组织计至前一日。"))
    enterprise = EnterpriseChoiceField(
        label=_("新工作单位"),
        queryset=Enterprise.objects.order_by("name", "pk"),
        required=False,
        help_text=_("随转接变更工作单位时选择，自转接日期起生效；留空则工作单位不变。"),
    )
    error_aliases = {"enterprise_since": "on"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = self.today
        if self.is_return:
            self.fields["on"].label = _("转回日期")
            self.fields["on"].help_text = _("当日起重新计入所选党组织，不能早于上次减少日期。")
        organization = self._chosen_organization()
        area = organization.area if organization else getattr(self.access, "area", None)
        keep = [self.data.get("enterprise", "")] if self.is_bound else []
        offer_enterprises_in(self.fields["enterprise"], area=area, keep=keep)

    @property
    def is_return(self) -> bool:
        """The member left (减少): bringing them back is 转回."""
        return self.member.ended_on is not None

    def _chosen_organization(self) -> PartyOrganization | None:
        pk = self.data.get("organization", "") if self.is_bound else ""
        if not str(pk).isdigit():
            return None
        return self.fields["organization"].queryset.select_related("area").filter(pk=pk).first()

    def save(self) -> Member:
        data = self.cleaned_data
        extra = {"enterprise": data["enterprise"]} if data["enterprise"] is not None else {}
        return transfer_member(member=self.member, organization=data["organization"], on=data["on"], **extra)


class ConfirmForm(MemberEventForm):
    """转正: a probationary member becomes full from the date given."""

    on = forms.DateField(label=_("转正日期"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        ends = self.member.probation_ends_on
        self.fields["on"].initial = ends
        self.fields["on"].help_text = _(
            "预备期满之日为 %(d)s，转正日期不能早于此日；当日起计为正式党员。"
        ) % {"d": ends.isoformat()}

    def save(self) -> Member:
        return confirm_member(member=self.member, on=self.cleaned_data["on"])


class ProbationForm(MemberEventForm):
    """延长预备期: at most one more year, decided by the branch on a date."""

    until = forms.DateField(label=_("预备期延长至"))
    on = forms.DateField(label=_("决定日期"), help_text=_("支部大会作出延长预备期决定的日期。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        year = add_years(self.member.joined_party_on, 1)
        self.fields["until"].help_text = _("原预备期至 %(y)s；延长最长一年，最晚至 %(m)s。") % {
            "y": year.isoformat(),
            "m": add_years(year, 1).isoformat(),
        }
        self.fields["on"].initial = self.today

    def save(self) -> Member:
        data = self.cleaned_data
        return extend_probation(member=self.member, until=data["until"], on=data["on"])


class EmploymentForm(MemberEventForm):
    """工作单位变更 from a date; no unit: the member no longer works in a registered unit."""

    enterprise = EnterpriseChoiceField(
        label=_("新工作单位"),
        queryset=Enterprise.objects.order_by("name", "pk"),
        required=False,
        help_text=_("留空表示不再在已登记的单位工作。"),
    )
    since = forms.DateField(label=_("变更日期"), help_text=_("当日起计入新工作单位；原工作单位计至前一日。"))
    error_aliases = {"enterprise_since": "since"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["since"].initial = self.today
        keep = [self.data.get("enterprise", "")] if self.is_bound else []
        offer_enterprises_in(self.fields["enterprise"], area=self.member.organization.area, keep=keep)

    def clean_enterprise(self):
        enterprise = self.cleaned_data["enterprise"]
        if (enterprise.pk if enterprise else None) == self.member.enterprise_id:
            raise ValidationError(_("与现工作单位相同，无需变更。"))
        return enterprise

    def save(self) -> Member:
        data = self.cleaned_data
        return update_member(
            member=self.member, enterprise=data["enterprise"], enterprise_since=data["since"]
        )


# --- the 转接 list's filters ---------------------------------------------------------------------------------------


class TransferFilterForm(ScopedFormMixin, StyledFormMixin, forms.Form):
    """Which moves the 转接 list shows: a quarter (default the current one) or a date range, and narrower."""

    period = forms.CharField(label=_("季度"), required=False, max_length=10)
    start = forms.DateField(label=_("起始日期"), required=False)
    end = forms.DateField(label=_("截止日期"), required=False)
    area = AreaChoiceField(label=_("区域（含下级）"), required=False, to_field_name="code")
    organization = forms.ModelChoiceField(
        label=_("党组织"), queryset=PartyOrganization.objects.order_by("name", "pk"), required=False
    )
    kind = forms.ChoiceField(
        label=_("方式"), choices=[("", _("全部")), *TransferKind.choices], required=False
    )
    q = forms.CharField(label=_("姓名"), required=False, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].widget.attrs["placeholder"] = str(Quarter.current())

    def clean_period(self) -> Quarter | None:
        text = self.cleaned_data["period"].strip()
        if not text:
            return None
        try:
            return Quarter.parse(text)
        except PeriodError as exc:
            raise ValidationError(str(exc)) from exc

    def clean_q(self) -> str:
        return normalize_text(self.cleaned_data["q"])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("截止日期不能早于起始日期。"))
        return cleaned

    def query(self) -> dict:
        """The arguments of members.transfers.transfers() (and ``label``, the period in words) from valid input;
        an unbound form is the current quarter."""
        data = self.cleaned_data if self.is_bound else {}
        start, end = data.get("start"), data.get("end")
        if start or end:
            first, last = start or dt.date.min, end or dt.date.max
            label = _("%(a)s 至 %(b)s") % {
                "a": start.isoformat() if start else _("不限"),
                "b": end.isoformat() if end else _("不限"),
            }
        else:
            quarter = data.get("period") or Quarter.current()
            first, last, label = quarter.first_day, quarter.last_day, quarter.label
        return {
            "first": first,
            "last": last,
            "label": label,
            "area": data.get("area"),
            "organization": data.get("organization"),
            "name": data.get("q", ""),
            "kind": data.get("kind", ""),
        }


# --- 发展党员: the applicant's file, its steps, the yearly plan and the pipeline page's choices ------------------


class ConstraintErrorsMixin:
    """A model constraint's error belongs to no field; ``constraint_fields`` (constraint name → field) shows it
    next to the field it is about, whether the form's model validation or the service raised it."""

    constraint_fields: dict[str, str] = {}

    def add_error(self, field, error):
        if field is None:
            error = self._place_constraint_errors(error)
        super().add_error(field, error)

    def _place_constraint_errors(self, error):
        constraints = {c.name: c for c in self._meta.model._meta.constraints}
        placed = {
            str(constraints[name].violation_error_message): target
            for name, target in self.constraint_fields.items()
            if target in self.fields
        }
        errors = ValidationError(error).update_error_dict({})
        general = []
        for item in errors.pop(NON_FIELD_ERRORS, []):
            target = next((placed[m] for m in ValidationError(item).messages if m in placed), None)
            if target:
                errors.setdefault(target, []).append(item)
            else:
                general.append(item)
        if general:
            errors[NON_FIELD_ERRORS] = general
        return ValidationError(errors)


class ApplicantForm(ConstraintErrorsMixin, RecordFormMixin, forms.ModelForm):
    """Register or edit an 入党申请人. Later stages are reached by 进入下一阶段, never here; on editing, a stage
    date already reached (入党积极分子, 发展对象) may be corrected, the admission date never."""

    personal_fields = ("phone", "birth_date")
    constraint_fields = {"applicant_one_open_per_person": "id_number"}
    happened_fields = ("birth_date", "applied_on", "activist_on", "candidate_on")

    id_number = forms.CharField(
        label=_("身份证号码"),
        max_length=40,
        help_text=_("18 位，最后一位可为 X；可粘贴全角字符或带空格，保存时自动规范化。"),
    )
    organization = forms.ModelChoiceField(
        label=_("培养党组织"), queryset=PartyOrganization.objects.order_by("name", "pk")
    )
    enterprise = EnterpriseChoiceField(
        label=_("工作单位"), queryset=Enterprise.objects.order_by("name", "pk"), required=False
    )

    class Meta:
        model = Applicant
        fields = [
            "name",
            "id_number",  # first: typing it fills 出生日期 and 性别 (static/js/id-number.js)
            "gender",
            "ethnicity",
            "birth_date",
            "education",
            "phone",
            "organization",
            "enterprise",
            "applied_on",
            "activist_on",
            "candidate_on",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applied_on"].help_text = _("递交书面入党申请的日期，当日应年满十八岁。")
        if self.instance.pk:
            del self.fields["id_number"]  # not changed here, and the full number must not reach the page
        for name in ("activist_on", "candidate_on"):
            if getattr(self.instance, name, None) is None:
                del self.fields[name]  # reached by 进入下一阶段
            else:
                self.fields[name].required = True
                self.fields[name].help_text = _("仅用于更正已登记的日期。")
        keep = [self.data.get("enterprise", "")] if self.is_bound else [self.instance.enterprise_id or ""]
        organization = self._chosen_organization()
        offer_enterprises_in(
            self.fields["enterprise"], area=organization.area if organization else None, keep=keep
        )

    def _chosen_organization(self) -> PartyOrganization | None:
        pk = self.data.get("organization", "") if self.is_bound else self.instance.organization_id
        if not pk or not str(pk).isdigit():
            return None
        return self.fields["organization"].queryset.select_related("area").filter(pk=pk).first()

    def clean_id_number(self) -> str:
        return validate_id_number(self.cleaned_data["id_number"])

    def save(self, commit: bool = True) -> Applicant:
        """Call the members service; raises ValidationError when it refuses."""
        fields = {name: self.cleaned_data[name] for name in self._meta.fields if name in self.fields}
        if self.instance.pk:
            return update_applicant(applicant=self.instance, **fields)
        return create_applicant(**fields)


class ApplicantEventForm(ScopedFormMixin, StyledFormMixin, forms.Form):
    """A small form recording one step of ``applicant`` through its service; ``error_aliases`` maps the
    service's error keys to this form's fields."""

    error_aliases: dict[str, str] = {}

    def __init__(self, *args, applicant: Applicant, today: dt.date | None = None, **kwargs):
        self.applicant = applicant
        self.today = today or timezone.localdate()
        super().__init__(*args, **kwargs)

    def save(self) -> Applicant:
        raise NotImplementedError


STAGE_ON_LABELS = {
    Stage.ACTIVIST: _("确定为入党积极分子日期"),
    Stage.CANDIDATE: _("确定为发展对象日期"),
    Stage.ADMITTED: _("接收为预备党员日期（支部大会）"),
}


class AdvanceForm(ApplicantEventForm):
    """进入下一阶段: the stage (the next one preselected) and the date it was decided."""

    stage = forms.ChoiceField(label=_("进入阶段"), choices=[(s.value, s.label) for s in STAGE_ORDER[1:]])
    on = forms.DateField(label=_("日期"))
    happened_fields = ("on",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        following = next_stage(self.applicant)
        self.fields["on"].initial = self.today
        if following is not None:
            self.fields["stage"].initial = following
            self.fields["on"].label = STAGE_ON_LABELS[following]
            earliest = earliest_on(self.applicant, following)
            if earliest is not None:
                self.fields["on"].help_text = _("最早可于 %(d)s。") % {"d": earliest.isoformat()}

    def save(self) -> Applicant:
        data = self.cleaned_data
        return advance_applicant(applicant=self.applicant, stage=data["stage"], on=data["on"])


class WithdrawForm(ApplicantEventForm):
    """终止: the file is closed on a date with a reason; it is kept, never deleted."""

    on = forms.DateField(label=_("终止日期"))
    reason = forms.CharField(label=_("终止原因"), max_length=200)
    error_aliases = {"withdrawn_on": "on", "withdraw_reason": "reason"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = self.today

    def save(self) -> Applicant:
        data = self.cleaned_data
        return update_applicant(
            applicant=self.applicant, withdrawn_on=data["on"], withdraw_reason=data["reason"]
        )


class DevelopmentPlanForm(ConstraintErrorsMixin, RecordFormMixin, forms.ModelForm):
    """发展党员指导性计划 of an area (in the user's subtree) for a year: one per area and year."""

    area = AreaChoiceField(label=_("区域"))
    constraint_fields = {"development_plan_one_per_area_year": "year"}

    class Meta:
        model = DevelopmentPlan
        fields = ["area", "year", "planned"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.attrs.update({"min": 2000, "max": 2100})
        self.fields["planned"].help_text = _("该区域（含下级）本年度计划发展党员人数。")

    def save(self, commit: bool = True) -> DevelopmentPlan:
        fields = {name: self.cleaned_data[name] for name in self._meta.fields}
        if self.instance.pk:
            return update_plan(plan=self.instance, **fields)
        return create_plan(**fields)


class DevelopmentFilterForm(ScopedFormMixin, StyledFormMixin, forms.Form):
    """The pipeline page's choices: an area (subtree) or an organisation, and the plan's year."""

    area = AreaChoiceField(label=_("区域（含下级）"), required=False, to_field_name="code")
    organization = forms.ModelChoiceField(
        label=_("培养党组织"), queryset=PartyOrganization.objects.order_by("name", "pk"), required=False
    )
    year = forms.IntegerField(label=_("年度"), required=False, min_value=2000, max_value=2100)

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        years = list(range(today.year + 1, today.year - 10, -1))
        chosen = str(self.data.get("year", "")).strip() if self.is_bound else ""
        if chosen.isdigit() and int(chosen) not in years:
            years.append(int(chosen))  # a year given in the address stays selected
        self.fields["year"].widget = forms.Select(
            choices=[("", _("本年度（%(y)s）") % {"y": today.year}), *((y, y) for y in years)],
            attrs={"class": "form-select"},
        )


class EnterpriseAssignmentForm(ScopedFormMixin, StyledFormMixin, forms.Form):
    """选派指导员 from an enterprise's page or the 未覆盖 work queue: the same assignment as the instructor page's form
    (members.services.assign_instructor), with the enterprise fixed and the instructor chosen: those serving now
    in the enterprise's area or an area above it, within the user's."""

    instructor = forms.ModelChoiceField(label=_("党建指导员"), queryset=Instructor.objects.none())
    start = forms.DateField(label=_("开始日期"), help_text=_("指导员开始联系该单位的日期。"))

    def __init__(self, *args, enterprise: Enterprise, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.enterprise = enterprise
        today = today or timezone.localdate()
        self.fields["start"].initial = today
        parts = [p for p in enterprise.area.path.split("/") if p]
        above = ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]
        serving = Instructor.objects.filter(area__path__in=above).exclude(ended_on__lte=today)
        field = self.fields["instructor"]
        field.queryset = self.scoped(serving.select_related("area").order_by("name", "pk"))
        field.label_from_instance = lambda i: f"{i.name}（{i.unit}，{i.area.name}）"

    def save(self):
        return assign_instructor(
            instructor=self.cleaned_data["instructor"],
            enterprise=self.enterprise,
            start=self.cleaned_data["start"],
        )
