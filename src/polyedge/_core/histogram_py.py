"""Pure-Python twin of histogram.pyx: latency histograms of flat memory.

A histogram keeps counts per bucket, the value with all but its top KEPT_BITS bits
cleared, so memory stays flat however many samples arrive, and percentiles are exact to
within 1/64 (1.6%). Values are nanoseconds: non-negative integers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from polyedge.errors import InvalidValue

KEPT_BITS = 7


@dataclass(frozen=True, slots=True)
class LatencySummary:
    count: int
    p50_us: float
    p90_us: float
    p99_us: float
    max_us: float


def bucket(nanoseconds: int) -> int:
    """The bucket of a sample: its value with all but the top KEPT_BITS bits cleared."""
    if nanoseconds < 0:
        raise InvalidValue(f"a latency cannot be negative: {nanoseconds} ns")
    shift = nanoseconds.bit_length() - KEPT_BITS
    return nanoseconds if shift <= 0 else (nanoseconds >> shift) << shift


def rank(fraction: float, count: int) -> int:
    """How many of `count` samples lie at or below the `fraction` percentile (at least 1)."""
    return max(1, -(-int(fraction * count * 1_000_000) // 1_000_000))


def summary(histogram: LatencyHistogram) -> LatencySummary:
    """Count, p50, p90, p99 and max in microseconds (either implementation's histogram)."""
    us = 1_000
    return LatencySummary(
        count=histogram.count,
        p50_us=histogram.percentile(0.50) / us,
        p90_us=histogram.percentile(0.90) / us,
        p99_us=histogram.percentile(0.99) / us,
        max_us=histogram.max / us,
    )


class LatencyHistogram:
    __slots__ = ("_buckets", "count", "max")

    def __init__(self) -> None:
        self._buckets: Counter[int] = Counter()
        self.count = 0
        self.max = 0

    def record(self, nanoseconds: int) -> None:
        self._buckets[bucket(nanoseconds)] += 1
        self.count += 1
        if nanoseconds > self.max:
            self.max = nanoseconds

    def percentile(self, fraction: float) -> int:
        """The smallest bucket value at or below which `fraction` of samples lie."""
        if not self.count:
            return 0
        wanted = rank(fraction, self.count)
        seen = 0
        for value in sorted(self._buckets):
            seen += self._buckets[value]
            if seen >= wanted:
                return value
        return self.max

    def summary(self) -> LatencySummary:
        return summary(self)
