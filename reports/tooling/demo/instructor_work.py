"""The demo zone's 指导员工作 (issue 15): visits, the firms' requests and the district's tasks, 2024Q1–2026Q3.

Drawn after everything else, from a random generator of its own, so the rest of the zone is exactly what it was
before these records existed (no headline figure moves: visits, requests and tasks are not part of coverage).

- 走访: an instructor visits the firms assigned to them (InstructorAssignment ``start <= day < end``) on weekdays;
  about 80 % of the firm-quarters they hold see a visit, some see two. Before a firm sets up its own organisation
  (天昌重工装备, branch founded 2025-09-10) the instructor's visits are 指导组建.
- 企业诉求: one to three a year from each assigned firm, taken by its instructor; about 90 % are closed within 30
  days, a few take longer, a few are still open.
- 重点工作任务: one a quarter to each park (four a year, three in 2026), published to the park's instructors
  (members.duties.recipients_of, stored as TaskRecipient rows); most done on time, a few late or not reported.

Every record passes the rules the pages apply (members.work.visit_errors and request_errors, as of 2026-09-30).

Nothing is dated after 2026-09-30 (the last quarter that had ended when the records were added) nor before
2024-01-01.
"""

from __future__ import annotations

import datetime as dt
import random

from members.duties import recipients_of
from members.models import (
    EnterpriseRequest,
    Instructor,
    InstructorTask,
    InstructorVisit,
    TaskCompletion,
    TaskRecipient,
)
from members.work import request_errors, visit_errors

from .builder import Builder
from .facts import PARKS, SEED, STAMP

FIRST = dt.date(2024, 1, 1)
LAST = dt.date(2026, 9, 30)
VISITED = 0.8  # share of an assignment's firm-quarters with a visit
SECOND_VISIT = 0.3  # of those, share with a second one
GUIDANCE = dt.timedelta(days=360)  # visits within this long before a firm's own organisation are 指导组建

VISIT_KINDS = (("visit", 72), ("guidance", 10), ("training", 12), ("other", 6))
VISIT_CONTENT = {
    "visit": (
        "走访企业负责人，宣传非公企业党建政策，了解生产经营情况",
        "摸排企业党员和入党积极分子情况，更新党员底数台账",
        "了解企业用工和职工思想动态，听取企业发展诉求",
        "与企业党建工作联络员座谈，商定本季度党建工作安排",
        "走访生产一线，了解流动党员和新招录职工中的党员情况",
        "回访企业此前反映的问题，了解办理结果落实情况",
    ),
    "guidance": (
        "指导企业做好组建党组织前期准备，梳理党员组织关系",
        "与企业负责人商议成立党支部事宜，讲解组建程序",
        "协助企业党员转接组织关系，筹备召开党员大会",
        "指导企业物色党组织书记人选，明确党建工作联络员",
    ),
    "training": (
        "为企业管理人员和党员职工讲授党的基本知识",
        "组织企业党员参加园区党员集中学习",
        "为企业党建工作联络员讲解党员发展工作程序",
        "开展党建政策宣讲，解读非公企业党建工作要求",
    ),
    "other": (
        "陪同园区党工委调研企业党建工作",
        "参加企业职工代表座谈会，了解职工诉求",
        "协助企业开展党员志愿服务活动",
    ),
}
PROBLEMS = (
    "企业党员多为流动党员，组织关系不在本单位",
    "企业负责人对党建工作重视不够，尚未明确党建工作联络员",
    "正式党员不足三名，暂不具备单独组建党组织条件",
    "企业生产任务重，党员集中学习时间难以保证",
    "新招录职工中党员底数不清，需进一步摸排",
    "企业反映招工难，技术工人流失较多",
)
WITH_PROBLEM = 0.35

REQUEST_CATEGORIES = (
    ("labour", 30),
    ("safety", 12),
    ("environment", 10),
    ("infrastructure", 22),
    ("dispute", 10),
    ("other", 16),
)
REQUESTS = {  # category → (content, result) pairs
    "labour": (
        ("反映招工难，希望协助对接职业院校和人力资源市场", "已对接区人社局和职业院校，组织专场招聘会"),
        ("咨询稳岗补贴申报条件和办理流程", "已讲解申报政策，协助企业完成申报材料报送"),
        ("希望协调解决外地职工子女就近入学问题", "已协调区教育部门，按政策安排就近入学"),
    ),
    "safety": (
        ("申请安全生产隐患排查技术指导", "已联系区应急管理局安排专家上门排查指导"),
        ("咨询厂房消防设施改造验收要求", "已协调消防部门现场讲解验收要求"),
    ),
    "environment": (
        ("咨询扩建项目环评手续办理流程", "已协调生态环境分局讲解办理流程，企业已提交申请"),
        ("反映厂区周边污水管网排水不畅", "已转园区建设管理部门疏通管网，问题解决"),
    ),
    "infrastructure": (
        ("反映厂区门前道路破损，影响货车通行", "已转园区建设管理部门修复路面"),
        ("希望增设园区公交站点，方便职工通勤", "已协调公交公司调整线路，增设站点"),
        ("反映厂区周边路灯损坏，夜班职工出行不便", "已协调维修路灯，恢复照明"),
    ),
    "dispute": (
        ("离职职工反映工资结算有争议，请求协调", "已会同劳动监察部门调解，双方达成一致"),
        ("协调劳务派遣人员社会保险缴纳争议", "已协调派遣单位补缴社会保险，争议化解"),
    ),
    "other": (
        ("咨询高新技术企业认定申报事项", "已对接区科技部门，指导企业准备申报材料"),
        ("希望协助办理职工公共租赁住房申请", "已协助职工提交申请材料，进入审核程序"),
        ("咨询企业技术改造专项资金申报", "已转区经济发展局，指导企业按期申报"),
    ),
}
WITHIN_30 = 0.9  # closed within 30 days
STILL_OPEN = 0.04  # never closed; the rest (about 6 %) take one to three months

CENSUS = "逐户摸排联系企业的党员、入党积极分子和流动党员情况，更新台账。"
SUMMARY = "总结本年度联系企业党建工作，提出下年度工作打算。"
# One task a quarter, published to every park: (year, quarter, title, content).
TASKS = (
    (2024, 1, "2024年度非公企业党员底数摸排", CENSUS),
    (2024, 2, "“七一”前走访联系企业党员职工", "走访联系企业党员职工，宣讲党的政策，收集企业诉求。"),
    (2024, 3, "规上非公企业党建覆盖情况核查", "核查联系企业党组织覆盖和工作覆盖情况，报送核查表。"),
    (2024, 4, "2024年度指导员工作总结", SUMMARY),
    (2025, 1, "2025年度非公企业党员底数摸排", CENSUS),
    (2025, 2, "推动具备条件的企业组建党组织", "对正式党员三名以上的联系企业逐一研判，推动单独组建党组织。"),
    (2025, 3, "“两个覆盖”质量提升专项行动", "对照覆盖质量要求排查联系企业存在的问题，形成整改清单。"),
    (2025, 4, "2025年度指导员工作总结", SUMMARY),
    (2026, 1, "2026年度非公企业党员底数摸排", CENSUS),
    (2026, 2, "“七一”走访慰问困难党员和流动党员", "走访慰问联系企业困难党员和流动党员，了解思想和生活情况。"),
    (2026, 3, "规上企业党建覆盖“回头看”", "对上年度以来新组建党组织的企业开展回访，巩固覆盖成果。"),
)
ON_TIME = 0.87
LATE = 0.09  # done after the due date; the rest are not reported
DONE_NOTES = (
    "已按要求完成，相关材料已报送园区党建工作办公室",
    "已完成，联系企业台账同步更新",
    "已逐户走访联系企业，情况报告已提交",
    "已完成并形成书面报告",
)
LATE_NOTE = "联系企业生产任务重，延期完成"


def _quarters() -> list[tuple[dt.date, dt.date]]:
    """(first day, last day) of each quarter from 2024Q1 to 2026Q3."""
    found = []
    for year in range(FIRST.year, LAST.year + 1):
        for month in (1, 4, 7, 10):
            start = dt.date(year, month, 1)
            if start > LAST:
                break
            following = dt.date(year + 1, 1, 1) if month == 10 else dt.date(year, month + 3, 1)
            found.append((start, following - dt.timedelta(days=1)))
    return found


def _weekdays(lower: dt.date, upper: dt.date) -> list[dt.date]:
    return [
        day
        for day in (lower + dt.timedelta(days=n) for n in range((upper - lower).days + 1))
        if day.weekday() < 5
    ]


def _next_weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


class InstructorWork:
    def __init__(self, builder: Builder) -> None:
        self.builder = builder
        self.rng = random.Random(f"{SEED}-instructor-work")
        self.visits: list[InstructorVisit] = []
        self.requests: list[EnterpriseRequest] = []
        self.tasks: list[InstructorTask] = []
        self.recipients: list[TaskRecipient] = []
        self.completions: list[TaskCompletion] = []

    def _span(self, assignment, lower: dt.date, upper: dt.date) -> tuple[dt.date, dt.date]:
        """The days of [lower, upper] on which ``assignment`` holds (may be empty: lower > upper)."""
        last = assignment.end - dt.timedelta(days=1) if assignment.end else LAST
        return max(lower, assignment.start, FIRST), min(upper, last, LAST)

    def _own_org_from(self, assignment) -> dt.date | None:
        """When the assigned firm's own organisation was founded, if it was during the assignment."""
        starts = [
            link.start
            for link in self.builder.links
            if link.enterprise is assignment.enterprise and link.start > assignment.start
        ]
        return min(starts, default=None)

    # --- 走访 ------------------------------------------------------------------------------------------------
    def visit_kind(self, day: dt.date, own_org_from: dt.date | None) -> str:
        if own_org_from and own_org_from - GUIDANCE <= day < own_org_from:
            return "guidance"
        kinds, weights = zip(*VISIT_KINDS, strict=True)
        return self.rng.choices(kinds, weights=weights)[0]

    def build_visits(self) -> None:
        rng = self.rng
        for assignment in self.builder.assignments:
            own_org_from = self._own_org_from(assignment)
            for quarter_start, quarter_end in _quarters():
                lower, upper = self._span(assignment, quarter_start, quarter_end)
                # Every quarter of the run-up to the firm's own organisation sees the instructor, before it.
                guiding = own_org_from is not None and lower < own_org_from <= upper + GUIDANCE
                if guiding:
                    upper = min(upper, own_org_from - dt.timedelta(days=1))
                days = _weekdays(lower, upper)
                if not days or (not guiding and rng.random() >= VISITED):
                    continue
                count = 2 if len(days) > 1 and rng.random() < SECOND_VISIT else 1
                for day in sorted(rng.sample(days, count)):
                    kind = self.visit_kind(day, own_org_from)
                    problems = rng.choice(PROBLEMS) if rng.random() < WITH_PROBLEM else ""
                    self.visits.append(
                        InstructorVisit(
                            instructor=assignment.instructor,
                            enterprise=assignment.enterprise,
                            visited_on=day,
                            kind=kind,
                            content=rng.choice(VISIT_CONTENT[kind]),
                            problems=problems,
                        )
                    )

    # --- 企业诉求 ---------------------------------------------------------------------------------------------
    def build_requests(self) -> None:
        rng = self.rng
        categories, weights = zip(*REQUEST_CATEGORIES, strict=True)
        for assignment in self.builder.assignments:
            for year in range(FIRST.year, LAST.year + 1):
                lower, upper = self._span(assignment, dt.date(year, 1, 1), dt.date(year, 12, 31))
                days = _weekdays(lower, upper)
                count = rng.randint(1, 3)
                if len(days) < 250:  # a part of the year: fewer requests
                    count = round(count * len(days) / 250)
                for received_on in sorted(rng.sample(days, count)) if count else []:
                    category = rng.choices(categories, weights=weights)[0]
                    content, result = rng.choice(REQUESTS[category])
                    draw = rng.random()
                    if draw < WITHIN_30:
                        closed_on = _next_weekday(received_on + dt.timedelta(days=rng.randint(2, 28)))
                    elif draw < 1 - STILL_OPEN:
                        closed_on = _next_weekday(received_on + dt.timedelta(days=rng.randint(35, 90)))
                    else:
                        closed_on = None
                    if closed_on and closed_on > LAST:  # not closed yet
                        closed_on = None
                    self.requests.append(
                        EnterpriseRequest(
                            enterprise=assignment.enterprise,
                            instructor=assignment.instructor,
                            received_on=received_on,
                            category=category,
                            content=content,
                            closed_on=closed_on,
                            result=result if closed_on else "",
                        )
                    )

    # --- 重点工作任务 -----------------------------------------------------------------------------------------
    def build_tasks(self) -> None:
        rng = self.rng
        parks = [self.builder.areas[code] for code, *_rest in PARKS]
        for year, quarter, title, content in TASKS:
            start = dt.date(year, 3 * quarter - 2, 1)
            published_on = _next_weekday(start + dt.timedelta(days=rng.randint(3, 20)))
            due_on = _next_weekday(published_on + dt.timedelta(days=rng.randint(40, 55)))
            for park in parks:
                task = InstructorTask(
                    area=park, title=title, content=content, published_on=published_on, due_on=due_on
                )
                self.tasks.append(task)
                for instructor in recipients_of(park, published_on).order_by("pk"):
                    self.recipients.append(TaskRecipient(task=task, instructor=instructor))
                    self.complete(task, instructor)

    def complete(self, task: InstructorTask, instructor: Instructor) -> None:
        rng = self.rng
        draw = rng.random()
        if draw < ON_TIME:
            done_on = _next_weekday(task.published_on + dt.timedelta(days=rng.randint(10, 38)))
            done_on = min(done_on, task.due_on)
            note = rng.choice(DONE_NOTES)
        elif draw < ON_TIME + LATE:
            done_on = _next_weekday(task.due_on + dt.timedelta(days=rng.randint(3, 25)))
            note = f"{rng.choice(DONE_NOTES)}（{LATE_NOTE}）"
        else:
            return  # not reported: overdue
        if done_on > LAST:
            return
        self.completions.append(TaskCompletion(task=task, instructor=instructor, done_on=done_on, note=note))

    def build(self) -> None:
        self.build_visits()
        self.build_requests()
        self.build_tasks()

    # --- writing ---------------------------------------------------------------------------------------------
    def check(self) -> None:
        """The rules the records keep (the pages' own, as of 2026-09-30: nothing later); a ValueError means the
        generator itself is wrong."""
        for visit in self.visits:
            visit.instructor = visit.instructor  # refresh the ids now that they are saved
            visit.enterprise = visit.enterprise
            visit.full_clean()
            problems = visit_errors(
                instructor=visit.instructor,
                enterprise=visit.enterprise,
                visited_on=visit.visited_on,
                today=LAST,
            )
            if problems or visit.visited_on < FIRST:
                raise ValueError(f"demo visit {visit}: {problems or 'before 2024'}")
        for request in self.requests:
            request.enterprise = request.enterprise
            request.instructor = request.instructor
            request.full_clean()
            problems = request_errors(
                received_on=request.received_on,
                closed_on=request.closed_on,
                result=request.result,
                today=LAST,
            )
            if problems or request.received_on < FIRST:
                raise ValueError(f"demo request {request}: {problems or 'before 2024'}")
        for task in self.tasks:
            if task.due_on > LAST:
                raise ValueError(f"demo task {task}: due after {LAST}")
        owed = {(id(row.task), row.instructor.pk) for row in self.recipients}
        for row in self.recipients:
            row.task = row.task  # saved first: recipients and completions refer to them
            row.full_clean()
            if not row.instructor.area.path.startswith(row.task.area.path):
                raise ValueError(f"demo task {row}: published to an instructor of another area")
        for completion in self.completions:
            completion.task = completion.task
            completion.instructor = completion.instructor
            completion.full_clean()
            if (id(completion.task), completion.instructor.pk) not in owed or not (
                completion.task.published_on <= completion.done_on <= LAST
            ):
                raise ValueError(f"demo completion {completion}: not a recipient, or out of range")

    def save(self) -> dict[str, int]:
        for task in self.tasks:
            task.area = task.area
            task.full_clean()
        InstructorTask.objects.bulk_create(self.tasks)
        self.check()
        InstructorVisit.objects.bulk_create(self.visits)
        EnterpriseRequest.objects.bulk_create(self.requests)
        TaskRecipient.objects.bulk_create(self.recipients)
        TaskCompletion.objects.bulk_create(self.completions)
        # Fixed timestamps so that two builds dump identical files.
        for model, objects in ((InstructorVisit, self.visits), (EnterpriseRequest, self.requests)):
            model.objects.filter(pk__in=[obj.pk for obj in objects]).update(
                created_at=STAMP, updated_at=STAMP
            )
        for model, objects in ((InstructorTask, self.tasks), (TaskCompletion, self.completions)):
            model.objects.filter(pk__in=[obj.pk for obj in objects]).update(created_at=STAMP)
        return {
            "visits": len(self.visits),
            "requests": len(self.requests),
            "tasks": len(self.tasks),
            "task_recipients": len(self.recipients),
            "task_completions": len(self.completions),
        }


def build_instructor_work(builder: Builder) -> dict[str, int]:
    """Visits, requests and tasks of the demo zone (after everything else is saved); how many of each it wrote."""
    work = InstructorWork(builder)
    work.build()
    return work.save()
