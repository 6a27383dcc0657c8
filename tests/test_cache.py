"""The per-process object cache (config/cache.py): a Django cache over cachetools, without pickled copies."""

import time

import pytest
from django.core.cache import caches

from config.cache import ObjectCache


@pytest.fixture
def cache():
    cache = caches["local"]
    cache.clear()
    yield cache
    cache.clear()


def test_the_local_cache_keeps_the_object_itself(cache):
    assert isinstance(cache, ObjectCache)
    value = {"figure": [1, 2, 3]}
    cache.set("k", value, 60)
    assert cache.get("k") is value
    assert cache.get("missing", "default") == "default"


def test_add_only_when_absent_or_expired(cache):
    assert cache.add("k", 1, 60)
    assert not cache.add("k", 2, 60)
    assert cache.get("k") == 1
    cache.set("short", "x", 0.05)
    time.sleep(0.1)
    assert cache.get("short") is None
    assert cache.add("short", "y", 60) and cache.get("short") == "y"


def test_incr_and_delete(cache):
    cache.set("n", 41, 60)
    assert cache.incr("n") == 42 and cache.get("n") == 42
    cache.delete("n")
    with pytest.raises(ValueError):
        cache.incr("n")


def test_culls_like_locmem():
    small = ObjectCache("test-cull", {"OPTIONS": {"MAX_ENTRIES": 4, "CULL_FREQUENCY": 2}})
    small.clear()
    for i in range(10):
        small.set(f"k{i}", i, 60)
    assert small.get("k9") == 9
    assert sum(small.get(f"k{i}") is not None for i in range(10)) <= 4


def test_timeouts_zero_none_and_touch(cache):
    cache.set("gone", 1, 0)  # Django's convention: 0 expires at once
    assert cache.get("gone") is None and not cache.has_key("gone")
    cache.set("forever", 2, None)
    assert cache.get("forever") == 2 and cache.has_key("forever")
    cache.set("short", 3, 0.05)
    assert cache.touch("short", 60)
    time.sleep(0.1)
    assert cache.get("short") == 3
    assert not cache.touch("missing", 60)


def test_evicts_the_least_recently_used():
    small = ObjectCache("test-lru", {"OPTIONS": {"MAX_ENTRIES": 3}})
    small.clear()
    for key in ("a", "b", "c"):
        small.set(key, key, 60)
    assert small.get("a") == "a"  # "b" is now the least recently used
    small.set("d", "d", 60)
    assert [small.get(k) for k in ("a", "b", "c", "d")] == ["a", None, "c", "d"]
