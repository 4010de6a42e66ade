"""TestConfig: defaults, TOML loading, exact amounts, overrides and clear errors."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from polyedge.config import (
    ConfigError,
    IntentMix,
    MarketConfig,
    TestConfig,
    VenueConfig,
)
from polyedge.types import Venue


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


def test_defaults_are_a_two_venue_scenario() -> None:
    config = TestConfig()
    assert {m.venue for m in config.markets} == {Venue.POLYMARKET, Venue.KALSHI}
    assert set(config.venue_configs()) == {Venue.POLYMARKET, Venue.KALSHI}
    assert config.intents == 100_000 and config.mode == "virtual"


def test_example_is_the_default_scenario() -> None:
    text = resources.files("polyedge").joinpath("example.toml").read_text()
    path = Path(str(resources.files("polyedge").joinpath("example.toml")))
    example, default = TestConfig.load(path), TestConfig()
    assert "#" in text  # it is commented
    assert example.venue_configs() == default.venue_configs()
    assert example.model_dump(exclude={"venues"}) == default.model_dump(exclude={"venues"})


def test_toml_numbers_are_exact(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[markets]]
venue = "polymarket"
market_id = "m"
tick_size = 0.001
fair_price = 0.123
min_size = 5

[mix]
arbitrage = 0
""",
    )
    market = TestConfig.load(path).markets[0]
    assert (market.tick_size, market.fair_price, market.min_size) == (1_000, 123_000, 5_000_000)


def test_a_python_float_amount_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match=r"fair_price=0.5 is a float"):
        MarketConfig(venue="kalshi", market_id="m", fair_price=0.5)  # type: ignore[arg-type]


def test_dump_and_validate_round_trip() -> None:
    config = TestConfig(seed=7, mix=IntentMix(max_size="12.5"))  # type: ignore[arg-type]
    assert TestConfig.model_validate_json(config.model_dump_json()) == config


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("intents = 0", "intents: Input should be greater than or equal to 1"),
        ("seed = -1", "seed: Input should be greater than or equal to 0"),
        ("mode = 'fast'", "mode: Input should be 'virtual' or 'realtime'"),
        ("intents = 5\nduration_s = 5", "give exactly one of intents and duration_s"),
        ("intents = 1_000_000_000_000_000_000_000", "intents: Input should be less than or"),
        ("[mix]\nmax_size = -5", "mix.max_size: Input should be greater than 0"),
        ("[mix]\nmax_size = 0", "mix.max_size: Input should be greater than 0"),
        ("colour = 'red'", "colour: Extra inputs are not permitted"),
        (
            "[[venues]]\nvenue = 'kalshi'\nqueue_capacity = 1000",
            "venues.0.queue_capacity: must be a power of two, got 1000",
        ),
        ("[[markets]]\nvenue = 'binance'\nmarket_id = 'x'", "markets.0.venue: Input should be"),
        (
            "[[markets]]\nvenue = 'kalshi'\nmarket_id = 'x'\nfair_price = 1.5",
            "fair_price 1.5 is outside",
        ),
        (
            "[[markets]]\nvenue = 'kalshi'\nmarket_id = 'x'\ntick_size = 0.003",
            "tick_size 0.003 must divide 1",
        ),
        ("[[markets]]\nvenue = 'kalshi'\nmarket_id = 'x'", "mix.arbitrage needs at least one pair"),
        (
            "[[markets]]\nvenue = 'kalshi'\nmarket_id = 'x'\ntwin = 'y'\n[mix]\narbitrage = 0",
            "twin 'y' must be a market on another venue",
        ),
        ("[venues.latency]", "venues: Input should be a valid list"),
        (
            "[[venues]]\nvenue = 'kalshi'\n[venues.latency]\n"
            "fill = { kind = 'normal', mean_us = -1, std_us = 1 }",
            "venues.0.latency.fill.normal.mean_us",
        ),
        ("intents = ", "is not valid TOML"),
    ],
)
def test_bad_config_names_the_field(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ConfigError) as error:
        TestConfig.load(write(tmp_path, text))
    assert words in str(error.value)
    assert str(error.value).startswith(f"invalid {tmp_path}") or "TOML" in str(error.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read config .*: No such file"):
        TestConfig.load(tmp_path / "nope.toml")


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes("# caf\xe9\nintents = 10\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1.toml is not valid TOML: not UTF-8 text"):
        TestConfig.load(path)


def test_a_duration_alone_replaces_the_default_count(tmp_path: Path) -> None:
    config = TestConfig.load(write(tmp_path, "duration_s = 2\n"), intents=None, duration_s=None)
    assert (config.intents, config.duration_s) == (None, 2)
    counted = TestConfig.load(write(tmp_path, "duration_s = 2\n"), intents=50)
    assert (counted.intents, counted.duration_s) == (50, None)


def test_overrides_beat_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "intents = 10\nseed = 3\n")
    config = TestConfig.load(path, seed=9, mode="realtime", intents=None)
    assert (config.intents, config.seed, config.mode) == (10, 9, "realtime")
    by_duration = TestConfig.load(path, duration_s=2.5)
    assert (by_duration.intents, by_duration.duration_s) == (None, 2.5)


def test_each_venue_once_and_defaults_filled_in() -> None:
    with pytest.raises(ValidationError, match="each venue may be configured once"):
        TestConfig(venues=[VenueConfig(venue="kalshi"), VenueConfig(venue="kalshi")])  # type: ignore[arg-type]
    configs = TestConfig(venues=[VenueConfig(venue="kalshi", queue_capacity=8)]).venue_configs()  # type: ignore[arg-type]
    assert configs[Venue.KALSHI].queue_capacity == 8
    assert configs[Venue.POLYMARKET] == VenueConfig(venue=Venue.POLYMARKET)


def test_mix_needs_some_weight() -> None:
    zero: dict[str, Any] = {k: 0 for k in ("gtc", "gtd", "fok", "fak", "cancel", "arbitrage")}
    with pytest.raises(ValidationError, match="at least one intent kind"):
        IntentMix(**zero)
