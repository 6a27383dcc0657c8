"""The demo zone's 发展党员: yearly plans for 2023–2025 and a pipeline of applicants at every stage.

Drawn after everything else (the members, organisations and firms are saved and their draws done), so the rest of
the zone is exactly what it was before applicants existed. Admissions create no member here: each admitted file
belongs to a member the zone already has, developed where they are (入党日期 = 转入本组织日期 = 接收日期), with the
same person's identity. Admissions from 2024-10-01 on are today's probationary members; the 2023 ones are members
admitted then (the demo records no 转正 dates, so they read as full members).

Seed 002's complaints show in 临港物流园 (KFQ-P04): it missed its plan in 2023, 2024 and 2025 (连续两年未完成), and
has no 发展对象 at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from members.models import Applicant, DevelopmentPlan
from members.rules import identity_errors, pipeline_errors
from orgs.models import PartyOrganization
from registry.dating import add_years

from .builder import Builder
from .facts import AS_OF, EDUCATION_WEIGHTS, EDUCATIONS, MINORITIES, PROBATION_WINDOW, STAMP, ZONE

YEARS = (2023, 2024, 2025)
# Area code → planned admissions in 2023, 2024, 2025 (the district's own plan is for its district-level orgs).
PLANNED = {
    "KFQ": (1, 1, 1),
    "KFQ-P01": (2, 2, 3),
    "KFQ-P02": (1, 1, 2),
    "KFQ-P03": (1, 1, 1),
    "KFQ-P04": (1, 1, 2),
}
ADMITTED = {  # admissions per year; 2023 from the members developed that year, later from the probationary
    "KFQ": (0, 0, 1),
    "KFQ-P01": (2, 2, 2),
    "KFQ-P02": (1, 1, 2),
    "KFQ-P03": (1, 1, 1),
    "KFQ-P04": (0, 0, 1),
}
# Open files on 2025-09-30 by stage: 入党申请人, 入党积极分子 (of whom trained a year or more), 发展对象.
PIPELINE = {
    "KFQ": (2, 1, 0, 0),
    "KFQ-P01": (14, 9, 3, 4),
    "KFQ-P02": (10, 6, 2, 3),
    "KFQ-P03": (8, 5, 2, 3),
    "KFQ-P04": (6, 4, 2, 0),  # no 发展对象 all year (seed 002)
}
# Withdrawn files: (area, stage reached, reason).
WITHDRAWN = (
    ("KFQ-P01", "applicant", "本人申请撤回入党申请"),
    ("KFQ-P01", "activist", "调离本区工作，材料转往新单位党组织"),
    ("KFQ-P02", "applicant", "离职返乡"),
    ("KFQ-P03", "activist", "培养考察期间表现不符合要求，经支部委员会研究终止培养"),
    ("KFQ-P03", "applicant", "本人申请撤回入党申请"),
    ("KFQ-P04", "candidate", "公示期间发现不符合条件，经党组织研究终止发展"),
)
EARLIEST = dt.date(2023, 3, 1)  # the oldest open application on file


@dataclass
class Dates:
    applied_on: dt.date
    activist_on: dt.date | None = None
    candidate_on: dt.date | None = None
    admitted_on: dt.date | None = None

    @property
    def last(self) -> dt.date:
        return self.admitted_on or self.candidate_on or self.activist_on or self.applied_on


def _days(builder: Builder, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=builder.rng.randint(low, high))


def _in_area(org: PartyOrganization, code: str) -> bool:
    # The district's plan is its own organisations'; a park's covers its whole subtree.
    return org.area.code == code if code == ZONE[0] else org.area.path.startswith(f"/{ZONE[0]}/{code}/")


def _active_throughout(org: PartyOrganization, dates: Dates, until: dt.date) -> bool:
    return org.founded_on <= dates.applied_on and (org.dissolved_on is None or org.dissolved_on > until)


def _dates_before(builder: Builder, admitted_or_candidate: dt.date, *, admitted: bool) -> Dates:
    """Stage dates leading to a 发展对象 date (or an admission): 发展对象 a year or more after 积极分子."""
    admitted_on = admitted_or_candidate if admitted else None
    candidate_on = admitted_or_candidate - _days(builder, 60, 240) if admitted else admitted_or_candidate
    activist_on = add_years(candidate_on, -1) - _days(builder, 0, 240)
    applied_on = activist_on - _days(builder, 120, 500)
    return Dates(applied_on, activist_on, candidate_on, admitted_on)


def _stage_dates(builder: Builder, stage: str, *, ready: bool = False) -> Dates:
    """Dates of an open file at ``stage`` on 2025-09-30 (``ready``: an activist trained a year or more)."""
    if stage == "applicant":
        return Dates(builder.date_between(EARLIEST, AS_OF - dt.timedelta(days=10)))
    if stage == "activist":
        if ready:
            activist_on = builder.date_between(dt.date(2023, 9, 1), add_years(AS_OF, -1))
        else:
            activist_on = builder.date_between(
                add_years(AS_OF, -1) + dt.timedelta(days=1), dt.date(2025, 9, 15)
            )
        return Dates(activist_on - _days(builder, 120, 500), activist_on)
    return _dates_before(
        builder, builder.date_between(dt.date(2024, 6, 1), dt.date(2025, 9, 15)), admitted=False
    )


class Development:
    def __init__(self, builder: Builder) -> None:
        self.builder = builder
        self.orgs = [
            o for o in builder.orgs if o.dissolved_on is None or o.dissolved_on > AS_OF
        ]  # open files are trained by organisations that still exist
        self.size = {id(o): 0 for o in builder.orgs}
        for member in builder.members:
            self.size[id(member.organization)] += 1
        self.applicants: list[Applicant] = []
        self.taken: set[int] = set()

    # --- people ----------------------------------------------------------------------------------------
    def person(self, applicant: Applicant, applied_on: dt.date) -> None:
        """An invented person, 18 or older on applying and 21–38 on 2025-09-30."""
        rng = self.builder.rng
        female = rng.random() < 0.4
        for _ in range(100):
            born = AS_OF - dt.timedelta(days=rng.randint(21, 38) * 365 + rng.randint(20, 340))
            if add_years(born, 18) <= applied_on:
                break
        else:  # pragma: no cover - the draws above always find one
            raise ValueError("no birth date fits")
        ethnicity = "汉族"
        if rng.random() < 0.07:
            names, weights = zip(*MINORITIES, strict=True)
            ethnicity = rng.choices(names, weights=weights)[0]
        applicant.name = self.builder.person_name(female)
        applicant.gender = "F" if female else "M"
        applicant.ethnicity = ethnicity
        applicant.birth_date = born
        applicant.education = rng.choices(EDUCATIONS, weights=EDUCATION_WEIGHTS["young"])[0]
        applicant.id_number = self.builder._id_number(born, male=not female)

    def workplace(self, org: PartyOrganization):
        """A unit the organisation covers on 2025-09-30 (most applicants work at one), or none."""
        covered = [
            link.enterprise
            for link in self.builder.links
            if link.organization is org and link.holds_on(AS_OF)
        ]
        if not covered or self.builder.rng.random() < 0.12:
            return None
        return self.builder.rng.choice(covered)

    # --- files -----------------------------------------------------------------------------------------
    def open_file(self, code: str, stage: str, *, ready: bool = False) -> Applicant:
        """A file at ``stage`` trained by an organisation of ``code``, weighted by the organisation's size."""
        rng = self.builder.rng
        orgs = [o for o in self.orgs if _in_area(o, code)]
        for _ in range(100):
            dates = _stage_dates(self.builder, stage, ready=ready)
            org = rng.choices(orgs, weights=[max(self.size[id(o)], 1) for o in orgs])[0]
            if _active_throughout(org, dates, AS_OF):
                break
        else:  # pragma: no cover
            raise ValueError(f"no organisation in {code} for a file at {stage}")
        applicant = Applicant(
            organization=org,
            enterprise=self.workplace(org),
            applied_on=dates.applied_on,
            activist_on=dates.activist_on,
            candidate_on=dates.candidate_on,
        )
        self.person(applicant, dates.applied_on)
        self.applicants.append(applicant)
        return applicant

    def withdraw(self, applicant: Applicant, reason: str) -> None:
        last = Dates(applicant.applied_on, applicant.activist_on, applicant.candidate_on).last
        applicant.withdrawn_on = min(last + _days(self.builder, 45, 400), AS_OF - dt.timedelta(days=5))
        applicant.withdrawn_on = max(applicant.withdrawn_on, last)
        applicant.withdraw_reason = reason

    def admitted(self, code: str, year: int) -> Applicant:
        """The file of a member of ``code`` developed in ``year`` (from 2024-10-01: a probationary member)."""
        rng = self.builder.rng
        pool = [
            m
            for m in self.builder.members
            if m.joined_party_on == m.joined_on
            and m.joined_on.year == year
            and m.ended_on is None
            and m.pk not in self.taken
            and m.category == ("probationary" if m.joined_on >= PROBATION_WINDOW else "full")
            and _in_area(m.organization, code)
        ]
        pool.sort(key=lambda m: m.pk)
        rng.shuffle(pool)
        for member in pool:
            dates = _dates_before(self.builder, member.joined_on, admitted=True)
            if add_years(member.birth_date, 18) <= dates.applied_on and _active_throughout(
                member.organization, dates, AS_OF
            ):
                break
        else:
            raise ValueError(f"no member of {code} developed in {year} to link an admission to")
        self.taken.add(member.pk)
        applicant = Applicant(
            name=member.name,
            gender=member.gender,
            ethnicity=member.ethnicity,
            birth_date=member.birth_date,
            education=member.education,
            id_number=member.id_number,
            phone=member.phone,
            organization=member.organization,
            enterprise=member.enterprise,
            applied_on=dates.applied_on,
            activist_on=dates.activist_on,
            candidate_on=dates.candidate_on,
            admitted_on=dates.admitted_on,
            member=member,
        )
        self.applicants.append(applicant)
        return applicant

    def build(self) -> None:
        for code in PLANNED:
            for year, count in zip(YEARS, ADMITTED[code], strict=True):
                for _ in range(count):
                    self.admitted(code, year)
            applicants, activists, ready, candidates = PIPELINE[code]
            for _ in range(applicants):
                self.open_file(code, "applicant")
            for k in range(activists):
                self.open_file(code, "activist", ready=k < ready)
            for _ in range(candidates):
                self.open_file(code, "candidate")
        for code, stage, reason in WITHDRAWN:
            self.withdraw(self.open_file(code, stage), reason)

    # --- writing ---------------------------------------------------------------------------------------
    def check(self, applicant: Applicant) -> None:
        """Every file passes model validation, the stage rules and the identity rules, and its organisation
        exists on each of its dates (as advancing a stage requires)."""
        applicant.organization = applicant.organization  # refresh the ids now that they are saved
        applicant.enterprise = applicant.enterprise
        applicant.full_clean()
        problems = pipeline_errors(
            birth_date=applicant.birth_date,
            applied_on=applicant.applied_on,
            activist_on=applicant.activist_on,
            candidate_on=applicant.candidate_on,
            admitted_on=applicant.admitted_on,
            withdrawn_on=applicant.withdrawn_on,
            withdraw_reason=applicant.withdraw_reason,
        ) | identity_errors(
            id_number=applicant.id_number, birth_date=applicant.birth_date, gender=applicant.gender
        )
        dates = [d for d in (applicant.applied_on, applicant.activist_on, applicant.candidate_on) if d]
        if not all(applicant.organization.active_on(d) for d in dates) or max(dates) > AS_OF:
            problems["organization"] = "organisation not active on a stage date, or a date after 2025-09-30"
        if problems:
            raise ValueError(f"demo applicant {applicant.name}: {problems}")

    def save(self) -> dict[str, int]:
        plans = [
            DevelopmentPlan(area=self.builder.areas[code], year=year, planned=planned)
            for code, counts in PLANNED.items()
            for year, planned in zip(YEARS, counts, strict=True)
        ]
        for plan in plans:
            plan.full_clean()
        DevelopmentPlan.objects.bulk_create(plans)
        for applicant in self.applicants:
            self.check(applicant)
        Applicant.objects.bulk_create(self.applicants)
        for model, objects in ((DevelopmentPlan, plans), (Applicant, self.applicants)):
            model.objects.filter(pk__in=[obj.pk for obj in objects]).update(
                created_at=STAMP, updated_at=STAMP
            )
        return {"development_plans": len(plans), "applicants": len(self.applicants)}


def build_development(builder: Builder) -> dict[str, int]:
    """Plans and applicants of the demo zone (after ``builder.save()``); returns how many of each it wrote."""
    development = Development(builder)
    development.build()
    return development.save()
