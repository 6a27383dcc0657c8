"""The coverage endpoint's caches: cached figures follow recomputes, keep their scoping; cached tokens keep bounds."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from registry.api.auth import delete_expired_tokens
from registry.models import Area
from registry.periods import Quarter
from reports.engine.figures import cache_figure, cached_figure, figures_changed
from reports.engine.periods import close_period
from reports.engine.recompute import recompute
from tests.factories import (
    AboveScalePeriodFactory,
    AreaFactory,
    EnterpriseFactory,
    LinkFactory,
    OrganizationFactory,
    make_user,
)

pytestmark = pytest.mark.django_db
Q3 = Quarter(2025, 3)
Z_Q3 = {"area": "Z", "period": "2025Q3"}
TOKEN_BOUND = 60  # settings.API_TOKEN_CACHE_SECONDS


@pytest.fixture
def world():
    zone = AreaFactory(code="Z", kind="district")
    park = AreaFactory(code="P1", parent=zone)
    other = AreaFactory(code="OTHER", kind="district")
    firms = [EnterpriseFactory(area=park, name=f"企业{i}") for i in range(3)]
    for firm in firms:
        AboveScalePeriodFactory(enterprise=firm)
    LinkFactory(enterprise=firms[0], organization=OrganizationFactory(area=park))
    recompute(periods=[Q3])
    return zone, park, other, firms


def token_client(user) -> APIClient:
    _instance, token = AuthToken.objects.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_a_recompute_that_changes_a_figure_is_served_at_once(world):
    _zone, park, _other, firms = world
    client = token_client(make_user("reader", role="reader", area=Area.objects.get(code="Z")))
    before = client.get("/api/v1/coverage/", Z_Q3).json()
    assert (before["numerator"], before["denominator"], before["percent"]) == (1, 3, "33.3")
    assert client.get("/api/v1/coverage/", Z_Q3).json() == before  # now from the cache

    LinkFactory(enterprise=firms[2], organization=OrganizationFactory(area=park))
    assert recompute(periods=[Q3]).total > 0

    after = client.get("/api/v1/coverage/", Z_Q3).json()
    assert (after["numerator"], after["denominator"], after["percent"]) == (2, 3, "66.7")
    assert after["breakdown"] == {"single": 2, "joint": 0, "work": 0, "none": 1}


def test_closing_a_quarter_is_served_at_once(world):
    admin = make_user("admin", role="admin")
    client = token_client(admin)
    assert client.get("/api/v1/coverage/", Z_Q3).json()["frozen"] is False
    close_period(period=Q3, user=admin)
    assert client.get("/api/v1/coverage/", Z_Q3).json()["frozen"] is True


def test_a_cached_figure_is_never_served_outside_its_area(world):
    zone, park, other, _firms = world
    reader = token_client(make_user("reader", role="reader", area=zone))
    assert reader.get("/api/v1/coverage/", Z_Q3).json()["numerator"] == 1  # cached now
    outsider = token_client(make_user("outsider", role="reader", area=other))
    park_user = token_client(make_user("parkuser", role="park", area=park))
    nobody = token_client(make_user("nobody", role=None))
    for client in (outsider, park_user, nobody):
        response = client.get("/api/v1/coverage/", Z_Q3)
        assert response.status_code == 404
        assert response.json() == {"detail": "未知的区域代码“Z”。"}
    # a user's own area, asked for implicitly, is the same cached figure, still checked
    assert park_user.get("/api/v1/coverage/", {"period": "2025Q3"}).json()["area"] == "P1"
    assert outsider.get("/api/v1/coverage/", {"area": "P1", "period": "2025Q3"}).status_code == 404


def test_as_of_answers_are_live(world):
    _zone, park, _other, firms = world
    client = token_client(make_user("reader", role="reader", area=Area.objects.get(code="Z")))
    params = {"area": "Z", "date": "2025-09-30"}
    assert client.get("/api/v1/coverage/", params).json()["numerator"] == 1
    LinkFactory(enterprise=firms[1], organization=OrganizationFactory(area=park))  # no recompute
    assert client.get("/api/v1/coverage/", params).json()["numerator"] == 2


def test_repeated_request_costs_no_query(world, django_assert_num_queries):
    client = token_client(make_user("reader", role="reader", area=Area.objects.get(code="Z")))
    # token, profile, area, indicator, snapshot (+ period lock), member snapshot
    with django_assert_num_queries(6):
        assert client.get("/api/v1/coverage/", Z_Q3).status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/api/v1/coverage/", Z_Q3).json()["numerator"] == 1
    # another figure for the same token: the token is remembered, the figure is read once
    params = {**Z_Q3, "indicator": "work-coverage-above-scale"}
    with django_assert_num_queries(4):
        assert client.get("/api/v1/coverage/", params).status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/api/v1/coverage/", params).status_code == 200


def test_an_expired_token_is_refused_at_once(world):
    user = make_user("reader", role="reader", area=Area.objects.get(code="Z"))
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _instance, token = AuthToken.objects.create(user, expiry=dt.timedelta(seconds=30))
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.get("/api/v1/coverage/", Z_Q3).status_code == 200
        clock.shift(29)
        assert client.get("/api/v1/coverage/", Z_Q3).status_code == 200
        clock.shift(2)  # past the expiry, well within the cache bound
        assert client.get("/api/v1/coverage/", Z_Q3).status_code == 401
    assert AuthToken.objects.filter(user=user).count() == 0  # the expired token is deleted when it is refused


def test_a_deactivated_user_loses_access_at_once(world):
    """Deactivating a user revokes their tokens in the same save (and drops them from this process's cache)."""
    user = make_user("reader", role="reader", area=Area.objects.get(code="Z"))
    client = token_client(user)
    assert client.get("/api/v1/coverage/", Z_Q3).status_code == 200
    user.is_active = False
    user.save()
    assert client.get("/api/v1/coverage/", Z_Q3).status_code == 401
    assert AuthToken.objects.filter(user=user).count() == 0


def test_a_token_deleted_elsewhere_loses_access_within_the_bound(world):
    """A token deleted behind this process's back (another worker, the admin) is remembered for the bound."""
    user = make_user("reader", role="reader", area=Area.objects.get(code="Z"))
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = token_client(user)
        assert client.get("/api/v1/coverage/", Z_Q3).status_code == 200
        AuthToken.objects.filter(user=user).delete()
        clock.shift(TOKEN_BOUND - 1)
        assert (
            client.get("/api/v1/coverage/", Z_Q3).status_code == 200
        )  # the documented bound: still remembered
        clock.shift(2)
        assert client.get("/api/v1/coverage/", Z_Q3).status_code == 401


def test_expired_tokens_are_deleted_by_the_periodic_task(world):
    from reports.tasks import delete_expired_tokens as task

    user = make_user("reader", role="reader", area=Area.objects.get(code="Z"))
    AuthToken.objects.create(user, expiry=dt.timedelta(seconds=-1))
    AuthToken.objects.create(user, expiry=dt.timedelta(seconds=-60))
    live, _token = AuthToken.objects.create(user, expiry=dt.timedelta(hours=1))
    forever, _token = AuthToken.objects.create(user, expiry=None)
    assert task.delay().get() == 2
    assert set(AuthToken.objects.values_list("digest", flat=True)) == {live.digest, forever.digest}
    assert delete_expired_tokens() == 0


def test_a_redis_outage_is_not_an_error(world, settings):
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        },
    }
    client = token_client(make_user("reader", role="reader", area=Area.objects.get(code="Z")))
    for _ in range(2):
        response = client.get("/api/v1/coverage/", Z_Q3)
        assert (response.status_code, response.json()["numerator"]) == (200, 1)


def test_the_bump_after_commit_retires_what_was_read_before_it(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        figures_changed()  # inside a transaction: a reader elsewhere still sees the old rows
        generation, _nothing = cached_figure("figure:test")
        cache_figure("figure:test", generation, "read before the commit", 60)
        assert cached_figure("figure:test") == (generation, "read before the commit")
    assert cached_figure("figure:test") == (generation + 1, None)
