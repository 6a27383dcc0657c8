"""Shared generation numbers: retire what every process remembers, without a round trip per read.

A generation lives in the shared cache (Redis when configured); what it guards lives in each process's memory,
stored with the generation it was read under. Bumping the number retires every remembered entry in every process:
a process re-reads the shared number at most every ``poll_seconds``, and the process that bumps sees it at once.
Used for the cached figures of the stats API (a recompute bumps it) and for remembered API tokens (a revocation
bumps it).
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction


class SharedGeneration:
    def __init__(self, key: str, poll_seconds: float = 1.0):
        self.key = key
        self.poll_seconds = poll_seconds
        self._seen: int | None = None
        self._at = 0.0

    def current(self) -> int:
        """The current number. Read it before reading what it guards, so that nothing remembered under it is
        older than the bump. A lost key (a cache restart, an outage) starts from the clock, never from a number
        already used."""
        now = time.monotonic()
        if self._seen is not None and now - self._at < self.poll_seconds:
            return self._seen
        generation = cache.get(self.key)
        if generation is None:
            cache.add(self.key, time.time_ns(), None)
            generation = cache.get(self.key)
            if generation is None:  # no shared cache at all (Redis down): a number of our own for one poll
                generation = time.time_ns()
        self._seen, self._at = generation, now
        return generation

    def bump(self) -> None:
        try:
            generation = cache.incr(self.key)
        except ValueError:  # no key yet
            cache.add(self.key, time.time_ns(), None)
            generation = cache.get(self.key)
        self._seen, self._at = generation, time.monotonic()  # None (Redis down): read again next time

    def bump_now_and_after_commit(self) -> None:
        """Bumped now (for readers inside this transaction) and again after commit: a reader that took the first
        number before the commit may have remembered what it read then, and the second bump retires that too."""
        self.bump()
        transaction.on_commit(self.bump)

    def forget(self) -> None:
        """Read the shared number again at the next ``current()`` (tests reset caches between them)."""
        self._seen, self._at = None, 0.0
