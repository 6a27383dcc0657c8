"""Organisation writes: the single service (pages, API) and the bulk one (imports) leave the same rows and links,
the same audit entries (links included) and the same recompute requests; 撤销 ends the open links whichever way it
arrives."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.utils import timezone
from rest_framework.test import APIClient

from orgs.models import OrganizationLink, PartyOrganization
from orgs.services import apply_organization_rows, create_organization, update_organization
from tests.factories import EnterpriseFactory, LinkFactory, OrganizationFactory
from tests.registry.test_services import changed_copy, clerk, log, outbox, plan, reset_outbox, shape, zone

pytestmark = pytest.mark.django_db

__all__ = ["clerk", "zone"]  # fixtures shared with the registry's service tests

ON = dt.date(2025, 3, 31)


def loaded(org: PartyOrganization) -> PartyOrganization:
    """The organisation as the importer loads it."""
    return PartyOrganization.objects.select_related("area", "parent").get(pk=org.pk)


# --- bulk -----------------------------------------------------------------------------------------------------------


def test_bulk_create_writes_links_audit_and_one_request_per_area(zone, clerk):
    z, p1, p2 = zone
    a, b = EnterpriseFactory(area=p1, name="甲公司"), EnterpriseFactory(area=p2, name="乙公司")
    reset_outbox()
    parent = PartyOrganization(name="上级党委", area=z, kind="committee", founded_on=dt.date(2015, 1, 1))
    joint = PartyOrganization(name="联合支部", area=z, setup="joint", founded_on=dt.date(2019, 7, 1))
    apply_organization_rows(
        [
            plan("create", parent, links=[], parent_key=False),
            plan("create", joint, links=[a.pk, b.pk], parent_key=("上级党委", "Z")),
        ],
        actor=clerk,
    )
    joint = PartyOrganization.objects.get(name="联合支部")
    assert joint.parent.name == "上级党委"
    links = list(joint.links.order_by("enterprise__name"))
    assert [(link.enterprise.name, link.start, link.end) for link in links] == [
        ("乙公司", dt.date(2019, 7, 1), None),
        ("甲公司", dt.date(2019, 7, 1), None),
    ]
    assert outbox() == [("P1", dt.date(2019, 7, 1)), ("P2", dt.date(2019, 7, 1)), ("Z", dt.date(2015, 1, 1))]
    entry = log(joint, LogEntry.Action.CREATE)[0]
    assert (entry.actor, entry.additional_data) == (clerk, {"source": "import"})
    assert entry.changes_dict["parent"] == ["", "上级党委"]
    assert entry.changes_dict["setup"] == ["", "joint"]
    assert [(e.action, e.changes_dict) for e in log(links[1])] == [
        (
            LogEntry.Action.CREATE,
            {
                "id": ["", str(links[1].pk)],
                "organization": ["", "联合支部"],
                "enterprise": ["", "甲公司"],
                "start": ["", "2019-07-01"],
            },
        )
    ]


def test_bulk_create_logs_the_same_fields_as_a_form_create(zone, clerk):
    z, p1, _p2 = zone
    firm_a, firm_b = EnterpriseFactory(area=p1), EnterpriseFactory(area=p1)
    fields = {"kind": "branch", "setup": "single", "area": z, "founded_on": dt.date(2020, 1, 1)}
    with set_actor(clerk):
        by_form = create_organization(enterprises=[firm_a], name="表单支部", **fields)
    by_import = PartyOrganization(name="导入支部", **fields)
    apply_organization_rows([plan("create", by_import, links=[firm_b.pk], parent_key=False)], actor=clerk)
    assert shape(by_import) == shape(by_form)
    concrete = {f.name for f in PartyOrganization._meta.concrete_fields}
    assert [n for n in shape(by_form)[0][1] if n in concrete] == sorted(
        ["id", "name", "kind", "setup", "area", "founded_on", "approval_no", "has_committee"]
    )
    assert shape(by_import.links.get()) == shape(by_form.links.get())


def test_bulk_update_moves_links_from_today_and_logs_each(zone, clerk):
    z, p1, p2 = zone
    kept, dropped, added = (
        EnterpriseFactory(area=p1, name="留下"),
        EnterpriseFactory(area=p1, name="移出"),
        EnterpriseFactory(area=p2, name="新增"),
    )
    org = OrganizationFactory(area=z, setup="joint", name="联合支部")
    LinkFactory(organization=org, enterprise=kept)
    old_link = LinkFactory(organization=org, enterprise=dropped)
    reset_outbox()
    today = timezone.localdate()
    before = loaded(org)
    apply_organization_rows(
        [
            plan(
                "update",
                changed_copy(before, approval_no="组字〔2025〕1号"),
                old=before,
                changed=["enterprises", "approval_no"],
                model_fields=["approval_no"],
                links=sorted([kept.pk, added.pk]),
                parent_key=False,
            )
        ],
        actor=clerk,
    )
    assert sorted(org.links.values_list("enterprise__name", "start", "end")) == sorted(
        [
            ("留下", dt.date(2018, 1, 1), None),
            ("移出", dt.date(2018, 1, 1), today),
            ("新增", today, None),
        ]
    )
    assert [e.changes_dict for e in log(org, LogEntry.Action.UPDATE)] == [
        {"approval_no": ["", "组字〔2025〕1号"]}
    ]
    assert [e.changes_dict for e in log(old_link, LogEntry.Action.UPDATE)] == [
        {"end": ["", today.isoformat()]}
    ]
    new_link = org.links.get(enterprise=added)
    assert [e.action for e in log(new_link)] == [LogEntry.Action.CREATE]
    assert outbox() == [("P1", today), ("P2", today), ("Z", today)]


def test_bulk_update_writes_only_the_planned_fields(zone, clerk):
    z, _p1, _p2 = zone
    org = OrganizationFactory(area=z, name="原名", approval_no="")
    before = loaded(org)
    PartyOrganization.objects.filter(pk=org.pk).update(has_committee=True)  # someone else, meanwhile
    apply_organization_rows(
        [
            plan(
                "update",
                changed_copy(before, name="新名"),
                old=before,
                changed=["name"],
                model_fields=["name"],
                links=[],
                parent_key=False,
            )
        ],
        actor=clerk,
    )
    assert PartyOrganization.objects.values_list("name", "has_committee").get(pk=org.pk) == ("新名", True)


# --- 撤销, whichever way it arrives --------------------------------------------------------------------------------


def _dissolve(way: str, org, user, client):
    if way == "patch":
        api = APIClient()
        api.force_authenticate(user)
        response = api.patch(
            f"/api/v1/organizations/{org.pk}/", {"dissolved_on": ON.isoformat()}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["enterprises"] == []  # no link holds today
    elif way == "end_form":
        client.force_login(user)
        assert client.post(f"/organizations/{org.pk}/end/", {"on": ON.isoformat()}).status_code == 302
    elif way == "service":
        with set_actor(user):
            update_organization(organization=PartyOrganization.objects.get(pk=org.pk), dissolved_on=ON)
    else:
        before = loaded(org)
        apply_organization_rows(
            [
                plan(
                    "update",
                    changed_copy(before, dissolved_on=ON),
                    old=before,
                    changed=["dissolved_on"],
                    model_fields=["dissolved_on"],
                    links=sorted(before.links.values_list("enterprise_id", flat=True)),
                    parent_key=False,
                )
            ],
            actor=user,
        )


@pytest.mark.parametrize("way", ["patch", "end_form", "service", "import"])
def test_a_dissolution_date_ends_links_the_same_way_everywhere(way, zone, clerk, client):
    z, p1, p2 = zone
    org = OrganizationFactory(area=z, setup="joint")
    first = LinkFactory(organization=org, enterprise=EnterpriseFactory(area=p1), start=dt.date(2018, 1, 1))
    second = LinkFactory(organization=org, enterprise=EnterpriseFactory(area=p2), start=dt.date(2020, 1, 1))
    never = LinkFactory(
        organization=org, enterprise=EnterpriseFactory(area=p2), start=ON
    )  # would start that day
    reset_outbox()
    LogEntry.objects.all().delete()
    _dissolve(way, org, clerk, client)
    assert PartyOrganization.objects.get(pk=org.pk).dissolved_on == ON
    assert sorted(org.links.values_list("pk", "end")) == sorted([(first.pk, ON), (second.pk, ON)])
    assert shape(org) == [(LogEntry.Action.UPDATE, ["dissolved_on"])]
    assert shape(first) == shape(second) == [(LogEntry.Action.UPDATE, ["end"])]
    assert shape(never) == [(LogEntry.Action.DELETE, sorted(log(never)[0].changes_dict))]
    assert [e.actor for e in log(org) + log(first) + log(second)] == [clerk] * 3
    assert outbox() == [("P1", ON), ("P2", ON), ("Z", ON)]


def test_dissolving_before_founding_is_refused_next_to_the_date(zone):
    z, _p1, _p2 = zone
    org = OrganizationFactory(area=z, founded_on=dt.date(2018, 1, 1))
    link = LinkFactory(organization=org)
    reset_outbox()
    with pytest.raises(Exception) as caught:
        update_organization(organization=org, dissolved_on=dt.date(2017, 12, 31))
    assert caught.value.message_dict == {"dissolved_on": ["撤销日期应晚于成立日期。"]}
    assert OrganizationLink.objects.get(pk=link.pk).end is None
    assert outbox() == []


def test_update_writes_only_the_given_fields(zone):
    z, _p1, _p2 = zone
    org = OrganizationFactory(area=z, name="原名")
    form_copy = PartyOrganization.objects.get(pk=org.pk)
    PartyOrganization.objects.filter(pk=org.pk).update(has_committee=True)
    update_organization(organization=form_copy, name="新名")
    assert PartyOrganization.objects.values_list("name", "has_committee").get(pk=org.pk) == ("新名", True)
    assert [e.changes_dict for e in log(org, LogEntry.Action.UPDATE)] == [{"name": ["原名", "新名"]}]
