"""Members as dated history (issue 12): a past quarter's member figures are reproduced exactly after transfers,
转正 and employer changes, stored quarters included, and closed quarters never move."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from members.history import create_first_rows, history_of
from members.models import Employment, Member, Membership
from members.services import (
    confirm_member,
    create_member,
    extend_probation,
    transfer_member,
    update_member,
)
from orgs.models import PartyOrganization
from registry.models import Enterprise, RecomputeRequest
from registry.periods import Quarter
from reports.engine.coverage import members_on
from reports.engine.recompute import process_outbox, recompute
from reports.engine.workqueue import stored_work_queue, work_queue
from reports.models import EnterpriseState, MemberSnapshot, OrganizationState, PeriodLock
from tests.factories import AreaFactory, EnterpriseFactory, MemberFactory, OrganizationFactory, make_id_number

pytestmark = pytest.mark.django_db

Q2, Q3, Q4 = Quarter(2025, 2), Quarter(2025, 3), Quarter(2025, 4)


@pytest.fixture
def zone():
    district = AreaFactory(code="Z", kind="district")
    return district, AreaFactory(code="P1", parent=district), AreaFactory(code="P2", parent=district)


def totals(area, *periods):
    return [MemberSnapshot.objects.get(area=area, period=p).total for p in periods]


def requests():
    return sorted((r.area.code, r.since) for r in RecomputeRequest.objects.select_related("area"))


def test_a_transfer_between_areas_moves_the_member_from_its_date_only(zone):
    district, p1, p2 = zone
    old_org = OrganizationFactory(area=p1, founded_on=dt.date(2016, 1, 1))
    new_org = OrganizationFactory(area=p2, founded_on=dt.date(2016, 1, 1))
    member = MemberFactory(organization=old_org, joined_on=dt.date(2019, 1, 1))
    recompute(periods=[Q2, Q3, Q4])
    assert (totals(p1, Q2, Q3, Q4), totals(p2, Q2, Q3, Q4)) == ([1, 1, 1], [0, 0, 0])
    RecomputeRequest.objects.all().delete()

    on = dt.date(2025, 8, 15)
    transfer_member(member=member, organization=new_org, on=on)

    # The requests reach back exactly to the transfer date, in both areas.
    assert requests() == [("P1", on), ("P2", on)]
    process_outbox()
    # The old area counts the member for every date before the transfer, the new one from it: stored Q2 unchanged.
    assert (totals(p1, Q2, Q3, Q4), totals(p2, Q2, Q3, Q4)) == ([1, 0, 0], [0, 1, 1])
    assert totals(district, Q2, Q3, Q4) == [1, 1, 1]
    assert [members_on(p1, d).total for d in (on - dt.timedelta(days=1), on)] == [1, 0]
    assert [members_on(p2, d).total for d in (on - dt.timedelta(days=1), on)] == [0, 1]
    # The organisation-level counts (live and stored) follow the same dates.
    counts = {o.pk: o.member_count for o in PartyOrganization.objects.with_counts(on - dt.timedelta(days=1))}
    assert (counts[old_org.pk], counts[new_org.pk]) == (1, 0)
    assert OrganizationState.objects.get(organization=old_org, period=Q2).member_count == 1
    assert not OrganizationState.objects.filter(organization=old_org, period=Q3, member_count__gt=0).exists()

    member.refresh_from_db()
    assert (member.organization_id, member.joined_on) == (new_org.pk, on)
    memberships = history_of(member)["memberships"]
    assert [(m["organization"], m["start"], m["end"], m["how_ended"]) for m in memberships] == [
        (old_org, dt.date(2019, 1, 1), on, "transfer"),
        (new_org, on, None, ""),
    ]


def test_a_closed_quarter_keeps_its_figures_after_a_transfer_reaching_into_it(zone):
    _district, p1, p2 = zone
    old_org, new_org = OrganizationFactory(area=p1), OrganizationFactory(area=p2)
    member = MemberFactory(organization=old_org, joined_on=dt.date(2019, 1, 1))
    recompute(periods=[Q2, Q3])
    PeriodLock.objects.create(period=Q2)
    transfer_member(member=member, organization=new_org, on=dt.date(2025, 5, 1))
    process_outbox()
    assert (totals(p1, Q2, Q3), totals(p2, Q2, Q3)) == ([1, 0], [0, 1])  # Q2 frozen as closed; Q3 moved
    assert members_on(p2, dt.date(2025, 6, 30)).total == 1  # the live as-of answer tells the truth


def test_confirmation_changes_full_and_probationary_counts_from_its_date_only(zone):
    _district, p1, _p2 = zone
    org = OrganizationFactory(area=p1, founded_on=dt.date(2016, 1, 1))
    member = MemberFactory(
        organization=org,
        category="probationary",
        joined_party_on=dt.date(2024, 3, 1),
        joined_on=dt.date(2024, 3, 1),
    )
    recompute(periods=[Q2, Q3])
    with pytest.raises(ValidationError) as too_early:
        confirm_member(member=member, on=dt.date(2025, 2, 28))
    assert too_early.value.message_dict == {"on": ["预备期未满，最早可于 2025-03-01 转正。"]}
    RecomputeRequest.objects.all().delete()

    confirm_member(member=member, on=dt.date(2025, 8, 1))
    assert requests() == [("P1", dt.date(2025, 8, 1))]
    process_outbox()
    q2, q3 = (MemberSnapshot.objects.get(area=p1, period=p) for p in (Q2, Q3))
    assert (q2.full, q2.probationary, q3.full, q3.probationary) == (0, 1, 1, 0)
    member.refresh_from_db()
    assert (member.category, member.category_on(dt.date(2025, 7, 31))) == ("full", "probationary")
    assert [c["category"] for c in history_of(member)["categories"]] == ["probationary", "full"]
    full = {
        d: PartyOrganization.objects.with_counts(d).get(pk=org.pk).full_member_count
        for d in (Q2.last_day, Q3.last_day)
    }
    assert full == {Q2.last_day: 0, Q3.last_day: 1}
    with pytest.raises(ValidationError):  # 转正 once
        confirm_member(member=member, on=dt.date(2025, 9, 1))


def test_an_extended_probation_moves_the_earliest_confirmation(zone):
    _district, p1, _p2 = zone
    member = MemberFactory(
        organization=OrganizationFactory(area=p1),
        category="probationary",
        joined_party_on=dt.date(2024, 3, 1),
        joined_on=dt.date(2024, 3, 1),
    )
    with pytest.raises(ValidationError) as too_long:
        extend_probation(member=member, until=dt.date(2026, 3, 2))
    assert "延长预备期最长一年" in too_long.value.message_dict["until"][0]
    extend_probation(member=member, until=dt.date(2025, 9, 1), on=dt.date(2025, 3, 1))
    with pytest.raises(ValidationError) as early:
        confirm_member(member=member, on=dt.date(2025, 8, 31))
    assert early.value.message_dict["on"] == ["预备期未满，最早可于 2025-09-01 转正。"]
    assert confirm_member(member=member, on=dt.date(2025, 9, 1)).confirmed_on == dt.date(2025, 9, 1)


def test_a_probation_over_with_no_decision_is_a_work_item(zone):
    district, p1, _p2 = zone
    org = OrganizationFactory(area=p1)
    MemberFactory(
        organization=org,
        category="probationary",
        joined_party_on=dt.date(2024, 3, 1),
        joined_on=dt.date(2024, 3, 1),
    )
    MemberFactory(
        organization=org,
        category="probationary",
        joined_party_on=dt.date(2025, 1, 1),
        joined_on=dt.date(2025, 1, 1),
    )
    before, after = dt.date(2025, 3, 1), dt.date(2025, 3, 2)
    assert work_queue(district, before).counts()["probation-overdue"] == 0
    assert work_queue(district, after).counts()["probation-overdue"] == 1
    recompute(periods=[Q2])
    assert OrganizationState.objects.get(organization=org, period=Q2).overdue_probation == 1
    assert stored_work_queue(district, Q2).counts()["probation-overdue"] == 1


def test_an_employer_change_moves_party_members_from_its_date(zone):
    _district, p1, p2 = zone
    old_firm, new_firm = EnterpriseFactory(area=p1), EnterpriseFactory(area=p2)
    member = MemberFactory(organization=OrganizationFactory(area=p1), enterprise=old_firm)
    recompute(periods=[Q2, Q3])
    RecomputeRequest.objects.all().delete()
    on = dt.date(2025, 8, 1)

    update_member(member=member, enterprise=new_firm, enterprise_since=on)

    assert requests() == [("P1", on), ("P2", on)]
    process_outbox()

    def party_members(day):
        rows = Enterprise.objects.filter(pk__in=[old_firm.pk, new_firm.pk]).with_member_counts(day)
        found = {e.pk: e.party_members for e in rows}
        return found[old_firm.pk], found[new_firm.pk]

    assert (party_members(on - dt.timedelta(days=1)), party_members(on)) == ((1, 0), (0, 1))
    stored = {
        (s.enterprise_id, s.period): s.party_members
        for s in EnterpriseState.objects.filter(enterprise__in=[old_firm, new_firm])
    }
    assert (stored[(old_firm.pk, Q2)], stored[(new_firm.pk, Q2)]) == (1, 0)
    assert (stored[(old_firm.pk, Q3)], stored[(new_firm.pk, Q3)]) == (0, 1)
    assert list(Employment.objects.filter(member=member).values_list("enterprise", "start", "end")) == [
        (old_firm.pk, dt.date(2019, 1, 1), on),
        (new_firm.pk, on, None),
    ]


def test_a_member_who_left_comes_back_as_the_same_person(zone):
    _district, p1, p2 = zone
    first, second = OrganizationFactory(area=p1), OrganizationFactory(area=p2)
    member = MemberFactory(organization=first, joined_on=dt.date(2019, 1, 1))
    update_member(member=member, ended_on=dt.date(2023, 1, 1), end_reason="transfer_out")
    with pytest.raises(ValidationError) as before_leaving:
        transfer_member(member=member, organization=second, on=dt.date(2022, 12, 31))
    assert list(before_leaving.value.message_dict) == ["on"]
    transfer_member(member=member, organization=second, on=dt.date(2024, 6, 1))
    member.refresh_from_db()
    assert (member.ended_on, member.end_reason, member.organization_id) == (None, "", second.pk)
    assert Member.objects.filter(id_number=member.id_number).count() == 1
    counted = [
        members_on(a, d).total
        for a, d in (
            (p1, dt.date(2022, 6, 1)),
            (p1, dt.date(2023, 6, 1)),
            (p2, dt.date(2023, 6, 1)),
            (p2, dt.date(2024, 6, 1)),
        )
    ]
    assert counted == [1, 0, 0, 1]


def test_rule_errors_write_nothing(zone):
    _district, p1, p2 = zone
    org = OrganizationFactory(area=p1, founded_on=dt.date(2016, 1, 1))
    later = OrganizationFactory(area=p2, founded_on=dt.date(2025, 1, 1))
    member = MemberFactory(organization=org, joined_on=dt.date(2019, 1, 1))
    snapshot = list(Membership.objects.values_list("member", "organization", "start", "end").order_by("pk"))
    cases = [
        (dict(organization=later, on=dt.date(2024, 6, 1)), "organization", "不存续"),
        (dict(organization=org, on=dt.date(2024, 6, 1)), "organization", "相同"),
        (dict(organization=later, on=dt.date(2018, 6, 1)), "on", "应晚于"),
    ]
    for kwargs, field, text in cases:
        with pytest.raises(ValidationError) as refused:
            transfer_member(member=member, **kwargs)
        assert text in refused.value.message_dict[field][0]
    with pytest.raises(ValidationError):  # a PATCH-style change of organisation before the current start
        update_member(member=member, organization=later, joined_on=dt.date(2018, 1, 1))
    assert (
        list(Membership.objects.values_list("member", "organization", "start", "end").order_by("pk"))
        == snapshot
    )
    assert not RecomputeRequest.objects.filter(since__lt=dt.date(2019, 1, 1)).exists()


def test_a_party_join_date_may_predate_the_organisation_but_not_the_18th_birthday(zone):
    _district, p1, _p2 = zone
    org = OrganizationFactory(area=p1, founded_on=dt.date(2016, 1, 1))
    fields = dict(
        name="王建国",
        gender="M",
        birth_date=dt.date(1985, 6, 1),
        education="bachelor",
        category="full",
        joined_on=dt.date(2016, 3, 1),
        organization=org,
    )
    member = create_member(id_number=make_id_number(1), joined_party_on=dt.date(2010, 7, 1), **fields)
    assert (member.joined_party_on, history_of(member)["memberships"][0]["how_started"]) == (
        dt.date(2010, 7, 1),
        "transfer_in",
    )
    with pytest.raises(ValidationError) as young:
        create_member(id_number=make_id_number(2), joined_party_on=dt.date(2003, 5, 31), **fields)
    assert young.value.message_dict["joined_party_on"] == ["入党时应年满十八岁（2003-06-01 起）。"]
    with pytest.raises(ValidationError) as late:
        create_member(id_number=make_id_number(3), joined_party_on=dt.date(2016, 3, 2), **fields)
    assert "不能晚于转入本组织日期" in late.value.message_dict["joined_party_on"][0]
    assert Member.objects.count() == 1


def test_seed_004_composition_with_party_join_dates_before_the_organisations(zone):
    """Seed 004: 3163 members (2462 working, 701 retired); women 757 (23.9 %), minority 1079 (34.1 %), college or
    above 2097 (66.3 %), under 35 623 (19.7 %) — every member joined the Party before their organisation existed."""
    district, p1, p2 = zone
    on = dt.date(2025, 9, 30)
    orgs = [OrganizationFactory(area=p1 if k % 2 else p2, founded_on=dt.date(2018, 1, 1)) for k in range(10)]
    members = []
    for i in range(3163):
        young = i < 623
        born = dt.date(1995, 1, 1) if young else dt.date(1970 + i % 20, 3, 1)
        members.append(
            Member(
                name=f"党员{i}",
                gender="F" if i % 3163 < 757 else "M",
                ethnicity="壮族" if 1000 <= i < 2079 else "汉族",
                birth_date=born,
                education="bachelor" if i >= 3163 - 2097 else "secondary",
                id_number=make_id_number(i, born=dt.date(1950, 1, 1) + dt.timedelta(days=i // 500)),
                category="full",
                joined_party_on=born.replace(year=born.year + 19),
                joined_on=dt.date(2018, 1, 1) + dt.timedelta(days=i % 300),
                organization=orgs[i % 10],
                retired=i % 3163 >= 2462,
            )
        )
    Member.objects.bulk_create(members)
    create_first_rows(members)
    assert all(m.joined_party_on < m.organization.founded_on for m in members)

    recompute(periods=[Q3])
    stored = MemberSnapshot.objects.get(area=district, period=Q3)
    live = members_on(district, on)
    for figures in (stored, live):
        assert (figures.total, figures.total - figures.retired, figures.retired) == (3163, 2462, 701)
        assert (figures.female, figures.minority, figures.college_or_above, figures.under_35) == (
            757,
            1079,
            2097,
            623,
        )
    assert [live.share(name) for name in ("female", "minority", "college_or_above", "under_35")] == [
        Decimal("23.9"),
        Decimal("34.1"),
        Decimal("66.3"),
        Decimal("19.7"),
    ]


def test_a_new_members_log_lists_its_own_columns_only(zone):
    """auditlog would log reverse relations on a create ("memberships: None → members.Membership.None")."""
    from auditlog.models import LogEntry

    _district, p1, _p2 = zone
    member = create_member(
        id_number=make_id_number(7),
        name="李四",
        gender="M",
        birth_date=dt.date(1985, 6, 1),
        education="bachelor",
        category="full",
        joined_on=dt.date(2020, 1, 1),
        organization=OrganizationFactory(area=p1),
        enterprise=EnterpriseFactory(area=p1),
    )
    for obj in (member, member.organization, member.enterprise):
        concrete = {f.name for f in type(obj)._meta.concrete_fields}
        logged = set(LogEntry.objects.get_for_object(obj).get(action=LogEntry.Action.CREATE).changes_dict)
        assert logged and logged <= concrete, logged - concrete
