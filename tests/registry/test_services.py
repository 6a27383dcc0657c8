"""Enterprise writes: the single service (pages, API) and the bulk one (imports) leave the same rows, the same audit
entries and the same recompute requests; an end date ends the firm's links whichever way it arrives; an update
writes only the fields it was given."""

from __future__ import annotations

import copy
import datetime as dt
from types import SimpleNamespace

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from rest_framework.test import APIClient

from members.models import InstructorAssignment
from orgs.models import OrganizationLink
from registry.models import AboveScalePeriod, Area, Enterprise, RecomputeRequest
from registry.services import apply_enterprise_rows, create_enterprise, update_enterprise
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    LinkFactory,
    make_credit_code,
    make_user,
)

pytestmark = pytest.mark.django_db

ON = dt.date(2024, 6, 30)


# --- helpers the orgs and members service tests share ------------------------------------------------------------


def plan(action: str, instance, *, old=None, changed=(), values=None, **extra) -> SimpleNamespace:
    """An importer's plan as the bulk services receive it (registry.excel.importer.Plan's attributes)."""
    return SimpleNamespace(
        row=SimpleNamespace(number=2, values=values or {}, key=()),
        action=action,
        instance=instance,
        old=old,
        changed=list(changed),
        extra=extra,
    )


def changed_copy(obj, **fields):
    """What an importer plans for an update: a copy of the loaded record with the sheet's values set."""
    new = copy.copy(obj)
    for name, value in fields.items():
        setattr(new, name, value)
    return new


def log(obj, action=None) -> list[LogEntry]:
    """Audit entries of ``obj``, oldest first."""
    qs = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_pk=str(obj.pk)
    ).order_by("pk")
    return list(qs if action is None else qs.filter(action=action))


def shape(obj) -> list[tuple[int, list[str]]]:
    """(action, changed field names) of each audit entry of ``obj``: what a page and an import must agree on."""
    return [(e.action, sorted(e.changes_dict)) for e in log(obj)]


def outbox() -> list[tuple[str, dt.date]]:
    return sorted(RecomputeRequest.objects.values_list("area__code", "since"))


def reset_outbox() -> None:
    RecomputeRequest.objects.all().delete()


@pytest.fixture
def clerk():
    area = Area.objects.get_or_create(code="Z", defaults={"name": "开发区", "kind": "district"})[0]
    return make_user("clerk", role="staff", area=area)


@pytest.fixture
def zone():
    z = AreaFactory(code="Z", name="开发区", kind="district")
    return z, AreaFactory(code="P1", name="一园", parent=z), AreaFactory(code="P2", name="二园", parent=z)


# --- bulk: creates ---------------------------------------------------------------------------------------------


def test_bulk_create_writes_rows_periods_audit_and_one_request_per_area(zone, clerk):
    _z, p1, p2 = zone
    plain = Enterprise(
        name="导入企业1", credit_code=make_credit_code(1), area=p1, established_on=dt.date(2020, 1, 1)
    )
    above = Enterprise(
        name="导入企业2",
        credit_code=make_credit_code(2),
        area=p2,
        established_on=dt.date(2019, 3, 1),
        contact_phone="13800001111",
    )
    third = Enterprise(
        name="导入企业3", credit_code=make_credit_code(3), area=p1, established_on=dt.date(2018, 5, 1)
    )
    apply_enterprise_rows(
        [
            plan("create", plain, above_scale_since=None),
            plan("create", above, above_scale_since=dt.date(2021, 1, 1)),
            plan("create", third, above_scale_since=None),
        ],
        actor=clerk,
    )
    assert sorted(Enterprise.objects.values_list("name", "area__code")) == [
        ("导入企业1", "P1"),
        ("导入企业2", "P2"),
        ("导入企业3", "P1"),
    ]
    period = AboveScalePeriod.objects.get()
    assert (period.enterprise_id, period.start, period.end) == (above.pk, dt.date(2021, 1, 1), None)
    # One request per area, from the earliest founding date there.
    assert outbox() == [("P1", dt.date(2018, 5, 1)), ("P2", dt.date(2019, 3, 1))]

    created = log(above, LogEntry.Action.CREATE)
    assert len(created) == 1
    entry = created[0]
    assert (entry.actor, entry.additional_data) == (clerk, {"source": "import"})
    assert entry.changes_dict["name"] == ["", "导入企业2"]
    assert entry.changes_dict["area"] == ["", "二园"]
    assert entry.changes_dict["established_on"] == ["", "2019-03-01"]
    assert entry.changes_dict["contact_phone"] == ["", "138****1111"]  # masked, as django-auditlog masks it
    assert [(e.action, e.changes_dict) for e in log(period)] == [
        (
            LogEntry.Action.CREATE,
            {
                "id": ["", str(period.pk)],
                "enterprise": ["", "导入企业2"],
                "start": ["", "2021-01-01"],
            },
        )
    ]


def test_bulk_create_logs_the_same_fields_as_a_form_create(zone, clerk):
    _z, p1, _p2 = zone
    fields = {
        "category": "enterprise",
        "economic_type": "private",
        "industry": "制造业",
        "area": p1,
        "employees": 12,
        "established_on": dt.date(2020, 1, 1),
        "address": "",
        "contact_person": "",
        "contact_phone": "13800001111",
    }
    with set_actor(clerk):
        by_form = create_enterprise(name="表单企业", credit_code=make_credit_code(11), **fields)
    by_import = Enterprise(name="导入企业", credit_code=make_credit_code(12), **fields)
    apply_enterprise_rows([plan("create", by_import, above_scale_since=None)], actor=clerk)
    assert shape(by_import) == shape(by_form)
    action, names = shape(by_form)[0]
    concrete = {f.name for f in Enterprise._meta.concrete_fields}
    assert (action, [n for n in names if n in concrete]) == (
        LogEntry.Action.CREATE,
        sorted(
            [
                "id",
                "name",
                "credit_code",
                "category",
                "economic_type",
                "industry",
                "area",
                "employees",
                "established_on",
                "address",
                "contact_person",
                "contact_phone",
            ]
        ),
    )
    by_form_entry, by_import_entry = log(by_form)[0].changes_dict, log(by_import)[0].changes_dict
    assert by_import_entry["contact_phone"] == ["", "138****1111"]
    assert by_form_entry["contact_phone"] == ["None", "138****1111"]  # auditlog writes None as "None"


# --- bulk: updates ---------------------------------------------------------------------------------------------


def test_bulk_update_deregisters_ends_links_and_logs_each_end(zone, clerk):
    _z, p1, _p2 = zone
    firm = EnterpriseFactory(name="旧名公司", area=p1, established_on=dt.date(2015, 1, 1))
    link = LinkFactory(enterprise=firm, start=dt.date(2018, 1, 1))
    assignment = AssignmentFactory(enterprise=firm, start=dt.date(2019, 1, 1))
    later = AssignmentFactory(enterprise=firm, start=dt.date(2025, 1, 1))  # starts after: left as it is
    reset_outbox()
    loaded = Enterprise.objects.select_related("area").get(pk=firm.pk)
    new = changed_copy(loaded, name="新名公司", deregistered_on=ON)
    apply_enterprise_rows(
        [
            plan(
                "update",
                new,
                old=loaded,
                changed=["name", "deregistered_on"],
                model_fields=["name", "deregistered_on"],
                periods=[],
                since=None,
            )
        ],
        actor=clerk,
    )
    firm.refresh_from_db()
    assert (firm.name, firm.deregistered_on) == ("新名公司", ON)
    assert OrganizationLink.objects.get(pk=link.pk).end == ON
    assert InstructorAssignment.objects.get(pk=assignment.pk).end == ON
    assert InstructorAssignment.objects.get(pk=later.pk).end is None
    assert [e.changes_dict for e in log(firm, LogEntry.Action.UPDATE)] == [
        {"name": ["旧名公司", "新名公司"], "deregistered_on": ["", "2024-06-30"]}
    ]
    assert [e.changes_dict for e in log(link, LogEntry.Action.UPDATE)] == [{"end": ["", "2024-06-30"]}]
    assert [e.changes_dict for e in log(assignment, LogEntry.Action.UPDATE)] == [{"end": ["", "2024-06-30"]}]
    assert log(later, LogEntry.Action.UPDATE) == []
    assert outbox() == [("P1", ON)]


def test_bulk_update_ends_above_scale_and_logs_the_period(zone, clerk):
    _z, p1, _p2 = zone
    firm = EnterpriseFactory(area=p1)
    period = AboveScalePeriodFactory(enterprise=firm, start=dt.date(2016, 1, 1), end=dt.date(2030, 1, 1))
    reset_outbox()
    loaded = Enterprise.objects.select_related("area").get(pk=firm.pk)
    since = dt.date(2024, 1, 1)
    apply_enterprise_rows(
        [
            plan(
                "update",
                copy.copy(loaded),
                old=loaded,
                changed=["above_scale", "above_scale_since"],
                values={"above_scale": False},
                model_fields=[],
                periods=list(firm.above_scale_periods.order_by("start")),
                since=since,
            )
        ],
        actor=clerk,
    )
    assert list(AboveScalePeriod.objects.values_list("start", "end")) == [(dt.date(2016, 1, 1), since)]
    assert [e.changes_dict for e in log(period, LogEntry.Action.UPDATE)] == [
        {"end": ["2030-01-01", "2024-01-01"]}
    ]
    assert log(firm, LogEntry.Action.UPDATE) == []  # no field of the firm changed
    assert outbox() == [("P1", since)]


def test_bulk_move_between_areas_asks_both_areas_from_founding(zone, clerk):
    _z, p1, p2 = zone
    firm = EnterpriseFactory(area=p1, established_on=dt.date(2017, 4, 1))
    reset_outbox()
    loaded = Enterprise.objects.select_related("area").get(pk=firm.pk)
    apply_enterprise_rows(
        [
            plan(
                "update",
                changed_copy(loaded, area=p2),
                old=loaded,
                changed=["area"],
                model_fields=["area"],
                periods=[],
                since=None,
            )
        ],
        actor=clerk,
    )
    assert Enterprise.objects.get(pk=firm.pk).area == p2
    assert [e.changes_dict for e in log(firm, LogEntry.Action.UPDATE)] == [{"area": ["一园", "二园"]}]
    assert outbox() == [("P1", dt.date(2017, 4, 1)), ("P2", dt.date(2017, 4, 1))]


def test_bulk_update_writes_only_the_planned_fields(zone, clerk):
    _z, p1, _p2 = zone
    firm = EnterpriseFactory(area=p1, name="旧名", employees=10)
    loaded = Enterprise.objects.select_related("area").get(pk=firm.pk)
    new = changed_copy(loaded, name="新名")
    Enterprise.objects.filter(pk=firm.pk).update(employees=99)  # someone else, after the file was read
    apply_enterprise_rows(
        [plan("update", new, old=loaded, changed=["name"], model_fields=["name"], periods=[], since=None)],
        actor=clerk,
    )
    assert Enterprise.objects.values_list("name", "employees").get(pk=firm.pk) == ("新名", 99)


# --- the single service ----------------------------------------------------------------------------------------


def test_update_writes_only_the_given_fields_and_moves_the_version(zone):
    _z, p1, _p2 = zone
    firm = EnterpriseFactory(area=p1, name="旧名", employees=10)
    loaded = Enterprise.objects.get(pk=firm.pk)
    version_before = loaded.updated_at
    Enterprise.objects.filter(pk=firm.pk).update(employees=99)  # changed after the form was loaded
    result = update_enterprise(enterprise=loaded, name="新名")
    stored = Enterprise.objects.get(pk=firm.pk)
    assert (stored.name, stored.employees) == ("新名", 99)
    assert (result.name, result.employees) == ("新名", 99)
    assert stored.updated_at > version_before
    assert [e.changes_dict for e in log(firm, LogEntry.Action.UPDATE)] == [{"name": ["旧名", "新名"]}]


def test_update_with_nothing_changed_writes_logs_and_asks_nothing(zone):
    _z, p1, _p2 = zone
    firm = EnterpriseFactory(area=p1, name="原名")
    reset_outbox()
    version = Enterprise.objects.get(pk=firm.pk).updated_at
    update_enterprise(enterprise=firm, name="原名", above_scale=False)
    assert Enterprise.objects.get(pk=firm.pk).updated_at == version
    assert log(firm, LogEntry.Action.UPDATE) == []
    assert outbox() == []


# --- an end date, whichever way it arrives ---------------------------------------------------------------------


def _deregister_by_patch(firm, user):
    client = APIClient()
    client.force_authenticate(user)
    response = client.patch(
        f"/api/v1/enterprises/{firm.pk}/", {"deregistered_on": ON.isoformat()}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["deregistered_on"] == ON.isoformat()


def _deregister_by_end_form(firm, user, client):
    client.force_login(user)
    response = client.post(f"/enterprises/{firm.pk}/end/", {"on": ON.isoformat()})
    assert response.status_code == 302


def _deregister_by_service(firm, user):
    with set_actor(user):
        update_enterprise(enterprise=Enterprise.objects.get(pk=firm.pk), deregistered_on=ON)


def _deregister_by_import(firm, user):
    loaded = Enterprise.objects.select_related("area").get(pk=firm.pk)
    new = changed_copy(loaded, deregistered_on=ON)
    apply_enterprise_rows(
        [
            plan(
                "update",
                new,
                old=loaded,
                changed=["deregistered_on"],
                model_fields=["deregistered_on"],
                periods=[],
                since=None,
            )
        ],
        actor=user,
    )


@pytest.mark.parametrize("way", ["patch", "end_form", "service", "import"])
def test_an_end_date_deregisters_the_same_way_everywhere(way, zone, clerk, client):
    _z, p1, _p2 = zone
    firm = EnterpriseFactory(area=p1)
    link = LinkFactory(enterprise=firm, start=dt.date(2018, 1, 1))
    assignment = AssignmentFactory(enterprise=firm, start=dt.date(2019, 1, 1))
    reset_outbox()
    LogEntry.objects.all().delete()
    {
        "patch": lambda: _deregister_by_patch(firm, clerk),
        "end_form": lambda: _deregister_by_end_form(firm, clerk, client),
        "service": lambda: _deregister_by_service(firm, clerk),
        "import": lambda: _deregister_by_import(firm, clerk),
    }[way]()
    assert Enterprise.objects.get(pk=firm.pk).deregistered_on == ON
    assert OrganizationLink.objects.get(pk=link.pk).end == ON
    assert InstructorAssignment.objects.get(pk=assignment.pk).end == ON
    assert shape(firm) == [(LogEntry.Action.UPDATE, ["deregistered_on"])]
    assert shape(link) == [(LogEntry.Action.UPDATE, ["end"])]
    assert shape(assignment) == [(LogEntry.Action.UPDATE, ["end"])]
    assert [e.actor for e in log(firm) + log(link) + log(assignment)] == [clerk, clerk, clerk]
    assert [e.changes_dict["end"][1] for e in log(link) + log(assignment)] == ["2024-06-30", "2024-06-30"]
    assert outbox() == [("P1", ON)]


def test_deregistering_before_founding_is_refused_and_writes_nothing(zone):
    _z, p1, _p2 = zone
    firm = EnterpriseFactory(area=p1, established_on=dt.date(2015, 1, 1))
    link = LinkFactory(enterprise=firm)
    reset_outbox()
    with pytest.raises(Exception) as caught:
        update_enterprise(enterprise=firm, deregistered_on=dt.date(2014, 12, 31))
    assert caught.value.message_dict == {"deregistered_on": ["注销/迁出日期应晚于成立日期。"]}
    assert Enterprise.objects.get(pk=firm.pk).deregistered_on is None
    assert OrganizationLink.objects.get(pk=link.pk).end is None
    assert outbox() == []


def test_changing_an_existing_deregistration_date_ends_no_links_again(zone):
    _z, p1, _p2 = zone
    firm = EnterpriseFactory(area=p1, deregistered_on=dt.date(2023, 1, 1))
    link = LinkFactory(enterprise=firm, start=dt.date(2018, 1, 1), end=dt.date(2023, 1, 1))
    reset_outbox()
    update_enterprise(enterprise=firm, deregistered_on=ON)
    assert OrganizationLink.objects.get(pk=link.pk).end == dt.date(2023, 1, 1)
    assert outbox() == [("P1", dt.date(2023, 1, 1))]


def test_above_scale_change_through_the_service_asks_from_that_day(zone):
    _z, p1, _p2 = zone
    firm = EnterpriseFactory(area=p1)
    reset_outbox()
    today = timezone.localdate()
    update_enterprise(enterprise=firm, above_scale=True)
    assert list(firm.above_scale_periods.values_list("start", "end")) == [(today, None)]
    assert outbox() == [("P1", today)]
