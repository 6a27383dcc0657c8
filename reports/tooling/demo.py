"""The demo data set: a fictional development zone whose figures reproduce seed 000.

As of 2025-09-30 (2025Q3) the zone has 68 operating 规上 non-public enterprises, 35 of them covered by a party
organisation (35/68 = 51.5 %) and 508 party members; nothing is dated after that day, so today's figures are the
same. 2025Q2 differs (two firms became 规上 in July, two orgs were founded and one joint link added in Q3).

``build_demo()`` is deterministic (``random.Random(2025)``, objects created in a fixed order, fixed timestamps):
``manage.py build_demo_fixture`` dumps what it builds to ``fixtures/demo.json``. Names are invented; credit codes
and ID numbers use region codes that no county uses, so no generated number can belong to a real unit or person.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.db import transaction

from members.models import Instructor, InstructorAssignment, Member
from members.rules import id_check_char, identity_errors, membership_errors
from orgs.models import OrganizationLink, PartyOrganization
from orgs.rules import validate_links
from registry.models import AboveScalePeriod, Area, Enterprise
from registry.rules import CREDIT_CODE_ALPHABET, credit_code_check_char

SEED = 2025
AS_OF = dt.date(2025, 9, 30)  # 2025Q3: the day the headline figures are taken
PREVIOUS = dt.date(2025, 6, 30)  # 2025Q2
PROBATION_WINDOW = dt.date(2024, 10, 1)  # probationary members joined within the last year
STAMP = dt.datetime(2025, 9, 30, 10, 0, tzinfo=dt.UTC)  # every created_at/updated_at, so dumps are stable

CREDIT_REGION = "440890"  # not an administrative division code in use
ID_REGIONS = ("440890", "440891", "440892", "440893", "440895", "440897")

ZONE = ("KFQ", "示范经济开发区")
# code, name, (brand word, industry) pairs, road names
PARKS = (
    (
        "KFQ-P01",
        "科技创新园",
        (
            ("电子科技", "计算机、通信和其他电子设备制造业"),
            ("信息技术", "软件和信息技术服务业"),
            ("光电科技", "计算机、通信和其他电子设备制造业"),
            ("智能科技", "软件和信息技术服务业"),
            ("新材料", "化学原料和化学制品制造业"),
        ),
        ("创新大道", "科苑路", "明理路"),
    ),
    (
        "KFQ-P02",
        "装备制造产业园",
        (
            ("精密机械", "通用设备制造业"),
            ("重工装备", "专用设备制造业"),
            ("汽车零部件", "汽车制造业"),
            ("金属制品", "金属制品业"),
            ("电气设备", "电气机械和器材制造业"),
        ),
        ("装备大道", "机电路", "铸造路"),
    ),
    (
        "KFQ-P03",
        "绿色食品产业园",
        (
            ("食品", "食品制造业"),
            ("农产品加工", "农副食品加工业"),
            ("饮品", "酒、饮料和精制茶制造业"),
            ("水产", "农副食品加工业"),
            ("生物科技", "医药制造业"),
        ),
        ("丰收路", "南溪大道", "禾香路"),
    ),
    (
        "KFQ-P04",
        "临港物流园",
        (
            ("物流", "道路运输业"),
            ("供应链管理", "装卸搬运和仓储业"),
            ("冷链物流", "装卸搬运和仓储业"),
            ("国际货运代理", "多式联运和运输代理业"),
            ("港口服务", "水上运输业"),
        ),
        ("港湾大道", "集运路", "海港路"),
    ),
)
# code, name, kind, parent code
SUB_AREAS = (
    ("KFQ-P01-S01", "东岸片区", "subdistrict", "KFQ-P01"),
    ("KFQ-P01-S01-C01", "东岸社区", "community", "KFQ-P01-S01"),
    ("KFQ-P03-S01", "南溪街道", "subdistrict", "KFQ-P03"),
    ("KFQ-P03-S01-C01", "南溪社区", "community", "KFQ-P03-S01"),
    ("KFQ-P03-S01-C02", "北溪社区", "community", "KFQ-P03-S01"),
)

BRAND_FIRST = "瑞恒华鼎宏盛嘉润泰兴永和金鑫海天信达丰源博远凯创利德隆安明辉锦祥"
BRAND_SECOND = "丰泰达源盛通宇新科昌翔瑞成远华航越诚拓辰誉峰晟弘佳"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳文东海成志峰建国庆"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲燕红琳婷雪慧莹晶颖倩萍玉兰洁梅琴云莉欣怡佳璐"
MINORITIES = (("壮族", 5), ("回族", 3), ("苗族", 3), ("土家族", 2), ("瑶族", 1), ("满族", 1))
EDUCATION_WEIGHTS = {  # postgraduate, bachelor, college, secondary, junior
    "young": (10, 50, 28, 10, 2),
    "middle": (5, 32, 28, 25, 10),
    "older": (1, 15, 25, 37, 22),
}
EDUCATIONS = ("postgraduate", "bachelor", "college", "secondary", "junior")


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _next_term_end(founded: dt.date, after: dt.date) -> dt.date:
    """Terms run three years from the founding date; the first term end later than ``after``."""
    end = _add_years(founded, 3)
    while end <= after:
        end = _add_years(end, 3)
    return end


@dataclass
class _Slot:
    """One member to be created: who holds the membership, where they work, what kind of member."""

    org: PartyOrganization
    enterprise: Enterprise | None
    category: str = "full"
    kind: str = "working"  # working | retired | mobile
    joined_on: dt.date | None = None  # fixed date, else drawn between ``lower`` and 2025-06-30
    lower: dt.date | None = None
    ended_on: dt.date | None = None
    end_reason: str = ""


@dataclass
class _OrgPlan:
    org: PartyOrganization
    slots: list[_Slot] = field(default_factory=list)


class _Builder:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.areas: dict[str, Area] = {}
        self.enterprises: list[Enterprise] = []
        self.periods: list[AboveScalePeriod] = []
        self.orgs: list[PartyOrganization] = []
        self.links: list[OrganizationLink] = []
        self.plans: list[_OrgPlan] = []
        self.members: list[Member] = []
        self.instructors: list[Instructor] = []
        self.assignments: list[InstructorAssignment] = []
        self._names: set[str] = set()
        self._brands = [a + b for a in BRAND_FIRST for b in BRAND_SECOND if a != b]
        self.rng.shuffle(self._brands)
        self._codes: set[str] = set()
        self._ids: set[str] = set()
        self._approval = 0
        self._no_committee: _OrgPlan | None = None

    # --- areas -----------------------------------------------------------------------------------------
    def build_areas(self) -> None:
        zone = Area(code=ZONE[0], name=ZONE[1], kind="district")
        self._save_area(zone)
        for code, name, _industries, _roads in PARKS:
            self._save_area(Area(code=code, name=name, kind="park", parent=zone))
        for code, name, kind, parent in SUB_AREAS:
            self._save_area(Area(code=code, name=name, kind=kind, parent=self.areas[parent]))

    def _save_area(self, area: Area) -> None:
        area.path = (area.parent.path if area.parent else "/") + area.code + "/"
        area.full_clean()
        area.save()
        self.areas[area.code] = area

    @property
    def zone(self) -> Area:
        return self.areas[ZONE[0]]

    def _area_in_park(self, park_index: int) -> Area:
        park_code = PARKS[park_index][0]
        below = [a for code, a in self.areas.items() if code.startswith(park_code + "-")]
        if below and self.rng.random() < 0.3:
            return self.rng.choice(below)
        return self.areas[park_code]

    # --- codes and names -------------------------------------------------------------------------------
    def _credit_code(self, prefix: str, body_start: str) -> str:
        while True:
            body = body_start + "".join(self.rng.choice(CREDIT_CODE_ALPHABET) for _ in range(7))
            first17 = prefix + CREDIT_REGION + body
            code = first17 + credit_code_check_char(first17)
            if code not in self._codes:
                self._codes.add(code)
                return code

    def _id_number(self, born: dt.date, male: bool) -> str:
        while True:
            seq = self.rng.randint(0, 499) * 2 + (1 if male else 0)
            first17 = f"{self.rng.choice(ID_REGIONS)}{born:%Y%m%d}{seq:03d}"
            code = first17 + id_check_char(first17)
            if code not in self._ids:
                self._ids.add(code)
                return code

    def _person_name(self, female: bool) -> str:
        given = GIVEN_FEMALE if female else GIVEN_MALE
        first = self.rng.choice(given)
        name = self.rng.choice(SURNAMES) + first
        if self.rng.random() < 0.7:
            name += self.rng.choice(given.replace(first, ""))
        return name

    def _date_between(self, lower: dt.date, upper: dt.date) -> dt.date:
        return lower + dt.timedelta(days=self.rng.randint(0, (upper - lower).days))

    # --- enterprises -----------------------------------------------------------------------------------
    def firm(
        self,
        park_index: int,
        *,
        established: dt.date | None = None,
        employees: tuple[int, int] = (20, 150),
        area: Area | None = None,
        big: bool = False,
        deregistered_on: dt.date | None = None,
    ) -> Enterprise:
        _code, park_name, industries, roads = PARKS[park_index]
        word, industry = self.rng.choice(industries)
        while True:
            brand = self._brands.pop()
            suffix = "股份有限公司" if big and self.rng.random() < 0.4 else "有限公司"
            name = f"{brand}{word}{suffix}"
            if name not in self._names:
                break
        self._names.add(name)
        economic_type = self.rng.choices(("private", "foreign", "hmt", "mixed"), weights=(70, 10, 10, 10))[0]
        established = established or self._date_between(dt.date(2003, 1, 1), dt.date(2021, 12, 31))
        firm = Enterprise(
            name=name,
            credit_code=self._credit_code("91", "MA"),
            category="enterprise",
            economic_type=economic_type,
            industry=industry,
            area=area or self._area_in_park(park_index),
            employees=self.rng.randint(*employees),
            established_on=established,
            deregistered_on=deregistered_on,
            address=f"{ZONE[1]}{park_name}{self.rng.choice(roads)}{self.rng.randint(1, 300)}号",
            contact_person=self._person_name(self.rng.random() < 0.4),
        )
        self.enterprises.append(firm)
        return firm

    def social_org(self, name: str, economic_type: str, area: Area, established: dt.date) -> Enterprise:
        prefix = {"social_group": "51", "non_enterprise": "52", "foundation": "53"}[economic_type]
        unit = Enterprise(
            name=name,
            credit_code=self._credit_code(prefix, "MJ"),
            category="social_org",
            economic_type=economic_type,
            industry="社会组织",
            area=area,
            employees=self.rng.randint(3, 40),
            established_on=established,
            address=f"{ZONE[1]}{area.name}",
            contact_person=self._person_name(self.rng.random() < 0.5),
        )
        self.enterprises.append(unit)
        return unit

    def above_scale(self, firm: Enterprise, start: dt.date, end: dt.date | None = None) -> None:
        self.periods.append(AboveScalePeriod(enterprise=firm, start=start, end=end))

    def usual_above_scale(self, firm: Enterprise) -> None:
        year = min(max(firm.established_on.year + self.rng.randint(1, 4), 2011), 2024)
        self.above_scale(firm, dt.date(year, 1, 1))

    # --- organisations ---------------------------------------------------------------------------------
    def org(
        self,
        name: str,
        area: Area,
        founded: dt.date,
        covers: list[tuple[Enterprise, dt.date, dt.date | None]],
        *,
        setup: str = "single",
        kind: str = "branch",
        term_ends_on: dt.date | None = None,
        dissolved_on: dt.date | None = None,
    ) -> _OrgPlan:
        self._approval += 1
        org = PartyOrganization(
            name=name,
            kind=kind,
            setup=setup,
            area=area,
            founded_on=founded,
            dissolved_on=dissolved_on,
            approval_no=f"示开党工委〔{founded.year}〕{10 + self._approval}号",
            term_ends_on=None
            if dissolved_on
            else term_ends_on or _next_term_end(founded, AS_OF + dt.timedelta(days=90)),
        )
        self.orgs.append(org)
        for enterprise, start, end in covers:
            self.links.append(OrganizationLink(organization=org, enterprise=enterprise, start=start, end=end))
        plan = _OrgPlan(org)
        self.plans.append(plan)
        return plan

    def single(self, firm: Enterprise, founded: dt.date, **kwargs) -> _OrgPlan:
        kind = kwargs.pop("kind", "branch")
        suffix = {"branch": "党支部", "general_branch": "党总支", "committee": "党委"}[kind]
        dissolved_on = kwargs.get("dissolved_on")
        return self.org(
            f"{firm.name}{suffix}", firm.area, founded, [(firm, founded, dissolved_on)], kind=kind, **kwargs
        )

    def staff(
        self,
        plan: _OrgPlan,
        enterprise: Enterprise | None,
        full: int,
        probationary: int = 0,
        *,
        joined_on: dt.date | None = None,
        lower: dt.date | None = None,
        ended_on: dt.date | None = None,
        end_reason: str = "",
    ) -> None:
        for category, count in (("full", full), ("probationary", probationary)):
            for _ in range(count):
                plan.slots.append(
                    _Slot(
                        plan.org,
                        enterprise,
                        category,
                        joined_on=joined_on,
                        lower=lower,
                        ended_on=ended_on,
                        end_reason=end_reason,
                    )
                )

    def extra(self, plan: _OrgPlan, kind: str, count: int = 1, **kwargs) -> None:
        for _ in range(count):
            plan.slots.append(_Slot(plan.org, None, "full", kind=kind, **kwargs))

    def random_staff(self, plan: _OrgPlan, firm: Enterprise, low: int, high: int) -> None:
        size = self.rng.randint(low, high)
        probationary = sum(self.rng.random() < 0.1 for _ in range(size))
        self.staff(plan, firm, size - probationary, probationary)

    def _split(self, total: int, parts: int, *, minimum: int) -> list[int]:
        """``total`` split into ``parts`` random sizes of at least ``minimum`` (they sum to ``total``)."""
        spare = total - parts * minimum
        if spare < 0:
            raise ValueError(f"cannot split {total} into {parts} branches of {minimum}+")
        weights = [self.rng.random() + 0.2 for _ in range(parts)]
        sizes = [minimum + int(spare * w / sum(weights)) for w in weights]
        for k in range(total - sum(sizes)):
            sizes[k % parts] += 1
        return sizes

    # --- members ---------------------------------------------------------------------------------------
    def _age(self, slot: _Slot) -> int:
        if slot.kind == "retired":
            return self.rng.randint(60, 78)
        if slot.category == "probationary":
            return self.rng.randint(22, 34) if self.rng.random() < 0.8 else self.rng.randint(35, 45)
        bucket = self.rng.choices(((24, 34), (35, 44), (45, 54), (55, 62)), weights=(16, 38, 32, 14))[0]
        return self.rng.randint(*bucket)

    def _joined_on(self, slot: _Slot, lower: dt.date) -> dt.date:
        if slot.joined_on:
            return slot.joined_on
        if slot.category == "probationary":
            lower = max(lower, PROBATION_WINDOW)
        upper = min(PREVIOUS, slot.ended_on - dt.timedelta(days=1)) if slot.ended_on else PREVIOUS
        if lower > upper:
            raise ValueError(f"no joining date for a member of {slot.org.name}")
        if slot.category == "full" and self.rng.random() < 0.35:
            return lower  # founding members
        return self._date_between(lower, upper)

    def member(self, slot: _Slot, lower: dt.date) -> Member:
        joined_on = self._joined_on(slot, lower)
        min_age = 18 if slot.category == "probationary" else 19
        for _ in range(100):
            age = self._age(slot)
            born = AS_OF - dt.timedelta(days=age * 365 + self.rng.randint(20, 340))
            if _add_years(born, min_age) <= joined_on:
                break
        else:  # pragma: no cover - the age draws above always find one
            raise ValueError("no birth date fits")
        female = self.rng.random() < 0.29
        ethnicity = "汉族"
        if self.rng.random() < 0.07:
            names, weights = zip(*MINORITIES, strict=True)
            ethnicity = self.rng.choices(names, weights=weights)[0]
        group = "young" if age < 35 else "older" if age >= 55 else "middle"
        education = self.rng.choices(EDUCATIONS, weights=EDUCATION_WEIGHTS[group])[0]
        member = Member(
            name=self._person_name(female),
            gender="F" if female else "M",
            ethnicity=ethnicity,
            birth_date=born,
            education=education,
            id_number=self._id_number(born, male=not female),
            category=slot.category,
            joined_on=joined_on,
            organization=slot.org,
            enterprise=slot.enterprise if slot.kind == "working" else None,
            is_mobile=slot.kind == "mobile",
            retired=slot.kind == "retired",
            ended_on=slot.ended_on,
            end_reason=slot.end_reason,
        )
        self.members.append(member)
        return member

    # --- the zone --------------------------------------------------------------------------------------
    def build_units(self) -> None:
        rng = self.rng
        zone = self.zone
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
                established = self._date_between(dt.date(2018, 1, 1), dt.date(2022, 12, 31))
            elif i in (14, 40, 55):  # 规上 with a gap
                established = self._date_between(dt.date(2006, 1, 1), dt.date(2012, 12, 31))
            size = (1800, 3000) if i == 0 else (1200, 1600) if i == 1 else (80, 900)
            a.append(self.firm(park, established=established, employees=size, big=True))
        for i, firm in enumerate(a):
            if i in (8, 35):
                self.above_scale(firm, dt.date(2025, 7, 1))
            elif i in (36, 37, 38):
                self.above_scale(firm, dt.date(2025, 1, 1))
            elif i in (14, 40, 55):
                self.above_scale(firm, dt.date(2013, 1, 1), dt.date(2016, 1, 1))
                self.above_scale(firm, dt.date(2019, 1, 1))
            else:
                self.usual_above_scale(firm)

        # About 40 smaller operating firms, never 规上 except S13 (2018–2023).
        s = [
            self.firm(
                i % 4 if i > 13 else (1, 1, 2, 2, 3, 3, 3, 0, 0, 1, 2, 3, 3, 1)[i],
                established=dt.date(2013, 5, 6) if i == 13 else None,
            )
            for i in range(39)
        ]
        s.append(self.firm(3, established=dt.date(2025, 4, 20), employees=(8, 20)))  # S39: new in 2025Q2
        self.above_scale(s[13], dt.date(2018, 1, 1), dt.date(2024, 1, 1))

        # Four deregistered firms; D0 was 规上 and had its own branch.
        d0 = self.firm(1, established=dt.date(2012, 3, 8), deregistered_on=dt.date(2024, 11, 30), big=True)
        self.above_scale(d0, dt.date(2016, 1, 1), dt.date(2024, 11, 30))
        self.firm(0, established=dt.date(2014, 6, 1), deregistered_on=dt.date(2023, 6, 30))
        self.firm(2, established=dt.date(2016, 9, 12), deregistered_on=dt.date(2025, 2, 28))
        self.firm(3, established=dt.date(2011, 4, 2), deregistered_on=dt.date(2022, 12, 31))

        # Twelve social organisations.
        c01 = self.areas["KFQ-P01-S01-C01"]
        nanxi = self.areas["KFQ-P03-S01-C01"]
        beixi = self.areas["KFQ-P03-S01-C02"]
        social = [
            ("示范经济开发区商会", "social_group", zone),
            ("示范经济开发区电子信息行业协会", "social_group", self.areas["KFQ-P01"]),
            ("示范经济开发区物流协会", "social_group", self.areas["KFQ-P04"]),
            ("示范经济开发区食品行业协会", "social_group", self.areas["KFQ-P03"]),
            ("示范经济开发区企业家联合会", "social_group", zone),
            ("示范经济开发区青年创业促进会", "social_group", self.areas["KFQ-P01"]),
            ("东岸社区养老服务中心", "non_enterprise", c01),
            ("启明职业技能培训学校", "non_enterprise", self.areas["KFQ-P02"]),
            ("心桥社会工作服务中心", "non_enterprise", nanxi),
            ("乐学托育中心", "non_enterprise", beixi),
            ("南溪康复护理院", "non_enterprise", nanxi),
            ("示范经济开发区慈善基金会", "foundation", zone),
        ]
        o = [
            self.social_org(name, kind, area, self._date_between(dt.date(2008, 1, 1), dt.date(2020, 12, 31)))
            for name, kind, area in social
        ]

        # --- single organisations (29 规上 firms on 2025-09-30) ---
        def founded_for(firm: Enterprise) -> dt.date:
            lower = max(_add_years(firm.established_on, 1), dt.date(2009, 1, 1))
            return self._date_between(lower, dt.date(2023, 12, 31))

        p = self.single(a[0], dt.date(2010, 6, 18), kind="general_branch")
        flex = p  # sized last so the zone totals exactly 508
        self.staff(p, a[0], 0, 5)
        self.staff(p, a[0], 0, 2, joined_on=dt.date(2025, 7, 1))
        self.extra(p, "retired", 3)
        self.extra(p, "mobile", 1)

        p = self.single(a[1], dt.date(2012, 7, 1))  # a branch grown past 50 members
        self.staff(p, a[1], 45, 5)
        self.staff(p, a[1], 0, 1, joined_on=dt.date(2025, 7, 1))
        self.extra(p, "retired", 2)
        self.extra(p, "mobile", 1)
        self.extra(
            p, "retired", 1, lower=dt.date(2016, 1, 1), ended_on=dt.date(2023, 3, 15), end_reason="death"
        )

        p = self.single(a[2], founded_for(a[2]))  # 12 full members, no committee
        self._no_committee = p
        self.staff(p, a[2], 12)
        self.staff(p, a[2], 0, 1, joined_on=dt.date(2025, 7, 1))

        for i in (3, 4, 5, 6):  # fragile: exactly three full members
            p = self.single(a[i], founded_for(a[i]))
            self.staff(p, a[i], 3, 1 if i == 3 else 0)

        p = self.single(a[7], dt.date(2025, 9, 10))  # founded in 2025Q3 after an instructor's work
        self.staff(p, a[7], 3, 1, joined_on=dt.date(2025, 9, 10))
        p = self.single(a[8], dt.date(2025, 8, 20))  # became 规上 2025-07-01, branch in 2025Q3
        self.staff(p, a[8], 4, 1, joined_on=dt.date(2025, 8, 20))
        p = self.single(a[9], dt.date(2025, 3, 18))  # founded in 2025Q1
        self.staff(p, a[9], 4, 1)
        p = self.single(a[10], dt.date(2025, 5, 12))  # founded in 2025Q2
        self.staff(p, a[10], 4)

        # Terms ending within 90 days of 2025-09-30 (换届 due).
        p = self.single(a[11], dt.date(2019, 11, 20), term_ends_on=dt.date(2025, 11, 20))
        self.random_staff(p, a[11], 8, 18)
        self.extra(p, "retired", 1)
        self.staff(
            p, a[11], 1, lower=dt.date(2021, 1, 1), ended_on=dt.date(2025, 8, 12), end_reason="transfer_out"
        )
        p = self.single(a[12], dt.date(2016, 12, 15), term_ends_on=dt.date(2025, 12, 15))
        self.random_staff(p, a[12], 6, 15)

        # A13 was covered by the tech park's joint branch until it set up its own in mid-2024.
        j1_founded = dt.date(2019, 6, 1)
        p = self.single(a[13], dt.date(2024, 7, 1))
        self.staff(p, a[13], 3, 1)
        self.random_staff(p, a[13], 1, 3)

        generic = []  # sized at the end so that the zone holds exactly 508 members
        for i in range(14, 29):
            p = self.single(a[i], founded_for(a[i]))
            generic.append((p, a[i]))
            if i == 15:
                self.staff(
                    p,
                    a[i],
                    1,
                    lower=p.org.founded_on,
                    ended_on=dt.date(2024, 5, 20),
                    end_reason="transfer_out",
                )
            if i in (14, 16):
                self.extra(p, "retired", 1)
            if i in (15, 17, 19):
                self.extra(p, "mobile", 1)

        # --- joint organisations: one per park, each covering 2–5 firms ---
        park_area = [self.areas[code] for code, *_ in PARKS]

        def joint_name(park_index: int) -> str:
            return f"{ZONE[1]}{PARKS[park_index][1]}非公企业联合党支部"

        p = self.org(
            joint_name(0),
            park_area[0],
            j1_founded,
            [(a[29], j1_founded, None), (a[30], j1_founded, None), (a[31], j1_founded, None)]
            + [(a[13], j1_founded, dt.date(2024, 7, 1))],
            setup="joint",
        )
        self.staff(p, a[29], 2)  # fewer than 3 full members each: hence the joint branch
        self.staff(p, a[30], 2, 1)
        self.staff(p, a[31], 2)
        self.staff(p, s[7], 1)  # held here, working at firms without an org (联建 candidates)
        self.staff(p, s[8], 1, 1, lower=max(s[8].established_on, j1_founded))

        founded = dt.date(2020, 4, 15)
        p = self.org(
            joint_name(1),
            park_area[1],
            founded,
            [(f, max(founded, f.established_on), None) for f in (a[32], a[33], s[0], s[1])],
            setup="joint",
        )
        self.staff(p, a[32], 2)
        self.staff(p, a[33], 2, 1)
        self.staff(p, s[0], 1, lower=max(founded, s[0].established_on))
        self.staff(p, s[1], 3, 1, lower=max(founded, s[1].established_on))  # should set up its own
        self.staff(p, s[9], 2, lower=max(founded, s[9].established_on))
        self.extra(p, "mobile", 1)

        founded = dt.date(2022, 3, 1)
        p = self.org(
            joint_name(2),
            park_area[2],
            founded,
            [(s[2], max(founded, s[2].established_on), None), (s[3], max(founded, s[3].established_on), None)]
            + [(a[34], dt.date(2025, 8, 15), None)],  # joined in 2025Q3
            setup="joint",
        )
        self.staff(p, a[34], 2, joined_on=dt.date(2025, 8, 15))
        self.staff(p, s[2], 2, lower=max(founded, s[2].established_on))
        self.staff(p, s[3], 1, lower=max(founded, s[3].established_on))
        self.staff(p, s[10], 1, lower=max(founded, s[10].established_on))
        self.staff(p, a[50], 2, lower=founded)

        founded = dt.date(2023, 6, 1)
        p = self.org(
            joint_name(3),
            park_area[3],
            founded,
            [(f, max(founded, f.established_on), None) for f in (s[4], s[5], s[6])],
            setup="joint",
        )
        for firm, count in ((s[4], 2), (s[5], 1), (s[6], 2), (s[11], 2), (s[12], 1)):
            self.staff(p, firm, count, lower=max(founded, firm.established_on))

        # --- social organisations ---
        founded = max(_add_years(o[0].established_on, 1), dt.date(2015, 7, 1))
        p = self.org(f"{o[0].name}党支部", zone, founded, [(o[0], founded, None)])
        self.staff(p, o[0], 5, 1)
        founded = dt.date(2021, 7, 1)
        p = self.org(
            f"{ZONE[1]}社会组织联合党支部",
            zone,
            founded,
            [(unit, max(founded, unit.established_on), None) for unit in o[1:4]],
            setup="joint",
        )
        for unit, count in ((o[1], 2), (o[2], 2), (o[3], 1)):
            self.staff(p, unit, count, lower=max(founded, unit.established_on))

        # --- history: D0's branch was dissolved when the firm deregistered ---
        p = self.single(d0, dt.date(2017, 5, 1), dissolved_on=dt.date(2024, 11, 30))
        self.staff(p, d0, 6, ended_on=dt.date(2024, 11, 30), end_reason="transfer_out")

        # The general branch gets 68 members; the fifteen ordinary branches share what is left of 508.
        self.staff(flex, a[0], 68 - len(flex.slots))
        rng.shuffle(flex.slots)  # mix retired/mobile/probationary among the full members
        others = sum(
            1 for plan in self.plans for slot in plan.slots if slot.ended_on is None or slot.ended_on > AS_OF
        )
        sizes = self._split(508 - others, len(generic), minimum=5)
        for (plan, firm), size in zip(generic, sizes, strict=True):
            probationary = sum(rng.random() < 0.1 for _ in range(size))
            self.staff(plan, firm, size - probationary, probationary)

        # --- instructors: work coverage for uncovered 规上 firms ---
        units = (
            "开发区党工委组织部",
            "开发区非公有制经济组织和社会组织党工委",
            "开发区总工会",
            "开发区经济发展局",
        )
        for k in range(8):
            park = k // 2
            self.instructors.append(
                Instructor(
                    name=self._person_name(self.rng.random() < 0.35),
                    unit=self.rng.choice(units),
                    full_time=k % 3 == 0,
                    area=park_area[park],
                )
            )

        def instructor_for(firm: Enterprise) -> Instructor:
            park = next(
                i for i, (code, *_rest) in enumerate(PARKS) if firm.area.path.startswith(f"/KFQ/{code}/")
            )
            return self.instructors[park * 2 + self.rng.randint(0, 1)]

        for i in range(39, 49):
            start = self._date_between(dt.date(2021, 1, 1), dt.date(2024, 12, 31))
            self.assignments.append(
                InstructorAssignment(instructor=instructor_for(a[i]), enterprise=a[i], start=start)
            )
        self.assignments.append(
            InstructorAssignment(
                instructor=instructor_for(a[49]),
                enterprise=a[49],
                start=dt.date(2023, 3, 1),
                end=dt.date(2025, 7, 15),
            )
        )
        self.assignments.append(
            InstructorAssignment(instructor=instructor_for(a[7]), enterprise=a[7], start=dt.date(2023, 5, 1))
        )

    # --- writing ---------------------------------------------------------------------------------------
    def save(self) -> dict[str, int]:
        for firm in self.enterprises:
            firm.full_clean()
        Enterprise.objects.bulk_create(self.enterprises)
        for period in self.periods:
            period.enterprise = period.enterprise  # refresh the id now that the firm has one
            period.full_clean()
        AboveScalePeriod.objects.bulk_create(self.periods)

        for plan in self.plans:
            org = plan.org
            org.full_clean()
            links = [link for link in self.links if link.organization is org]
            for on in (org.founded_on, PREVIOUS, AS_OF):
                if org.active_on(on):
                    validate_links(setup=org.setup, enterprise_count=sum(link.holds_on(on) for link in links))
        PartyOrganization.objects.bulk_create(self.orgs)
        for link in self.links:
            link.organization = link.organization
            link.enterprise = link.enterprise
            link.full_clean()
        OrganizationLink.objects.bulk_create(self.links)

        starts = {}
        for link in self.links:
            key = (id(link.organization), id(link.enterprise))
            starts[key] = min(starts.get(key, link.start), link.start)
        for plan in self.plans:
            for slot in plan.slots:
                lower = max(slot.lower or plan.org.founded_on, plan.org.founded_on)
                if slot.enterprise is not None:
                    lower = max(lower, starts.get((id(plan.org), id(slot.enterprise)), lower))
                self.member(slot, lower)
        for member in self.members:
            member.organization = member.organization
            member.enterprise = member.enterprise
            member.full_clean()
            problems = identity_errors(
                id_number=member.id_number, birth_date=member.birth_date, gender=member.gender
            ) | membership_errors(
                joined_on=member.joined_on,
                organization=member.organization,
                ended_on=member.ended_on,
                end_reason=member.end_reason,
            )
            if problems:
                raise ValueError(f"demo member {member.name}: {problems}")
        Member.objects.bulk_create(self.members)

        # Secretary: the organisation's first full, working member (by creation order).
        for org in self.orgs:
            org.secretary = next(
                m
                for m in self.members
                if m.organization is org and m.category == "full" and m.enterprise is not None
            )
            org.has_committee = False
        full_counts: dict[int, int] = {}
        for member in self.members:
            if member.category == "full" and member.active_on(AS_OF):
                full_counts[id(member.organization)] = full_counts.get(id(member.organization), 0) + 1
        for org, plan in zip(self.orgs, self.plans, strict=True):
            org.has_committee = full_counts.get(id(org), 0) >= 7 and plan is not self._no_committee
        PartyOrganization.objects.bulk_update(self.orgs, ["secretary", "has_committee"])

        for instructor in self.instructors:
            instructor.full_clean()
        Instructor.objects.bulk_create(self.instructors)
        for assignment in self.assignments:
            assignment.instructor = assignment.instructor
            assignment.enterprise = assignment.enterprise
            assignment.full_clean()
        InstructorAssignment.objects.bulk_create(self.assignments)

        # Fixed timestamps so that two builds dump identical files.
        for model, objects in (
            (Enterprise, self.enterprises),
            (PartyOrganization, self.orgs),
            (Member, self.members),
            (Instructor, self.instructors),
        ):
            model.objects.filter(pk__in=[obj.pk for obj in objects]).update(
                created_at=STAMP, updated_at=STAMP
            )
        return {
            "areas": len(self.areas),
            "enterprises": len(self.enterprises),
            "above_scale_periods": len(self.periods),
            "organizations": len(self.orgs),
            "links": len(self.links),
            "members": len(self.members),
            "instructors": len(self.instructors),
            "assignments": len(self.assignments),
        }


@transaction.atomic
def build_demo() -> dict[str, int]:
    """Create the demo zone in the current database and return how many rows of each kind it wrote.

    Meant for an empty registry (``manage.py build_demo_fixture`` refuses otherwise). Every object passes
    ``full_clean()``, the identity and membership rules and the organisation link rules; a ValueError means
    the generator itself is wrong.
    """
    builder = _Builder()
    builder.build_areas()
    builder.build_units()
    return builder.save()
