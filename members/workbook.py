"""The member, instructor and applicant workbooks (党员, 指导员联系单位, 党建指导员, 发展党员): columns, records in
sheet form, the imports' planning and the exports.

The importers only parse, validate and diff; ``members.services.apply_member_rows``, ``apply_assignment_rows``
and ``apply_applicant_rows`` write. A member row that is a dated change (a transfer, 转正, 减少…) is rehearsed
through ``update_member`` in a rolled-back transaction while planning, so the service's refusal is a row error. 党建指导员 is export only (one row per instructor, their current firms listed).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from orgs.models import PartyOrganization
from registry.dating import active_q, overlaps
from registry.excel.cells import (
    Column,
    Kind,
    choice_formatter,
    choice_parser,
    format_bool,
    parse_bool,
    parse_code,
    parse_date,
    parse_past_date,
    parse_phone,
)
from registry.excel.importer import CREATE, UNCHANGED, UPDATE, Plan, Row
from registry.excel.sheets import Heading, save_workbook
from registry.masking import is_masked_birth_date, mask_birth_date
from registry.models import Enterprise
from registry.workbook import RegistryImporter, example_credit_code, parse_area_code, parse_credit_code

from .choices import Education, EndReason, Gender, MemberCategory, Stage
from .models import Applicant, Instructor, InstructorAssignment, Member, Membership
from .rules import (
    assignment_change_errors,
    assignment_errors,
    identity_errors,
    mask_id_number,
    mask_phone,
    membership_errors,
    party_join_errors,
    pipeline_errors,
    validate_id_number,
)
from .services import HISTORY_FIELDS, update_member

CHUNK = 2000  # rows per query when exporting


def parse_id_number(value: Any) -> str:
    code = parse_code(value)
    if "*" in code:
        raise ValidationError(_("身份证号码已脱敏（含 *），不能用于导入，请填写完整号码。"))
    return validate_id_number(code)


def parse_birth_date(value: Any) -> dt.date:
    if is_masked_birth_date(value):
        raise ValidationError(_("出生日期已脱敏（仅有出生年份），不能用于导入，请填写完整出生日期。"))
    return parse_past_date(value)


# ---------------------------------------------------------------- columns ----

# Personal columns members and applicants share: one definition, so both workbooks read a person alike.
GENDER = Column(
    "性别", "gender", choice_parser(Gender), choice_formatter(Gender), required=True, width=6, example="女"
)
ETHNICITY = Column("民族", "ethnicity", required=True, width=8, example="汉族")
EDUCATION = Column(
    "学历",
    "education",
    choice_parser(Education),
    choice_formatter(Education),
    required=True,
    width=12,
    example="大学本科",
    note="、".join(str(x) for x in Education.labels),
)


MEMBERS = Kind(
    name="members",
    title="党员",
    key=("id_number",),
    columns=(
        Column("姓名", "name", required=True, width=10, example="李四"),
        Column(
            "身份证号码",
            "id_number",
            parse_id_number,
            required=True,
            width=22,
            example="11010519491231002X",
            note="18 位；请把该列设为“文本”。导出的脱敏号码不能导入。",
        ),
        GENDER,
        ETHNICITY,
        Column(
            "出生日期", "birth_date", parse_birth_date, required=True, width=12, example=dt.date(1949, 12, 31)
        ),
        EDUCATION,
        Column("联系电话", "phone", parse_phone, width=14, example="13800000000"),
        Column(
            "党员类别",
            "category",
            choice_parser(MemberCategory),
            choice_formatter(MemberCategory),
            required=True,
            width=10,
            example="正式党员",
        ),
        Column(
            "入党日期",
            "joined_party_on",
            parse_past_date,
            empty=None,
            width=12,
            example=dt.date(2015, 7, 1),
            note="成为预备党员的日期，可早于转入本组织日期；新党员留空则按转入本组织日期，已有党员留空则不变。",
        ),
        Column(
            "转入本组织日期",
            "joined_on",
            parse_past_date,
            required=True,
            width=14,
            example=dt.date(2019, 7, 1),
            note="组织关系转入（或入党编入）所在党组织的日期。改填另一党组织时即为组织关系转接，自该日起转入。",
        ),
        Column(
            "所在党组织",
            "organization_name",
            required=True,
            width=30,
            example="中共示例科技有限公司支部委员会",
            note="组织关系所在党组织的名称。",
        ),
        Column(
            "党组织区域代码", "organization_area", parse_area_code, required=True, width=12, example="KFQ"
        ),
        Column(
            "工作单位信用代码",
            "enterprise",
            parse_credit_code,
            empty="",
            width=22,
            example=example_credit_code(1),
        ),
        Column("工作单位", "enterprise_name", importable=False, width=30),
        Column("流动党员", "is_mobile", parse_bool, format_bool, empty=False, width=8, example="否"),
        Column("离退休", "retired", parse_bool, format_bool, empty=False, width=8, example="否"),
        Column("减少日期", "ended_on", parse_date, empty=None, width=12),
        Column(
            "减少原因",
            "end_reason",
            choice_parser(EndReason),
            choice_formatter(EndReason),
            width=14,
            note="、".join(str(x) for x in EndReason.labels),
        ),
    ),
)

ASSIGNMENTS = Kind(
    name="assignments",
    title="指导员联系单位",
    key=("instructor_name", "enterprise", "start"),
    columns=(
        Column(
            "指导员姓名",
            "instructor_name",
            required=True,
            width=10,
            example="王五",
            note="须是系统中已登记的党建指导员。",
        ),
        Column(
            "指导员所属区域代码",
            "instructor_area",
            parse_area_code,
            width=12,
            example="KFQ",
            note="有同名指导员时用于区分。",
        ),
        Column(
            "联系单位信用代码",
            "enterprise",
            parse_credit_code,
            required=True,
            width=22,
            example=example_credit_code(1),
        ),
        Column("联系单位", "enterprise_name", importable=False, width=30),
        Column("开始日期", "start", parse_date, required=True, width=12, example=dt.date(2025, 3, 1)),
        Column("结束日期", "end", parse_date, empty=None, width=12, note="仍在联系时留空。"),
    ),
)

INSTRUCTORS = Kind(  # export only: one row per instructor, their current firms listed
    name="instructors",
    title="党建指导员",
    key=("name",),
    columns=(
        Column("姓名", "name", width=10),
        Column("派出单位", "unit", width=20),
        Column("专职", "full_time", format=format_bool, width=6),
        Column("联系电话", "phone", width=14),
        Column("所属区域代码", "area", width=12),
        Column("所属区域", "area_name", width=14),
        Column("离任日期", "ended_on", parse_date, width=12),
        Column("当前联系单位数", "firm_count", width=10),
        Column("当前联系单位", "firms", width=50),
    ),
)


APPLICANTS = Kind(
    name="applicants",
    title="发展党员",
    # One person may have several files (a withdrawn one, then a new application): the application date tells
    # them apart. How a row finds its file: ApplicantImporter.match().
    key=("id_number", "applied_on"),
    columns=(
        Column("姓名", "name", required=True, width=10, example="王小红"),
        GENDER,
        ETHNICITY,
        Column(
            "出生日期", "birth_date", parse_birth_date, required=True, width=12, example=dt.date(1995, 3, 7)
        ),
        EDUCATION,
        Column(
            "身份证号码",
            "id_number",
            parse_id_number,
            required=True,
            width=22,
            example="110105199503070021",
            note="18 位；请把该列设为“文本”。导出的脱敏号码不能导入。"
            "同一身份证号码的行修改其递交入党申请日期相同的记录，没有时修改其未终止的记录。",
        ),
        Column("联系电话", "phone", parse_phone, width=14, example="13800000000"),
        Column(
            "培养党组织",
            "organization_name",
            required=True,
            width=30,
            example="中共示例科技有限公司支部委员会",
            note="培养、考察该同志的党组织名称。",
        ),
        Column(
            "党组织区域代码", "organization_area", parse_area_code, required=True, width=12, example="KFQ"
        ),
        Column(
            "工作单位信用代码",
            "enterprise",
            parse_credit_code,
            empty="",
            width=22,
            example=example_credit_code(1),
        ),
        Column("工作单位", "enterprise_name", importable=False, width=30),
        Column(
            "递交入党申请日期",
            "applied_on",
            parse_past_date,
            required=True,
            width=14,
            example=dt.date(2023, 3, 1),
            note="递交入党申请书时应年满十八岁。",
        ),
        Column(
            "确定为入党积极分子日期",
            "activist_on",
            parse_past_date,
            empty=None,
            width=14,
            example=dt.date(2023, 9, 1),
            note="不早于递交入党申请日期。",
        ),
        Column(
            "确定为发展对象日期",
            "candidate_on",
            parse_past_date,
            empty=None,
            width=14,
            note="入党积极分子须培养考察一年以上。",
        ),
        Column(
            "终止日期",
            "withdrawn_on",
            parse_date,
            empty=None,
            width=12,
            note="本人撤回、调离等终止发展的日期，须同时填写终止原因。",
        ),
        Column("终止原因", "withdraw_reason", width=20),
        # Read-only: admission (接收为预备党员) registers the member and goes through the page or the API only.
        Column("当前阶段", "stage", format=choice_formatter(Stage), importable=False, width=14),
        Column("接收日期", "admitted_on", parse_date, importable=False, width=12),
    ),
)


def member_values(m, *, reveal: bool = False) -> dict[str, Any]:
    """A member as a ledger row; ID number, phone and birth date (the year only) masked unless ``reveal``."""
    return {
        "name": m.name,
        "id_number": m.id_number if reveal else mask_id_number(m.id_number),
        "gender": m.gender,
        "ethnicity": m.ethnicity,
        "birth_date": m.birth_date if reveal else mask_birth_date(m.birth_date),
        "education": m.education,
        "phone": m.phone if reveal else mask_phone(m.phone),
        "category": m.category,
        "joined_party_on": m.joined_party_on,
        "joined_on": m.joined_on,
        "organization_name": m.organization.name,
        "organization_area": m.organization.area.code,
        "enterprise": m.enterprise.credit_code if m.enterprise_id else "",
        "enterprise_name": m.enterprise.name if m.enterprise_id else "",
        "is_mobile": m.is_mobile,
        "retired": m.retired,
        "ended_on": m.ended_on,
        "end_reason": m.end_reason,
    }


def assignment_values(a) -> dict[str, Any]:
    return {
        "instructor_name": a.instructor.name,
        "instructor_area": a.instructor.area.code,
        "enterprise": a.enterprise.credit_code,
        "enterprise_name": a.enterprise.name,
        "start": a.start,
        "end": a.end,
    }


def applicant_values(a, *, reveal: bool = False) -> dict[str, Any]:
    """An applicant as a ledger row; ID number, phone and birth date masked unless ``reveal`` (as for members)."""
    return {
        "name": a.name,
        "gender": a.gender,
        "ethnicity": a.ethnicity,
        "birth_date": a.birth_date if reveal else mask_birth_date(a.birth_date),
        "education": a.education,
        "id_number": a.id_number if reveal else mask_id_number(a.id_number),
        "phone": a.phone if reveal else mask_phone(a.phone),
        "organization_name": a.organization.name,
        "organization_area": a.organization.area.code,
        "enterprise": a.enterprise.credit_code if a.enterprise_id else "",
        "enterprise_name": a.enterprise.name if a.enterprise_id else "",
        "applied_on": a.applied_on,
        "activist_on": a.activist_on,
        "candidate_on": a.candidate_on,
        "withdrawn_on": a.withdrawn_on,
        "withdraw_reason": a.withdraw_reason,
        "stage": a.stage,
        "admitted_on": a.admitted_on,
    }


# ---------------------------------------------------------------- members import ----


class MemberImporter(RegistryImporter):
    """Plans for ``members.services.apply_member_rows``; ``extra["model_fields"]`` names the Member fields to
    write (``organization``/``enterprise`` when those change; ``organization`` with ``joined_on``: a transfer
    from the row's 转入本组织日期). ``old`` of an update has its organisation's area and its enterprise's area
    loaded."""

    MODEL_FIELDS = (
        "name", "gender", "ethnicity", "birth_date", "education", "phone", "category", "joined_party_on",
        "joined_on", "is_mobile", "retired", "ended_on", "end_reason",
    )  # fmt: skip
    field_aliases = {"organization": "organization_name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.orgs: dict[tuple[str, str], PartyOrganization] = {}
        self.first_start: dict[int, dt.date] = {}

    def key_label(self, values):
        return f"{values.get('name', '')}（{mask_id_number(values.get('id_number') or '')}）"

    def shown(self, column, value):
        if column.field == "phone":
            return mask_phone(value or "")
        return super().shown(column, value)

    def plan_chunk(self, rows: list[Row]) -> None:
        existing = {
            m.id_number: m
            for m in Member.objects.filter(
                id_number__in=[r.values["id_number"] for r in rows]
            ).select_related("organization__area", "enterprise__area")
        }
        self.first_start = dict(
            Membership.objects.filter(member__in=[m.pk for m in existing.values()])
            .values("member_id")
            .annotate(first=Min("start"))
            .values_list("member_id", "first")
        )
        names = {r.values["organization_name"] for r in rows} - set(n for n, _c in self.orgs)
        if names:
            for org in PartyOrganization.objects.filter(name__in=names).select_related("area"):
                self.orgs[(org.name, org.area.code)] = org
        self.load_enterprises(r.values.get("enterprise") for r in rows)
        for row in rows:
            self.plan_row(row, existing.get(row.values["id_number"]))

    def plan_row(self, row: Row, old: Member | None) -> None:
        v = dict(row.values)
        if old is not None and not self.may_change(row, old.organization.area):
            return
        org = self.orgs.get((v["organization_name"], v["organization_area"]))
        if org is None or not self.access.covers(org.area):
            self.error(
                row.number,
                self.kind.header_of("organization_name"),
                _("未找到党组织“%(name)s”（区域 %(code)s），或不在您的管辖范围内。")
                % {"name": v["organization_name"], "code": v["organization_area"]},
            )
            return
        enterprise = None
        if v.get("enterprise"):
            enterprise = self.enterprise(row, v["enterprise"], "enterprise")
            if enterprise is None:
                return
        if "joined_party_on" in v and v["joined_party_on"] is None:
            # A blank 入党日期: a new member joined the Party on joining here (as create_member has it), an
            # existing one keeps theirs.
            v["joined_party_on"] = old.joined_party_on if old is not None else v["joined_on"]
        fields = {f: v[f] for f in self.MODEL_FIELDS if f in v}
        if old is None:
            fields.setdefault("joined_party_on", v["joined_on"])
            instance = Member(id_number=v["id_number"], organization=org, enterprise=enterprise, **fields)
            changed = [f for f in v if self.kind.column(f).importable and v[f] not in ("", None, False)]
            current: dict = {}
        else:
            current = member_values(old, reveal=True)
            changed = self.diff(current, v)
            instance = copy.copy(old)
            for f in changed:
                if f in self.MODEL_FIELDS:
                    setattr(instance, f, v[f])
            if {"organization_name", "organization_area"} & set(changed):
                instance.organization = org
            if "enterprise" in changed:
                instance.enterprise = enterprise
        extra: dict[str, list[str]] = defaultdict(list)
        for name, message in identity_errors(
            id_number=instance.id_number, birth_date=instance.birth_date, gender=instance.gender
        ).items():
            extra[name].append(message)
        for name, message in membership_errors(
            joined_on=instance.joined_on,
            organization=org,
            ended_on=instance.ended_on,
            end_reason=instance.end_reason,
        ).items():
            extra[name].append(message)
        first = instance.joined_on
        if old is not None and old.pk in self.first_start:
            first = min(first, self.first_start[old.pk])
        for name, message in party_join_errors(
            joined_party_on=instance.joined_party_on, joined_on=first, birth_date=instance.birth_date
        ).items():
            extra[name].append(message)
        if (old is None or changed) and not self.clean(row, instance, ["organization", "enterprise"], extra):
            return
        action = CREATE if old is None else (UPDATE if changed else UNCHANGED)
        if action == UNCHANGED:
            self.outcome(row, action, changed, current, v)
            return
        model_fields = [f for f in changed if f in self.MODEL_FIELDS]
        if {"organization_name", "organization_area"} & set(changed):
            # A transfer: from the row's 转入本组织日期 when it changes too (members.services.update_member).
            model_fields += ["organization"] + (["joined_on"] if "joined_on" not in model_fields else [])
        model_fields += ["enterprise"] if "enterprise" in changed else []
        dated = action == UPDATE and set(HISTORY_FIELDS) & set(model_fields)
        if dated and not self.rehearse(row, old, {f: getattr(instance, f) for f in model_fields}):
            return
        self.outcome(row, action, changed, current, v)
        self.plans.append(
            Plan(row, action, instance, old=old, changed=changed, extra={"model_fields": model_fields})
        )

    def rehearse(self, row: Row, old: Member, fields: dict[str, Any]) -> bool:
        """Run a dated change (transfer, 转正, 减少, new workplace…) through ``update_member`` on a copy and roll it
        back: whatever the service refuses becomes this row's error (its own message) instead of stopping the
        whole file half-way through writing."""
        try:
            with transaction.atomic():
                update_member(member=copy.copy(old), **fields)
                transaction.set_rollback(True)
        except ValidationError as exc:
            self.add_validation_error(row, exc)
            return False
        return True


# ---------------------------------------------------------------- assignments import ----


class AssignmentImporter(RegistryImporter):
    """Plans for ``members.services.apply_assignment_rows``: creates of new assignments and updates of an
    existing one's ``end`` (the only field an import changes); no ``extra``."""

    field_aliases = {"instructor": "instructor_name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instructors: dict[str, list[Instructor]] = {}
        self.existing: dict[int, InstructorAssignment] = {}
        self.ranges: dict[tuple[int, int], list[tuple[Any, dt.date, dt.date | None]]] = defaultdict(list)

    def key_label(self, values):
        start = values.get("start")
        return f"{values.get('instructor_name', '')} → {values.get('enterprise', '')}（{start or ''}）"

    def plan_chunk(self, rows: list[Row]) -> None:
        names = {r.values["instructor_name"] for r in rows} - set(self.instructors)
        if names:
            for name in names:
                self.instructors[name] = []
            for instructor in Instructor.objects.filter(name__in=names).select_related("area"):
                self.instructors[instructor.name].append(instructor)
        self.load_enterprises(r.values["enterprise"] for r in rows)
        resolved = [
            (row, self.instructor(row), self.enterprise(row, row.values["enterprise"], "enterprise"))
            for row in rows
        ]
        instructor_ids = {i.pk for _r, i, e in resolved if i and e}
        enterprise_ids = {e.pk for _r, i, e in resolved if i and e}
        for a in InstructorAssignment.objects.filter(
            instructor_id__in=instructor_ids, enterprise_id__in=enterprise_ids
        ):
            ranges = self.ranges[(a.instructor_id, a.enterprise_id)]
            if not any(r[0] == a.pk for r in ranges):
                ranges.append((a.pk, a.start, a.end))
                self.existing[a.pk] = a
        for row, instructor, enterprise in resolved:
            if instructor and enterprise:
                self.plan_row(row, instructor, enterprise)

    def instructor(self, row: Row) -> Instructor | None:
        v = row.values
        found = [i for i in self.instructors.get(v["instructor_name"], []) if self.access.covers(i.area)]
        if v.get("instructor_area"):
            found = [i for i in found if i.area.code == v["instructor_area"]]
        header = self.kind.header_of("instructor_name")
        if not found:
            self.error(
                row.number,
                header,
                _("未找到党建指导员“%(name)s”，请先在系统中登记。") % {"name": v["instructor_name"]},
            )
            return None
        if len(found) > 1:
            self.error(
                row.number,
                header,
                _("有 %(n)s 名同名指导员“%(name)s”，请填写“指导员所属区域代码”加以区分。")
                % {"n": len(found), "name": v["instructor_name"]},
            )
            return None
        return found[0]

    def plan_row(self, row: Row, instructor: Instructor, enterprise: Enterprise) -> None:
        v = row.values
        pair = (instructor.pk, enterprise.pk)
        old_pk = next(
            (pk for pk, start, _e in self.ranges[pair] if start == v["start"] and isinstance(pk, int)), None
        )
        old = self.existing.get(old_pk) if old_pk else None
        end = v.get("end") if "end" in v else (old.end if old else None)
        extra: dict[str, list[str]] = defaultdict(list)
        me = old_pk if old else ("row", row.number)
        for name, message in assignment_errors(
            start=v["start"],
            end=end,
            clashes=any(pk != me and overlaps(v["start"], end, s, e) for pk, s, e in self.ranges[pair]),
            instructor_ended_on=instructor.ended_on if old is None else None,
        ).items():
            extra[name].append(message)
        if old is not None:  # the rule a PATCH and the end form follow
            for name, message in assignment_change_errors(old_end=old.end, new_end=end).items():
                extra[name].append(message)
        if old is None:
            instance = InstructorAssignment(
                instructor=instructor, enterprise=enterprise, start=v["start"], end=end
            )
            if not self.clean(row, instance, ["instructor", "enterprise"], extra):
                return
            self.ranges[pair].append((me, v["start"], end))
            self.plans.append(Plan(row, CREATE, instance))
            self.outcome(
                row,
                CREATE,
                [f for f in v if self.kind.column(f).importable and v[f] not in ("", None)],
                {},
                v,
            )
            return
        current = assignment_values(old)
        changed = self.diff(current, {"end": end} if "end" in v else {})
        instance = copy.copy(old)
        instance.end = end
        if changed and not self.clean(row, instance, ["instructor", "enterprise"], extra):
            return
        self.ranges[pair] = [(pk, s, end if pk == old_pk else e) for pk, s, e in self.ranges[pair]]
        self.outcome(row, UPDATE if changed else UNCHANGED, changed, current, v)
        if changed:
            self.plans.append(Plan(row, UPDATE, instance, old=old, changed=changed))


# ---------------------------------------------------------------- applicants import ----

ONE_OPEN_FILE = next(c for c in Applicant._meta.constraints if c.name == "applicant_one_open_per_person")


class ApplicantImporter(RegistryImporter):
    """Plans for ``members.services.apply_applicant_rows``; ``extra["model_fields"]`` names the Applicant fields
    an update writes. Each row is checked with the rules ``create_applicant`` / ``update_applicant`` apply
    (members.rules.pipeline_errors, identity_errors, one open file per ID number, an admitted file closed).
    Admission is not imported: 接收日期 is a read-only column."""

    MODEL_FIELDS = (
        "name", "gender", "ethnicity", "birth_date", "education", "phone", "applied_on", "activist_on",
        "candidate_on", "withdrawn_on", "withdraw_reason",
    )  # fmt: skip
    field_aliases = {"organization": "organization_name"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.orgs: dict[tuple[str, str], PartyOrganization] = {}
        self.files: dict[str, list[Applicant]] = {}  # ID number → the applicant files on record
        self.open_file: dict[str, Any] = {}  # ID number → the file left open so far (pk, or ("row", n))
        self.claimed: dict[int, int] = {}  # applicant pk → the row that changes it

    def key_label(self, values):
        return f"{values.get('name', '')}（{mask_id_number(values.get('id_number') or '')}）"

    def shown(self, column, value):
        if column.field == "phone":
            return mask_phone(value or "")
        return super().shown(column, value)

    def plan_chunk(self, rows: list[Row]) -> None:
        ids = {r.values["id_number"] for r in rows} - set(self.files)
        for id_number in ids:
            self.files[id_number] = []
        if ids:
            for a in Applicant.objects.filter(id_number__in=ids).select_related(
                "organization__area", "enterprise__area"
            ):
                self.files[a.id_number].append(a)
                if a.withdrawn_on is None:
                    self.open_file[a.id_number] = a.pk
        names = {r.values["organization_name"] for r in rows} - set(n for n, _c in self.orgs)
        if names:
            for org in PartyOrganization.objects.filter(name__in=names).select_related("area"):
                self.orgs[(org.name, org.area.code)] = org
        self.load_enterprises(r.values.get("enterprise") for r in rows)
        matched = self.match(rows)
        # Withdrawals first: a file withdrawn lower down the sheet makes room for the same person's new one.
        for row in sorted(rows, key=lambda r: not self.withdrawn(r, matched.get(r.number))):
            if row.number in matched:
                self.plan_row(row, matched[row.number])

    @staticmethod
    def withdrawn(row: Row, old: Applicant | None) -> bool:
        if "withdrawn_on" in row.values:
            return row.values["withdrawn_on"] is not None
        return old is not None and old.withdrawn_on is not None

    def match(self, rows: list[Row]) -> dict[int, Applicant | None]:
        """Row number → the file the row changes (None: a new application). A row changes the person's file of
        the same 递交入党申请日期; failing that, their open file if no other row changes it (a corrected date, or
        a withdrawal). A row matching a file an earlier chunk's row changes is an error (and left out)."""
        matched: dict[int, Applicant | None] = {}
        refused: set[int] = set()
        for row in rows:
            same = [
                a for a in self.files[row.values["id_number"]] if a.applied_on == row.values["applied_on"]
            ]
            if not same:
                continue
            old = max(same, key=lambda a: a.pk)
            if old.pk in self.claimed:
                self.error(
                    row.number,
                    self.kind.header_of("id_number"),
                    _("与第 %(n)s 行对应同一份入党申请记录。") % {"n": self.claimed[old.pk]},
                )
                refused.add(row.number)
                continue
            self.claimed[old.pk] = row.number
            matched[row.number] = old
        for row in rows:
            if row.number in matched or row.number in refused:
                continue
            files = self.files[row.values["id_number"]]
            old = next((a for a in files if a.withdrawn_on is None and a.pk not in self.claimed), None)
            if old is not None:
                self.claimed[old.pk] = row.number
            matched[row.number] = old
        return matched

    def plan_row(self, row: Row, old: Applicant | None) -> None:
        v = row.values
        if old is not None and not self.may_change(row, old.organization.area):
            return
        org = self.orgs.get((v["organization_name"], v["organization_area"]))
        if org is None or not self.access.covers(org.area):
            self.error(
                row.number,
                self.kind.header_of("organization_name"),
                _("未找到党组织“%(name)s”（区域 %(code)s），或不在您的管辖范围内。")
                % {"name": v["organization_name"], "code": v["organization_area"]},
            )
            return
        enterprise = None
        if v.get("enterprise"):
            enterprise = self.enterprise(row, v["enterprise"], "enterprise")
            if enterprise is None:
                return
        fields = {f: v[f] for f in self.MODEL_FIELDS if f in v}
        if old is None:
            instance = Applicant(id_number=v["id_number"], organization=org, enterprise=enterprise, **fields)
            changed = [f for f in v if self.kind.column(f).importable and v[f] not in ("", None)]
            current: dict = {}
        else:
            current = applicant_values(old, reveal=True)
            changed = self.diff(current, v)
            instance = copy.copy(old)
            for f in changed:
                if f in self.MODEL_FIELDS:
                    setattr(instance, f, v[f])
            if {"organization_name", "organization_area"} & set(changed):
                instance.organization = org
            if "enterprise" in changed:
                instance.enterprise = enterprise
            if changed and old.member_id:  # update_applicant's rule: the member's record goes on instead
                self.error(row.number, "", _("已接收为预备党员，发展档案不再修改；请在党员档案中修改。"))
                return
        if old is None or changed:
            extra: dict[str, list[str]] = defaultdict(list)
            for rules in (
                pipeline_errors(
                    birth_date=instance.birth_date,
                    applied_on=instance.applied_on,
                    activist_on=instance.activist_on,
                    candidate_on=instance.candidate_on,
                    admitted_on=instance.admitted_on,
                    withdrawn_on=instance.withdrawn_on,
                    withdraw_reason=instance.withdraw_reason,
                ),
                identity_errors(
                    id_number=instance.id_number, birth_date=instance.birth_date, gender=instance.gender
                ),
            ):
                for name, message in rules.items():
                    extra[name].append(message)
            if not self.clean(row, instance, ["organization", "enterprise", "member"], extra):
                return
        if not self.keeps_one_open_file(row, instance, old):
            return
        action = CREATE if old is None else (UPDATE if changed else UNCHANGED)
        self.outcome(row, action, changed, current, v)
        if action == UNCHANGED:
            return
        model_fields = [f for f in changed if f in self.MODEL_FIELDS]
        model_fields += ["organization"] if {"organization_name", "organization_area"} & set(changed) else []
        model_fields += ["enterprise"] if "enterprise" in changed else []
        self.plans.append(
            Plan(row, action, instance, old=old, changed=changed, extra={"model_fields": model_fields})
        )

    def keeps_one_open_file(self, row: Row, instance: Applicant, old: Applicant | None) -> bool:
        """The table's rule (one open file per ID number) over the records and the rows before this one."""
        me = old.pk if old is not None else ("row", row.number)
        holder = self.open_file.get(instance.id_number)
        if instance.withdrawn_on is not None:
            if holder == me:
                del self.open_file[instance.id_number]
            return True
        if holder is not None and holder != me:
            self.error(
                row.number,
                self.kind.header_of("id_number"),
                str(ONE_OPEN_FILE.violation_error_message),
            )
            return False
        self.open_file[instance.id_number] = me
        return True


# ---------------------------------------------------------------- exports ----


def export_members(queryset, *, reveal: bool = False, heading: Heading | None = None) -> IO[bytes]:
    """Members; ID number, phone and birth date are masked unless ``reveal`` (a masked ledger cannot be
    re-imported)."""
    members = queryset.select_related("organization__area", "enterprise").order_by("name", "pk")
    rows = (member_values(m, reveal=reveal) for m in members.iterator(CHUNK))
    return save_workbook([(MEMBERS, rows, None)], heading=heading)


def export_instructors(
    queryset, *, today: dt.date | None = None, reveal: bool = False, heading: Heading | None = None
) -> IO[bytes]:
    """Sheet 1: instructors with their current firms; sheet 2: every assignment (the importable kind)."""
    today = today or timezone.localdate()
    instructors = queryset.select_related("area").order_by("name", "pk")
    current = (
        InstructorAssignment.objects.filter(active_q(today)).select_related("enterprise").order_by("start")
    )
    instructors = instructors.prefetch_related(Prefetch("assignments", queryset=current, to_attr="current"))

    def instructor_rows():
        for i in instructors.iterator(CHUNK):
            yield {
                "name": i.name,
                "unit": i.unit,
                "full_time": i.full_time,
                "phone": i.phone if reveal else mask_phone(i.phone),
                "area": i.area.code,
                "area_name": i.area.name,
                "ended_on": i.ended_on,
                "firm_count": len(i.current),
                "firms": "、".join(a.enterprise.name for a in i.current),
            }

    assignments = (
        InstructorAssignment.objects.filter(instructor__in=queryset.values("pk"))
        .select_related("instructor__area", "enterprise")
        .order_by("instructor__name", "instructor_id", "start", "pk")
    )
    rows = (assignment_values(a) for a in assignments.iterator(CHUNK))
    sheets = [(INSTRUCTORS, instructor_rows(), None), (ASSIGNMENTS, rows, None)]
    return save_workbook(sheets, heading=heading)


def export_applicants(queryset, *, reveal: bool = False, heading: Heading | None = None) -> IO[bytes]:
    """Applicants (发展党员); ID number, phone and birth date are masked unless ``reveal``, as in the member
    ledger."""
    applicants = queryset.select_related("organization__area", "enterprise").order_by(
        "organization__area__path", "organization__name", "applied_on", "pk"
    )
    rows = (applicant_values(a, reveal=reveal) for a in applicants.iterator(CHUNK))
    return save_workbook([(APPLICANTS, rows, None)], heading=heading)
