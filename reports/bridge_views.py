"""The quarter bridge's drill-through page: the units on one line of 与上季度数字衔接."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from .engine.bridge import LINE_ORDER, SIDES, Reason, bridge, enterprises_on_line
from .params import BadParameter
from .views import SelectionMixin, _page_size


class BridgeEnterprisesView(SelectionMixin, TemplateView):
    """?area=&period=&indicator=&side=entered|left&reason=CODE → the units on that line, paginated and scoped like
    the figures' drill page (an area outside the user's scope is a 404, a malformed parameter a 400)."""

    template_name = "reports/bridge_enterprises.html"

    def line_asked(self) -> tuple[str, str]:
        side, reason = self.request.GET.get("side", ""), self.request.GET.get("reason", "")
        if side not in SIDES:
            raise BadParameter("side", _("side 只能是 entered（增加）或 left（减少）。"))
        if reason not in LINE_ORDER[side]:
            raise BadParameter("reason", _("未知的原因代码“%(code)s”。") % {"code": reason})
        return side, reason

    def get_context_data(self, **kwargs):
        s = self.selection
        side, reason = self.line_asked()  # raised here, SelectionMixin.dispatch answers 400 / 404
        b = bridge(s.area, s.period, s.indicator)  # FigureNotFound: the quarter was never computed
        rows = enterprises_on_line(b, side, reason).order_by("name", "pk")
        page = Paginator(rows, _page_size(self.request)).get_page(self.request.GET.get("page"))
        return {
            **self.selection_context(),
            "bridge": b,
            "side": side,
            "reason": reason,
            "reason_label": Reason(reason).label,
            "line": b.line(side, reason),
            "page_obj": page,
            "rows": page.object_list,
            **kwargs,
        }
