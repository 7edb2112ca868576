"""Decoded customer histories kept in memory between records, and the ones to write.

Every history the worker reads from its table would be decoded from JSON again, and every
update encoded again, for the store and for the changelog. The cache keeps the live
objects of the customers seen most recently, so a customer's next record finds its history
decoded; updates are kept as dirty until the scorer flushes them, so a customer met by
several records of one batch is written, and sent to the changelog, once.

The cache is only ever ahead of the table between an update and the next flush, and the
flush comes before the records behind it are acknowledged, so a crash loses nothing that
was committed. After a rebalance it is emptied: a partition this worker held before may
have been changed by another worker since.
"""

from __future__ import annotations

from collections import OrderedDict

from processors.history import CustomerHistory


class HistoryCache:
    """At most ``size`` decoded histories, least recently used dropped first (dirty ones
    are kept until they are taken), plus the dirty ones to write."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._live: OrderedDict[bytes, CustomerHistory] = OrderedDict()
        self._dirty: dict[bytes, CustomerHistory] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._live)

    def get(self, key: bytes) -> CustomerHistory | None:
        history = self._dirty.get(key)
        if history is None:
            history = self._live.get(key)
        if history is None:
            self.misses += 1
            return None
        self.hits += 1
        if key in self._live:
            self._live.move_to_end(key)
        return history

    def put(self, key: bytes, history: CustomerHistory, dirty: bool = False) -> None:
        if dirty:
            self._dirty[key] = history
        if self.size:
            self._live[key] = history
            self._live.move_to_end(key)
            while len(self._live) > self.size:
                self._live.popitem(last=False)

    def is_dirty(self, key: bytes) -> bool:
        return key in self._dirty

    def take_dirty(self) -> dict[bytes, CustomerHistory]:
        """The histories updated since the last call, now counted as written."""
        dirty, self._dirty = self._dirty, {}
        return dirty

    def discard(self, key: bytes) -> None:
        """Forgets the customer's history, written or not: the table's copy is next read."""
        self._live.pop(key, None)
        self._dirty.pop(key, None)

    def clear(self) -> None:
        """Empties the cache; histories not yet taken are kept for the next flush (a
        rebalance can come while a batch is being scored, and that batch flushes them)."""
        self._live.clear()

    def rollback(self) -> int:
        """Forgets every history updated since the last :meth:`take_dirty`, live copy
        included: the records behind them were not acknowledged and are read again, so the
        table's copy is the one to score them against. Answers how many."""
        dirty, self._dirty = self._dirty, {}
        for key in dirty:
            self._live.pop(key, None)
        return len(dirty)
