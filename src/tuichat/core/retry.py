"""When a failed request is asked again, and how long to wait first.

The client's own retry loop (`ChatClient.complete`) follows the rules of the official SDK,
whose retries it replaces so that each attempt can be shown: a failed connection, a timeout
before the response began, and HTTP 408, 409, 429 and 5xx are retried, before any byte of
the answer arrived; the server's `Retry-After` (or `retry-after-ms`) is honoured up to two
minutes (a longer one is not waited for: the error says it); otherwise the wait doubles
from half a second up to eight, less a random quarter so that clients do not retry in step.
An `x-should-retry: true` or `false` header from the server decides on its own.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

RETRIED_STATUSES = frozenset({408, 409, 429})  # and every 5xx
MAX_RETRY_AFTER = 120.0  # seconds: a server asking for a longer wait is not waited for


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """The waits between attempts when the server does not say how long to wait.

    Attributes:
        initial_delay: seconds before the second attempt.
        max_delay: the longest wait, however many attempts failed.
        jitter: the random share taken off each wait (0.25: up to a quarter).
    """

    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25

    def backoff(self, failed: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after `failed` attempts failed (1 for the first)."""
        delay = min(self.initial_delay * 2.0 ** (max(1, failed) - 1), self.max_delay)
        return delay * (1 - self.jitter * rand())


def retry_after(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """The wait the server asks for, in seconds: `retry-after-ms`, else `retry-after` (seconds
    or an HTTP date); None when it asks for none (or says it in a way that does not parse)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = lowered.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        return seconds if math.isfinite(seconds) else MAX_RETRY_AFTER + 1
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return max(0.0, float(email.utils.mktime_tz(parsed)) - now())
    except (TypeError, ValueError, OverflowError):
        return None


def status_is_retried(status: int, headers: Mapping[str, str]) -> bool:
    """Whether an HTTP error status is asked again (the server's `x-should-retry` wins)."""
    wanted = {name.lower(): value for name, value in headers.items()}.get("x-should-retry")
    if wanted == "true":
        return True
    if wanted == "false":
        return False
    asked = retry_after(headers)
    if asked is not None and asked > MAX_RETRY_AFTER:
        return False
    return status in RETRIED_STATUSES or status >= 500
