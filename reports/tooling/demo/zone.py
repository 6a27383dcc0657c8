"""The zone itself: which firm sits where, which are covered and how, who works where (seed 000's figures)."""

from __future__ import annotations

import datetime as dt

from members.models import Instructor, InstructorAssignment
from registry.dating import add_years
from registry.models import Enterprise

from .builder import Builder
from .facts import AS_OF, PARKS, ZONE


def build_units(builder: Builder) -> None:
    rng = builder.rng
    zone = builder.zone
    # 68 规上 firms operating on 2025-09-30. Index → park (0..3).
    parks = [1, 0, 1, 2, 3, 0, 2, 1, 0, 3, 2, 1, 0, 0]  # A0..A13, chosen
    parks += [i % 4 for i in range(14, 29)]  # A14..A28, single orgs
    parks += [0, 0, 0, 1, 1, 2]  # A29..A34, joint orgs
    parks += [(i * 3) % 4 for i in range(35, 68)]  # A35..A67, uncovered
    parks[50] = 2  # A50's members are held in the food park's joint branch
    a: list[Enterprise] = []
    for i, park in enumerate(parks):
        established = None
        if i == 0:
            established = dt.date(2005, 3, 15)
        elif i == 1:
            established = dt.date(2008, 9, 1)
        elif i in (8, 35, 36, 37, 38):  # became 规上 in 2025
            established = builder.date_between(dt.date(2018, 1, 1), dt.date(2022, 12, 31))
        elif i in (14, 40, 55):  # 规上 with a gap
            established = builder.date_between(dt.date(2006, 1, 1), dt.date(2012, 12, 31))
        size = (1800, 3000) if i == 0 else (1200, 1600) if i == 1 else (80, 900)
        a.append(builder.firm(park, established=established, employees=size, big=True))
    for i, firm in enumerate(a):
        if i in (8, 35):
            builder.above_scale(firm, dt.date(2025, 7, 1))
        elif i in (36, 37, 38):
            builder.above_scale(firm, dt.date(2025, 1, 1))
        elif i in (14, 40, 55):
            builder.above_scale(firm, dt.date(2013, 1, 1), dt.date(2016, 1, 1))
            builder.above_scale(firm, dt.date(2019, 1, 1))
        else:
            builder.usual_above_scale(firm)

    # About 40 smaller operating firms, never 规上 except S13 (2018–2023).
    s = [
        builder.firm(
            i % 4 if i > 13 else (1, 1, 2, 2, 3, 3, 3, 0, 0, 1, 2, 3, 3, 1)[i],
            established=dt.date(2013, 5, 6) if i == 13 else None,
        )
        for i in range(39)
    ]
    s.append(builder.firm(3, established=dt.date(2025, 4, 20), employees=(8, 20)))  # S39: new in 2025Q2
    builder.above_scale(s[13], dt.date(2018, 1, 1), dt.date(2024, 1, 1))

    # Four deregistered firms; D0 was 规上 and had its own branch.
    d0 = builder.firm(1, established=dt.date(2012, 3, 8), deregistered_on=dt.date(2024, 11, 30), big=True)
    builder.above_scale(d0, dt.date(2016, 1, 1), dt.date(2024, 11, 30))
    builder.firm(0, established=dt.date(2014, 6, 1), deregistered_on=dt.date(2023, 6, 30))
    builder.firm(2, established=dt.date(2016, 9, 12), deregistered_on=dt.date(2025, 2, 28))
    builder.firm(3, established=dt.date(2011, 4, 2), deregistered_on=dt.date(2022, 12, 31))

    # Twelve social organisations.
    c01 = builder.areas["KFQ-P01-S01-C01"]
    nanxi = builder.areas["KFQ-P03-S01-C01"]
    beixi = builder.areas["KFQ-P03-S01-C02"]
    social = [
        ("示范经济开发区商会", "social_group", zone),
        ("示范经济开发区电子信息行业协会", "social_group", builder.areas["KFQ-P01"]),
        ("示范经济开发区物流协会", "social_group", builder.areas["KFQ-P04"]),
        ("示范经济开发区食品行业协会", "social_group", builder.areas["KFQ-P03"]),
        ("示范经济开发区企业家联合会", "social_group", zone),
        ("示范经济开发区青年创业促进会", "social_group", builder.areas["KFQ-P01"]),
        ("东岸社区养老服务中心", "non_enterprise", c01),
        ("启明职业技能培训学校", "non_enterprise", builder.areas["KFQ-P02"]),
        ("心桥社会工作服务中心", "non_enterprise", nanxi),
        ("乐学托育中心", "non_enterprise", beixi),
        ("南溪康复护理院", "non_enterprise", nanxi),
        ("示范经济开发区慈善基金会", "foundation", zone),
    ]
    o = [
        builder.social_org(name, kind, area, builder.date_between(dt.date(2008, 1, 1), dt.date(2020, 12, 31)))
        for name, kind, area in social
    ]

    # --- single organisations (29 规上 firms on 2025-09-30) ---
    def founded_for(firm: Enterprise) -> dt.date:
        lower = max(add_years(firm.established_on, 1), dt.date(2009, 1, 1))
        return builder.date_between(lower, dt.date(2023, 12, 31))

    p = builder.single(a[0], dt.date(2010, 6, 18), kind="general_branch")
    flex = p  # sized last so the zone totals exactly 508
    builder.staff(p, a[0], 0, 5)
    builder.staff(p, a[0], 0, 2, joined_on=dt.date(2025, 7, 1))
    builder.extra(p, "retired", 3)
    builder.extra(p, "mobile", 1)

    p = builder.single(a[1], dt.date(2012, 7, 1))  # a branch grown past 50 members
    builder.staff(p, a[1], 45, 5)
    builder.staff(p, a[1], 0, 1, joined_on=dt.date(2025, 7, 1))
    builder.extra(p, "retired", 2)
    builder.extra(p, "mobile", 1)
    builder.extra(
        p, "retired", 1, lower=dt.date(2016, 1, 1), ended_on=dt.date(2023, 3, 15), end_reason="death"
    )

    p = builder.single(a[2], founded_for(a[2]))  # 12 full members, no committee
    builder.no_committee = p
    builder.staff(p, a[2], 12)
    builder.staff(p, a[2], 0, 1, joined_on=dt.date(2025, 7, 1))

    for i in (3, 4, 5, 6):  # fragile: exactly three full members
        p = builder.single(a[i], founded_for(a[i]))
        builder.staff(p, a[i], 3, 1 if i == 3 else 0)

    p = builder.single(a[7], dt.date(2025, 9, 10))  # founded in 2025Q3 after an instructor's work
    builder.staff(p, a[7], 3, 1, joined_on=dt.date(2025, 9, 10))
    p = builder.single(a[8], dt.date(2025, 8, 20))  # became 规上 2025-07-01, branch in 2025Q3
    builder.staff(p, a[8], 4, 1, joined_on=dt.date(2025, 8, 20))
    p = builder.single(a[9], dt.date(2025, 3, 18))  # founded in 2025Q1
    builder.staff(p, a[9], 4, 1)
    p = builder.single(a[10], dt.date(2025, 5, 12))  # founded in 2025Q2
    builder.staff(p, a[10], 4)

    # Terms ending within 90 days of 2025-09-30 (换届 due).
    p = builder.single(a[11], dt.date(2019, 11, 20), term_ends_on=dt.date(2025, 11, 20))
    builder.random_staff(p, a[11], 8, 18)
    builder.extra(p, "retired", 1)
    builder.staff(
        p, a[11], 1, lower=dt.date(2021, 1, 1), ended_on=dt.date(2025, 8, 12), end_reason="transfer_out"
    )
    p = builder.single(a[12], dt.date(2016, 12, 15), term_ends_on=dt.date(2025, 12, 15))
    builder.random_staff(p, a[12], 6, 15)

    # A13 was covered by the tech park's joint branch until it set up its own in mid-2024.
    j1_founded = dt.date(2019, 6, 1)
    p = builder.single(a[13], dt.date(2024, 7, 1))
    builder.staff(p, a[13], 3, 1)
    builder.random_staff(p, a[13], 1, 3)

    generic = []  # sized at the end so that the zone holds exactly 508 members
    for i in range(14, 29):
        p = builder.single(a[i], founded_for(a[i]))
        generic.append((p, a[i]))
        if i == 15:
            builder.staff(
                p,
                a[i],
                1,
                lower=p.org.founded_on,
                ended_on=dt.date(2024, 5, 20),
                end_reason="transfer_out",
            )
        if i in (14, 16):
            builder.extra(p, "retired", 1)
        if i in (15, 17, 19):
            builder.extra(p, "mobile", 1)

    # --- joint organisations: one per park, each covering 2–5 firms ---
    park_area = [builder.areas[code] for code, *_ in PARKS]

    def joint_name(park_index: int) -> str:
        return f"{ZONE[1]}{PARKS[park_index][1]}非公企业联合党支部"

    p = builder.org(
        joint_name(0),
        park_area[0],
        j1_founded,
        [(a[29], j1_founded, None), (a[30], j1_founded, None), (a[31], j1_founded, None)]
        + [(a[13], j1_founded, dt.date(2024, 7, 1))],
        setup="joint",
    )
    builder.staff(p, a[29], 2)  # fewer than 3 full members each: hence the joint branch
    builder.staff(p, a[30], 2, 1)
    builder.staff(p, a[31], 2)
    builder.staff(p, s[7], 1)  # held here, working at firms without an org (联建 candidates)
    builder.staff(p, s[8], 1, 1, lower=max(s[8].established_on, j1_founded))

    founded = dt.date(2020, 4, 15)
    p = builder.org(
        joint_name(1),
        park_area[1],
        founded,
        [(f, max(founded, f.established_on), None) for f in (a[32], a[33], s[0], s[1])],
        setup="joint",
    )
    builder.staff(p, a[32], 2)
    builder.staff(p, a[33], 2, 1)
    builder.staff(p, s[0], 1, lower=max(founded, s[0].established_on))
    builder.staff(p, s[1], 3, 1, lower=max(founded, s[1].established_on))  # should set up its own
    builder.staff(p, s[9], 2, lower=max(founded, s[9].established_on))
    builder.extra(p, "mobile", 1)

    founded = dt.date(2022, 3, 1)
    p = builder.org(
        joint_name(2),
        park_area[2],
        founded,
        [(s[2], max(founded, s[2].established_on), None), (s[3], max(founded, s[3].established_on), None)]
        + [(a[34], dt.date(2025, 8, 15), None)],  # joined in 2025Q3
        setup="joint",
    )
    builder.staff(p, a[34], 2, joined_on=dt.date(2025, 8, 15))
    builder.staff(p, s[2], 2, lower=max(founded, s[2].established_on))
    builder.staff(p, s[3], 1, lower=max(founded, s[3].established_on))
    builder.staff(p, s[10], 1, lower=max(founded, s[10].established_on))
    builder.staff(p, a[50], 2, lower=founded)

    founded = dt.date(2023, 6, 1)
    p = builder.org(
        joint_name(3),
        park_area[3],
        founded,
        [(f, max(founded, f.established_on), None) for f in (s[4], s[5], s[6])],
        setup="joint",
    )
    for firm, count in ((s[4], 2), (s[5], 1), (s[6], 2), (s[11], 2), (s[12], 1)):
        builder.staff(p, firm, count, lower=max(founded, firm.established_on))

    # --- social organisations ---
    founded = max(add_years(o[0].established_on, 1), dt.date(2015, 7, 1))
    p = builder.org(f"{o[0].name}党支部", zone, founded, [(o[0], founded, None)])
    builder.staff(p, o[0], 5, 1)
    founded = dt.date(2021, 7, 1)
    p = builder.org(
        f"{ZONE[1]}社会组织联合党支部",
        zone,
        founded,
        [(unit, max(founded, unit.established_on), None) for unit in o[1:4]],
        setup="joint",
    )
    for unit, count in ((o[1], 2), (o[2], 2), (o[3], 1)):
        builder.staff(p, unit, count, lower=max(founded, unit.established_on))

    # --- history: D0's branch was dissolved when the firm deregistered ---
    p = builder.single(d0, dt.date(2017, 5, 1), dissolved_on=dt.date(2024, 11, 30))
    builder.staff(p, d0, 6, ended_on=dt.date(2024, 11, 30), end_reason="transfer_out")

    # The general branch gets 68 members; the fifteen ordinary branches share what is left of 508.
    builder.staff(flex, a[0], 68 - len(flex.slots))
    rng.shuffle(flex.slots)  # mix retired/mobile/probationary among the full members
    others = sum(
        1 for plan in builder.plans for slot in plan.slots if slot.ended_on is None or slot.ended_on > AS_OF
    )
    sizes = builder.split(508 - others, len(generic), minimum=5)
    for (plan, firm), size in zip(generic, sizes, strict=True):
        probationary = sum(rng.random() < 0.1 for _ in range(size))
        builder.staff(plan, firm, size - probationary, probationary)

    # --- instructors: work coverage for uncovered 规上 firms ---
    units = (
        "开发区党工委组织部",
        "开发区非公有制经济组织和社会组织党工委",
        "开发区总工会",
        "开发区经济发展局",
    )
    for k in range(8):
        park = k // 2
        builder.instructors.append(
            Instructor(
                name=builder.person_name(builder.rng.random() < 0.35),
                unit=builder.rng.choice(units),
                full_time=k % 3 == 0,
                area=park_area[park],
            )
        )

    def instructor_for(firm: Enterprise) -> Instructor:
        park = next(i for i, (code, *_rest) in enumerate(PARKS) if firm.area.path.startswith(f"/KFQ/{code}/"))
        return builder.instructors[park * 2 + builder.rng.randint(0, 1)]

    for i in range(39, 49):
        start = builder.date_between(dt.date(2021, 1, 1), dt.date(2024, 12, 31))
        builder.assignments.append(
            InstructorAssignment(instructor=instructor_for(a[i]), enterprise=a[i], start=start)
        )
    builder.assignments.append(
        InstructorAssignment(
            instructor=instructor_for(a[49]),
            enterprise=a[49],
            start=dt.date(2023, 3, 1),
            end=dt.date(2025, 7, 15),
        )
    )
    builder.assignments.append(
        InstructorAssignment(instructor=instructor_for(a[7]), enterprise=a[7], start=dt.date(2023, 5, 1))
    )
