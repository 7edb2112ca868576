"""An index of customers by the earliest time something of theirs falls due, so that a
timer looks at the customers whose time has come instead of decoding every history.

>>> index = DueIndex()
>>> index.set(b"c1", 2_000)
>>> index.set(b"c2", 1_000)
>>> index.pop_due(1_500)
[b'c2']
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class DueIndex(Generic[K]):
    """Keys by due time in epoch milliseconds; a key has at most one due time, the last
    set. A heap with lazy deletion: a key set again leaves its old entry behind, skipped
    when it surfaces, so each change costs O(log n)."""

    def __init__(self) -> None:
        self._due: dict[K, int] = {}
        self._heap: list[tuple[int, int, K]] = []
        self._order = 0  # ties broken by insertion, so keys need not be comparable

    def __len__(self) -> int:
        return len(self._due)

    def set(self, key: K, due_ms: int | None) -> None:
        """``key`` falls due at ``due_ms``; None: at no time."""
        if due_ms is None:
            self._due.pop(key, None)
            return
        if self._due.get(key) == due_ms:
            return
        self._due[key] = due_ms
        self._order += 1
        heapq.heappush(self._heap, (due_ms, self._order, key))
        if len(self._heap) > 2 * len(self._due) + 64:
            self._compact()

    def pop_due(self, now_ms: int) -> list[K]:
        """The keys due at ``now_ms``, earliest first, taken out of the index."""
        due: list[K] = []
        heap = self._heap
        while heap and heap[0][0] <= now_ms:
            at, _, key = heapq.heappop(heap)
            if self._due.get(key) == at:
                del self._due[key]
                due.append(key)
        return due

    def discard(self, key: K) -> bool:
        """Takes ``key`` out of the index, its heap entries too (an erasure must leave no
        copy of the key behind); answers whether it was due at some time. O(n)."""
        was_due = self._due.pop(key, None) is not None
        if any(entry[2] == key for entry in self._heap):
            self._heap = [entry for entry in self._heap if entry[2] != key]
            heapq.heapify(self._heap)
        return was_due

    def clear(self) -> None:
        self._due.clear()
        self._heap.clear()

    def _compact(self) -> None:
        self._heap = [entry for entry in self._heap if self._due.get(entry[2]) == entry[0]]
        heapq.heapify(self._heap)
