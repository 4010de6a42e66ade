"""Latency distributions for simulated venues.

Parameters are in microseconds (floats: latencies are measurements, not money); draws come
out as int64 nanoseconds so they add straight onto the simulator's integer clock. Every
model is a frozen pydantic model tagged by `kind`, so a config can declare a field as
`Latency` and parse any distribution from a plain dict, as TOML gives it:

    submit_ack = { kind = "lognormal", median_us = 5000, sigma = 0.4 }

`sample_ns(rng, n)` is vectorised and deterministic in the generator's state.
`stream(rng)` serves single draws cheaply from blocks, for the event loop's hot path.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator

from polyedge.randomness import IntDraws

__all__ = [
    "ConstantLatency",
    "EmpiricalLatency",
    "ExponentialLatency",
    "Latency",
    "LogNormalLatency",
    "MixtureComponent",
    "MixtureLatency",
    "NormalLatency",
    "UniformLatency",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_NS_PER_US = 1000.0
# The largest float64 that still fits in int64. A heavy tail must saturate here rather than
# wrap round to a negative latency in the cast.
_MAX_NS = float(np.nextafter(2.0**63, 0.0))


class _Distribution(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @abstractmethod
    def _draw_us(self, rng: np.random.Generator, n: int) -> FloatArray:
        """n non-negative draws in microseconds."""

    def sample_ns(self, rng: np.random.Generator, n: int) -> IntArray:
        """n latencies in integer nanoseconds, rounded half to even."""
        ns = np.rint(self._draw_us(rng, n) * _NS_PER_US)
        return np.minimum(ns, _MAX_NS).astype(np.int64)

    def stream(self, rng: np.random.Generator) -> IntDraws:
        """Single latencies (int ns) from blocks of sample_ns; `rng` must be the stream's own."""
        return IntDraws(lambda n: self.sample_ns(rng, n))


class ConstantLatency(_Distribution):
    kind: Literal["constant"] = "constant"
    value_us: float = Field(ge=0)

    def _draw_us(self, rng: np.random.Generator, n: int) -> FloatArray:
        return np.full(n, self.value_us)


class UniformLatency(_Distribution):
    kind: Literal["uniform"] = "uniform"
    low_us: float = Field(ge=0)
    high_us: float

    @field_validator("high_us")
    @classmethod
    def _high_not_below_low(cls, high_us: float, info: ValidationInfo) -> float:
        low_us = info.data.get("low_us")  # absent if low_us itself failed validation
        if low_us is not None and high_us < low_us:
            raise ValueError(f"high_us ({high_us}) must be >= low_us ({low_us})")
        return high_us

    def _draw_us(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.uniform(self.low_us, self.high_us, n)


class NormalLatency(_Distribution):
    """A normal truncated at zero: mean_us and std_us are those of the untruncated normal."""

    kind: Literal["normal"] = "normal"
    # A negative mean would let most draws be rejected (all of them when std_us is 0), so
    # rejection sampling could stall; with mean_us >= 0 at least half of all draws are kept.
    mean_us: float = Field(ge=0)
    std_us: float = Field(ge=0)

    def _draw_us(self, rng: np.random.Generator, n: int) -> FloatArray:
        out = rng.normal(self.mean_us, self.std_us, n)
        # Redraw negatives instead of clipping them: clipping would pile their mass onto zero
        # and give a different distribution from the truncated normal.
        negative = np.flatnonzero(out < 0)
        while negative.size:
            redraw = rng.normal(self.mean_us, self.std_us, negative.size)
            out[negative] = redraw
            negative = negative[redraw < 0]
        return out


class LogNormalLatency(_Distribution):
    """exp(N(ln(median_us), sigma)): a right-skewed latency with the given median."""

    kind: Literal["lognormal"] = "lognormal"
    median_us: float = Field(gt=0)
    sigma: float = Field(ge=0)

    def _draw_us(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.lognormal(math.log(self.median_us), self.sigma, n)


class ExponentialLatency(_Distribution):
    """offset_us plus an exponential with mean mean_us."""

    kind: Literal["exponential"] = "exponential"
    mean_us: float = Field(gt=0)
    offset_us: float = Field(default=0.0, ge=0)

    def _draw_us(self, rng: np.random.Generator, n: int) -> FloatArray:
        return self.offset_us + rng.exponential(self.mean_us, n)


class EmpiricalLatency(_Distribution):
    """Observed latencies, resampled uniformly with replacement."""

    kind: Literal["empirical"] = "empirical"
    samples_us: list[Annotated[float, Field(ge=0)]] = Field(min_length=1)
    # The samples as packed float64, so a draw need not convert a long list each time. Bytes,
    # not an ndarray, because pydantic compares private attributes in ==, and ndarrays
    # compare elementwise.
    _packed: bytes = PrivateAttr()

    def model_post_init(self, context: Any, /) -> None:
        self._packed = np.asarray(self.samples_us, dtype=np.float64).tobytes()

    def _draw_us(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.choice(np.frombuffer(self._packed, dtype=np.float64), n)


_SimpleLatency = Annotated[
    ConstantLatency
    | UniformLatency
    | NormalLatency
    | LogNormalLatency
    | ExponentialLatency
    | EmpiricalLatency,
    Field(discriminator="kind"),
]


class MixtureComponent(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    weight: float = Field(gt=0)
    latency: _SimpleLatency


class MixtureLatency(_Distribution):
    """Each draw comes from a component picked with probability proportional to its weight."""

    kind: Literal["mixture"] = "mixture"
    components: list[MixtureComponent] = Field(min_length=1)

    def _draw_us(self, rng: np.random.Generator, n: int) -> FloatArray:
        weights = np.array([component.weight for component in self.components])
        which = rng.choice(len(weights), n, p=weights / weights.sum())
        out = np.empty(n)
        # One vectorised draw per component, scattered to the positions that picked it.
        for index, component in enumerate(self.components):
            picked = which == index
            out[picked] = component.latency._draw_us(rng, int(np.count_nonzero(picked)))
        return out


Latency = Annotated[
    ConstantLatency
    | UniformLatency
    | NormalLatency
    | LogNormalLatency
    | ExponentialLatency
    | EmpiricalLatency
    | MixtureLatency,
    Field(discriminator="kind"),
]
