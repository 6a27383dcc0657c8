"""The per-process object cache (config/cache.py): LocMemCache's behaviour, without pickled copies."""

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
