"""Pages of 重点工作任务 and 指导员年度考核 (issue 15): thin views over members.duties and members.evaluation.

Tasks: staff see the tasks of their area (members.duties.tasks_for), publish one, open it to see each instructor's
state, and record completions on an instructor's behalf; an instructor's account sees its own tasks (待完成, 已逾期,
已完成) and reports one done from its phone.

Evaluation: ``/instructors/evaluation/?area=&year=`` scores every instructor of the area (members.evaluation),
each item's evidence count drilling through to the records behind it, with an Excel download of the same table.
Staff, administrators, park committees and readers see the areas in their subtree; an instructor's account gets
403 (its scores are its managers' business, and the page lists its colleagues). Staff and administrators enter the
points of entered items (培训, 表彰) on a form page.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, ListView, TemplateView

from registry.audit import record_event
from registry.dating import count_of
from registry.excel.cells import Column, Kind
from registry.excel.sheets import XLSX_CONTENT_TYPE, Heading, save_workbook
from registry.excel.views import attachment, download_name
from registry.filtersets import AreaSubtreeFilter
from registry.forms import AreaChoiceField, ScopedFormMixin, StyledFormMixin, add_service_errors, style_form
from registry.models import Area
from registry.querysets import pinyin_order
from registry.rules import normalize_text
from registry.views import ScopedMixin

from .choices import EvaluationSource
from .duties import (
    TaskStatus,
    check_may_complete,
    complete_task,
    may_publish,
    overdue_q,
    publish_task,
    recipient_rows,
    status_of,
    tasks_for,
)
from .evaluation import (
    ENTERPRISE,
    ENTRY,
    REQUEST,
    TASK,
    VISIT,
    Evaluation,
    enter_points,
    evaluate,
    evidence_records,
    instructors_of,
    parse_year,
    period_end,
    scheme_for,
)
from .models import EvaluationEntry, EvaluationItem, Instructor, InstructorTask, TaskCompletion, TaskRecipient

PAGE_SIZE, MAX_PAGE_SIZE = 50, 200


def page_size(request) -> int:
    try:
        return max(1, min(int(request.GET.get("page_size", "")), MAX_PAGE_SIZE))
    except ValueError:
        return PAGE_SIZE


def default_area(access) -> Area | None:
    """The user's own area; administrators: the top of the tree."""
    if access.area is not None:
        return access.area
    return Area.objects.restrict(access).filter(parent__isnull=True).order_by("path").first()


# --- 重点工作任务 ------------------------------------------------------------------------------------------------


class TaskFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("任务名称"))
    area = AreaSubtreeFilter(field_name="area", label=_("下达范围（含下级）"))
    year = django_filters.NumberFilter(
        field_name="due_on__year", label=_("完成期限年度"), min_value=1900, max_value=9999
    )

    class Meta:
        model = InstructorTask
        fields = ["q", "area", "year"]

    def filter_q(self, queryset, name, value):
        text = normalize_text(value)
        return queryset.filter(title__icontains=text) if text else queryset


class TaskForm(ScopedFormMixin, StyledFormMixin, forms.Form):
    """下达任务: to the instructors of an area in the user's subtree (members.duties.recipients_of)."""

    area = AreaChoiceField(
        label=_("下达范围"), help_text=_("该区域（含下级）的指导员和联系该区域单位的指导员都会收到。")
    )
    title = forms.CharField(label=_("任务名称"), max_length=100)
    content = forms.CharField(label=_("任务内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    published_on = forms.DateField(label=_("下达日期"))
    due_on = forms.DateField(label=_("完成期限"))
    happened_fields = ("published_on",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["published_on"].initial = timezone.localdate()


class TaskListView(ScopedMixin, ListView):
    """The tasks the user sees, newest first, with how many instructors received, finished and are overdue."""

    template_name = "members/tasks/task_list.html"
    paginate_by = PAGE_SIZE

    def get(self, request, *args, **kwargs):
        if self.access.is_instructor:  # an instructor's account has its own list
            return HttpResponseRedirect(reverse("members:my_tasks"))
        return super().get(request, *args, **kwargs)

    def get_paginate_by(self, queryset) -> int:
        return page_size(self.request)

    def get_queryset(self):
        self.today = timezone.localdate()
        tasks = (
            tasks_for(self.access)
            .select_related("area")
            .annotate(
                recipient_count=count_of(TaskRecipient.objects.all(), "task"),
                done_count=count_of(TaskCompletion.objects.all(), "task"),
                overdue_count=count_of(recipient_rows().filter(overdue_q(self.today)), "task"),
            )
            .order_by("-published_on", "-pk")
        )
        self.filterset = TaskFilterSet(self.request.GET or None, queryset=tasks, request=self.request)
        self.filterset.form.fields["area"].queryset = Area.objects.restrict(self.access).order_by("path")
        style_form(self.filterset.form)
        if self.filterset.is_bound and not self.filterset.is_valid():
            return tasks.none()
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filterset=self.filterset, today=self.today, can_publish=may_publish(self.access), **kwargs
        )


class TaskCreateView(ScopedMixin, FormView):
    form_class = TaskForm
    template_name = "members/tasks/task_form.html"
    writes = True

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            with transaction.atomic():
                task = publish_task(
                    area=data["area"],
                    title=data["title"],
                    content=data["content"],
                    published_on=data["published_on"],
                    due_on=data["due_on"],
                    published_by=self.request.user,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _g("已下达任务“%(title)s”，共 %(n)s 名指导员。")
            % {"title": task.title, "n": task.recipients.count()},
        )
        return HttpResponseRedirect(reverse("members:task_detail", args=[task.pk]))


def visible_recipients(access):
    """The recipient rows of any task ``access`` may list: its own (an instructor's account), else those of the
    instructors it sees."""
    rows = recipient_rows()
    if access.is_instructor:
        return rows.filter(instructor_id=access.instructor_id)
    return rows.filter(instructor__in=Instructor.objects.restrict(access))


def with_note(rows):
    done = TaskCompletion.objects.filter(task=OuterRef("task_id"), instructor=OuterRef("instructor_id"))
    return rows.annotate(done_note=Subquery(done.values("note")[:1]))


def mark_status(rows, today: dt.date) -> list:
    rows = list(rows)
    for row in rows:
        row.status = status_of(due_on=row.task.due_on, done_on=row.done_on, on=today)
        row.status_label = TaskStatus(row.status).label
        row.late = row.done_on is not None and row.done_on > row.task.due_on
    return rows


class TaskDetailView(ScopedMixin, TemplateView):
    """A task and each instructor's state (the instructors the user sees), with 代为登记完成 for staff."""

    template_name = "members/tasks/task_detail.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        task = get_object_or_404(
            tasks_for(self.access).select_related("area", "published_by"), pk=self.kwargs["pk"]
        )
        rows = (
            with_note(visible_recipients(self.access).filter(task=task))
            .select_related("task", "instructor__area")
            .order_by(F("done_on").asc(nulls_first=True), *pinyin_order("instructor__name"))
        )
        page = Paginator(rows, page_size(self.request)).get_page(self.request.GET.get("page"))
        recipients = mark_status(page.object_list, today)
        return super().get_context_data(
            task=task,
            today=today,
            page_obj=page,
            recipients=recipients,
            can_record=self.access.can_write,
            **kwargs,
        )


class MyTasksView(ScopedMixin, TemplateView):
    """An instructor's own tasks (its account only): overdue and pending first, then those done."""

    template_name = "members/tasks/my_tasks.html"

    def get_context_data(self, **kwargs):
        if not self.access.is_instructor:
            raise PermissionDenied(_g("只有党建指导员本人的账号可以查看“我的任务”。"))
        today = timezone.localdate()
        rows = recipient_rows().filter(instructor_id=self.access.instructor_id)
        status = self.request.GET.get("status", "")
        if status == TaskStatus.DONE:
            rows = rows.filter(done_on__isnull=False)
        elif status == TaskStatus.OVERDUE:
            rows = rows.filter(overdue_q(today))
        elif status == TaskStatus.PENDING:
            rows = rows.filter(done_on__isnull=True, task__due_on__gte=today)
        rows = (
            with_note(rows)
            .select_related("task")
            .order_by(F("done_on").asc(nulls_first=True), "task__due_on", "task_id")
        )
        page = Paginator(rows, page_size(self.request)).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            today=today,
            page_obj=page,
            rows=mark_status(page.object_list, today),
            status=status,
            statuses=TaskStatus.choices,
            **kwargs,
        )


class TaskDoneForm(StyledFormMixin, forms.Form):
    """完成情况: the day and a note; staff also choose the instructor (those of the task they see, not done yet)."""

    instructor = forms.ModelChoiceField(label=_("党建指导员"), queryset=Instructor.objects.none())
    done_on = forms.DateField(label=_("完成日期"))
    note = forms.CharField(label=_("完成情况"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    happened_fields = ("done_on",)

    def __init__(self, *args, task: InstructorTask, access, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["done_on"].initial = timezone.localdate()
        if access.is_instructor:
            del self.fields["instructor"]
            return
        pending = visible_recipients(access).filter(task=task, done_on__isnull=True).values("instructor_id")
        field = self.fields["instructor"]
        field.queryset = Instructor.objects.filter(pk__in=pending).order_by(*pinyin_order())
        field.error_messages["invalid_choice"] = _("该指导员不是此任务的下达对象，或已登记完成。")


class TaskDoneView(ScopedMixin, FormView):
    """登记完成: an instructor's account for itself, staff and administrators for an instructor they see."""

    form_class = TaskDoneForm
    template_name = "members/tasks/task_done.html"

    def setup_task(self):
        if not (self.access.is_instructor or self.access.can_write):
            raise PermissionDenied(_g("当前账号只能查看，不能登记任务完成情况。"))
        self.task = get_object_or_404(tasks_for(self.access), pk=self.kwargs["pk"])

    def get(self, request, *args, **kwargs):
        self.setup_task()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.setup_task()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("access", None)
        return {**kwargs, "task": self.task, "access": self.access}

    def get_initial(self):
        initial = super().get_initial()
        chosen = self.request.GET.get("instructor", "")
        if chosen.isdigit():
            initial["instructor"] = int(chosen)
        return initial

    def get_context_data(self, **kwargs):
        own = None
        if self.access.is_instructor:
            own = with_note(
                recipient_rows().filter(task=self.task, instructor_id=self.access.instructor_id)
            ).first()
        return super().get_context_data(task=self.task, own=own, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        if self.access.is_instructor:
            instructor = Instructor.objects.get(pk=self.access.instructor_id)
        else:
            instructor = data["instructor"]
        check_may_complete(self.access, instructor=instructor)
        try:
            with transaction.atomic():
                complete_task(
                    task=self.task, instructor=instructor, done_on=data["done_on"], note=data["note"]
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, _g("已登记“%(title)s”完成。") % {"title": self.task.title})
        if self.access.is_instructor:
            return HttpResponseRedirect(reverse("members:my_tasks"))
        return HttpResponseRedirect(reverse("members:task_detail", args=[self.task.pk]))


# --- 指导员年度考核 ----------------------------------------------------------------------------------------------


class EvaluationFilterForm(ScopedFormMixin, StyledFormMixin, forms.Form):
    area = AreaChoiceField(label=_("区域（含下级）"), required=False, to_field_name="code")
    year = forms.CharField(label=_("年度"), required=False)

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        years = [str(y) for y in range(today.year, today.year - 10, -1)]
        chosen = str(self.data.get("year", "")).strip() if self.is_bound else ""
        if chosen and chosen not in years:
            years.append(chosen)  # a year given in the address stays selected (and is checked below)
        self.fields["year"].widget = forms.Select(
            choices=[("", _("本年度（%(y)s）") % {"y": today.year}), *((y, y) for y in years)],
            attrs={"class": "form-select"},
        )

    def clean_year(self) -> int:
        try:
            year = parse_year(self.cleaned_data.get("year"), today=self.today)
            scheme_for(year)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["year"]) from None
        return year


class EvaluationMixin(ScopedMixin):
    """The area (in the user's subtree) and year a page of the evaluation asks for; instructors' accounts 403."""

    def selection(self) -> tuple[EvaluationFilterForm, Area | None, int | None]:
        if self.access.is_instructor or self.access.sees_nothing:
            raise PermissionDenied(_g("当前账号不能查看指导员年度考核。"))
        self.today = timezone.localdate()
        form = EvaluationFilterForm(self.request.GET or None, access=self.access, today=self.today)
        if form.is_bound and not form.is_valid():
            return form, None, None
        data = form.cleaned_data if form.is_bound else {}
        area = data.get("area") or default_area(self.access)
        year = data.get("year") or self.today.year
        return form, area, year


class EvaluationView(EvaluationMixin, TemplateView):
    template_name = "members/evaluation/evaluation.html"

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        return self.render_to_response(context, status=400 if context["form"].errors else 200)

    def get_context_data(self, **kwargs):
        form, area, year = self.selection()
        context = super().get_context_data(form=form, area=area, year=year, **kwargs)
        if area is None or year is None:
            return {**context, "evaluations": [], "items": []}
        scheme = scheme_for(year)
        evaluations = evaluate(area, year, today=self.today)
        page = Paginator(evaluations, page_size(self.request)).get_page(self.request.GET.get("page"))
        return {
            **context,
            "scheme": scheme,
            "items": list(scheme.items.all()),
            "end": period_end(year, self.today),
            "page_obj": page,
            "evaluations": page.object_list,
            "query": urlencode({"area": area.code, "year": year}),
            "can_enter": self.access.can_write,
        }


def evaluation_kind(items: list[EvaluationItem]) -> Kind:
    """The download's columns: the instructor, each item's points and evidence count, the score and the grade."""
    columns = [
        Column(_g("姓名"), "name", width=12, importable=False),
        Column(_g("派出单位"), "unit", width=20, importable=False),
        Column(_g("所属区域"), "area", width=16, importable=False),
    ]
    for item in items:
        columns.append(
            Column(
                _g("%(title)s（%(max)s分）") % {"title": item.title, "max": item.max_points},
                f"{item.code}__points",
                width=14,
                importable=False,
            )
        )
        columns.append(
            Column(
                _g("%(title)s·依据（条）") % {"title": item.title},
                f"{item.code}__count",
                width=12,
                importable=False,
            )
        )
    columns += [
        Column(_g("总分"), "score", width=8, importable=False),
        Column(_g("等次"), "grade", width=10, importable=False),
    ]
    return Kind("instructor-evaluation", _g("指导员年度考核"), tuple(columns), key=())


def evaluation_row(evaluation: Evaluation) -> dict:
    row = {
        "name": evaluation.instructor.name,
        "unit": evaluation.instructor.unit,
        "area": evaluation.instructor.area.name,
        "score": evaluation.score,
        "grade": evaluation.grade_label,
    }
    for score in evaluation.items:
        row[f"{score.code}__points"] = score.points
        row[f"{score.code}__count"] = score.evidence_count
    return row


class EvaluationXlsxView(EvaluationMixin, View):
    """The page's table as a workbook: every instructor, not one page."""

    def get(self, request, *args, **kwargs):
        form, area, year = self.selection()
        if area is None or year is None:
            return EvaluationView.as_view()(request, *args, **kwargs)
        scheme = scheme_for(year)
        evaluations = evaluate(area, year, today=self.today)
        end = period_end(year, self.today)
        heading = Heading(
            area=area.name,
            as_of=_g("%(year)s年度（截至 %(end)s）") % {"year": year, "end": end.isoformat()},
            generated_at=timezone.now(),
        )
        title = _g("指导员年度考核")
        handle = save_workbook(
            [(evaluation_kind(list(scheme.items.all())), (evaluation_row(e) for e in evaluations), title)],
            heading=heading,
        )
        name = download_name(title, area.name, str(year))
        record_event(request, "export", area, detail=f"{name}?{request.GET.urlencode()}")
        response = FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX_CONTENT_TYPE)
        attachment(response, name, fallback=download_name("instructor-evaluation", area.code, str(year)))
        return response


EVIDENCE_TEMPLATES = {
    VISIT: "members/evaluation/_visits.html",
    REQUEST: "members/evaluation/_requests.html",
    ENTERPRISE: "members/evaluation/_firms.html",
    TASK: "members/evaluation/_tasks.html",
    ENTRY: "members/evaluation/_entry.html",
}


class EvidenceView(EvaluationMixin, TemplateView):
    """The records behind one instructor's item: ``/instructors/evaluation/<pk>/<code>/?area=&year=``."""

    template_name = "members/evaluation/evidence.html"

    def get_context_data(self, **kwargs):
        form, area, year = self.selection()
        if area is None or year is None:
            raise Http404(_g("区域或年度有误。"))
        people = instructors_of(area, year, today=self.today).filter(pk=self.kwargs["pk"])
        found = evaluate(area, year, today=self.today, instructors=people)
        if not found:
            raise Http404(_g("该指导员不在所选区域本年度的考核名单中。"))
        evaluation = found[0]
        score = evaluation.item(self.kwargs["code"])
        if score is None:
            raise Http404(_g("没有这一考核项目。"))
        page = Paginator(evidence_records(evaluation, score), page_size(self.request)).get_page(
            self.request.GET.get("page")
        )
        rows = list(page.object_list)
        if score.evidence_kind == TASK:
            rows = mark_status(rows, self.today)
        elif score.evidence_kind == REQUEST:
            for row in rows:
                row.days = (row.closed_on - row.received_on).days if row.closed_on else None
        return super().get_context_data(
            area=area,
            year=year,
            evaluation=evaluation,
            score=score,
            page_obj=page,
            rows=rows,
            rows_template=EVIDENCE_TEMPLATES.get(score.evidence_kind),
            back=reverse("members:evaluation") + "?" + urlencode({"area": area.code, "year": year}),
            **kwargs,
        )


class EntryForm(ScopedFormMixin, StyledFormMixin, forms.Form):
    """录入考核分: an entered item's points (whole points, 0 to the item's maximum) for an instructor and a year."""

    instructor = forms.ModelChoiceField(
        label=_("党建指导员"), queryset=Instructor.objects.select_related("area").order_by("name", "pk")
    )
    year = forms.IntegerField(label=_("年度"), min_value=1900, max_value=9999)
    item = forms.ModelChoiceField(
        label=_("考核项目"),
        queryset=EvaluationItem.objects.filter(source=EvaluationSource.ENTERED)
        .select_related("scheme")
        .order_by("-scheme__valid_from", "position", "pk"),
    )
    points = forms.IntegerField(label=_("得分"), min_value=0, max_value=32767)
    note = forms.CharField(label=_("依据"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instructor"].label_from_instance = lambda i: f"{i.name}（{i.area.name}）"
        self.fields["item"].label_from_instance = lambda item: (
            _g("%(title)s（满分 %(max)s 分，%(scheme)s %(since)s 年起）")
            % {
                "title": item.title,
                "max": item.max_points,
                "scheme": item.scheme.name,
                "since": item.scheme.valid_from,
            }
        )


class EntryView(ScopedMixin, FormView):
    """Enter (or replace) one entered item's points; back to the evaluation of the instructor's area and year."""

    form_class = EntryForm
    template_name = "members/evaluation/entry_form.html"
    writes = True

    def get_initial(self):
        initial = {"year": timezone.localdate().year}
        for name in ("instructor", "item", "year"):
            value = self.request.GET.get(name, "")
            if value.isdigit():
                initial[name] = int(value)
        if {"instructor", "item", "year"} <= initial.keys():
            entry = EvaluationEntry.objects.filter(
                instructor__in=Instructor.objects.restrict(self.access),
                instructor_id=initial["instructor"],
                item_id=initial["item"],
                year=initial["year"],
            ).first()
            if entry is not None:
                initial.update(points=entry.points, note=entry.note)
        return initial

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            with transaction.atomic():
                enter_points(
                    instructor=data["instructor"],
                    year=data["year"],
                    item=data["item"],
                    points=data["points"],
                    note=data["note"],
                    entered_by=self.request.user,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(
            self.request,
            _g("已录入%(name)s %(year)s 年度“%(title)s”%(points)s 分。")
            % {
                "name": data["instructor"].name,
                "year": data["year"],
                "title": data["item"].title,
                "points": data["points"],
            },
        )
        area = Area.objects.restrict(self.access).filter(code=self.request.GET.get("area", "")).first()
        area = area or data["instructor"].area
        query = urlencode({"area": area.code, "year": data["year"]})
        return HttpResponseRedirect(f"{reverse('members:evaluation')}?{query}")

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


__all__ = [
    "EntryView",
    "EvaluationView",
    "EvaluationXlsxView",
    "EvidenceView",
    "MyTasksView",
    "TaskCreateView",
    "TaskDetailView",
    "TaskDoneView",
    "TaskListView",
]
