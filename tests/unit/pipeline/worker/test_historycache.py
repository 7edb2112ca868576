"""The write-back cache of decoded histories: last write wins, dirty until taken, and a
batch that did not finish leaves nothing of itself behind."""

from __future__ import annotations

from pipeline.worker.historycache import HistoryCache
from processors.history import CustomerHistory


def _history(customer_id: str) -> CustomerHistory:
    return CustomerHistory(customer_id=customer_id)


def test_the_last_write_per_customer_is_the_one_taken() -> None:
    cache = HistoryCache(10)
    first, second = _history("c1"), _history("c1")
    cache.put(b"c1", first, dirty=True)
    cache.put(b"c1", second, dirty=True)
    cache.put(b"c2", _history("c2"))  # read from the table: not dirty
    taken = cache.take_dirty()
    assert list(taken) == [b"c1"]
    assert taken[b"c1"] is second
    assert cache.take_dirty() == {}
    assert cache.get(b"c1") is second  # still live after it was written


def test_the_least_recently_used_clean_history_goes_first() -> None:
    cache = HistoryCache(2)
    for key in (b"a", b"b"):
        cache.put(key, _history(key.decode()))
    assert cache.get(b"a") is not None  # a is now the most recent
    cache.put(b"c", _history("c"))
    assert cache.get(b"b") is None
    assert cache.get(b"a") is not None and cache.get(b"c") is not None
    assert len(cache) == 2


def test_a_dirty_history_outlives_eviction_until_taken() -> None:
    cache = HistoryCache(1)
    dirty = _history("a")
    cache.put(b"a", dirty, dirty=True)
    cache.put(b"b", _history("b"))
    assert cache.get(b"a") is dirty
    assert cache.take_dirty() == {b"a": dirty}


def test_a_size_of_zero_keeps_only_what_is_to_be_written() -> None:
    cache = HistoryCache(0)
    cache.put(b"a", _history("a"))
    assert cache.get(b"a") is None
    cache.put(b"a", _history("a"), dirty=True)
    assert cache.get(b"a") is not None
    cache.take_dirty()
    assert cache.get(b"a") is None


def test_a_rebalance_empties_it_but_keeps_the_batch_in_flight() -> None:
    cache = HistoryCache(10)
    cache.put(b"clean", _history("clean"))
    cache.put(b"dirty", _history("dirty"), dirty=True)
    cache.clear()
    assert cache.get(b"clean") is None
    assert list(cache.take_dirty()) == [b"dirty"]


def test_a_rollback_forgets_the_unwritten_histories_and_their_live_copies() -> None:
    cache = HistoryCache(10)
    written = _history("w")
    cache.put(b"w", written, dirty=True)
    cache.take_dirty()
    cache.put(b"w", _history("w"), dirty=True)  # the batch that will not finish
    cache.put(b"n", _history("n"), dirty=True)
    cache.put(b"r", _history("r"))
    assert cache.rollback() == 2
    assert cache.get(b"w") is None and cache.get(b"n") is None
    assert cache.get(b"r") is not None
    assert cache.take_dirty() == {}
