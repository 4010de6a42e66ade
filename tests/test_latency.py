"""Latency distributions: sample statistics against parameters, units, determinism, config."""

from __future__ import annotations

import math
import tomllib
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from pydantic import BaseModel, ValidationError

from polyedge.randomness import BLOCK, Draws, IntDraws
from polyedge.venues.latency import (
    ConstantLatency,
    EmpiricalLatency,
    ExponentialLatency,
    Latency,
    LogNormalLatency,
    MixtureComponent,
    MixtureLatency,
    NormalLatency,
    UniformLatency,
)

N = 200_000
SEED = 20240607


def draw_us(latency: Latency, n: int = N, seed: int = SEED) -> npt.NDArray[np.float64]:
    """n draws converted back to microseconds, after checking they are int64 and not negative."""
    ns = latency.sample_ns(np.random.default_rng(seed), n)
    assert ns.dtype == np.int64
    assert ns.shape == (n,)
    assert ns.min() >= 0
    return ns / 1000.0


def phi(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def big_phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def truncated_normal_moments(mean: float, std: float) -> tuple[float, float]:
    """Mean and standard deviation of N(mean, std**2) truncated to [0, inf)."""
    alpha = -mean / std
    hazard = phi(alpha) / (1 - big_phi(alpha))
    variance = std**2 * (1 + alpha * hazard - hazard**2)
    return mean + std * hazard, math.sqrt(variance)


class VenueConfig(BaseModel):
    submit_ack: Latency


SPIKY = MixtureLatency(
    components=[
        MixtureComponent(weight=99, latency=NormalLatency(mean_us=5_000, std_us=500)),
        MixtureComponent(weight=1, latency=LogNormalLatency(median_us=200_000, sigma=0.3)),
    ]
)

EXAMPLES: list[Latency] = [
    ConstantLatency(value_us=5),
    UniformLatency(low_us=100, high_us=300),
    NormalLatency(mean_us=1, std_us=2),
    LogNormalLatency(median_us=5_000, sigma=0.5),
    ExponentialLatency(mean_us=10, offset_us=3),
    EmpiricalLatency(samples_us=[1, 2.5, 40, 1_000]),
    SPIKY,
]


def example_id(latency: Latency) -> str:
    return latency.kind


# --- distributions ---------------------------------------------------------------------------


def test_constant_is_exact_and_in_nanoseconds() -> None:
    ns = ConstantLatency(value_us=5).sample_ns(np.random.default_rng(SEED), 1_000)
    assert ns.dtype == np.int64
    assert (ns == 5_000).all()


@pytest.mark.parametrize(
    ("value_us", "expected_ns"),
    # 1/16 and 3/16 are exact in binary, so these are true halves: rounded to even.
    [(0.0625, 62), (0.1875, 188), (0.0626, 63), (0.0, 0)],
)
def test_nanoseconds_round_half_to_even(value_us: float, expected_ns: int) -> None:
    ns = ConstantLatency(value_us=value_us).sample_ns(np.random.default_rng(SEED), 3)
    assert ns.tolist() == [expected_ns] * 3


def test_huge_latency_saturates_instead_of_wrapping_negative() -> None:
    ns = ConstantLatency(value_us=1e300).sample_ns(np.random.default_rng(SEED), 2)
    assert (ns > 2**62).all()


def test_uniform() -> None:
    us = draw_us(UniformLatency(low_us=100, high_us=300))
    assert us.min() >= 100
    assert us.max() <= 300
    # The whole range is used, not just part of it.
    assert us.min() < 100.1
    assert us.max() > 299.9
    assert us.mean() == pytest.approx(200, rel=0.005)
    assert us.std() == pytest.approx(200 / math.sqrt(12), rel=0.01)


def test_uniform_with_equal_bounds_is_constant() -> None:
    assert (draw_us(UniformLatency(low_us=7, high_us=7), n=100) == 7).all()


@pytest.mark.parametrize(("mean_us", "std_us"), [(1.0, 2.0), (0.0, 3.0), (0.5, 0.2)])
def test_normal_is_truncated_at_zero_not_clipped(mean_us: float, std_us: float) -> None:
    us = draw_us(NormalLatency(mean_us=mean_us, std_us=std_us))
    expected_mean, expected_std = truncated_normal_moments(mean_us, std_us)
    assert us.mean() == pytest.approx(expected_mean, rel=0.01)
    assert us.std() == pytest.approx(expected_std, rel=0.01)
    # Clipping would put every negative draw at exactly zero: about a quarter to a half of
    # them for these parameters. A true truncated normal has almost no mass below 1 ns.
    assert np.mean(us == 0) < 0.001


def test_normal_far_from_zero_keeps_its_parameters() -> None:
    us = draw_us(NormalLatency(mean_us=5_000, std_us=500))
    assert us.mean() == pytest.approx(5_000, rel=0.002)
    assert us.std() == pytest.approx(500, rel=0.01)


def test_normal_with_zero_std_is_its_mean() -> None:
    assert (draw_us(NormalLatency(mean_us=12.5, std_us=0), n=100) == 12.5).all()


def test_lognormal() -> None:
    us = draw_us(LogNormalLatency(median_us=5_000, sigma=0.5))
    assert np.median(us) == pytest.approx(5_000, rel=0.01)
    log_us = np.log(us)
    assert log_us.mean() == pytest.approx(math.log(5_000), abs=0.005)
    assert log_us.std() == pytest.approx(0.5, rel=0.01)


def test_exponential() -> None:
    us = draw_us(ExponentialLatency(mean_us=10, offset_us=3))
    assert us.min() >= 3
    assert us.min() < 3.01
    assert us.mean() == pytest.approx(13, rel=0.01)
    # The offset shifts the distribution; it must not widen it.
    assert us.std() == pytest.approx(10, rel=0.02)


def test_exponential_offset_defaults_to_zero() -> None:
    us = draw_us(ExponentialLatency(mean_us=10))
    assert us.min() < 0.01
    assert us.mean() == pytest.approx(10, rel=0.01)


def test_empirical_draws_observed_values_uniformly() -> None:
    observed = [1, 2.5, 40, 1_000]
    us = draw_us(EmpiricalLatency(samples_us=observed))
    values, counts = np.unique(us, return_counts=True)
    assert values.tolist() == observed
    assert counts / N == pytest.approx([0.25] * 4, abs=0.01)


def test_empirical_repeated_observations_count_repeatedly() -> None:
    us = draw_us(EmpiricalLatency(samples_us=[7, 7, 3]))
    assert set(np.unique(us).tolist()) == {3, 7}
    assert np.mean(us == 7) == pytest.approx(2 / 3, abs=0.01)


def test_mixture_weights_are_normalised_proportions() -> None:
    mixture = MixtureLatency(
        components=[
            MixtureComponent(weight=3, latency=UniformLatency(low_us=0, high_us=10)),
            MixtureComponent(weight=1, latency=UniformLatency(low_us=1_000, high_us=2_000)),
        ]
    )
    us = draw_us(mixture)
    low = us[us < 500]
    high = us[us >= 500]
    assert low.size / N == pytest.approx(0.75, abs=0.01)
    # Each draw comes wholly from one component.
    assert low.max() <= 10
    assert high.min() >= 1_000
    assert low.mean() == pytest.approx(5, rel=0.01)
    assert high.mean() == pytest.approx(1_500, rel=0.01)


def test_mixture_spikes() -> None:
    us = draw_us(SPIKY)
    spikes = us[us > 50_000]
    assert spikes.size / N == pytest.approx(0.01, abs=0.002)
    assert np.median(spikes) == pytest.approx(200_000, rel=0.03)
    assert us[us <= 50_000].mean() == pytest.approx(5_000, rel=0.002)


def test_single_component_mixture_matches_its_component() -> None:
    mixture = MixtureLatency(
        components=[MixtureComponent(weight=0.2, latency=ExponentialLatency(mean_us=10))]
    )
    assert draw_us(mixture).mean() == pytest.approx(10, rel=0.01)


# --- determinism and streams -----------------------------------------------------------------


@pytest.mark.parametrize("latency", EXAMPLES, ids=example_id)
def test_same_seed_same_draws(latency: Latency) -> None:
    first = latency.sample_ns(np.random.default_rng(SEED), 10_000)
    again = latency.sample_ns(np.random.default_rng(SEED), 10_000)
    assert first.dtype == np.int64
    np.testing.assert_array_equal(first, again)
    if latency.kind != "constant":
        other = latency.sample_ns(np.random.default_rng(SEED + 1), 10_000)
        assert not np.array_equal(first, other)


@pytest.mark.parametrize("latency", EXAMPLES, ids=example_id)
def test_zero_draws(latency: Latency) -> None:
    ns = latency.sample_ns(np.random.default_rng(SEED), 0)
    assert ns.shape == (0,)
    assert ns.dtype == np.int64


@pytest.mark.parametrize("latency", EXAMPLES, ids=example_id)
def test_stream_is_blocks_of_sample_ns(latency: Latency) -> None:
    count = 2 * BLOCK + 10
    stream = latency.stream(np.random.default_rng(SEED))
    values = [stream.next() for _ in range(count)]
    assert all(type(value) is int for value in values)
    rng = np.random.default_rng(SEED)
    blocks = [latency.sample_ns(rng, BLOCK) for _ in range(3)]
    assert values == np.concatenate(blocks)[:count].tolist()


@pytest.mark.parametrize(
    ("stream", "kind", "draw"),
    [
        (IntDraws, int, lambda rng, n: rng.integers(-(2**62), 2**62, n)),
        (Draws, float, lambda rng, n: rng.random(n)),
    ],
)
def test_draws_hand_out_their_blocks_in_order(stream: Any, kind: type, draw: Any) -> None:
    rng = np.random.default_rng(SEED)
    draws = stream(lambda n: draw(rng, n))
    count = 2 * BLOCK + 10
    got = [draws.next() for _ in range(count)]
    assert all(type(value) is kind for value in got)
    again = np.random.default_rng(SEED)
    blocks = np.concatenate([draw(again, BLOCK) for _ in range(3)])
    assert got == blocks[:count].tolist()
    assert len(set(got)) == count  # blocks follow one another, none repeated


def test_stream_sequence_ignores_interleaving() -> None:
    latency = ExponentialLatency(mean_us=10)
    alone = latency.stream(np.random.default_rng(SEED))
    expected = [alone.next() for _ in range(3 * BLOCK)]
    # Same seed, but calls interleaved with another stream on the same distribution.
    stream, other = (
        latency.stream(np.random.default_rng(SEED)),
        latency.stream(np.random.default_rng(SEED + 1)),
    )
    got = []
    for i in range(3 * BLOCK):
        got.append(stream.next())
        for _ in range(i % 3):
            other.next()
    assert got == expected
    assert latency.stream(np.random.default_rng(SEED + 1)).next() != expected[0]


def test_stream_follows_the_distribution() -> None:
    stream = ExponentialLatency(mean_us=10, offset_us=3).stream(np.random.default_rng(SEED))
    us = np.array([stream.next() for _ in range(N)]) / 1000.0
    assert us.min() >= 3
    assert us.mean() == pytest.approx(13, rel=0.01)
    assert us.std() == pytest.approx(10, rel=0.02)


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "kwargs", "loc", "problem"),
    [
        (ConstantLatency, {"value_us": -1}, "value_us", "greater than or equal to 0"),
        (ConstantLatency, {"value_us": math.inf}, "value_us", "finite number"),
        (ConstantLatency, {"value_us": math.nan}, "value_us", "finite number"),
        (ConstantLatency, {"value_us": 1, "valu_us": 2}, "valu_us", "Extra inputs"),
        (UniformLatency, {"low_us": -1, "high_us": 1}, "low_us", "greater than or equal to 0"),
        (UniformLatency, {"low_us": 5, "high_us": 1}, "high_us", "must be >= low_us (5.0)"),
        (NormalLatency, {"mean_us": 5, "std_us": -1}, "std_us", "greater than or equal to 0"),
        (NormalLatency, {"mean_us": -1, "std_us": 1}, "mean_us", "greater than or equal to 0"),
        (LogNormalLatency, {"median_us": 0, "sigma": 1}, "median_us", "greater than 0"),
        (LogNormalLatency, {"median_us": 1, "sigma": -0.1}, "sigma", "greater than or equal"),
        (ExponentialLatency, {"mean_us": 0}, "mean_us", "greater than 0"),
        (ExponentialLatency, {"mean_us": 1, "offset_us": -1}, "offset_us", "greater than or"),
        (EmpiricalLatency, {"samples_us": []}, "samples_us", "at least 1 item"),
        (EmpiricalLatency, {"samples_us": [1, -2]}, "samples_us.1", "greater than or equal"),
        (MixtureLatency, {"components": []}, "components", "at least 1 item"),
        (
            MixtureLatency,
            {"components": [{"weight": 0, "latency": {"kind": "constant", "value_us": 1}}]},
            "components.0.weight",
            "greater than 0",
        ),
        (
            MixtureLatency,
            {"components": [{"weight": 1, "latency": {"kind": "mixture", "components": []}}]},
            "components.0.latency",
            "does not match any of the expected tags",
        ),
    ],
)
def test_bad_parameters_are_rejected_naming_the_field(
    model: type[BaseModel], kwargs: dict[str, Any], loc: str, problem: str
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        model.model_validate(kwargs)
    message = str(excinfo.value)
    # pydantic puts the failing field's location on a line of its own, then the problem.
    assert f"\n{loc}\n" in message
    assert problem in message


def test_unknown_kind_is_rejected_naming_the_field() -> None:
    with pytest.raises(ValidationError) as excinfo:
        VenueConfig.model_validate({"submit_ack": {"kind": "gamma", "shape": 2}})
    message = str(excinfo.value)
    assert "\nsubmit_ack\n" in message
    assert "'kind'" in message
    assert "'gamma'" in message


def test_models_are_frozen() -> None:
    latency = ConstantLatency(value_us=5)
    with pytest.raises(ValidationError, match="frozen"):
        latency.value_us = 6


def test_equal_parameters_make_equal_models() -> None:
    assert EmpiricalLatency(samples_us=[1, 2]) == EmpiricalLatency(samples_us=[1, 2])
    assert EmpiricalLatency(samples_us=[1, 2]) != EmpiricalLatency(samples_us=[2, 1])


# --- config ----------------------------------------------------------------------------------

CONFIG_TOML = """
[constant]
submit_ack = { kind = "constant", value_us = 5 }
[uniform]
submit_ack = { kind = "uniform", low_us = 100, high_us = 300 }
[normal]
submit_ack = { kind = "normal", mean_us = 1, std_us = 2 }
[lognormal]
submit_ack = { kind = "lognormal", median_us = 5000, sigma = 0.5 }
[exponential]
submit_ack = { kind = "exponential", mean_us = 10, offset_us = 3 }
[empirical]
submit_ack = { kind = "empirical", samples_us = [1, 2.5, 40, 1000] }
[mixture]
submit_ack = { kind = "mixture", components = [
    { weight = 99, latency = { kind = "normal", mean_us = 5000, std_us = 500 } },
    { weight = 1, latency = { kind = "lognormal", median_us = 200000, sigma = 0.3 } },
] }
"""


@pytest.mark.parametrize("expected", EXAMPLES, ids=example_id)
def test_config_parses_each_kind_from_toml(expected: Latency) -> None:
    table = tomllib.loads(CONFIG_TOML)[expected.kind]
    parsed = VenueConfig.model_validate(table).submit_ack
    assert type(parsed) is type(expected)
    assert parsed == expected
