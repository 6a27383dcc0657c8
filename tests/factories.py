"""Factories: each test builds the smallest world it needs. Codes are generated valid (check characters computed)."""

from __future__ import annotations

import datetime as dt

import factory

from members.models import Instructor, InstructorAssignment, Member
from members.rules import id_check_char
from orgs.models import OrganizationLink, PartyOrganization
from registry.models import AboveScalePeriod, Area, Enterprise
from registry.rules import credit_code_check_char


def make_credit_code(n: int) -> str:
    """A valid unified social credit code: 91 (enterprise) + region 440800 + a 9-char body from ``n``."""
    first17 = f"91440800{n:09d}"
    return first17 + credit_code_check_char(first17)


def make_id_number(n: int, born: dt.date = dt.date(1985, 6, 1), male: bool = True) -> str:
    """A valid resident ID number with the given birth date and sex."""
    seq = (n % 500) * 2 + (1 if male else 0)
    first17 = f"440802{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"A{n:03d}")
    name = factory.Sequence(lambda n: f"测试园区{n}")
    kind = "park"
    parent = None


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    credit_code = factory.Sequence(make_credit_code)
    category = "enterprise"
    economic_type = "private"
    area = factory.SubFactory(AreaFactory)
    established_on = dt.date(2015, 1, 1)


class AboveScalePeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AboveScalePeriod

    enterprise = factory.SubFactory(EnterpriseFactory)
    start = dt.date(2015, 1, 1)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartyOrganization

    name = factory.Sequence(lambda n: f"测试党支部{n}")
    kind = "branch"
    setup = "single"
    area = factory.SubFactory(AreaFactory)
    founded_on = dt.date(2018, 1, 1)


class LinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationLink

    organization = factory.SubFactory(OrganizationFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    start = dt.date(2018, 1, 1)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"党员{n}")
    gender = "M"
    ethnicity = "汉族"
    birth_date = dt.date(1985, 6, 1)
    education = "bachelor"
    id_number = factory.Sequence(lambda n: make_id_number(n))
    category = "full"
    joined_on = dt.date(2019, 1, 1)
    joined_party_on = factory.SelfAttribute("joined_on")
    organization = factory.SubFactory(OrganizationFactory)
    enterprise = None

    @factory.post_generation
    def history(obj, create, extracted, **kwargs):
        """The member's first membership, workplace and mobility rows, as members.services.create_member writes."""
        if create:
            from members.history import create_first_rows

            create_first_rows([obj])


class InstructorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instructor

    name = factory.Sequence(lambda n: f"指导员{n}")
    unit = "区委组织部"
    area = factory.SubFactory(AreaFactory)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InstructorAssignment

    instructor = factory.SubFactory(InstructorFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    start = dt.date(2019, 1, 1)


def make_user(username: str, role: str | None = "staff", area=None, password: str = "pw-Quite-Long-1"):
    """A user with a role and area (registry.UserProfile); role None: a user with no profile (sees nothing)."""
    from django.contrib.auth.models import User

    from registry.models import UserProfile

    user = User.objects.create_user(
        username, password=password, is_staff=role == "admin", is_superuser=role == "admin"
    )
    if role is not None and role != "admin":
        UserProfile.objects.create(user=user, role=role, area=area)
    return user


class ApplicantFactory(factory.django.DjangoModelFactory):
    """An 入党申请人 (members.Applicant) who applied on 2020-01-01; pass activist_on / candidate_on … for later
    stages. Born 1995-06-01, ID numbers of that birth date (members' factory uses 1985: no clash)."""

    class Meta:
        model = "members.Applicant"

    name = factory.Sequence(lambda n: f"申请人{n}")
    gender = "M"
    ethnicity = "汉族"
    birth_date = dt.date(1995, 6, 1)
    education = "bachelor"
    id_number = factory.Sequence(lambda n: make_id_number(n, born=dt.date(1995, 6, 1)))
    organization = factory.SubFactory(OrganizationFactory)
    applied_on = dt.date(2020, 1, 1)


class DevelopmentPlanFactory(factory.django.DjangoModelFactory):
    """发展党员指导性计划 (members.DevelopmentPlan) of an area for a year."""

    class Meta:
        model = "members.DevelopmentPlan"

    area = factory.SubFactory(AreaFactory)
    year = 2025
    planned = 3
