"""Property-based run of the whole API against its own OpenAPI schema: no input may produce a 5xx.

The schema is read from /api/schema/ of the in-process WSGI app; requests carry a knox token of a superuser over a
small seeded registry. GET and POST operations only, few examples each, to stay well under two minutes.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error

from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    AssignmentFactory,
    EnterpriseFactory,
    LinkFactory,
    MemberFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def _keep_test_transaction():
    """As Django's test client does: a request must not close the connection that holds the test transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded():
    zone = AreaFactory(code="Z", kind="district")
    park = AreaFactory(code="P1", parent=zone)
    firms = [EnterpriseFactory(area=park) for _ in range(3)]
    AboveScalePeriodFactory(enterprise=firms[0], start=dt.date(2020, 1, 1))
    org = LinkFactory(enterprise=firms[0], organization=OrganizationFactory(area=park)).organization
    MemberFactory(organization=org, enterprise=firms[0], phone="13812345678")
    AssignmentFactory(enterprise=firms[1], instructor__area=park)
    return firms


@pytest.fixture
def auth_headers(seeded):
    admin = User.objects.create_superuser("fuzz-admin", password="fuzz-pass-123")
    _instance, token = AuthToken.objects.create(admin)
    return {"Authorization": f"Token {token}"}


# Generating the schema touches no table, so it loads at collection time (one test per operation).
schema = (
    schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    .include(method=["GET", "POST"])
    .exclude(path="/api/v1/auth/token/")  # throttled and credential-free by design: nothing to learn here
)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure here is reproducible, not flaky
    database=None,  # no .hypothesis/ directory in the working tree
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_no_server_errors(case, auth_headers, _keep_test_transaction):
    case.call_and_validate(headers=auth_headers, checks=[not_a_server_error])
