"""重点工作任务 (issue 15): the district publishes a task to the instructors of an area with a due date; each
instructor reports it done with a note. Rules as plain functions and querysets; the two services below are the
only writers, and the pages, the API, the work queue (reports.engine.workqueue) and the yearly evaluation
(members.evaluation) all read the same definitions.

Who receives a task (:func:`recipients_of`) is decided once, when it is published, and stored as TaskRecipient rows:
every instructor serving that day (not 离任 by then) who is based in the area's subtree (``Instructor.area``) or is
assigned that day to a firm there. An instructor assigned later does not owe an earlier task; one who leaves keeps
the task on record but is no longer counted as overdue.

A task is, for one instructor, on a day ``on``: done (a completion dated on or before ``on``), overdue (not done
and ``on`` is after ``due_on``) or pending. Done after the due date is still done (shown as 逾期完成); the work
queue counts only what is still overdue, the evaluation counts what was done on time.

Who may do what: staff and administrators whose area covers the task's area publish it (:func:`may_publish`); an
instructor's own account reports its own tasks, staff and administrators record it on behalf of an instructor they
see (:func:`check_may_complete`). Tasks are seen (:func:`tasks_for`) by an instructor's account when it received
them, by other roles when the task's area is in their subtree or above their area (a district task concerns the
parks' instructors too).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.access import Access
from registry.models import Area
from registry.rules import check_not_future
from registry.services import created_entries, save_new, write_audit

from .models import Instructor, InstructorAssignment, InstructorTask, TaskCompletion, TaskRecipient


class TaskStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("待完成")
    OVERDUE = "overdue", gettext_lazy("已逾期")
    DONE = "done", gettext_lazy("已完成")


NOT_YOURS = gettext_lazy("只能登记本人的任务完成情况。")
READ_ONLY = gettext_lazy("当前账号只能查看，不能登记任务完成情况。")
NO_RECIPIENTS = gettext_lazy("该区域在下达日期没有在任的党建指导员，任务无人接收，请重新选择下达范围或日期。")
NOT_A_RECIPIENT = gettext_lazy("该指导员不是此任务的下达对象。")


# --- who receives a task ---------------------------------------------------------------------------------------


def serving_q(on: dt.date, prefix: str = "") -> Q:
    """Instructors not 离任 by ``on`` (离任日期 is the first day no longer serving)."""
    return Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": on})


def recipients_of(area: Area, on: dt.date) -> QuerySet[Instructor]:
    """The instructors a task published to ``area`` on ``on`` goes to: serving that day, and based in the area's
    subtree or assigned that day to a firm in it."""
    assigned = InstructorAssignment.objects.active_on(on).filter(
        instructor=OuterRef("pk"), enterprise__area__path__startswith=area.path
    )
    return Instructor.objects.filter(serving_q(on)).filter(
        Q(area__path__startswith=area.path) | Exists(assigned)
    )


# --- a task's state for an instructor ---------------------------------------------------------------------------


def status_of(*, due_on: dt.date, done_on: dt.date | None, on: dt.date) -> str:
    """:class:`TaskStatus` of a task due ``due_on`` for an instructor who reported it done on ``done_on`` (or not),
    as of ``on``."""
    if done_on is not None and done_on <= on:
        return TaskStatus.DONE
    return TaskStatus.OVERDUE if on > due_on else TaskStatus.PENDING


def recipient_rows() -> QuerySet[TaskRecipient]:
    """TaskRecipient rows carrying ``done_on``: the day their instructor reported the task done, None if not yet."""
    done = TaskCompletion.objects.filter(task=OuterRef("task_id"), instructor=OuterRef("instructor_id"))
    return TaskRecipient.objects.annotate(
        done_on=Subquery(done.values("done_on")[:1], output_field=models.DateField())
    )


def overdue_q(on: dt.date) -> Q:
    """Rows of :func:`recipient_rows` overdue on ``on``: past the due date, not done by ``on``, the instructor still
    serving (one who has left owes nothing more)."""
    return (
        Q(task__due_on__lt=on)
        & (Q(done_on__isnull=True) | Q(done_on__gt=on))
        & serving_q(on, prefix="instructor__")
    )


def queue_rows(area: Area) -> QuerySet[TaskRecipient]:
    """The (task, instructor) pairs the work queue of ``area`` looks at: those of instructors based in its subtree
    (one pair counts in one park), each named "指导员：任务" for lists."""
    return (
        recipient_rows()
        .filter(instructor__area__path__startswith=area.path)
        .annotate(
            name=Concat("instructor__name", Value("："), "task__title", output_field=CharField()),
        )
        .select_related("task", "instructor__area")
    )


# --- who sees and may do what ----------------------------------------------------------------------------------


def ancestor_paths(area: Area) -> list[str]:
    """The paths of ``area`` and every area above it: ``/Z/A/`` → ``/Z/``, ``/Z/A/``."""
    parts = [p for p in area.path.split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def tasks_for(access: Access) -> QuerySet[InstructorTask]:
    """The tasks ``access`` sees (see the module's docstring)."""
    tasks = InstructorTask.objects.all()
    if access.is_instructor:
        return tasks.filter(
            Exists(TaskRecipient.objects.filter(task=OuterRef("pk"), instructor_id=access.instructor_id))
        )
    if access.sees_nothing:
        return tasks.none()
    if access.area is None:
        return tasks
    return tasks.filter(access.path_q("area__path") | Q(area__path__in=ancestor_paths(access.area)))


def may_publish(access: Access, area: Area | None = None) -> bool:
    """Staff and administrators publish tasks, to areas in their subtree."""
    return access.can_write and (area is None or access.covers(area))


def check_may_complete(access: Access, *, instructor: Instructor) -> None:
    """PermissionDenied unless ``access`` may report ``instructor``'s task done: its own account, or staff and
    administrators who see the instructor."""
    if access.is_instructor:
        if instructor.pk != access.instructor_id:
            raise PermissionDenied(str(NOT_YOURS))
        return
    if not access.can_write:
        raise PermissionDenied(str(READ_ONLY))
    if not Instructor.objects.restrict(access).filter(pk=instructor.pk).exists():
        raise PermissionDenied(str(NOT_YOURS))


# --- writes ----------------------------------------------------------------------------------------------------


@transaction.atomic
def publish_task(
    *,
    area: Area,
    title: str,
    due_on: dt.date,
    content: str = "",
    published_on: dt.date | None = None,
    published_by=None,
) -> InstructorTask:
    """Publish a task to the instructors of ``area`` (:func:`recipients_of` on ``published_on``, default today),
    due ``due_on``. Refused (ValidationError keyed by field, nothing saved) when the publication date is after today,
    the due date before it, or nobody would receive it."""
    today = timezone.localdate()
    published_on = published_on or today
    task = InstructorTask(
        area=area,
        title=title,
        content=content,
        published_on=published_on,
        due_on=due_on,
        published_by=published_by,
    )
    errors: dict[str, list[str]] = {}
    try:
        task.full_clean()
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        check_not_future(published_on, today=today)
    except ValidationError as exc:
        errors.setdefault("published_on", []).extend(exc.messages)
    if "__all__" in errors and due_on is not None and published_on is not None and due_on < published_on:
        # The table constraint's message belongs next to the due date.
        errors.setdefault("due_on", []).extend(errors.pop("__all__"))
    recipients = list(recipients_of(area, published_on).order_by("pk")) if not errors else []
    if not errors and not recipients:
        errors["area"] = [str(NO_RECIPIENTS)]
    if errors:
        raise ValidationError(errors)
    save_new(task)
    rows = TaskRecipient.objects.bulk_create([TaskRecipient(task=task, instructor=i) for i in recipients])
    write_audit(created_entries(rows), actor=published_by, source="publish")
    return task


@transaction.atomic
def complete_task(
    *, task: InstructorTask, instructor: Instructor, done_on: dt.date | None = None, note: str = ""
) -> TaskCompletion:
    """Record that ``instructor`` did ``task`` on ``done_on`` (default today), with a note. Refused (ValidationError
    keyed by field, nothing saved) for an instructor the task was not published to, a date after today or before
    the task was published, and a task already reported done by this instructor (one report each)."""
    today = timezone.localdate()
    done_on = done_on or today
    if not TaskRecipient.objects.filter(task=task, instructor=instructor).exists():
        raise ValidationError({"instructor": [str(NOT_A_RECIPIENT)]})
    errors: dict[str, list[str]] = {}
    try:
        check_not_future(done_on, today=today)
    except ValidationError as exc:
        errors["done_on"] = exc.messages
    if done_on < task.published_on:
        errors.setdefault("done_on", []).append(
            _("完成日期不能早于任务下达日期（%(d)s）。") % {"d": task.published_on.isoformat()}
        )
    done = TaskCompletion.objects.filter(task=task, instructor=instructor).first()
    if done is not None:
        errors.setdefault("__all__", []).append(
            _("%(name)s已于 %(d)s 登记完成此任务，不能重复登记。")
            % {"name": instructor.name, "d": done.done_on.isoformat()}
        )
    if errors:
        raise ValidationError(errors)
    completion = TaskCompletion(task=task, instructor=instructor, done_on=done_on, note=note)
    completion.full_clean(validate_unique=False)
    save_new(completion)  # two reports at once: the loser gets the unique error, nothing half-written
    return completion
