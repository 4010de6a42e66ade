"""Latency histograms, compiled and pure Python: flat memory, percentiles within 1/64."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyedge import _core
from polyedge._core.histogram_py import LatencySummary, bucket
from polyedge.errors import InvalidValue

INT64_MAX = (1 << 63) - 1
FRACTIONS = (0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0)


def exact(samples: list[int], fraction: float) -> int:
    """The smallest sample at or below which `fraction` of them lie."""
    ordered = sorted(samples)
    rank = max(1, -(-int(fraction * len(ordered) * 1_000_000) // 1_000_000))
    return ordered[rank - 1]


def test_an_empty_histogram_reads_zero(histogram: ModuleType) -> None:
    h = histogram.LatencyHistogram()
    assert (h.count, h.max, h.percentile(0.5)) == (0, 0, 0)
    assert h.summary() == LatencySummary(0, 0.0, 0.0, 0.0, 0.0)


def test_small_values_are_exact(histogram: ModuleType) -> None:
    h = histogram.LatencyHistogram()
    for value in range(128):
        h.record(value)
    assert [h.percentile((v + 1) / 128) for v in range(128)] == list(range(128))
    assert (h.count, h.max) == (128, 127)


@pytest.mark.parametrize(
    ("value", "bucket_value"),
    [(127, 127), (128, 128), (129, 128), (255, 254), (256, 256), (1_000_003, 999_424)],
)
def test_larger_values_keep_their_top_seven_bits(
    histogram: ModuleType, value: int, bucket_value: int
) -> None:
    assert bucket(value) == bucket_value
    h = histogram.LatencyHistogram()
    h.record(value)
    assert h.percentile(0.5) == bucket_value and h.max == value


def test_the_largest_int64_has_a_bucket(histogram: ModuleType) -> None:
    h = histogram.LatencyHistogram()
    h.record(INT64_MAX)
    h.record(0)
    assert h.percentile(1.0) == bucket(INT64_MAX) and h.max == INT64_MAX
    assert h.percentile(0.5) == 0


def test_a_negative_latency_is_refused(histogram: ModuleType) -> None:
    h = histogram.LatencyHistogram()
    with pytest.raises(InvalidValue, match="negative"):
        h.record(-1)
    assert h.count == 0


def test_percentiles_are_within_one_64th_of_the_exact_ones(histogram: ModuleType) -> None:
    rng = np.random.default_rng(5)
    samples = rng.lognormal(np.log(2e7), 1.5, 20_000).astype(np.int64).tolist()
    h = histogram.LatencyHistogram()
    for sample in samples:
        h.record(sample)
    for fraction in FRACTIONS:
        truth = exact(samples, fraction)
        assert truth - truth / 64 <= h.percentile(fraction) <= truth
    summary = h.summary()
    assert summary.count == 20_000 and summary.max_us == max(samples) / 1000
    assert summary.p99_us == h.percentile(0.99) / 1000


@given(st.lists(st.integers(0, INT64_MAX), min_size=1, max_size=200))
def test_both_implementations_agree(samples: list[int]) -> None:
    if not _core.extensions_built():
        pytest.skip("the compiled core is not built (pip install -e . builds it)")
    histograms = [
        _core.load("histogram", compiled).LatencyHistogram() for compiled in (True, False)
    ]
    for h in histograms:
        for sample in samples:
            h.record(sample)
    compiled, twin = ([h.percentile(f) for f in FRACTIONS] for h in histograms)
    assert compiled == twin == [bucket(exact(samples, f)) for f in FRACTIONS]
    assert histograms[0].summary() == histograms[1].summary()
