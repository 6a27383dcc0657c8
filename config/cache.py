"""The per-process "local" cache: a Django cache backend over cachetools, keeping objects instead of pickled copies.

What the API keeps per process (remembered tokens with their user and access, serialised figures, throttle
histories) is read on every request; unpickling it each time was a tenth of a stats request. The price is that a
value is shared, not copied: callers must not change what they read unless they mean to (DRF's throttle changes
its history list and stores it back, which is what it would do anyway).

Built only on public API: Django's ``BaseCache`` (key making, timeouts) and cachetools' ``TLRUCache``, which
evicts the least recently used entry when full and drops an entry once its own expiry time has passed.
"""

from __future__ import annotations

import threading
import time

from cachetools import TLRUCache
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

_NEVER = float("inf")


def _expires_at(_key, entry, _now) -> float:
    return entry[0]


class ObjectCache(BaseCache):
    def __init__(self, name, params):
        super().__init__(params)
        # cachetools' containers are not thread-safe; one lock per cache, held only around dictionary work.
        self._entries = TLRUCache(maxsize=self._max_entries, ttu=_expires_at, timer=time.time)
        self._guard = threading.Lock()

    def _deadline(self, timeout) -> float:
        # Django's public helper: the wall-clock expiry (time.time() + timeout), None for "never".
        expiry = self.get_backend_timeout(timeout)
        return _NEVER if expiry is None else expiry

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._guard:
            if key in self._entries:
                return False
            self._entries[key] = (self._deadline(timeout), value)
            return True

    def get(self, key, default=None, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._guard:
            entry = self._entries.get(key)
        return default if entry is None else entry[1]

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._guard:
            self._entries[key] = (self._deadline(timeout), value)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                return False
            self._entries[key] = (self._deadline(timeout), entry[1])
            return True

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._guard:
            entry = self._entries.get(key)
            if entry is None:
                raise ValueError(f"Key '{key}' not found")
            value = entry[1] + delta
            self._entries[key] = (entry[0], value)
            return value

    def has_key(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._guard:
            return key in self._entries

    def delete(self, key, version=None):
        key = self.make_and_validate_key(key, version=version)
        with self._guard:
            return self._entries.pop(key, None) is not None

    def clear(self):
        with self._guard:
            self._entries.clear()
