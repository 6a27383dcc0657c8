"""重点工作任务 (issue 15): who receives a task, reporting it done (own only; staff on an instructor's behalf), when
it is overdue, the work-queue entry "指导员任务逾期" appearing and disappearing, and the pages (staff's list, form and
detail; the instructor's phone pages)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from members.duties import (
    TaskStatus,
    check_may_complete,
    complete_task,
    overdue_q,
    publish_task,
    queue_rows,
    recipients_of,
    status_of,
    tasks_for,
)
from members.models import InstructorTask, TaskCompletion, TaskRecipient
from registry.access import access_for
from reports.engine.workqueue import work_queue
from tests.factories import AreaFactory, AssignmentFactory, EnterpriseFactory, InstructorFactory, make_user

pytestmark = pytest.mark.django_db

D = dt.date
PUBLISHED, DUE = D(2025, 6, 2), D(2025, 6, 30)
CODE = "instructor-tasks-overdue"


def on_day(day: dt.date):
    return time_machine.travel(
        dt.datetime(day.year, day.month, day.day, 10, tzinfo=timezone.get_current_timezone()), tick=False
    )


@pytest.fixture
def world():
    """District Z with parks A and B. In A: 李一 and 王二; in B: 赵三, assigned to a firm in A; 孙四 in B only; 周五
    in A but left before the task."""
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    park_a = AreaFactory(code="A", parent=zone, name="甲园区")
    park_b = AreaFactory(code="B", parent=zone, name="乙园区")
    people = {
        "李一": InstructorFactory(name="李一", area=park_a),
        "王二": InstructorFactory(name="王二", area=park_a),
        "赵三": InstructorFactory(name="赵三", area=park_b),
        "孙四": InstructorFactory(name="孙四", area=park_b),
        "周五": InstructorFactory(name="周五", area=park_a, ended_on=D(2025, 5, 1)),
    }
    AssignmentFactory(
        instructor=people["赵三"], enterprise=EnterpriseFactory(area=park_a), start=D(2025, 1, 1)
    )
    return zone, park_a, park_b, people


@pytest.fixture
def task(world):
    with on_day(PUBLISHED):
        return publish_task(area=world[1], title="开展党组织覆盖摸底", content="逐户核实", due_on=DUE)


def names(rows) -> set[str]:
    return {r.instructor.name for r in rows}


# --- publishing -----------------------------------------------------------------------------------------------


def test_a_task_goes_to_the_instructors_based_or_assigned_in_the_area_at_publication(world, task):
    _zone, park_a, park_b, people = world
    assert names(task.recipients.select_related("instructor")) == {"李一", "王二", "赵三"}
    # An assignment made later does not add the instructor to an earlier task.
    AssignmentFactory(
        instructor=people["孙四"], enterprise=EnterpriseFactory(area=park_a), start=D(2025, 6, 10)
    )
    assert TaskRecipient.objects.filter(task=task).count() == 3
    assert set(recipients_of(park_a, D(2025, 6, 10)).values_list("name", flat=True)) == {
        "李一",
        "王二",
        "赵三",
        "孙四",
    }
    # An assignment over before the publication day does not count either.
    assert "赵三" not in set(recipients_of(park_a, D(2024, 12, 31)).values_list("name", flat=True))


def test_publishing_refuses_bad_dates_and_an_area_nobody_would_receive(world):
    zone, park_a, _b, _people = world
    empty = AreaFactory(code="C", parent=zone, name="丙园区")
    with on_day(PUBLISHED):
        with pytest.raises(ValidationError) as raised:
            publish_task(area=park_a, title="任务", published_on=D(2025, 6, 2), due_on=D(2025, 6, 1))
        assert raised.value.message_dict["due_on"] == ["完成期限不能早于下达日期。"]
        with pytest.raises(ValidationError) as raised:
            publish_task(area=park_a, title="任务", published_on=D(2025, 6, 3), due_on=D(2025, 6, 30))
        assert "published_on" in raised.value.message_dict
        with pytest.raises(ValidationError) as raised:
            publish_task(area=empty, title="任务", due_on=D(2025, 6, 30))
        assert "无人接收" in raised.value.message_dict["area"][0]
    assert not InstructorTask.objects.exists() and not TaskRecipient.objects.exists()


# --- reporting it done, and overdue ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("done_on", "on", "status"),
    [
        (None, DUE, TaskStatus.PENDING),
        (None, DUE + dt.timedelta(days=1), TaskStatus.OVERDUE),
        (DUE, DUE + dt.timedelta(days=1), TaskStatus.DONE),
        (
            DUE + dt.timedelta(days=3),
            DUE + dt.timedelta(days=1),
            TaskStatus.OVERDUE,
        ),  # as of a day before done
        (DUE + dt.timedelta(days=3), DUE + dt.timedelta(days=3), TaskStatus.DONE),  # done late is done
    ],
)
def test_status_of(done_on, on, status):
    assert status_of(due_on=DUE, done_on=done_on, on=on) == status


def test_completion_rules(world, task):
    _zone, _a, _b, people = world
    with on_day(D(2025, 6, 20)):
        with pytest.raises(ValidationError) as raised:
            complete_task(task=task, instructor=people["孙四"], note="")
        assert raised.value.message_dict == {"instructor": ["该指导员不是此任务的下达对象。"]}
        with pytest.raises(ValidationError) as raised:
            complete_task(task=task, instructor=people["李一"], done_on=D(2025, 6, 21))
        assert "done_on" in raised.value.message_dict
        with pytest.raises(ValidationError) as raised:
            complete_task(task=task, instructor=people["李一"], done_on=D(2025, 6, 1))
        assert "不能早于任务下达日期（2025-06-02）" in raised.value.message_dict["done_on"][0]
        complete_task(task=task, instructor=people["李一"], note="已摸底 12 家")
        with pytest.raises(ValidationError) as raised:
            complete_task(task=task, instructor=people["李一"], done_on=D(2025, 6, 19))
        assert "已于 2025-06-20 登记完成" in raised.value.messages[0]
    assert list(TaskCompletion.objects.values_list("instructor__name", "done_on", "note")) == [
        ("李一", D(2025, 6, 20), "已摸底 12 家")
    ]


def test_only_the_instructor_itself_or_staff_may_report_it_done(world, task):
    _zone, park_a, park_b, people = world
    own = make_user("li", role="instructor", area=park_a)
    people["李一"].user = own
    people["李一"].save()
    check_may_complete(access_for(own), instructor=people["李一"])
    with pytest.raises(PermissionDenied):
        check_may_complete(access_for(own), instructor=people["王二"])
    check_may_complete(access_for(make_user("clerk", role="staff", area=park_a)), instructor=people["王二"])
    with pytest.raises(PermissionDenied):
        check_may_complete(access_for(make_user("park", role="park", area=park_a)), instructor=people["王二"])
    with pytest.raises(PermissionDenied):  # staff of B do not see A's instructors
        check_may_complete(
            access_for(make_user("clerk-b", role="staff", area=park_b)), instructor=people["王二"]
        )


def test_an_overdue_task_is_in_the_work_queue_until_it_is_done(world, task):
    zone, park_a, park_b, people = world
    day_after = DUE + dt.timedelta(days=1)
    assert work_queue(zone, DUE).counts()[CODE] == 0  # due today: not late yet
    assert work_queue(zone, day_after).counts()[CODE] == 3
    assert work_queue(park_a, day_after).counts()[CODE] == 2  # 赵三 counts in B, where it is based
    assert work_queue(park_b, day_after).counts()[CODE] == 1
    with on_day(D(2025, 7, 3)):
        complete_task(task=task, instructor=people["李一"], done_on=D(2025, 7, 2))
    assert work_queue(zone, D(2025, 7, 3)).counts()[CODE] == 2
    assert work_queue(zone, D(2025, 7, 1)).counts()[CODE] == 3  # as of a day before it was done
    item = work_queue(park_a, D(2025, 7, 3)).item(CODE)
    assert [r.name for r in item.queryset] == ["王二：开展党组织覆盖摸底"]
    # An instructor who has left owes nothing more.
    people["王二"].ended_on = D(2025, 7, 3)
    people["王二"].save()
    assert work_queue(park_a, D(2025, 7, 3)).counts()[CODE] == 0
    assert queue_rows(park_a).filter(overdue_q(D(2025, 7, 2))).count() == 1


def test_the_work_item_page_and_its_download(client, world, task):
    client.force_login(make_user("clerk", role="staff", area=world[0]))
    with on_day(D(2025, 7, 3)):
        page = client.get(f"/workqueue/{CODE}/", {"area": "Z", "date": "2025-07-03"})
        sheet = client.get(f"/workqueue/{CODE}.xlsx", {"area": "Z", "date": "2025-07-03"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "指导员任务逾期" in html and "李一" in html and "赵三" in html and "共 3 条" in html
    assert f"/instructors/tasks/{task.pk}/" in html
    assert sheet.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(b"".join(sheet.streaming_content))).worksheets[0].values)
    assert rows[1][:3] == ("党建指导员", "所属区域", "任务名称")
    assert {r[0] for r in rows[2:]} == {"李一", "王二", "赵三"}


# --- who sees tasks ---------------------------------------------------------------------------------------------


def test_tasks_are_seen_in_the_area_above_and_below_and_by_their_instructors(world, task):
    zone, park_a, park_b, people = world
    with on_day(PUBLISHED):
        district = publish_task(area=zone, title="全区任务", due_on=DUE)
    seen = {
        "staff_z": make_user("z", role="staff", area=zone),
        "park_a": make_user("a", role="park", area=park_a),
        "park_b": make_user("b", role="park", area=park_b),
    }
    got = {k: set(tasks_for(access_for(u)).values_list("title", flat=True)) for k, u in seen.items()}
    assert got == {
        "staff_z": {"开展党组织覆盖摸底", "全区任务"},
        "park_a": {"开展党组织覆盖摸底", "全区任务"},
        "park_b": {"全区任务"},
    }
    sun = make_user("sun", role="instructor", area=park_b)
    people["孙四"].user = sun
    people["孙四"].save()
    assert list(tasks_for(access_for(sun))) == [district]


# --- pages -----------------------------------------------------------------------------------------------------


def test_staff_publish_a_task_and_see_each_instructors_state(client, world):
    _zone, park_a, _b, people = world
    clerk = make_user("clerk", role="staff", area=world[0])
    client.force_login(clerk)
    with on_day(PUBLISHED):
        assert client.get("/instructors/tasks/new/").status_code == 200
        bad = client.post(
            "/instructors/tasks/new/",
            {"area": park_a.pk, "title": "摸底", "published_on": "2025-06-02", "due_on": "2025-06-01"},
        )
        assert bad.status_code == 200 and "完成期限不能早于下达日期。" in bad.content.decode()
        response = client.post(
            "/instructors/tasks/new/",
            {
                "area": park_a.pk,
                "title": "摸底",
                "content": "",
                "published_on": "2025-06-02",
                "due_on": "2025-06-30",
            },
        )
    task = InstructorTask.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/instructors/tasks/{task.pk}/"
    assert task.published_by.username == "clerk"
    with on_day(D(2025, 7, 2)):
        client.force_login(clerk)  # sessions expire after 30 idle minutes: the clock jumped a month
        complete_task(task=task, instructor=people["李一"], done_on=D(2025, 6, 30), note="完成")
        listing = client.get("/instructors/tasks/").content.decode()
        detail = client.get(f"/instructors/tasks/{task.pk}/").content.decode()
        on_behalf = client.post(
            f"/instructors/tasks/{task.pk}/done/",
            {"instructor": people["王二"].pk, "done_on": "2025-07-01", "note": "代为登记"},
        )
    assert "摸底" in listing
    assert "已完成" in detail and "已逾期" in detail and "代为登记完成" in detail
    assert on_behalf.status_code == 302
    assert TaskCompletion.objects.filter(instructor=people["王二"], note="代为登记").exists()


def test_read_only_roles_may_not_publish_or_record(client, world, task):
    client.force_login(make_user("park", role="park", area=world[1]))
    assert client.get("/instructors/tasks/new/").status_code == 403
    assert client.get(f"/instructors/tasks/{task.pk}/").status_code == 200
    assert client.get(f"/instructors/tasks/{task.pk}/done/").status_code == 403
    client.force_login(make_user("park-b", role="park", area=world[2]))
    assert client.get(f"/instructors/tasks/{task.pk}/").status_code == 404


def test_an_instructor_sees_its_tasks_and_reports_its_own_done(client, world, task):
    _zone, park_a, _b, people = world
    user = make_user("li", role="instructor", area=park_a)
    people["李一"].user = user
    people["李一"].save()
    client.force_login(user)
    with on_day(D(2025, 7, 1)):
        assert client.get("/instructors/tasks/")["Location"] == "/instructor/tasks/"
        mine = client.get("/instructor/tasks/").content.decode()
        assert "开展党组织覆盖摸底" in mine and "已逾期" in mine and 'name="viewport"' in mine
        assert "登记完成" in client.get("/instructor/tasks/", {"status": "overdue"}).content.decode()
        form = client.get(f"/instructors/tasks/{task.pk}/done/").content.decode()
        assert 'name="instructor"' not in form  # its own, always
        # Posting someone else's id changes nothing: the form has no such field.
        done = client.post(
            f"/instructors/tasks/{task.pk}/done/",
            {"instructor": people["王二"].pk, "done_on": "2025-07-01", "note": "已完成摸底"},
        )
        again = client.post(f"/instructors/tasks/{task.pk}/done/", {"done_on": "2025-07-01", "note": "再次"})
        after = client.get("/instructor/tasks/").content.decode()
    assert done.status_code == 302 and done["Location"] == "/instructor/tasks/"
    assert list(TaskCompletion.objects.values_list("instructor__name", "note")) == [("李一", "已完成摸底")]
    assert again.status_code == 200 and "不能重复登记" in again.content.decode()
    assert "已完成" in after and "逾期完成" in after
    # A task it did not receive does not exist for it.
    with on_day(PUBLISHED):
        other = publish_task(area=world[2], title="乙园区任务", due_on=DUE)
        client.force_login(user)
        assert client.get(f"/instructors/tasks/{other.pk}/done/").status_code == 404
        assert client.get(f"/instructors/tasks/{other.pk}/").status_code == 404


def test_staff_cannot_open_my_tasks(client, world):
    client.force_login(make_user("clerk", role="staff", area=world[0]))
    assert client.get("/instructor/tasks/").status_code == 403


def test_task_pages_read_as_many_queries_for_a_long_page_as_for_a_short_one(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clerk = make_user("clerk", role="staff", area=world[0])
    with on_day(PUBLISHED):
        tasks = [publish_task(area=world[0], title=f"任务{n}", due_on=DUE) for n in range(6)]
    with on_day(D(2025, 7, 2)):
        client.force_login(clerk)
        complete_task(task=tasks[0], instructor=world[3]["李一"], done_on=D(2025, 6, 30))

        def count(url: str, size: int) -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url, {"page_size": size}).status_code == 200
            return len(ctx.captured_queries)

        assert count("/instructors/tasks/", 1) == count("/instructors/tasks/", 6)
        detail = f"/instructors/tasks/{tasks[0].pk}/"
        assert count(detail, 1) == count(detail, 4)
