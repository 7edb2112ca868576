"""When to retry a webhook: what an HTTP status means, how long to wait, Retry-After.

Backoff is exponential with full jitter: before retry ``n`` (1, 2, ...) wait a uniform
random time in ``[0, min(cap, base * 2 ** (n - 1))]``. A ``Retry-After`` on 429 or 503
replaces it, up to the same cap, so one endpoint cannot park the consumer for hours.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


class Verdict(enum.Enum):
    """What to do after an attempt."""

    DELIVERED = "delivered"  # 2xx
    RETRY = "retry"  # 408, 429, 5xx, a timeout or a connection error
    GONE = "gone"  # 410: the receiver asks never to be called again
    REJECTED = "rejected"  # any other status: retrying would get the same answer


RETRY_AFTER_STATUSES = frozenset({429, 503})


def verdict(status: int | None) -> Verdict:
    """The verdict on an attempt that got ``status`` (None: no response at all)."""
    if status is None:
        return Verdict.RETRY
    if 200 <= status < 300:
        return Verdict.DELIVERED
    if status == 410:
        return Verdict.GONE
    if status in (408, 429) or status >= 500:
        return Verdict.RETRY
    return Verdict.REJECTED


def backoff_bound(retry: int, base: float, cap: float) -> float:
    """The longest wait before retry ``retry`` (1 for the first retry)."""
    if retry < 1:
        raise ValueError("retries count from 1")
    # min() before the power would overflow for large retry numbers.
    return min(cap, base * 2.0 ** min(retry - 1, 64))


def backoff_delay(retry: int, base: float, cap: float, random: Callable[[], float]) -> float:
    """Full jitter: uniform in ``[0, backoff_bound(retry)]``; ``random()`` is in ``[0, 1)``."""
    return random() * backoff_bound(retry, base, cap)


def backoff_schedule(max_attempts: int, base: float, cap: float) -> list[float]:
    """The bound of each wait between ``max_attempts`` attempts (one fewer than attempts).

    >>> backoff_schedule(6, 0.5, 30)
    [0.5, 1.0, 2.0, 4.0, 8.0]
    """
    return [backoff_bound(retry, base, cap) for retry in range(1, max_attempts)]


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date.

    None when absent or unreadable; a date in the past gives 0.

    >>> parse_retry_after("120", datetime(2025, 1, 1, tzinfo=UTC))
    120.0
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        at = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if at.tzinfo is None:  # "-0000" and obsolete forms: HTTP dates are GMT
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - now).total_seconds())


def retry_wait(
    retry: int,
    status: int | None,
    headers: Mapping[str, str],
    base: float,
    cap: float,
    now: datetime,
    random: Callable[[], float],
) -> float:
    """How long to wait before retry ``retry`` after an attempt that got ``status``."""
    if status in RETRY_AFTER_STATUSES:
        asked = parse_retry_after(headers.get("retry-after"), now)
        if asked is not None:
            return min(cap, asked)
    return backoff_delay(retry, base, cap, random)
