"""Forms of instructors' visits and enterprise requests: validate the input, then call members.work's services.

An instructor's own account never chooses the instructor (it is its own) and, on its phone forms, never the firm
(the form is opened from the firm: ``enterprise`` is given); staff choose both within their area.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.access import Access
from registry.forms import EnterpriseChoiceField, ScopedFormMixin, StyledFormMixin, VersionedFormMixin
from registry.models import Enterprise

from .forms import ConstraintErrorsMixin
from .models import EnterpriseRequest, InstructorAssignment, InstructorVisit
from .work import (
    close_request,
    create_request,
    create_visit,
    instructor_choices,
    recording_instructor,
    update_request,
    update_visit,
)


def _text(rows: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class WorkFormMixin(ConstraintErrorsMixin, VersionedFormMixin, ScopedFormMixin, StyledFormMixin):
    """Scoped choices, the version of an edited record (optimistic concurrency), styling; ``enterprise`` given: the
    firm is fixed and not a field. An instructor's account has no instructor field."""

    def __init__(self, *args, access: Access, enterprise: Enterprise | None = None, **kwargs):
        super().__init__(*args, access=access, **kwargs)
        self.enterprise = enterprise
        if enterprise is not None or (access.is_instructor and self.instance.pk):
            self.fields.pop("enterprise", None)  # an instructor edits a record of the firm it was made for
        if access.is_instructor:
            self.fields.pop("instructor", None)
        elif "instructor" in self.fields:
            field = self.fields["instructor"]
            field.queryset = instructor_choices(access).select_related("area").order_by("name", "pk")
            field.label_from_instance = lambda i: f"{i.name}（{i.unit}）"
        if "enterprise" in self.fields:
            self._offer_enterprises()

    def _offer_enterprises(self) -> None:
        """Staff pick among the firms of their area that have (or had) an instructor: the firms instructors work
        with, not every firm of a district; a firm given in the address (``?enterprise=``) stays offered."""
        field = self.fields["enterprise"]
        with_instructor = Exists(InstructorAssignment.objects.filter(enterprise=OuterRef("pk")))
        keep = [self.instance.enterprise_id] if self.instance.pk else []
        chosen = str(self.initial.get("enterprise") or self.data.get("enterprise") or "")
        if chosen.isdigit():
            keep.append(int(chosen))
        field.queryset = (
            Enterprise.objects.restrict(self.access)
            .filter(with_instructor | Q(pk__in=keep))
            .order_by("name", "pk")
        )

    def work_fields(self) -> dict:
        """The cleaned values for the service, with the fixed firm and, for an instructor, its own instructor."""
        fields = {name: self.cleaned_data[name] for name in self._meta.fields if name in self.fields}
        if self.enterprise is not None:
            fields["enterprise"] = self.enterprise
        if self.access.is_instructor and not self.instance.pk:
            fields["instructor"] = recording_instructor(self.access, None)
        return fields


class VisitForm(WorkFormMixin, forms.ModelForm):
    """Record or correct a visit (走访/指导记录)."""

    enterprise = EnterpriseChoiceField(label=_("单位"), queryset=Enterprise.objects.none())
    happened_fields = ("visited_on",)

    class Meta:
        model = InstructorVisit
        fields = ["instructor", "enterprise", "visited_on", "kind", "content", "problems"]
        widgets = {"content": _text(4), "problems": _text(3)}

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["visited_on"].initial = today or timezone.localdate()
        self.fields["visited_on"].help_text = _("须在指导员联系该单位期间，不能晚于今天。")

    def save(self, commit: bool = True) -> InstructorVisit:
        """Call the service; raises ValidationError (by field) or PermissionDenied when it refuses."""
        fields = self.work_fields()
        if self.instance.pk:
            return update_visit(visit=self.instance, access=self.access, **fields)
        return create_visit(access=self.access, **fields)


class RequestForm(WorkFormMixin, forms.ModelForm):
    """Record a firm's request (企业诉求) or correct it; an edit may close it (办结日期 and 办理结果)."""

    enterprise = EnterpriseChoiceField(label=_("单位"), queryset=Enterprise.objects.none())
    happened_fields = ("received_on", "closed_on")
    constraint_fields = {"request_closed_after_received": "closed_on"}

    class Meta:
        model = EnterpriseRequest
        fields = ["enterprise", "instructor", "received_on", "category", "content", "closed_on", "result"]
        widgets = {"content": _text(4), "result": _text(3)}

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["received_on"].initial = today or timezone.localdate()
            # Received now, closed later: the close form (or an edit) records the result.
            self.fields.pop("closed_on")
            self.fields.pop("result")
        else:
            self.fields["closed_on"].help_text = _("办结时填写，同时填写办理结果；留空表示尚未办结。")
        if "instructor" in self.fields:
            self.fields["instructor"].required = False
            self.fields["instructor"].empty_label = _("（无）")

    def save(self, commit: bool = True) -> EnterpriseRequest:
        fields = self.work_fields()
        if self.instance.pk:
            return update_request(request=self.instance, access=self.access, **fields)
        return create_request(access=self.access, **fields)


class CloseRequestForm(ConstraintErrorsMixin, VersionedFormMixin, StyledFormMixin, forms.ModelForm):
    """办结: the day the request was closed (default today) and the result."""

    happened_fields = ("closed_on",)
    constraint_fields = {"request_closed_after_received": "closed_on"}

    class Meta:
        model = EnterpriseRequest
        fields = ["closed_on", "result"]
        widgets = {"result": _text(4)}

    def __init__(self, *args, access: Access, **kwargs):
        self.access = access
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].required = True
        self.fields["result"].required = True
        if self.instance.closed_on is None:
            self.initial["closed_on"] = timezone.localdate()

    def save(self, commit: bool = True) -> EnterpriseRequest:
        return close_request(
            request=self.instance,
            closed_on=self.cleaned_data["closed_on"],
            result=self.cleaned_data["result"],
            access=self.access,
        )
