import datetime as dt

import pytest

from registry.models import Enterprise
from tests.factories import AssignmentFactory, EnterpriseFactory, LinkFactory, OrganizationFactory

D = dt.date(2025, 9, 30)


@pytest.mark.django_db
def test_with_coverage_states():
    single, joint, work, none = (EnterpriseFactory() for _ in range(4))
    LinkFactory(enterprise=single)
    org = OrganizationFactory(setup="joint")
    LinkFactory(organization=org, enterprise=joint)
    LinkFactory(organization=org, enterprise=single)
    AssignmentFactory(enterprise=work)
    states = dict(Enterprise.objects.with_coverage(D).values_list("name", "coverage"))
    assert states == {single.name: "single", joint.name: "joint", work.name: "work", none.name: "none"}
