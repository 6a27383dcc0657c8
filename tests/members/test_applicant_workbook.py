"""The applicants workbook (发展党员, members/workbook.py APPLICANTS): template, import planning with the pipeline
rules as row errors, the bulk service, the ledger and its page download, scoping."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from auditlog.models import LogEntry

from members.models import Applicant, Member
from members.services import advance_applicant
from members.workbook import APPLICANTS, export_applicants
from registry.excel.importer import run_import
from registry.models import RecomputeRequest
from tests.excel import api_client, assert_imports_back_unchanged, login, post, sheet_of, workbook
from tests.factories import (
    ApplicantFactory,
    EnterpriseFactory,
    LinkFactory,
    OrganizationFactory,
    make_credit_code,
    make_id_number,
    make_user,
)

# The Excel tests' shared fixtures (zone, staff, api).
pytest_plugins = ["tests.excel"]
pytestmark = pytest.mark.django_db

BORN = dt.date(1995, 6, 1)
HEADERS = [c.header for c in APPLICANTS.importable]


def person_id(n: int, *, male: bool = True, born: dt.date = BORN) -> str:
    return make_id_number(n, born=born, male=male)


def row(name: str, id_number: str, applied_on, **over) -> list:
    """A full row of the import (every importable column, in the template's order)."""
    values = {
        "name": name,
        "gender": "男",
        "ethnicity": "汉族",
        "birth_date": BORN,
        "education": "大学本科",
        "id_number": id_number,
        "phone": None,
        "organization_name": "一支部",
        "organization_area": "P1",
        "enterprise": None,
        "applied_on": applied_on,
        "activist_on": None,
        "candidate_on": None,
        "withdrawn_on": None,
        "withdraw_reason": None,
    } | over
    assert list(values) == [c.field for c in APPLICANTS.importable]
    return list(values.values())


@pytest.fixture
def branches(zone):
    """一支部 in P1 (covering 甲公司) and 二支部 in P2, both founded 2018-01-01."""
    p1, p2 = zone.children.get(code="P1"), zone.children.get(code="P2")
    firm = EnterpriseFactory(name="甲公司", credit_code=make_credit_code(3), area=p1)
    one = OrganizationFactory(name="一支部", area=p1)
    LinkFactory(organization=one, enterprise=firm)
    two = OrganizationFactory(name="二支部", area=p2)
    return one, two, firm


def files() -> list[tuple]:
    return sorted(
        Applicant.objects.values_list(
            "id_number", "name", "organization__name", "applied_on", "activist_on", "candidate_on",
            "withdrawn_on", "withdraw_reason",
        )
    )  # fmt: skip


# ---------------------------------------------------------------- template → import ----


def test_the_template_filled_in_creates_applicants_and_logs_them(api, branches):
    _one, _two, firm = branches
    response = api.get("/api/v1/imports/applicants/template/")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["发展党员"]
    headers, example = (list(r) for r in sheet.iter_rows(min_row=1, max_row=2, values_only=True))
    assert headers == HEADERS
    assert "当前阶段" not in headers and "接收日期" not in headers  # read-only: admission is not imported
    filled = dict(zip(headers, example, strict=True)) | {
        "培养党组织": "一支部",
        "党组织区域代码": "P1",
        "工作单位信用代码": firm.credit_code,
    }
    second = dict(filled) | {
        "姓名": "李强",
        "性别": "男",
        "出生日期": BORN,
        "身份证号码": person_id(1),
        "联系电话": None,
        "递交入党申请日期": dt.date(2025, 4, 1),
        "确定为入党积极分子日期": None,
    }
    data = workbook(headers, [list(filled.values()), list(second.values())], title="发展党员")

    body = post(api, "applicants", data, dry_run="false").json()
    assert (body["errors"], body["summary"]["created"]) == ([], 2)
    assert body["rows"][0]["key"] == "王小红（110105********0021）"
    assert files() == [
        ("110105199503070021", "王小红", "一支部", dt.date(2023, 3, 1), dt.date(2023, 9, 1), None, None, ""),
        (person_id(1), "李强", "一支部", dt.date(2025, 4, 1), None, None, None, ""),
    ]
    red = Applicant.objects.get(name="王小红")
    assert (red.gender, red.birth_date, red.education, red.phone, red.enterprise, red.stage) == (
        "F",
        dt.date(1995, 3, 7),
        "bachelor",
        "13800000000",
        firm,
        "activist",
    )
    # One audit entry per created file, with the actor and the import as its source; personal data masked.
    logged = LogEntry.objects.get_for_object(red).get()
    assert (logged.action, logged.actor.username, logged.additional_data) == (
        LogEntry.Action.CREATE,
        "clerk",
        {"source": "import:applicants"},
    )
    assert (logged.changes["id_number"][1], logged.changes["phone"][1]) == (
        "110105********0021",
        "138****0000",
    )


# ---------------------------------------------------------------- the pipeline rules are row errors ----


def test_rule_breaking_rows_are_errors_in_chinese_and_nothing_is_written(api, branches):
    bad_id = person_id(3)[:17] + ("0" if person_id(3)[17] != "0" else "1")
    rows = [
        # 17 on applying (18 from 2026-06-01).
        row("少年", person_id(1, born=dt.date(2008, 6, 1)), dt.date(2025, 1, 1), birth_date=dt.date(2008, 6, 1)),
        # 发展对象 a day less than a year after 积极分子.
        row("急进", person_id(2), dt.date(2023, 1, 1), activist_on=dt.date(2024, 3, 1),
            candidate_on=dt.date(2025, 2, 28)),
        row("错号", bad_id, dt.date(2024, 1, 1)),
        # Fine (a year to the day is enough), but nothing is written while another row is wrong.
        row("合格", person_id(4), dt.date(2023, 1, 1), activist_on=dt.date(2024, 3, 1),
            candidate_on=dt.date(2025, 3, 1)),
    ]  # fmt: skip
    for dry_run in ("true", "false"):
        response = post(api, "applicants", workbook(HEADERS, rows), dry_run=dry_run)
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"row": 2, "column": "递交入党申请日期", "message": "递交入党申请时应年满十八岁（2026-06-01 起）。"},
            {"row": 3, "column": "确定为发展对象日期",
             "message": "入党积极分子须培养考察一年以上，最早可于 2025-03-01 列为发展对象。"},
            {"row": 4, "column": "身份证号码",
             "message": f"身份证号码校验位错误：最后一位应为 {person_id(3)[17]}，请核对。"},
        ]  # fmt: skip
    assert Applicant.objects.count() == 0
    assert LogEntry.objects.filter(additional_data__source="import:applicants").count() == 0

    body = post(api, "applicants", workbook(HEADERS, rows[3:]), dry_run="false").json()
    assert (body["errors"], body["summary"]["created"]) == ([], 1)
    assert Applicant.objects.get().stage == "candidate"


def test_identity_and_withdrawal_rules(api, branches):
    rows = [
        row("甲", person_id(1), dt.date(2024, 1, 1), gender="女", birth_date=dt.date(1995, 6, 2)),
        row("乙", person_id(2), dt.date(2024, 1, 1), withdrawn_on=dt.date(2024, 5, 1)),
        row("丙", person_id(3), dt.date(2024, 1, 1), candidate_on=dt.date(2025, 5, 1)),
    ]
    body = post(api, "applicants", workbook(HEADERS, rows)).json()
    assert body["errors"] == [
        {"row": 2, "column": "出生日期", "message": "出生日期与身份证号码不一致（身份证为 1995-06-01）。"},
        {"row": 2, "column": "性别", "message": "性别与身份证号码不一致。"},
        {"row": 3, "column": "终止原因", "message": "终止时必须填写原因。"},
        {"row": 4, "column": "确定为发展对象日期", "message": "不能跳过“确定为入党积极分子”。"},
    ]


# ---------------------------------------------------------------- updates: which file a row changes ----


def test_a_row_updates_the_open_file_then_withdraws_it_and_a_new_application_is_a_second_file(api, branches):
    one, _two, _firm = branches
    ApplicantFactory(name="王明", id_number=person_id(1), organization=one, applied_on=dt.date(2023, 5, 1))

    # The same person and application date: the activist date is added to that file.
    activist = row("王明", person_id(1), dt.date(2023, 5, 1), activist_on=dt.date(2023, 11, 1))
    body = post(api, "applicants", workbook(HEADERS, [activist]), dry_run="false").json()
    assert (body["errors"], body["summary"]["updated"]) == ([], 1)
    assert body["rows"][0]["changes"] == [
        {"column": "确定为入党积极分子日期", "old": "", "new": "2023-11-01"}
    ]
    applicant = Applicant.objects.get()
    assert applicant.stage == "activist"
    logged = LogEntry.objects.get_for_object(applicant).get(action=LogEntry.Action.UPDATE)
    assert logged.changes == {"activist_on": ["", "2023-11-01"]}

    # Another application date while the file is open corrects that file's date (no other row changes it)...
    moved = row("王明", person_id(1), dt.date(2023, 6, 1), activist_on=dt.date(2023, 11, 1))
    body = post(api, "applicants", workbook(HEADERS, [moved])).json()
    assert [(r["action"], r["changes"]) for r in body["rows"]] == [
        ("update", [{"column": "递交入党申请日期", "old": "2023-05-01", "new": "2023-06-01"}])
    ]
    # ...but next to a row keeping that file open it is a second open file for one ID number: refused.
    second = row("王明", person_id(1), dt.date(2025, 3, 1))
    errors = post(api, "applicants", workbook(HEADERS, [second, activist])).json()["errors"]
    assert errors == [{"row": 2, "column": "身份证号码", "message": "该身份证号码已有未终止的入党申请记录。"}]

    # Withdrawn lower down the same sheet, the file makes room for the new application.
    withdrawn = row("王明", person_id(1), dt.date(2023, 5, 1), activist_on=dt.date(2023, 11, 1),
                    withdrawn_on=dt.date(2024, 6, 1), withdraw_reason="调往外地工作")  # fmt: skip
    body = post(api, "applicants", workbook(HEADERS, [second, withdrawn]), dry_run="false").json()
    assert (body["errors"], body["summary"]["updated"], body["summary"]["created"]) == ([], 1, 1)
    assert [(a.applied_on, a.stage, a.withdraw_reason) for a in Applicant.objects.order_by("applied_on")] == [
        (dt.date(2023, 5, 1), "withdrawn", "调往外地工作"),
        (dt.date(2025, 3, 1), "applicant", ""),
    ]
    # The same rows again: each finds its own file (by application date), nothing changes.
    body = post(api, "applicants", workbook(HEADERS, [second, withdrawn]), dry_run="false").json()
    assert (body["errors"], body["summary"]["unchanged"]) == ([], 2)


def test_one_file_is_changed_by_one_row(api, branches):
    """A row of the file's own application date wins it; another row of the same person then has no open file
    left to change and would be a second open file."""
    one, _two, _firm = branches
    ApplicantFactory(name="王明", id_number=person_id(1), organization=one, applied_on=dt.date(2023, 5, 1))
    rows = [row("王明", person_id(1), dt.date(2023, 6, 1)), row("王明", person_id(1), dt.date(2023, 5, 1))]
    body = post(api, "applicants", workbook(HEADERS, rows)).json()
    assert body["errors"] == [
        {"row": 2, "column": "身份证号码", "message": "该身份证号码已有未终止的入党申请记录。"}
    ]
    assert [r["action"] for r in body["rows"]] == ["unchanged"]


def test_admission_is_not_imported(api, branches):
    one, _two, _firm = branches
    admitted = ApplicantFactory(name="已接收", id_number=person_id(1), organization=one,
                                applied_on=dt.date(2022, 1, 1), activist_on=dt.date(2022, 6, 1),
                                candidate_on=dt.date(2023, 7, 1))  # fmt: skip
    advance_applicant(applicant=admitted, stage="admitted", on=dt.date(2024, 1, 10))
    members = Member.objects.count()
    # A 接收日期 column is read-only: ignored on a new file, which stays a candidate.
    new = row("新人", person_id(2), dt.date(2022, 1, 1), activist_on=dt.date(2022, 6, 1),
              candidate_on=dt.date(2023, 7, 1))  # fmt: skip
    changed = row("已接收", person_id(1), dt.date(2022, 1, 1), activist_on=dt.date(2022, 6, 1),
                  candidate_on=dt.date(2023, 7, 1), phone="13900000000")  # fmt: skip
    body = post(
        api, "applicants", workbook([*HEADERS, "接收日期"], [[*changed, None], [*new, dt.date(2024, 2, 1)]])
    ).json()
    assert body["errors"] == [
        {"row": 2, "column": "", "message": "已接收为预备党员，发展档案不再修改；请在党员档案中修改。"}
    ]
    body = post(
        api, "applicants", workbook([*HEADERS, "接收日期"], [[*new, dt.date(2024, 2, 1)]]), dry_run="false"
    ).json()
    assert body["errors"] == []
    created = Applicant.objects.get(name="新人")
    assert (created.admitted_on, created.member, created.stage) == (None, None, "candidate")
    assert Member.objects.count() == members


# ---------------------------------------------------------------- the ledger ----


def _every_stage(one, firm) -> None:
    """Files at each stage: 入党申请人 (with a phone and a workplace), 积极分子, 发展对象, a withdrawn file and the
    same person's new application, and an admitted one (a member now)."""
    ApplicantFactory(name="申请", id_number=person_id(1), organization=one, enterprise=firm, phone="13812345678",
                     applied_on=dt.date(2025, 3, 1), ethnicity="壮族", education="college")  # fmt: skip
    ApplicantFactory(name="积极", id_number=person_id(2, male=False), gender="F", organization=one,
                     applied_on=dt.date(2023, 3, 1), activist_on=dt.date(2023, 9, 1))  # fmt: skip
    ApplicantFactory(name="对象", id_number=person_id(3), organization=one, applied_on=dt.date(2022, 3, 1),
                     activist_on=dt.date(2022, 9, 1), candidate_on=dt.date(2024, 9, 1))  # fmt: skip
    ApplicantFactory(name="重来", id_number=person_id(4), organization=one, applied_on=dt.date(2021, 3, 1),
                     withdrawn_on=dt.date(2021, 8, 1), withdraw_reason="本人申请撤回")  # fmt: skip
    ApplicantFactory(name="重来", id_number=person_id(4), organization=one, applied_on=dt.date(2024, 3, 1))
    admitted = ApplicantFactory(name="接收", id_number=person_id(5), organization=one,
                                applied_on=dt.date(2021, 3, 1), activist_on=dt.date(2021, 9, 1),
                                candidate_on=dt.date(2022, 10, 1))  # fmt: skip
    advance_applicant(applicant=admitted, stage="admitted", on=dt.date(2023, 7, 1))


def test_an_exported_ledger_imports_back_with_zero_changes(staff, branches):
    one, _two, firm = branches
    _every_stage(one, firm)
    RecomputeRequest.objects.all().delete()  # the admission's, not the import's
    data = export_applicants(Applicant.objects.all(), reveal=True).read()
    sheet = openpyxl.load_workbook(io.BytesIO(data))["发展党员"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))  # row 1: the title
    by_name = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert rows[0][-2:] == ("当前阶段", "接收日期")
    assert [(by_name[n]["当前阶段"], by_name[n]["接收日期"]) for n in ("申请", "积极", "对象", "接收")] == [
        ("入党申请人", None),
        ("入党积极分子", None),
        ("发展对象", None),
        ("已接收为预备党员", dt.datetime(2023, 7, 1)),
    ]
    assert (by_name["申请"]["工作单位"], by_name["申请"]["工作单位信用代码"]) == ("甲公司", firm.credit_code)
    assert_imports_back_unchanged("applicants", data, staff, 6)
    assert LogEntry.objects.filter(additional_data__source="import:applicants").count() == 0


def test_a_masked_ledger_cannot_be_imported(staff, branches):
    one, _two, firm = branches
    _every_stage(one, firm)
    result = run_import(
        "applicants", export_applicants(Applicant.objects.all()).read(), dry_run=True, user=staff
    )
    assert {(e.column, e.message) for e in result.errors} == {
        ("身份证号码", "身份证号码已脱敏（含 *），不能用于导入，请填写完整号码。"),
        ("联系电话", "联系电话已脱敏（含 *），不能用于导入，请填写完整号码或删除该列。"),
        ("出生日期", "出生日期已脱敏（仅有出生年份），不能用于导入，请填写完整出生日期。"),
    }


def test_a_name_starting_with_equals_is_written_as_text(staff, branches):
    one, _two, _firm = branches
    ApplicantFactory(name='=HYPERLINK("http://x","a")', id_number=person_id(1), organization=one)
    data = export_applicants(Applicant.objects.all(), reveal=True).read()
    cell = openpyxl.load_workbook(io.BytesIO(data))["发展党员"]["A3"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ('=HYPERLINK("http://x","a")', "s", True)
    assert_imports_back_unchanged("applicants", data, staff, 1)


def test_the_page_download_is_masked_filtered_and_scoped(client, zone, branches):
    one, two, firm = branches
    ApplicantFactory(name="园一", id_number=person_id(1), organization=one, phone="13812345678")
    ApplicantFactory(name="园二", id_number=person_id(2), organization=two)
    login(client, zone)
    rows = list(sheet_of(client.get("/applicants/export.xlsx")).iter_rows(min_row=2, values_only=True))
    assert sorted(r[0] for r in rows[1:]) == ["园一", "园二"]
    rows = list(
        sheet_of(client.get("/applicants/export.xlsx", {"area": "P1"})).iter_rows(min_row=2, values_only=True)
    )
    found = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [(r["姓名"], r["身份证号码"], r["联系电话"]) for r in found] == [
        ("园一", "440802********0038", "138****5678")
    ]
    client.force_login(make_user("park-two", role="park", area=two.area))
    rows = list(sheet_of(client.get("/applicants/export.xlsx")).iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows[1:]] == ["园二"]


# ---------------------------------------------------------------- scoping ----


def test_a_park_user_imports_only_within_the_park(branches):
    one, two, _firm = branches
    ApplicantFactory(name="外园", id_number=person_id(1), organization=two, applied_on=dt.date(2024, 1, 1))
    park_user = make_user("clerk-one", role="staff", area=one.area)  # a writer scoped to park P1
    rows = [
        row("外园", person_id(1), dt.date(2024, 1, 1), organization_name="一支部"),  # a P2 file
        row("新人", person_id(2), dt.date(2024, 1, 1), organization_name="二支部", organization_area="P2"),
        row("本园", person_id(3), dt.date(2024, 1, 1)),
    ]
    response = post(api_client(park_user), "applicants", workbook(HEADERS, rows), dry_run="false")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 2, "column": "身份证号码", "message": "该记录不在您的管辖范围内，不能通过导入修改。"},
        {
            "row": 3,
            "column": "培养党组织",
            "message": "未找到党组织“二支部”（区域 P2），或不在您的管辖范围内。",
        },
    ]
    assert [a.name for a in Applicant.objects.all()] == ["外园"]
    body = post(api_client(park_user), "applicants", workbook(HEADERS, rows[2:]), dry_run="false").json()
    assert (body["errors"], body["summary"]["created"]) == ([], 1)
    assert Applicant.objects.get(name="本园").organization == one
