"""The demo builder's tools: invented but valid codes and people, units, organisations, members, and the save."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from members.history import create_first_rows
from members.models import Employment, Instructor, InstructorAssignment, Member, Membership, Mobility
from members.rules import id_check_char, identity_errors, membership_errors, party_join_errors
from orgs.models import OrganizationLink, PartyOrganization
from orgs.rules import validate_links
from registry.dating import add_years, holds_on
from registry.models import AboveScalePeriod, Area, Enterprise
from registry.rules import CREDIT_CODE_ALPHABET, credit_code_check_char

from .facts import (
    AS_OF,
    BRAND_FIRST,
    BRAND_SECOND,
    CREDIT_REGION,
    EDUCATION_WEIGHTS,
    EDUCATIONS,
    GIVEN_FEMALE,
    GIVEN_MALE,
    ID_REGIONS,
    MINORITIES,
    PARKS,
    PREVIOUS,
    PROBATION_WINDOW,
    SEED,
    STAMP,
    SUB_AREAS,
    SURNAMES,
    ZONE,
)


def _next_term_end(founded: dt.date, after: dt.date) -> dt.date:
    """Terms run three years from the founding date; the first term end later than ``after``."""
    end = add_years(founded, 3)
    while end <= after:
        end = add_years(end, 3)
    return end


@dataclass
class Slot:
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
class OrgPlan:
    org: PartyOrganization
    slots: list[Slot] = field(default_factory=list)


class Builder:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.areas: dict[str, Area] = {}
        self.enterprises: list[Enterprise] = []
        self.periods: list[AboveScalePeriod] = []
        self.orgs: list[PartyOrganization] = []
        self.links: list[OrganizationLink] = []
        self.plans: list[OrgPlan] = []
        self.members: list[Member] = []
        self.instructors: list[Instructor] = []
        self.assignments: list[InstructorAssignment] = []
        self._names: set[str] = set()
        self._brands = [a + b for a in BRAND_FIRST for b in BRAND_SECOND if a != b]
        self.rng.shuffle(self._brands)
        self._codes: set[str] = set()
        self._ids: set[str] = set()
        self._approval = 0
        self.no_committee: OrgPlan | None = None

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

    def person_name(self, female: bool) -> str:
        given = GIVEN_FEMALE if female else GIVEN_MALE
        first = self.rng.choice(given)
        name = self.rng.choice(SURNAMES) + first
        if self.rng.random() < 0.7:
            name += self.rng.choice(given.replace(first, ""))
        return name

    def date_between(self, lower: dt.date, upper: dt.date) -> dt.date:
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
        established = established or self.date_between(dt.date(2003, 1, 1), dt.date(2021, 12, 31))
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
            contact_person=self.person_name(self.rng.random() < 0.4),
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
            contact_person=self.person_name(self.rng.random() < 0.5),
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
    ) -> OrgPlan:
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
        plan = OrgPlan(org)
        self.plans.append(plan)
        return plan

    def single(self, firm: Enterprise, founded: dt.date, **kwargs) -> OrgPlan:
        kind = kwargs.pop("kind", "branch")
        suffix = {"branch": "党支部", "general_branch": "党总支", "committee": "党委"}[kind]
        dissolved_on = kwargs.get("dissolved_on")
        return self.org(
            f"{firm.name}{suffix}", firm.area, founded, [(firm, founded, dissolved_on)], kind=kind, **kwargs
        )

    def staff(
        self,
        plan: OrgPlan,
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
                    Slot(
                        plan.org,
                        enterprise,
                        category,
                        joined_on=joined_on,
                        lower=lower,
                        ended_on=ended_on,
                        end_reason=end_reason,
                    )
                )

    def extra(self, plan: OrgPlan, kind: str, count: int = 1, **kwargs) -> None:
        for _ in range(count):
            plan.slots.append(Slot(plan.org, None, "full", kind=kind, **kwargs))

    def random_staff(self, plan: OrgPlan, firm: Enterprise, low: int, high: int) -> None:
        size = self.rng.randint(low, high)
        probationary = sum(self.rng.random() < 0.1 for _ in range(size))
        self.staff(plan, firm, size - probationary, probationary)

    def split(self, total: int, parts: int, *, minimum: int) -> list[int]:
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
    def _age(self, slot: Slot) -> int:
        if slot.kind == "retired":
            return self.rng.randint(60, 78)
        if slot.category == "probationary":
            return self.rng.randint(22, 34) if self.rng.random() < 0.8 else self.rng.randint(35, 45)
        bucket = self.rng.choices(((24, 34), (35, 44), (45, 54), (55, 62)), weights=(16, 38, 32, 14))[0]
        return self.rng.randint(*bucket)

    def _joined_on(self, slot: Slot, lower: dt.date) -> dt.date:
        if slot.joined_on:
            return slot.joined_on
        if slot.category == "probationary":
            lower = max(lower, PROBATION_WINDOW)
        upper = min(PREVIOUS, slot.ended_on - dt.timedelta(days=1)) if slot.ended_on else PREVIOUS
        if lower > upper:
            raise ValueError(f"no joining date for a member of {slot.org.name}")
        if slot.category == "full" and self.rng.random() < 0.35:
            return lower  # founding members
        return self.date_between(lower, upper)

    def member(self, slot: Slot, lower: dt.date) -> Member:
        joined_on = self._joined_on(slot, lower)
        min_age = 18 if slot.category == "probationary" else 19
        for _ in range(100):
            age = self._age(slot)
            born = AS_OF - dt.timedelta(days=age * 365 + self.rng.randint(20, 340))
            if add_years(born, min_age) <= joined_on:
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
            name=self.person_name(female),
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

    def party_join_dates(self) -> None:
        """入党日期: probationary members joined the Party when they joined here (发展入党); about 60 % of full
        members joined it years before, elsewhere (转入), at least a year before 2025-09-30. Drawn after every
        other draw, so the rest of the zone stays as it was before the dates existed."""
        latest = add_years(AS_OF, -1)
        for member in self.members:
            member.joined_party_on = member.joined_on
            if member.category != "full" or self.rng.random() >= 0.6:
                continue
            lower = add_years(member.birth_date, 18)
            upper = min(member.joined_on - dt.timedelta(days=1), latest)
            if lower <= upper:
                member.joined_party_on = self.date_between(lower, upper)

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
        self.party_join_dates()
        for member in self.members:
            member.organization = member.organization
            member.enterprise = member.enterprise
            member.full_clean()
            problems = (
                identity_errors(
                    id_number=member.id_number, birth_date=member.birth_date, gender=member.gender
                )
                | membership_errors(
                    joined_on=member.joined_on,
                    organization=member.organization,
                    ended_on=member.ended_on,
                    end_reason=member.end_reason,
                )
                | party_join_errors(
                    joined_party_on=member.joined_party_on,
                    joined_on=member.joined_on,
                    birth_date=member.birth_date,
                )
            )
            if problems:
                raise ValueError(f"demo member {member.name}: {problems}")
        Member.objects.bulk_create(self.members)
        # Each member's first membership, workplace and mobility, from joined_on (no transfers in the demo).
        history = create_first_rows(self.members)

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
            if member.category == "full" and holds_on(AS_OF, member.joined_on, member.ended_on):
                full_counts[id(member.organization)] = full_counts.get(id(member.organization), 0) + 1
        for org, plan in zip(self.orgs, self.plans, strict=True):
            org.has_committee = full_counts.get(id(org), 0) >= 7 and plan is not self.no_committee
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
            "memberships": sum(isinstance(row, Membership) for row in history),
            "employments": sum(isinstance(row, Employment) for row in history),
            "mobility": sum(isinstance(row, Mobility) for row in history),
            "instructors": len(self.instructors),
            "assignments": len(self.assignments),
        }
