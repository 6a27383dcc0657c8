"""What the Excel tests share: workbooks as a person makes them, the API upload, and the small worlds they run in.

The fixtures at the end are imported by the Excel test modules by name (``from tests.excel import api, ledger``).
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.db import transaction
from django.db.models import Max
from rest_framework.test import APIClient

from registry.excel.importer import run_import
from registry.models import RecomputeRequest
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    InstructorFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
    make_credit_code,
    make_id_number,
    make_user,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ENT_HEADERS = ["统一社会信用代码", "单位名称", "类别", "经济类型", "区域代码", "规模以上", "成立日期"]


def workbook(headers: list[str], rows: list[list], title: str = "Sheet") -> bytes:
    """A workbook as a person would make it (normal mode, cells typed as given)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def firm_row(n: int, **over) -> list:
    values = {
        "code": make_credit_code(n),
        "name": f"导入企业{n}",
        "category": "非公企业",
        "economic": "私营企业",
        "area": "P1",
        "above": "否",
        "established": dt.date(2020, 1, 1),
    } | over
    return list(values.values())


def post(api, kind: str, data: bytes, dry_run: str = "true", name: str = "upload.xlsx"):
    upload = io.BytesIO(data)
    upload.name = name
    return api.post(f"/api/v1/imports/{kind}/", {"file": upload, "dry_run": dry_run}, format="multipart")


def make_zone():
    """District Z with parks P1 and P2."""
    z = AreaFactory(code="Z", kind="district", name="示范区")
    AreaFactory(code="P1", parent=z, name="园区一")
    AreaFactory(code="P2", parent=z, name="园区二")
    return z


def make_staff(zone):
    return make_user("clerk", role="staff", area=zone)


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def make_ledger(zone):
    """A little of everything in Z: four firms, three organisations, two members, an instructor with two firms."""
    p1, p2 = zone.children.get(code="P1"), zone.children.get(code="P2")
    firms = [
        EnterpriseFactory(area=p1 if i % 2 else p2, employees=10 * i, industry="制造业") for i in range(4)
    ]
    AboveScalePeriodFactory(enterprise=firms[0], start=dt.date(2016, 1, 1))
    firms[3].deregistered_on = dt.date(2023, 5, 1)
    firms[3].save()
    parent = OrganizationFactory(name="园区党委", kind="committee", area=p1)
    single = OrganizationFactory(name="一支部", area=p1, parent=parent, term_ends_on=dt.date(2027, 1, 1))
    LinkFactory(organization=single, enterprise=firms[1])
    joint = OrganizationFactory(name="联合支部", setup="joint", area=p2)
    for firm in firms[:3:2]:
        LinkFactory(organization=joint, enterprise=firm)
    LinkFactory(organization=parent, enterprise=firms[2], start=dt.date(2018, 1, 1), end=dt.date(2019, 1, 1))
    LinkFactory(organization=parent, enterprise=firms[0])
    MemberFactory(organization=single, enterprise=firms[1], phone="13812345678", gender="F",
                  id_number=make_id_number(1, male=False))  # fmt: skip
    MemberFactory(organization=joint, ended_on=dt.date(2024, 1, 1), end_reason="transfer_out")
    instructor = InstructorFactory(area=p1)
    AssignmentFactory(
        instructor=instructor, enterprise=firms[3], start=dt.date(2019, 1, 1), end=dt.date(2020, 1, 1)
    )
    AssignmentFactory(instructor=instructor, enterprise=firms[2], start=dt.date(2021, 3, 1))
    return firms


# ---------------------------------------------------------------- downloads ----


def make_export_world():
    """Z with parks P1 (a covered firm, a firm with an instructor) and P2 (a bare firm)."""
    zone = AreaFactory(code="Z", kind="district", name="示范区")
    p1 = AreaFactory(code="P1", parent=zone, name="园区一")
    p2 = AreaFactory(code="P2", parent=zone, name="园区二")
    covered = EnterpriseFactory(name="甲公司", area=p1, established_on=dt.date(2016, 5, 4))
    AboveScalePeriodFactory(enterprise=covered, start=dt.date(2020, 1, 1))
    bare = EnterpriseFactory(name="乙公司", area=p1)
    AboveScalePeriodFactory(enterprise=bare)
    EnterpriseFactory(name="丙公司", area=p2)
    org = OrganizationFactory(name="甲支部", area=p1)
    LinkFactory(organization=org, enterprise=covered)
    MemberFactory(organization=org, enterprise=covered, phone="13812345678", id_number=make_id_number(3))
    instructor = InstructorFactory(name="赵指导", area=p1, phone="13900001111")
    AssignmentFactory(instructor=instructor, enterprise=bare, start=dt.date(2024, 1, 1))
    return zone, p1, p2


def sheet_of(response, index: int = 0):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    content = b"".join(response.streaming_content)
    return openpyxl.load_workbook(io.BytesIO(content)).worksheets[index]


def login(client, zone, role="staff"):
    client.force_login(make_user(f"u-{role}-{zone.code}", role=role, area=zone))


# ---------------------------------------------------------------- an import and the forms, side by side ----


ACTIONS = {
    LogEntry.Action.CREATE: "create",
    LogEntry.Action.UPDATE: "update",
    LogEntry.Action.DELETE: "delete",
}


def in_world(build, act, rows) -> dict:
    """Build a world, act in it, and read what the act left, then roll the world back: called twice with the
    same ``build`` it gives two equal, separate worlds. Read by natural keys, since primary keys differ.

    ``audit``: one (model, record, action, actor, changed field names) per log entry the act wrote (events such as
    logins left out); ``recompute``: the (area code, since) of each outbox row it wrote; ``rows``: ``rows()``.
    """
    with transaction.atomic():
        world = build()
        last_entry = LogEntry.objects.aggregate(last=Max("pk"))["last"] or 0
        last_request = RecomputeRequest.objects.aggregate(last=Max("pk"))["last"] or 0
        act(world)
        entries = (
            LogEntry.objects.filter(pk__gt=last_entry)
            .exclude(action=LogEntry.Action.ACCESS)
            .select_related("content_type", "actor")
        )
        seen = {
            "rows": rows(),
            "audit": sorted(
                (
                    e.content_type.model,
                    e.object_repr,
                    ACTIONS[e.action],
                    e.actor.username if e.actor else None,
                    tuple(sorted(e.changes_dict)),
                )
                for e in entries
            ),
            "recompute": sorted(
                RecomputeRequest.objects.filter(pk__gt=last_request).values_list("area__code", "since")
            ),
        }
        transaction.set_rollback(True)
    return seen


def assert_imports_back_unchanged(kind: str, data: bytes, user, rows: int) -> None:
    """A downloaded ledger uploaded again as it is: every row read, none changed, nothing to recompute."""
    result = run_import(kind, data, dry_run=False, user=user)
    assert result.errors == []
    assert (result.summary["changes"], result.summary["unchanged"]) == (0, rows)
    assert RecomputeRequest.objects.count() == 0


# --- fixtures shared by the Excel test modules ------------------------------------------------------------------


@pytest.fixture
def zone():
    return make_zone()


@pytest.fixture
def staff(zone):
    return make_staff(zone)


@pytest.fixture
def api(staff):
    return api_client(staff)


@pytest.fixture
def ledger(zone):
    return make_ledger(zone)


@pytest.fixture
def world():
    return make_export_world()
