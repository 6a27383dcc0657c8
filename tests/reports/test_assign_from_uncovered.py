"""选派指导员 straight from an uncovered unit (issue 16, point 13, first half): its page and the 未覆盖 work-queue
list link to the assignment form with the unit filled in; saving goes back to where the user came from."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.utils import timezone

from members.models import InstructorAssignment
from registry.choices import Category
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    EnterpriseFactory,
    InstructorFactory,
    LinkFactory,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", name="示范区", kind="district")
    park = AreaFactory(code="P1", parent=zone, name="园区一")
    other = AreaFactory(code="Y", name="外区", kind="district")
    firm = EnterpriseFactory(area=park, name="未覆盖规上公司", category=Category.ENTERPRISE)
    AboveScalePeriodFactory(enterprise=firm, start=dt.date(2020, 1, 1))
    covered = EnterpriseFactory(area=park, name="已覆盖公司")
    LinkFactory(enterprise=covered)
    return {
        "zone": zone,
        "park": park,
        "firm": firm,
        "covered": covered,
        "zone_instructor": InstructorFactory(area=zone, name="区指导员"),
        "park_instructor": InstructorFactory(area=park, name="园区指导员"),
        "elsewhere": InstructorFactory(area=other, name="外区指导员"),
    }


@pytest.fixture
def page(client, world):
    client.force_login(make_user("clerk", role="staff", area=world["zone"]))
    return client


def assign_link(html: str) -> str:
    match = re.search(r'href="(/instructors/assign/\?[^"]+)"[^>]*>选派指导员<', html)
    assert match, "no 选派指导员 link"
    return unescape(match.group(1))


def test_uncovered_units_page_links_to_the_assignment_prefilled(page, world):
    firm = world["firm"]
    url = assign_link(page.get(f"/enterprises/{firm.pk}/").content.decode())
    assert url == f"/instructors/assign/?enterprise={firm.pk}&next=/enterprises/{firm.pk}/"
    form = page.get(url).context["form"]
    assert form.enterprise == firm
    # Instructors serving the unit's area or an area above it, within the user's: not another district's.
    assert {i.name for i in form.fields["instructor"].queryset} == {"区指导员", "园区指导员"}


def test_a_covered_unit_has_no_such_link(page, world):
    html = page.get(f"/enterprises/{world['covered'].pk}/").content.decode()
    assert "/instructors/assign/" not in html


def test_saving_assigns_and_returns_to_the_work_queue(page, world):
    firm = world["firm"]
    queue = page.get("/workqueue/uncovered-above-scale/")
    assert queue.status_code == 200
    url = assign_link(queue.content.decode())
    assert url == f"/instructors/assign/?enterprise={firm.pk}&next=/workqueue/uncovered-above-scale/"
    today = timezone.localdate()
    response = page.post(url, {"instructor": world["park_instructor"].pk, "start": today.isoformat()})
    assert response.status_code == 302
    assert response["Location"] == "/workqueue/uncovered-above-scale/"
    assignment = InstructorAssignment.objects.get()
    assert (assignment.instructor, assignment.enterprise, assignment.start) == (
        world["park_instructor"],
        firm,
        today,
    )
    # Now covered by an instructor (工作覆盖): no longer in the queue, no link on its page.
    assert (
        f'href="/enterprises/{firm.pk}/"'
        not in page.get("/workqueue/uncovered-above-scale/").content.decode()
    )
    assert "/instructors/assign/" not in page.get(f"/enterprises/{firm.pk}/").content.decode()


def test_next_must_stay_on_this_site(page, world):
    firm = world["firm"]
    response = page.post(
        f"/instructors/assign/?enterprise={firm.pk}&next=https://evil.example/",
        {"instructor": world["park_instructor"].pk, "start": timezone.localdate().isoformat()},
    )
    assert response["Location"] == f"/enterprises/{firm.pk}/"


def test_only_writing_roles_and_only_units_in_scope(client, world):
    client.force_login(make_user("reader", role="park", area=world["park"]))
    assert client.get(f"/instructors/assign/?enterprise={world['firm'].pk}").status_code == 403
    client.force_login(make_user("outsider", role="staff", area=AreaFactory(code="Q")))
    assert client.get(f"/instructors/assign/?enterprise={world['firm'].pk}").status_code == 404
