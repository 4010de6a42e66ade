"""Run configuration: TestConfig and its parts, from TOML, CLI flags or Python.

Amounts (prices, sizes, rates) are exact: written as strings or TOML numbers (parsed as
Decimal, never binary floats) and held as ints of micro-units. A Python float handed to
an amount field is refused. Latencies and probabilities may be floats.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from polyedge.errors import PolyedgeError
from polyedge.fixedpoint import SCALE, Rounding, to_str, to_units
from polyedge.types import FeeProfile, Market, Venue
from polyedge.venues.amounts import POLYMARKET_TAKER_RATES, KalshiPriceStructure
from polyedge.venues.latency import Latency, LogNormalLatency
from polyedge.venues.profiles import DEFAULT_RULES, Rule

# Far beyond any run (a year at a million intents a second), and far inside the 64-bit
# counters the engine keeps.
MAX_INTENTS = 10**12
MAX_DURATION_S = 10**9


class ConfigError(PolyedgeError, ValueError):
    """A configuration that cannot be used; the message names each bad field."""


def _amount(value: Any, info: ValidationInfo) -> int:
    try:
        return to_units(value, name=info.field_name or "value")
    except (TypeError, PolyedgeError) as exc:
        raise ValueError(str(exc)) from None


# An exact amount: "0.01", Decimal("0.01") or 5 (five whole units) in; int units held;
# written back out as a decimal string so a dumped config validates to the same value.
Amount = Annotated[int, BeforeValidator(_amount), PlainSerializer(to_str, return_type=str)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class _Model(BaseModel):
    # Defaults are written in exact units already (to_units), so they are not re-parsed.
    model_config = ConfigDict(extra="forbid", frozen=True)


class FeeConfig(_Model):
    """fee = size * rate * (p * (1 - p)) ** exponent, rounded to a multiple of quantum."""

    taker_rate: Amount
    maker_rate: Amount = 0
    exponent: Literal[1, 2] = 1
    quantum: Amount
    rounding: Literal["floor", "ceil", "half_even", "toward_zero"] = "half_even"

    def profile(self) -> FeeProfile:
        return FeeProfile(
            taker_rate=self.taker_rate,
            maker_rate=self.maker_rate,
            exponent=self.exponent,
            quantum=self.quantum,
            rounding=Rounding[self.rounding.upper()],
        )


class TickChange(_Model):
    """The venue changes a market's tick size during the run (Polymarket does, near 0 and 1)."""

    at_s: float = Field(ge=0, description="simulated seconds into the run")
    tick_size: Amount


class BookConfig(_Model):
    """Synthetic liquidity around the fair price, and the flow that trades against it."""

    levels: int = Field(default=5, ge=1, le=100, description="price levels quoted on each side")
    flow_per_s: Amount = Field(
        default=to_units(200), description="mean size other traders take at each touch per second"
    )


class MarketConfig(_Model):
    """One simulated market; tick, minimum size, size step and fees default to its venue's.

    `liquidity = "book"` (the default) gives the market a limit order book with price-time
    priority; `"touch"` is the statistical model: orders through the touch fill there up
    to a random depth, resting orders fill later at random (faster, no queue).
    """

    venue: Venue
    market_id: str = Field(min_length=1)
    tick_size: Amount | None = None
    min_size: Amount | None = None
    size_step: Amount | None = None
    fees: FeeConfig | None = None
    fair_price: Amount = Field(default=to_units("0.50"), description="starting fair price of YES")
    volatility: Amount = Field(
        default=to_units("0.02"), description="fair-price std per sqrt(second)"
    )
    spread: Amount = Field(
        default=to_units("0.02"), description="quoted spread around the fair price"
    )
    depth: Amount = Field(default=to_units(200), description="mean size at the top of the book")
    twin: str | None = Field(default=None, description="the same event's market on another venue")
    liquidity: Literal["book", "touch"] = "book"
    book: BookConfig = Field(default_factory=BookConfig)
    tick_changes: list[TickChange] = Field(default_factory=list)
    category: str | None = Field(
        default=None,
        description="a Polymarket market's category (crypto, sports, politics, ...): its "
        "default taker rate",
    )
    price_structure: KalshiPriceStructure | None = Field(
        default=None,
        description="Kalshi's price grid: linear_cent, tapered_deci_cent or deci_cent; "
        "the market's tick becomes the grid's finest step",
    )
    close_at_s: float | None = Field(
        default=None, gt=0, description="trading stops: resting orders cancelled, new rejected"
    )
    resolution: Literal["yes", "no", "void", "fair"] | None = Field(
        default=None,
        description="how the market resolves at close; fair: YES with the fair price's odds",
    )

    def market(self, rules: VenueRules | None = None) -> Market:
        """The domain Market, with the venue's rules filled in and validated."""
        rules = rules or VenueRules.default(self.venue)
        tick = rules.tick_size if self.tick_size is None else self.tick_size
        return Market(
            venue=self.venue,
            market_id=self.market_id,
            tick_size=self.price_structure.min_tick if self.price_structure else tick,
            min_size=rules.min_size if self.min_size is None else self.min_size,
            size_step=rules.size_step if self.size_step is None else self.size_step,
            fees=self._fees(rules).profile(),
            gtd_threshold=rules.gtd_threshold_s * 1_000_000_000,
        )

    def _fees(self, rules: VenueRules) -> FeeConfig:
        if self.fees is not None or self.category is None:
            return self.fees or rules.fees
        return rules.fees.model_copy(update={"taker_rate": POLYMARKET_TAKER_RATES[self.category]})

    def ticks(self, market: Market) -> list[int]:
        """Every tick size the market has during the run, the first one first."""
        return [market.tick_size, *(change.tick_size for change in self.tick_changes)]

    @model_validator(mode="after")
    def _valid_market(self) -> Self:
        for change in self.tick_changes:
            Market(self.venue, self.market_id, change.tick_size, SCALE)
        times = [change.at_s for change in self.tick_changes]
        if times != sorted(times):
            raise ValueError("tick_changes must be in time order")
        if self.category is not None and (
            self.venue is not Venue.POLYMARKET or self.category not in POLYMARKET_TAKER_RATES
        ):
            known = ", ".join(POLYMARKET_TAKER_RATES)
            raise ValueError(f"category is a Polymarket market's, one of: {known}")
        if self.category is not None and self.fees is not None:
            raise ValueError("give fees or a category, not both")
        if self.price_structure is not None and self.venue is not Venue.KALSHI:
            raise ValueError("price_structure is a Kalshi market's; give tick_size elsewhere")
        if self.price_structure is not None and (self.tick_size or self.tick_changes):
            raise ValueError("a price_structure sets the tick: drop tick_size and tick_changes")
        if self.resolution is not None and self.close_at_s is None:
            raise ValueError("a resolution needs close_at_s: markets resolve when they close")
        return self


def _default_latency(median_ms: float) -> LogNormalLatency:
    return LogNormalLatency(kind="lognormal", median_us=median_ms * 1000, sigma=0.4)


class LatencyConfig(_Model):
    """Latency per message kind, from request to the venue's answer."""

    submit_ack: Latency = Field(default_factory=lambda: _default_latency(20))
    fill: Latency = Field(default_factory=lambda: _default_latency(5))
    cancel_ack: Latency = Field(default_factory=lambda: _default_latency(20))


class ResponseModel(_Model):
    """How the simulated venue answers orders that pass its rules."""

    reject_rate: Probability = 0.02
    resting_fill_rate: Probability = Field(
        default=0.6, description="share of resting orders the market later trades through"
    )
    resting_fill_mean_s: float = Field(default=2.0, gt=0, description="mean wait for that")
    partial_fill_rate: Probability = Field(
        default=0.3, description="share of fills that arrive in several parts"
    )
    max_fill_parts: int = Field(default=3, ge=1, le=100)


class RateLimit(_Model):
    """A token bucket: `burst` orders at once, refilled at `per_second`.

    The venues' own limits (../shared/venue-rules.md): Polymarket POST order 3,500 per
    10 s burst and 36,000 per 10 minutes (burst 3500, per_second 60); Kalshi writes per
    second by tier, Basic 10 (burst 10, per_second 10) up to Prime 400.
    """

    per_second: int = Field(gt=0)
    burst: int = Field(gt=0)


class VenueRules(_Model):
    """A venue's rules and reject codes; defaults per venue in venues.profiles.DEFAULT_RULES.

    In a configuration, give only what differs: the rest (and every code not named) keeps
    the venue's default.
    """

    tick_size: Amount
    min_size: Amount
    size_step: Amount
    min_marketable_buy: Amount = Field(description="smallest notional of a marketable BUY")
    fees: FeeConfig
    gtd_threshold_s: int = Field(ge=0, description="a GTD expiry must be this far ahead")
    codes: dict[Rule, Annotated[str, Field(min_length=1)]]
    random_reject_codes: tuple[Annotated[str, Field(min_length=1)], ...] = Field(min_length=1)
    self_trade_prevention: Literal["none", "taker_at_cross", "maker"] = Field(
        description="an order meeting one of ours resting in the book (book liquidity): none "
        "trades with it; taker_at_cross cancels the new order's rest there; maker cancels ours"
    )

    @classmethod
    def default(cls, venue: Venue) -> VenueRules:
        return cls.model_validate(DEFAULT_RULES[venue])

    @classmethod
    def merged(cls, venue: Venue, given: dict[str, Any]) -> dict[str, Any]:
        """`given` over the venue's defaults (codes merged code by code)."""
        merged = {**DEFAULT_RULES[venue], **given}
        for part in ("codes", "fees"):  # merged entry by entry; anything else pydantic reports
            if isinstance(given.get(part), dict):
                merged[part] = {**DEFAULT_RULES[venue][part], **given[part]}
        return merged

    @field_validator("codes")
    @classmethod
    def _every_rule(cls, codes: dict[Rule, str]) -> dict[Rule, str]:
        missing = [rule.value for rule in Rule if rule not in codes]
        if missing:
            raise ValueError(f"no reject code for {', '.join(missing)}")
        return codes

    def reject_codes(self) -> tuple[str, ...]:
        return (*self.codes.values(), *self.random_reject_codes)


class OutageWindow(_Model):
    """The venue is down from start_s to end_s (simulated seconds)."""

    start_s: float = Field(ge=0)
    end_s: float = Field(gt=0)
    mode: Literal["reject", "timeout"] = Field(
        default="reject", description="reject: answered with the outage code; timeout: no answer"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end_s <= self.start_s:
            raise ValueError("end_s must be after start_s")
        return self


class Disconnect(_Model):
    """The engine's connection drops at at_s for down_s: messages either way are held and
    delivered, in order, when it reconnects (as the engine's reconciliation fetches them)."""

    at_s: float = Field(ge=0)
    down_s: float = Field(gt=0)


class FaultConfig(_Model):
    """Faults the simulated venue injects, from its own seeded stream."""

    drop_ack_rate: Probability = Field(default=0.0, description="acks that never arrive")
    duplicate_fill_rate: Probability = Field(
        default=0.0, description="fills delivered twice (same trade id)"
    )
    reorder_rate: Probability = Field(
        default=0.0, description="acks delivered after the order's first fill"
    )
    outages: list[OutageWindow] = Field(default_factory=list)
    disconnects: list[Disconnect] = Field(default_factory=list)
    response_timeout_s: float = Field(
        default=5.0, gt=0, description="no answer by then: the engine asks for the order's status"
    )

    def any(self) -> bool:
        return bool(
            self.drop_ack_rate
            or self.duplicate_fill_rate
            or self.reorder_rate
            or self.outages
            or self.disconnects
        )


class VenueConfig(_Model):
    venue: Venue
    latency: LatencyConfig = Field(default_factory=LatencyConfig)
    responses: ResponseModel = Field(default_factory=ResponseModel)
    queue_capacity: int = Field(default=4096, description="lane queue size, a power of two")
    backpressure: Literal["wait", "reject"] = "wait"
    rate_limit: RateLimit | None = Field(
        default=None, description="off by default: the venues' limits would refuse most runs"
    )
    # Filled from the venue's defaults (and what is given) before validation.
    rules: VenueRules = Field(default=None, validate_default=True)
    faults: FaultConfig = Field(default_factory=FaultConfig)

    @model_validator(mode="before")
    @classmethod
    def _venue_rules(cls, data: Any) -> Any:
        """Fill `rules` from the venue's defaults, overridden by what is given."""
        if isinstance(data, dict) and not isinstance(data.get("rules"), VenueRules):
            try:
                venue = Venue(str(data.get("venue")))
            except (ValueError, PolyedgeError):
                return data  # the venue field reports it
            given = data.get("rules") or {}
            if isinstance(given, dict):
                data = {**data, "rules": VenueRules.merged(venue, given)}
        return data

    @field_validator("queue_capacity")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value < 1 or value & (value - 1):
            raise ValueError(f"must be a power of two, got {value}")
        return value


class IntentMix(_Model):
    """Relative weights of the kinds of intent generated, and how they are drawn."""

    gtc: float = Field(default=0.40, ge=0)
    gtd: float = Field(default=0.10, ge=0)
    fok: float = Field(default=0.10, ge=0)
    fak: float = Field(default=0.15, ge=0)
    cancel: float = Field(default=0.15, ge=0)
    arbitrage: float = Field(default=0.10, ge=0)
    marketable_rate: Probability = Field(default=0.5, description="share that cross the spread")
    post_only_rate: Probability = Field(default=0.05, description="share of GTC/GTD post-only")
    max_size: Amount = Field(default=to_units(100), gt=0, description="largest order size")
    gtd_lifetime_s: float = Field(default=5.0, gt=0)
    gtc_lifetime_s: float = Field(
        default=10.0, gt=0, description="the strategy cancels GTC orders still working by then"
    )

    @model_validator(mode="after")
    def _some_weight(self) -> Self:
        if not any(self.weights().values()):
            raise ValueError("at least one intent kind needs a positive weight")
        return self

    def weights(self) -> dict[str, float]:
        return {
            "gtc": self.gtc,
            "gtd": self.gtd,
            "fok": self.fok,
            "fak": self.fak,
            "cancel": self.cancel,
            "arbitrage": self.arbitrage,
        }


class UnwindPolicy(_Model):
    """How filled legs of a failed group are flattened."""

    mode: Literal["cross", "rest_then_cross"] = Field(
        default="cross",
        description="cross: sell at once with IOC; rest_then_cross: rest at the ask first",
    )
    max_slippage: Amount = Field(
        default=to_units("0.05"), description="worst price accepted, below the bid"
    )
    rest_s: float = Field(default=1.0, gt=0, description="rest_then_cross: how long to rest")
    attempts: int = Field(
        default=3, ge=1, le=100, description="IOC tries before what is left is residual"
    )


class ArbitrageConfig(_Model):
    """Multi-leg groups: how legs are sent, and what happens when one fails."""

    leg_time_in_force: Literal["FOK", "FAK", "GTC"] = "FOK"
    leg_timeout_s: float = Field(default=1.0, gt=0, description="a GTC leg unfilled by then fails")
    min_edge: Amount = Field(
        default=to_units("0.005"), description="per contract, after both venues' fees"
    )
    unwind: UnwindPolicy = Field(default_factory=UnwindPolicy)


def strategy_path(spec: str, base: Path) -> str:
    """A strategy spec with its file, if it names one ("bot.py:Bot"), made absolute from
    `base`: the run's stored config then finds it again, wherever it is resumed from."""
    where, colon, name = spec.rpartition(":")
    if not colon or not where.endswith(".py"):
        return spec
    return f"{(base / where).resolve()}:{name}"


class StrategyConfig(_Model):
    """A closed-loop strategy (polyedge.strategy): which one, its parameters, what it sees.

    A strategy run lasts until the strategy stops, or `duration_s` simulated seconds (a
    run sized by `intents` lasts `intents / arrival_rate` seconds: what the generator
    would take).
    """

    path: str | None = Field(
        default=None,
        description='"file.py:Class" or "module:Class" (the CLI\'s --strategy gives it too)',
    )
    params: dict[str, Any] = Field(
        default_factory=dict, description="keyword arguments of the strategy's constructor"
    )
    raw: bool = Field(
        default=False,
        description="deliver the venues' messages as sent (duplicates, late acks), unchecked",
    )
    book_interval_s: float = Field(
        default=0.1, gt=0, description="a market's book is published this often"
    )
    book_levels: int = Field(default=5, ge=1, le=100, description="levels a side, in a book")
    market_data: dict[Venue, Latency] = Field(
        default_factory=dict,
        description="latency of the book feed, by venue (default: lognormal, median 10 ms)",
    )

    def market_data_latency(self, venue: Venue) -> Latency:
        return self.market_data.get(venue) or _default_latency(10)


def _default_markets() -> list[MarketConfig]:
    return [
        MarketConfig(venue=Venue.POLYMARKET, market_id="pm-btc-100k", twin="KXBTC-100K"),
        MarketConfig(venue=Venue.KALSHI, market_id="KXBTC-100K", twin="pm-btc-100k"),
    ]


class ReplayConfig(_Model):
    """Recorded history to run against; polyedge.replay documents the columns. Relative
    paths in a TOML file are relative to that file."""

    orders: Path | None = Field(default=None, description="recorded orders: the run's intents")
    market_data: Path | None = Field(
        default=None, description="recorded quotes and trades: what the venues' books follow"
    )
    start: str | None = Field(
        default=None, description="ISO-8601 time both files count from (default: first row)"
    )

    def files(self) -> list[Path]:
        return [path for path in (self.orders, self.market_data) if path is not None]


class TestConfig(_Model):
    """Everything a run needs. `TestConfig()` is a ready two-venue scenario."""

    __test__ = False  # not a pytest test class, whatever its name

    markets: list[MarketConfig] = Field(default_factory=_default_markets, min_length=1)
    venues: list[VenueConfig] = Field(default_factory=list)
    mix: IntentMix = Field(default_factory=IntentMix)
    arbitrage: ArbitrageConfig = Field(default_factory=ArbitrageConfig)
    intents: int | None = Field(default=100_000, ge=1, le=MAX_INTENTS, description="how many")
    duration_s: float | None = Field(
        default=None, gt=0, le=MAX_DURATION_S, description="or: simulated seconds"
    )
    arrival_rate: float = Field(default=10_000, gt=0, description="intents per second")
    seed: int = Field(default=0, ge=0)
    mode: Literal["virtual", "realtime"] = "virtual"
    batch_size: int = Field(default=1024, ge=1, le=1 << 20)
    replay: ReplayConfig | None = None
    # Left out of the JSON when None: a run without a strategy is defined, and identified,
    # as it was before strategies existed.
    strategy: StrategyConfig | None = Field(default=None, exclude_if=lambda value: value is None)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.intents is None) == (self.duration_s is None):
            raise ValueError("give exactly one of intents and duration_s")
        ids = [m.market_id for m in self.markets]
        if len(set(ids)) != len(ids):
            raise ValueError(f"market ids must be unique: {ids}")
        venues = [v.venue for v in self.venues]
        if len(set(venues)) != len(venues):
            raise ValueError(f"each venue may be configured once: {[str(v) for v in venues]}")
        by_id = {m.market_id: m for m in self.markets}
        for m in self.markets:
            twin = by_id.get(m.twin) if m.twin else None
            if m.twin and (twin is None or twin.venue == m.venue or twin.twin != m.market_id):
                raise ValueError(
                    f"market {m.market_id}: twin {m.twin!r} must be a market on another venue "
                    "that names it back as its twin"
                )
        markets = self.build_markets()  # each market under its venue's rules as configured
        for m in self.markets:
            markets[m.market_id].check_price(m.fair_price, f"{m.market_id}: fair_price")
        generated = self.strategy is None  # a strategy sends the orders: no mix is drawn
        if generated and self.mix.arbitrage and not any(m.twin for m in self.markets):
            raise ValueError("mix.arbitrage needs at least one pair of twin markets")
        return self

    def venue_configs(self) -> dict[Venue, VenueConfig]:
        """A VenueConfig for every venue a market trades on (defaults where not given)."""
        given = {v.venue: v for v in self.venues}
        return {m.venue: given.get(m.venue) or VenueConfig(venue=m.venue) for m in self.markets}

    def build_markets(self) -> dict[str, Market]:
        """Every market by id, with its venue's rules (as configured) filled in."""
        venues = self.venue_configs()
        return {mc.market_id: mc.market(venues[mc.venue].rules) for mc in self.markets}

    @classmethod
    def load(cls, path: str | Path | None = None, **overrides: Any) -> TestConfig:
        """The config in TOML file `path` (or the defaults), with `overrides` applied."""
        data: dict[str, Any] = {}
        if path is not None:
            try:
                with open(path, "rb") as file:
                    data = tomllib.load(file, parse_float=Decimal)
            except OSError as exc:
                raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{path} is not valid TOML: {exc}") from None
            except UnicodeDecodeError as exc:
                raise ConfigError(
                    f"{path} is not valid TOML: not UTF-8 text (byte {exc.start})"
                ) from None
        replay = data.get("replay")
        if path is not None and isinstance(replay, dict):
            base = Path(path).parent
            for key in ("orders", "market_data"):
                if isinstance(replay.get(key), str):
                    replay[key] = str(base / replay[key])
        strategy = data.get("strategy")
        if (
            path is not None
            and isinstance(strategy, dict)
            and isinstance(strategy.get("path"), str)
        ):
            strategy["path"] = strategy_path(strategy["path"], Path(path).parent)
        given = {key: value for key, value in overrides.items() if value is not None}
        # A count or a duration given here replaces the file's; a duration alone replaces
        # the default count.
        if "intents" in given:
            data.pop("duration_s", None)
        if "duration_s" in given:
            data.pop("intents", None)
        data.update(given)
        if data.get("duration_s") is not None and "intents" not in data:
            data["intents"] = None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(describe(exc, source=str(path) if path else "config")) from None


def describe(error: ValidationError, source: str) -> str:
    """Where each problem is and what is wrong: on one line, or one line per problem."""
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        message = problem["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}")
    if len(problems) == 1:
        return f"invalid {source}: {problems[0]}"
    return "\n  ".join([f"invalid {source}:", *problems])
