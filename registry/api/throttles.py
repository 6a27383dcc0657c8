"""API rate limits counted in each process's own memory.

DRF's throttles rewrite a list of timestamps in the default cache on every request; with Redis that is two round
trips per request, more than the stats endpoint itself costs. A per-process count limits abuse just as well (the
effective limit is the rate times the number of web workers).
"""

from django.core.cache import caches
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class LocalCacheMixin:
    # Looked up per request, not once at import: a cache captured at import outlives a reset of the cache
    # handler (a settings change in tests) and then counts forever, unseen by whoever clears ``caches["local"]``.
    @property
    def cache(self):
        return caches["local"]


class LocalUserRateThrottle(LocalCacheMixin, UserRateThrottle):
    pass


class LocalAnonRateThrottle(LocalCacheMixin, AnonRateThrottle):
    pass
