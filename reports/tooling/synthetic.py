"""A seeded synthetic province for benchmarks: areas 4 levels deep, enterprises, organisations, members with their
dated history (memberships, workplaces, mobility), instructors.

Rows are written with PostgreSQL COPY (executemany elsewhere), in primary-key order, so 100,000 enterprises and
1,000,000 members take minutes, not hours; every member's ordinary history rows are one INSERT … SELECT from the
member table. Codes carry valid check characters; the figures are plausible, not real.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from members.choices import MembershipEnd, MembershipStart
from members.models import Employment, Instructor, InstructorAssignment, Member, Membership, Mobility
from members.rules import id_check_char
from orgs.models import OrganizationLink, PartyOrganization
from registry.dating import add_years
from registry.models import AboveScalePeriod, Area, Enterprise
from registry.rules import credit_code_check_char

MODELS = (
    Area,
    Enterprise,
    AboveScalePeriod,
    PartyOrganization,
    OrganizationLink,
    Member,
    Membership,
    Employment,
    Mobility,
    Instructor,
    InstructorAssignment,
)
HISTORY = (Membership, Employment, Mobility)
ID_REGIONS = tuple(f"4409{n:02d}" for n in range(60, 72))  # 12 region codes, none in use
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰志强海燕晓东"
WORDS = "华盛恒泰鑫源宏达锦程瑞丰嘉禾润德博远新天启明正元长青"
SUFFIX = ("科技有限公司", "制造有限公司", "实业有限公司", "贸易有限公司", "电子有限公司", "物流有限公司")
SOCIAL = ("行业协会", "商会", "促进会", "服务中心", "基金会")
FIRST_DAY = dt.date(2000, 1, 1)
LAST_JOIN = dt.date(2025, 6, 30)
# The share of history beyond the first rows (of all members / of full members), and how often a full member joined
# the Party before their first organisation here.
TRANSFERRED = 0.06  # drawn for full members; ~5 % of all members end up with an in-registry transfer
JOB_CHANGE_EVERY = 30  # every 30th member (by id) with a workplace changed employer: ~3 %
CONFIRMED = 0.33  # full members with a 转正 date on record (those admitted recently enough): ~30 %
EARLIER_PARTY = 0.6


@dataclass
class Sizes:
    enterprises: int
    members: int

    @property
    def parks(self) -> int:
        return max(4, self.enterprises // 500)


def _day(rnd: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rnd.randrange(max(1, (end - start).days)))


class _Writer:
    """Appends rows to one table at a time: COPY on PostgreSQL, executemany elsewhere."""

    def write(self, model, rows: Iterable[tuple]) -> int:
        fields = [f.column for f in model._meta.concrete_fields]
        quoted = ", ".join(connection.ops.quote_name(c) for c in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        count = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
            else:
                batch: list[tuple] = []
                sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(fields))})"
                for row in rows:
                    batch.append(row)
                    if len(batch) == 5000:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        return count


def generate(sizes: Sizes, *, seed: int = 20251, on: dt.date = dt.date(2025, 9, 30)) -> dict[str, int]:
    """Fill an empty registry with a synthetic province; returns the row count of each table."""
    rnd = random.Random(seed)
    now = timezone.now()
    w = _Writer()
    counts: dict[str, int] = {}

    with transaction.atomic():
        # Areas: province → 10 districts → parks → 2 communities each (4 levels).
        areas, leaves = [], []
        areas.append((1, "SYN", "合成省", "district", None, "/SYN/"))
        next_id = 2
        districts = []
        for d in range(10):
            code = f"SYN-D{d:02d}"
            areas.append((next_id, code, f"第{d + 1}区", "district", 1, f"/SYN/{code}/"))
            districts.append((next_id, f"/SYN/{code}/"))
            next_id += 1
        for p in range(sizes.parks):
            district_id, district_path = districts[p % 10]
            code = f"SYN-P{p:04d}"
            park_id, park_path = next_id, f"{district_path}{code}/"
            areas.append((park_id, code, f"{WORDS[p % len(WORDS)]}产业园{p}", "park", district_id, park_path))
            leaves.append(park_id)
            next_id += 1
            for c in range(2):
                ccode = f"{code}-C{c}"
                areas.append(
                    (next_id, ccode, f"园区{p}社区{c}", "community", park_id, f"{park_path}{ccode}/")
                )
                leaves.append(next_id)
                next_id += 1
        counts["areas"] = w.write(Area, areas)

        # Enterprises: ~1 in 7 a social organisation; ~25 % of enterprises 规上; ~3 % deregistered.
        firms = []  # (id, area_id, category, above_scale, operating)
        above_rows = []

        def enterprise_rows():
            for i in range(1, sizes.enterprises + 1):
                area_id = leaves[(i * 7919) % len(leaves)]
                social = i % 7 == 0
                established = _day(rnd, FIRST_DAY, dt.date(2024, 12, 31))
                deregistered = _day(rnd, dt.date(2023, 1, 1), on) if rnd.random() < 0.03 else None
                if deregistered and deregistered <= established:
                    deregistered = None
                above = not social and rnd.random() < 0.25
                firms.append(
                    (i, area_id, "social_org" if social else "enterprise", above, deregistered is None)
                )
                if above:
                    above_rows.append((len(above_rows) + 1, max(established, dt.date(2015, 1, 1)), None, i))
                body = f"{i:09d}"
                first17 = ("51" if social else "91") + "440960" + body
                name = (
                    WORDS[i % len(WORDS)]
                    + WORDS[(i // 7) % len(WORDS)]
                    + (SOCIAL[i % len(SOCIAL)] if social else SUFFIX[i % len(SUFFIX)])
                )
                yield (
                    i,
                    f"{name}{i}",
                    first17 + credit_code_check_char(first17),
                    "social_org" if social else "enterprise",
                    "social_group" if social else ("private", "foreign", "hmt", "mixed")[i % 4],
                    "制造业",
                    area_id,
                    rnd.randrange(5, 2000),
                    established,
                    deregistered,
                    "",
                    "",
                    "",
                    now,
                    now,
                )

        counts["enterprises"] = w.write(Enterprise, enterprise_rows())
        counts["above_scale"] = w.write(AboveScalePeriod, above_rows)

        # Organisations: 45 % of 规上 firms and 20 % of social organisations set up alone; small firms in the same
        # area join in groups of 2–5 (12 % of them).
        orgs, links = [], []
        org_firms: list[list[int]] = []
        small_by_area: dict[int, list[int]] = {}
        for fid, area_id, category, above, operating in firms:
            if not operating:
                continue
            if (above and rnd.random() < 0.45) or (category == "social_org" and rnd.random() < 0.2):
                org_firms.append([fid])
            elif category == "enterprise" and not above and rnd.random() < 0.12:
                small_by_area.setdefault(area_id, []).append(fid)
        for group in small_by_area.values():
            while len(group) >= 2:
                size = min(len(group), rnd.randint(2, 5))
                org_firms.append(group[:size])
                group[:] = group[size:]
        firm_area = {f[0]: f[1] for f in firms}
        for oid, members_of in enumerate(org_firms, start=1):
            founded = _day(rnd, dt.date(2010, 1, 1), dt.date(2025, 6, 30))
            setup = "single" if len(members_of) == 1 else "joint"
            orgs.append(
                (
                    oid,
                    f"合成党支部{oid}",
                    "branch",
                    setup,
                    None,
                    firm_area[members_of[0]],
                    founded,
                    None,
                    "",
                    None,
                    False,
                    founded.replace(year=founded.year + 3)
                    if founded.month != 2
                    else founded.replace(year=founded.year + 3, day=1),
                    now,
                    now,
                )
            )
            for fid in members_of:
                links.append((len(links) + 1, founded, None, oid, fid))
        counts["organizations"] = w.write(PartyOrganization, orgs)
        counts["links"] = w.write(OrganizationLink, links)

        # Members: spread over organisations, working at one of the firms the organisation covers. The member row
        # holds the current state; what came before (an earlier membership, an earlier employer) is kept here and
        # written after it.
        operating = [f[0] for f in firms if f[4]]
        # (start, end, member_id, organization_id, how_started, how_ended) of memberships ended by a transfer
        earlier_memberships: list[tuple] = []
        # (start, end, member_id, enterprise_id): transferees' earlier workplaces, and every workplace of a
        # member whose employer changed
        jobs: list[tuple] = []

        def member_rows():
            for i in range(1, sizes.members + 1):
                org = orgs[rnd.randrange(len(orgs))]
                oid, founded = org[0], org[6]
                group = org_firms[oid - 1]
                born = FIRST_DAY.replace(year=1950) + dt.timedelta(days=(i // 12) % 18000)
                male = rnd.random() < 0.72
                seq = ((i // (12 * 18000)) % 500) * 2 + (1 if male else 0)
                first17 = f"{ID_REGIONS[i % 12]}{born:%Y%m%d}{seq:03d}"
                full = rnd.random() >= 0.1
                # Probationary members were admitted within the year before ``on``.
                joined = _day(rnd, founded if full else max(founded, add_years(on, -1)), LAST_JOIN)
                ended = (
                    _day(rnd, joined + dt.timedelta(days=1), on)
                    if rnd.random() < 0.03 and joined < on
                    else None
                )
                enterprise = group[i % len(group)] if rnd.random() < 0.95 else None
                first, previous = joined, None  # the first day of the first membership here, and where
                if full and rnd.random() < TRANSFERRED:
                    for _try in range(3):
                        drawn = orgs[rnd.randrange(len(orgs))]
                        if drawn[0] != oid and drawn[6] < joined:
                            previous, first = drawn[0], _day(rnd, drawn[6], joined)
                            break
                party = first
                if full and rnd.random() < EARLIER_PARTY and add_years(born, 18) < first:
                    party = _day(rnd, add_years(born, 18), first)
                if previous is not None:  # 组织关系转接 on ``joined`` from ``previous``
                    earlier_memberships.append(
                        (first, joined, i, previous, _how_started(party, first), MembershipEnd.TRANSFER)
                    )
                    if enterprise is not None:
                        before = org_firms[previous - 1]
                        jobs.append((first, joined, i, before[i % len(before)]))
                confirmed = None
                if full and rnd.random() < CONFIRMED:
                    confirmed = add_years(party, 1) + dt.timedelta(days=rnd.randrange(60))
                    confirmed = confirmed if confirmed <= on else None
                if enterprise is not None and i % JOB_CHANGE_EVERY == 0:
                    until = ended or on
                    if (until - joined).days > 1:
                        change = _day(rnd, joined + dt.timedelta(days=1), until)
                        k = rnd.randrange(len(operating))
                        other = operating[k] if operating[k] != enterprise else operating[k - 1]
                        jobs.append((joined, change, i, other))
                        jobs.append((change, ended, i, enterprise))
                    else:
                        jobs.append((joined, ended, i, enterprise))
                yield (
                    i,
                    SURNAMES[i % len(SURNAMES)] + GIVEN[(i // 3) % len(GIVEN)],
                    "M" if male else "F",
                    "汉族" if rnd.random() < 0.9 else "壮族",
                    born,
                    ("postgraduate", "bachelor", "college", "secondary", "junior")[rnd.randrange(5)],
                    first17 + id_check_char(first17),
                    "",
                    "full" if full else "probationary",
                    party,
                    confirmed,
                    None,
                    None,
                    joined,
                    oid,
                    enterprise,
                    rnd.random() < 0.02,
                    rnd.random() < 0.1,
                    ended,
                    "transfer_out" if ended else "",
                    now,
                    now,
                )

        counts["members"] = w.write(Member, member_rows())
        counts.update(write_history(w, sizes.members, earlier_memberships, jobs))

        # Instructors work with 8 % of the operating firms that have no organisation.
        covered = {fid for group in org_firms for fid in group}
        bare = [f for f in firms if f[4] and f[0] not in covered]
        n_instructors = max(1, sizes.enterprises // 50)
        counts["instructors"] = w.write(
            Instructor,
            (
                (i, f"指导员{i}", "组织部", i % 3 == 0, "", leaves[i % len(leaves)], None, None, now, now)
                for i in range(1, n_instructors + 1)
            ),
        )
        chosen = [f for f in bare if rnd.random() < 0.08]
        counts["assignments"] = w.write(
            InstructorAssignment,
            (
                (n, _day(rnd, dt.date(2018, 1, 1), on), None, 1 + n % n_instructors, f[0])
                for n, f in enumerate(chosen, start=1)
            ),
        )

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), MODELS):
                cursor.execute(sql)
    return counts


def _how_started(joined_party_on: dt.date, start: dt.date) -> str:
    """members.history.how_started for a membership starting on ``start``."""
    return MembershipStart.TRANSFER_IN if joined_party_on < start else MembershipStart.DEVELOPED


def write_history(
    w: _Writer, members: int, earlier_memberships: list[tuple], jobs: list[tuple]
) -> dict[str, int]:
    """The members' history rows: each member's current (or last) membership, workplace and mobility, set-based
    from the member table (row id = member id, as members.history.first_rows would write them); then the rows
    written out here (ids after ``members``): memberships that ended in a transfer, and every employment of
    a member whose employer changed (those members, every JOB_CHANGE_EVERY-th, are left out of the set)."""
    q = connection.ops.quote_name
    member = q(Member._meta.db_table)
    counts = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {q(Membership._meta.db_table)} "
            f"(id, start, {q('end')}, member_id, organization_id, how_started, how_ended) "
            f"SELECT id, joined_on, ended_on, id, organization_id, "
            f"CASE WHEN joined_party_on < joined_on THEN %s ELSE %s END, end_reason FROM {member} ORDER BY id",
            [MembershipStart.TRANSFER_IN, MembershipStart.DEVELOPED],
        )
        counts["memberships"] = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {q(Employment._meta.db_table)} (id, start, {q('end')}, member_id, enterprise_id) "
            f"SELECT id, joined_on, ended_on, id, enterprise_id FROM {member} "
            f"WHERE enterprise_id IS NOT NULL AND id %% %s <> 0 ORDER BY id",
            [JOB_CHANGE_EVERY],
        )
        counts["employments"] = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {q(Mobility._meta.db_table)} (id, start, {q('end')}, member_id, destination) "
            f"SELECT id, joined_on, ended_on, id, '' FROM {member} WHERE is_mobile ORDER BY id"
        )
        counts["mobility"] = cursor.rowcount
    counts["memberships"] += w.write(
        Membership, ((members + n, *row) for n, row in enumerate(earlier_memberships, start=1))
    )
    counts["employments"] += w.write(Employment, ((members + n, *row) for n, row in enumerate(jobs, start=1)))
    return counts


def wipe() -> None:
    """Remove every registry row and every figure computed from them, before generating."""
    from registry.models import RecomputeRequest

    from ..models import EnterpriseState, MemberSnapshot, ReportRun, Snapshot

    derived = (EnterpriseState, Snapshot, MemberSnapshot, ReportRun, RecomputeRequest)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (*derived, *MODELS))
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            return
        PartyOrganization.objects.update(secretary=None)
        for model in (
            *derived,
            *HISTORY,
            InstructorAssignment,
            Instructor,
            Member,
            OrganizationLink,
            PartyOrganization,
            AboveScalePeriod,
            Enterprise,
        ):
            model.objects.all().delete()
        while Area.objects.exists():
            Area.objects.filter(children__isnull=True).delete()
