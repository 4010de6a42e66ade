"""Fair prices and quotes of simulated markets, in whole ticks.

A market's fair YES price is a random walk in ticks, one step every STEP_NS of simulated
time, reflected inside [1, ticks - 1]. Every consumer (the intent generator, the venue)
walks its own copy from the same seed, so they see the same path without sharing state,
and memory stays flat however long the run. Time must not go backwards for one walk.
"""

from __future__ import annotations

import math

import numpy as np

from polyedge.config import MarketConfig
from polyedge.fixedpoint import SCALE
from polyedge.randomness import IntDraws, component_rng
from polyedge.types import Market, Outcome

# Members read on every order, bound once: on Python 3.11 reading a member off its
# Enum class costs ten times a global (EnumType.__getattr__ slows every class read).
_NO = Outcome.NO

STEP_NS = 100_000_000  # 100 ms of simulated time per step


class PriceWalk:
    __slots__ = ("_half_spread", "_max", "_step", "_steps", "_ticks", "tick")

    def __init__(self, config: MarketConfig, market: Market, seed: int) -> None:
        self.tick = market.tick_size
        self._max = SCALE // self.tick - 1  # highest price in ticks
        self._ticks = min(max(config.fair_price // self.tick, 1), self._max)
        self._half_spread = max(1, config.spread // self.tick // 2)
        # volatility is the std over one second; a step is STEP_NS of it (a probability
        # scale, not money: the steps themselves are whole ticks).
        sigma = config.volatility / self.tick * math.sqrt(STEP_NS / 1e9)
        rng = component_rng(seed, "price", market.market_id)
        self._steps = IntDraws(lambda n: np.rint(rng.normal(0.0, sigma, n)).astype(np.int64))
        self._step = 0

    def fair(self, time_ns: int) -> int:
        """The fair YES price in ticks at `time_ns`."""
        target = time_ns // STEP_NS
        ticks, top = self._ticks, self._max
        while self._step < target:
            ticks += self._steps.next()
            if ticks < 1:  # reflect off the price bounds
                ticks = min(2 - ticks, top)
            elif ticks > top:
                ticks = max(2 * top - ticks, 1)
            self._step += 1
        self._ticks = ticks
        return ticks

    def quote(self, time_ns: int, outcome: Outcome) -> tuple[int, int]:
        """Best bid and ask of `outcome` in ticks; a YES bid at x is a NO ask at 1 - x."""
        fair = self.fair(time_ns)
        bid = max(fair - self._half_spread, 1)
        ask = min(fair + self._half_spread, self._max)
        if outcome is _NO:
            bid, ask = self._max + 1 - ask, self._max + 1 - bid
        return bid, ask
