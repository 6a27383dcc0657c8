"""The page for recording reported figures (上报数字) of one area and quarter, beside what the registry computes.

``GET/POST /reports/reported/?area=CODE&period=2025Q3``: one row per indicator valid in the quarter. Roles that
may write get inputs; the others see the figures only (a POST is 403). Saving is all or nothing
(reports.closing.reported.save_reported_figures): a bad row shows its Chinese error and nothing is saved.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from .closing.reported import MAX_COUNT, ReconciliationRow, reconciliation, save_reported_figures
from .views import QuarterlyMixin, query


class ReportedRowForm(forms.Form):
    """One indicator's reported numerator and denominator; both empty: not reported."""

    numerator = forms.IntegerField(
        label=gettext_lazy("上报分子"), required=False, min_value=0, max_value=MAX_COUNT
    )
    denominator = forms.IntegerField(
        label=gettext_lazy("上报分母"), required=False, min_value=0, max_value=MAX_COUNT
    )

    def __init__(self, *args, indicator_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.update(
                {
                    "class": "form-control form-control-sm text-end",
                    "inputmode": "numeric",
                    "aria-label": f"{indicator_name} {field.label}",
                }
            )


class Entry:
    """A row of the page: the indicator's reconciliation, its form and the row's errors from saving."""

    def __init__(self, row: ReconciliationRow, form: ReportedRowForm):
        self.row, self.form, self.errors = row, form, []

    @property
    def invalid(self) -> bool:
        return bool(self.errors or self.form.errors)


class ReportedFiguresView(QuarterlyMixin, TemplateView):
    """Reported figures of one area and quarter (default: the last complete quarter, as the quarterly report)."""

    template_name = "reports/reported_figures.html"

    def entries(self, data=None) -> list[Entry]:
        s = self.selection
        return [
            Entry(
                row,
                ReportedRowForm(
                    data,
                    prefix=row.indicator.code,
                    indicator_name=row.indicator.name,
                    initial={"numerator": row.reported[0], "denominator": row.reported[1]}
                    if row.reported
                    else {},
                ),
            )
            for row in reconciliation(s.area, s.period)
        ]

    def get_context_data(self, entries=None, **kwargs):
        entries = self.entries() if entries is None else entries
        rows = [e.row for e in entries]
        return {
            **self.selection_context(),
            "entries": entries,
            "can_edit": self.access.can_write,
            "counts": {
                "matching": sum(1 for r in rows if r.matches),
                "different": sum(1 for r in rows if r.compared and not r.matches),
                "not_reported": sum(1 for r in rows if r.reported is None),
                "not_computed": sum(1 for r in rows if r.computed is None),
            },
            **kwargs,
        }

    def post(self, request, *args, **kwargs):
        if not self.access.can_write:
            raise PermissionDenied(_("当前账号只能查看，不能录入上报数字。"))
        s = self.selection
        entries = self.entries(request.POST)
        valid = all([e.form.is_valid() for e in entries])  # every form checked, so each shows its errors
        if valid:
            values = {
                e.row.indicator.code: (e.form.cleaned_data["numerator"], e.form.cleaned_data["denominator"])
                for e in entries
            }
            try:
                written = save_reported_figures(
                    area=s.area, period=s.period, values=values, user=request.user
                )
            except ValidationError as exc:
                errors = exc.message_dict
                for e in entries:
                    e.errors = errors.get(e.row.indicator.code, [])
                for message in errors.get("period", []) + errors.get("__all__", []):
                    messages.error(request, message)
            else:
                messages.success(
                    request,
                    _("已保存 %(area)s%(period)s的上报数字（%(n)s 项有变动）。")
                    % {"area": s.area.name, "period": s.period.label, "n": written},
                )
                return HttpResponseRedirect(
                    reverse("reports:reported_figures") + query(area=s.area.code, period=s.period)
                )
        invalid = sum(1 for e in entries if e.invalid)
        context = self.get_context_data(
            entries=entries,
            error_summary=_("有 %(n)s 项指标填写有误，全部未保存，请修改后重新保存。") % {"n": invalid}
            if invalid
            else _("填写有误，全部未保存，请修改后重新保存。"),
        )
        return self.render_to_response(context, status=400)
