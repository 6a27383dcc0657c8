"""Concurrent writers, with real threads and a connection each (issue 17): no lost update, one winner per version,
a field error (never a 500) for the loser of a duplicate create, and no "database is locked" on SQLite.

They run on whichever database the suite points at: the embedded SQLite default and PostgreSQL in CI.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from members.models import Member
from registry.concurrency import CONFLICT_MESSAGE, version_of
from registry.models import Enterprise
from tests.factories import (
    AreaFactory,
    EnterpriseFactory,
    MemberFactory,
    OrganizationFactory,
    make_credit_code,
    make_id_number,
    make_user,
)

# serialized_rollback: the flush after each test then leaves content types alone for the next transactional test
# to restore (a flush that re-creates them made a later serialized_rollback test fail on duplicate content types).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _fresh_content_types():
    """A transactional test earlier in the run flushed the tables, and content types came back with new ids: the
    process-wide cache would hand the audit log a stale id (a foreign-key error on SQLite's commit)."""
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


def run_at_once(calls):
    """Run ``calls`` in one thread each, released together; their results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 — reported to the test, which asserts there is none
            results[index] = exc
        finally:
            connection.close()  # each thread has its own connection: close it, or the test database stays open

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def statuses(responses) -> Counter:
    return Counter(getattr(r, "status_code", repr(r)) for r in responses)


def unexpected(responses) -> set[str]:
    """What went wrong, for the failure message: exceptions, server errors and refusals, each kind once."""
    out = set()
    for r in responses:
        if isinstance(r, Exception):
            out.add(repr(r))
        elif r.status_code >= 500 and getattr(r, "exc_info", None):
            out.add(f"{r.status_code} {r.exc_info[1]!r}")
        elif r.status_code >= 400:
            out.add(f"{r.status_code} {r.content.decode()[:300]}")
    return out


def api_as(user) -> APIClient:
    client = APIClient(
        raise_request_exception=False
    )  # a server error is a 500 here, as gunicorn would answer
    client.force_authenticate(user)
    return client


@pytest.fixture
def recompute_later(monkeypatch):
    """The recompute the writes request stays in the outbox: these tests race the writes of the records, and on
    SQLite an eager recompute after each of 50 commits would queue the writers for minutes (the embedded default
    with its recompute is :func:`test_a_few_staff_saving_at_once_never_see_database_is_locked`)."""
    monkeypatch.setattr("registry.outbox._publish", lambda: None)


@pytest.fixture
def park():
    return AreaFactory(code="P1", name="园区一")


@pytest.fixture
def clerk(park):
    return make_user("clerk", role="staff", area=park)


def enterprise_form(firm: Enterprise, **overrides) -> dict:
    data = {
        "name": firm.name,
        "credit_code": firm.credit_code,
        "category": firm.category,
        "economic_type": firm.economic_type,
        "industry": firm.industry,
        "area": firm.area_id,
        "employees": "" if firm.employees is None else str(firm.employees),
        "established_on": firm.established_on.isoformat(),
        "address": firm.address,
        "contact_person": firm.contact_person,
        "contact_phone": firm.contact_phone,
        "version": version_of(firm),
    }
    return data | overrides


def test_a_few_staff_saving_at_once_never_see_database_is_locked(park):
    """The embedded default (SQLite, eager recompute after each commit): writers queue for the write lock."""
    firms = [EnterpriseFactory(area=park, employees=10) for _ in range(5)]
    clients = []
    for n in range(5):
        client = Client(raise_request_exception=False)
        client.force_login(make_user(f"clerk{n}", role="staff", area=park))
        clients.append(client)

    responses = run_at_once(
        [
            lambda c=c, f=f, n=n: c.post(
                f"/enterprises/{f.pk}/edit/", enterprise_form(f, employees=str(50 + n))
            )
            for n, (c, f) in enumerate(zip(clients, firms, strict=True))
        ]
    )

    assert statuses(responses) == {302: 5}, unexpected(responses)
    stored = Enterprise.objects.filter(pk__in=[f.pk for f in firms]).order_by("pk")
    assert [f.employees for f in stored] == [50, 51, 52, 53, 54]


def test_50_edit_form_saves_of_one_version_save_exactly_once(park, clerk, recompute_later):
    firm = EnterpriseFactory(area=park, name="原名称有限公司")
    clients = []
    for _ in range(50):
        client = Client(raise_request_exception=False)
        client.force_login(clerk)
        clients.append(client)
    url = f"/enterprises/{firm.pk}/edit/"

    responses = run_at_once(
        [
            lambda c=c, n=n: c.post(url, enterprise_form(firm, name=f"并发保存{n}有限公司"))
            for n, c in enumerate(clients)
        ]
    )

    assert statuses(responses) == {302: 1, 200: 49}, unexpected(responses)
    winner = next(n for n, r in enumerate(responses) if r.status_code == 302)
    assert Enterprise.objects.get(pk=firm.pk).name == f"并发保存{winner}有限公司"
    conflict = str(CONFLICT_MESSAGE).split("（")[0]
    refused = [r for r in responses if r.status_code == 200]
    assert sum(conflict in r.content.decode() for r in refused) == 49


def test_50_api_saves_with_one_if_match_save_exactly_once(park, clerk, recompute_later):
    firm = EnterpriseFactory(area=park, name="原名称有限公司")
    url = f"/api/v1/enterprises/{firm.pk}/"
    tag = f'"{version_of(firm)}"'

    responses = run_at_once(
        [
            lambda n=n: api_as(clerk).patch(
                url, {"name": f"并发保存{n}有限公司"}, format="json", HTTP_IF_MATCH=tag
            )
            for n in range(50)
        ]
    )

    assert statuses(responses) == {200: 1, 412: 49}, unexpected(responses)
    winner = next(n for n, r in enumerate(responses) if r.status_code == 200)
    assert Enterprise.objects.get(pk=firm.pk).name == f"并发保存{winner}有限公司"


def test_20_pairs_of_concurrent_patches_of_different_enterprise_fields_lose_nothing(
    park, clerk, recompute_later
):
    firms = [EnterpriseFactory(area=park, industry="", employees=10) for _ in range(20)]
    calls = []
    for n, firm in enumerate(firms):
        url = f"/api/v1/enterprises/{firm.pk}/"
        calls.append(lambda url=url, n=n: api_as(clerk).patch(url, {"industry": f"行业{n}"}, format="json"))
        calls.append(lambda url=url, n=n: api_as(clerk).patch(url, {"employees": 100 + n}, format="json"))

    responses = run_at_once(calls)

    assert statuses(responses) == {200: 40}, unexpected(responses)
    stored = {
        f.pk: (f.industry, f.employees) for f in Enterprise.objects.filter(pk__in=[f.pk for f in firms])
    }
    lost = [n for n, firm in enumerate(firms) if stored[firm.pk] != (f"行业{n}", 100 + n)]
    assert lost == [], stored


def test_20_pairs_of_concurrent_patches_of_different_member_fields_lose_nothing(park, clerk, recompute_later):
    members = [MemberFactory(organization__area=park, phone="", ethnicity="汉族") for _ in range(20)]
    calls = []
    for n, member in enumerate(members):
        url = f"/api/v1/members/{member.pk}/"
        calls.append(
            lambda url=url, n=n: api_as(clerk).patch(url, {"phone": f"139000000{n:02d}"}, format="json")
        )
        calls.append(lambda url=url: api_as(clerk).patch(url, {"ethnicity": "回族"}, format="json"))

    responses = run_at_once(calls)

    assert statuses(responses) == {200: 40}, unexpected(responses)
    stored = {m.pk: (m.phone, m.ethnicity) for m in Member.objects.filter(pk__in=[m.pk for m in members])}
    lost = [n for n, member in enumerate(members) if stored[member.pk] != (f"139000000{n:02d}", "回族")]
    assert lost == [], stored


def duplicate_bodies(park) -> dict[str, tuple[str, dict]]:
    """One create of each kind whose unique value (credit code, ID number, name in the area) all 50 share."""
    org = OrganizationFactory(area=park, name="已有党支部")
    firm = EnterpriseFactory(area=park)
    return {
        "enterprise": (
            "/api/v1/enterprises/",
            {
                "name": "重复提交有限公司",
                "credit_code": make_credit_code(4242),
                "category": "enterprise",
                "economic_type": "private",
                "area": park.code,
                "established_on": "2020-01-01",
            },
        ),
        "member": (
            "/api/v1/members/",
            {
                "name": "孙丽",
                "gender": "M",
                "ethnicity": "汉族",
                "birth_date": "1985-06-01",
                "education": "bachelor",
                "id_number": make_id_number(4242),
                "category": "full",
                "joined_on": "2024-07-01",
                "organization": org.pk,
            },
        ),
        "organization": (
            "/api/v1/organizations/",
            {
                "name": "重复提交党支部",
                "kind": "branch",
                "setup": "single",
                "area": park.code,
                "enterprises": [firm.pk],
                "founded_on": "2024-01-01",
            },
        ),
    }


@pytest.mark.parametrize("kind", ["enterprise", "member", "organization"])
def test_50_concurrent_creates_of_one_unique_value_create_one_and_refuse_49_with_its_400(
    park, clerk, recompute_later, kind
):
    url, body = duplicate_bodies(park)[kind]

    responses = run_at_once([lambda: api_as(clerk).post(url, body, format="json") for _ in range(50)])

    assert statuses(responses) == {201: 1, 400: 49}, unexpected(responses)
    # The same answer as a duplicate sent after the first was saved: a field error, nothing half-saved.
    sequential = api_as(clerk).post(url, body, format="json")
    assert sequential.status_code == 400
    assert {r.content for r in responses if r.status_code == 400} == {sequential.content}
    assert (
        api_as(clerk).get(url, {"page_size": 100}).json()["count"]
        == {
            "enterprise": 2,
            "member": 1,
            "organization": 2,
        }[kind]
    )
