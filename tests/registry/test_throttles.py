"""The per-process throttles count in the cache the handler serves now, so clearing caches["local"] clears them."""

from __future__ import annotations

from django.core.cache import caches

from registry.api.throttles import LocalAnonRateThrottle, LocalUserRateThrottle


def test_throttles_follow_a_reset_cache_handler(settings):
    before = caches["local"]
    settings.CACHES = {**settings.CACHES}  # a settings change resets the handler: new cache objects
    assert caches["local"] is not before
    for throttle in (LocalUserRateThrottle(), LocalAnonRateThrottle()):
        assert throttle.cache is caches["local"]
