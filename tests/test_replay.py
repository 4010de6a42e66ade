"""File replay: recorded orders as intents, recorded market data as quotes."""

from __future__ import annotations

import asyncio
import bisect
import csv
import json
import re
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from polyedge.config import TestConfig
from polyedge.engine import DryTestingEngine
from polyedge.errors import InvalidValue, PolyedgeError
from polyedge.fixedpoint import to_units
from polyedge.intents import Timed
from polyedge.replay import MarketTape, Quote, ReplayError, read_market_data, read_orders
from polyedge.types import Cancel, Intent, Outcome, Side, TimeInForce

DATA = Path(__file__).parent / "data"
SAMPLE_ORDERS = DATA / "sample_orders.csv"
SAMPLE_MARKET = DATA / "sample_market.csv"
CONFIG = TestConfig(seed=1)
MARKETS = {mc.market_id: mc.market() for mc in CONFIG.markets}
PM, KX = MARKETS["pm-btc-100k"], MARKETS["KXBTC-100K"]
S = 1_000_000_000  # ns per second
U = to_units


def write(tmp_path: Path, text: str, name: str = "orders.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def orders(path: Path, **kwargs: Any) -> list[Timed]:
    return [item for batch in read_orders(path, MARKETS, **kwargs) for item in batch]


def fails_at(path: Path, line: int | None, column: int | None, message: str) -> Any:
    """pytest.raises for a ReplayError at `path`:`line`:`column` whose message has `message`."""
    where = f"{path}" if line is None else f"{path}:{line}:{column}"
    return pytest.raises(ReplayError, match=f"^{re.escape(where)}: .*{re.escape(message)}")


def quotes(text: str, tmp_path: Path) -> dict[str, MarketTape]:
    return read_market_data(write(tmp_path, text, "market.csv"), MARKETS)


# --- orders ------------------------------------------------------------------------------


def test_every_column_is_read_in_any_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "order_id,action,post_only,expires_in,time_in_force,size,price,outcome,side,market_id,time\n"
        "a,new,true,2.5,GTD,12.5,0.45,yes,buy,pm-btc-100k,1.25\n"
        " b , , FALSE ,,fok,3,0.61,NO,SELL,KXBTC-100K,2\n"
        "c,NEW,false,,ioc,7,0.3,no,buy,KXBTC-100K,2.000000001\n"
        "a,cancel,,,,,,,,,3\n",
    )
    assert orders(path) == [
        (
            S + S // 4,
            Intent(
                1,
                PM,
                Side.BUY,
                Outcome.YES,
                U("0.45"),
                U("12.5"),
                TimeInForce.GTD,
                expires_at=3 * S + 3 * S // 4,
                post_only=True,
            ),
        ),
        (2 * S, Intent(2, KX, Side.SELL, Outcome.NO, U("0.61"), U(3), TimeInForce.FOK)),
        (2 * S + 1, Intent(3, KX, Side.BUY, Outcome.NO, U("0.3"), U(7), TimeInForce.FAK)),
        (3 * S, Cancel(intent_id=4, target=1)),
    ]


def test_optional_columns_default(tmp_path: Path) -> None:
    absent = write(
        tmp_path, "time,market_id,side,outcome,price,size\n0,pm-btc-100k,buy,yes,0.5,5\n"
    )
    empty = write(
        tmp_path,
        "time,market_id,side,outcome,price,size,time_in_force,expires_in,post_only,order_id,action\n"
        "0,pm-btc-100k,buy,yes,0.5,5,,,,,\n",
        "empty.csv",
    )
    expected = [(0, Intent(1, PM, Side.BUY, Outcome.YES, U("0.5"), U(5)))]
    assert orders(absent) == orders(empty) == expected
    intent = expected[0][1]
    assert isinstance(intent, Intent)
    assert (intent.time_in_force, intent.expires_at, intent.post_only) == (
        TimeInForce.GTC,
        None,
        False,
    )


def test_cancels_map_the_recorders_ids_to_intent_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "time,market_id,side,outcome,price,size,order_id,action\n"
        "0,pm-btc-100k,buy,yes,0.5,5,x-1,new\n"
        "1,KXBTC-100K,buy,yes,0.5,5,y-2,\n"
        "2,,,,,,y-2,cancel\n"
        "3,pm-btc-100k,sell,no,0.4,5,,new\n"  # no id: it cannot be cancelled, nor clash
        "3,pm-btc-100k,sell,no,0.4,5,,new\n"
        "4,not-a-market,,,,,x-1,CANCEL\n"  # a cancel reads only time, order_id and action
        "5,,,,,,x-1,cancel\n",  # again: the engine refuses it as not working
    )
    items = orders(path)
    assert [item.intent_id for _, item in items] == [1, 2, 3, 4, 5, 6, 7]
    assert [(time, item) for time, item in items if isinstance(item, Cancel)] == [
        (2 * S, Cancel(intent_id=3, target=2)),
        (4 * S, Cancel(intent_id=6, target=1)),
        (5 * S, Cancel(intent_id=7, target=1)),
    ]


@pytest.mark.parametrize(
    ("cells", "start", "expected"),
    [
        (
            ["0", "0.000000001", "1.5", "1.5", "61.123456789"],
            None,
            [0, 1, 3 * S // 2, 3 * S // 2, 61_123_456_789],
        ),
        (["2", "2", "3.5"], None, [2 * S, 2 * S, 3 * S + S // 2]),  # not shifted to 0
        (
            [
                "2025-01-15T14:30:00Z",
                "2025-01-15T14:30:00.000000001Z",
                "2025-01-15 14:30:01.5+00:00",
                "2025-01-15T15:30:02+01:00",
                "2025-01-15T09:30:03.25-05:00",
            ],
            None,
            [0, 1, 3 * S // 2, 2 * S, 3 * S + S // 4],
        ),
        (
            ["2025-01-15T14:30:00Z", "2025-01-15T14:30:02.000000007Z"],
            "2025-01-15T14:29:59.5Z",
            [S // 2, 2 * S + S // 2 + 7],
        ),
    ],
    ids=["seconds", "seconds-kept", "iso-first-row-is-0", "iso-from-start"],
)
def test_times_become_exact_nanoseconds(
    tmp_path: Path, cells: list[str], start: str | None, expected: list[int]
) -> None:
    rows = "".join(f"{cell},pm-btc-100k,buy,yes,0.5,5\n" for cell in cells)
    path = write(tmp_path, "time,market_id,side,outcome,price,size\n" + rows)
    assert [time for time, _ in orders(path, start=start)] == expected


def test_batches_hold_batch_size_rows_in_file_order() -> None:
    batches = list(read_orders(SAMPLE_ORDERS, MARKETS, batch_size=5))
    assert [len(batch) for batch in batches] == [5] * 8 + [2]
    assert [item for batch in batches for item in batch] == orders(SAMPLE_ORDERS)
    with pytest.raises(InvalidValue, match="batch_size"):
        next(read_orders(SAMPLE_ORDERS, MARKETS, batch_size=0))


HEADER = "time,market_id,side,outcome,price,size,time_in_force,expires_in,post_only,order_id,action"
GOOD = {
    "time": "1",
    "market_id": "pm-btc-100k",
    "side": "buy",
    "outcome": "yes",
    "price": "0.5",
    "size": "10",
    "time_in_force": "",
    "expires_in": "",
    "post_only": "",
    "order_id": "first",
    "action": "",
}


def bad_row(**cells: str) -> str:
    """The header, a good row (line 2), then one with `cells` changed (line 3)."""
    row = {**GOOD, "order_id": "", **cells}
    return f"{HEADER}\n{','.join(GOOD.values())}\n{','.join(row.values())}\n"


ORDER_ERRORS = [
    # (file text, line, column, what the message says)
    (bad_row(market_id="pm-eth"), 3, 2, "unknown market_id 'pm-eth'; known: KXBTC-100K, pm-"),
    (bad_row(market_id=""), 3, 2, "market_id is empty"),
    (bad_row(price="abc"), 3, 5, "price='abc' is not a decimal number"),
    (bad_row(price="0.555"), 3, 5, "price 0.555 is not a multiple of the tick 0.01"),
    (bad_row(price="1"), 3, 5, "price 1 is outside"),
    (bad_row(price="0.5000001"), 3, 5, "price 0.5000001 has more than 6 decimals"),
    (bad_row(price="nan"), 3, 5, "not a finite number"),
    (bad_row(size="0"), 3, 6, "size 0 is not positive"),
    (bad_row(size="-5"), 3, 6, "size -5 is not positive"),
    (bad_row(size="ten"), 3, 6, "size='ten' is not a decimal number"),
    (bad_row(size=""), 3, 6, "size is empty"),
    (bad_row(time="0.5"), 3, 1, "time 0.5 is before the previous row's time"),
    (bad_row(time="abc"), 3, 1, "time 'abc' is neither seconds"),
    (bad_row(time="-1"), 3, 1, "time '-1' is neither seconds"),
    (bad_row(time="2.0000000001"), 3, 1, "time 2.0000000001 has more than 9 decimals"),
    (bad_row(time="2025-01-15T14:30:00Z"), 3, 1, "unlike the file's other times: seconds"),
    (bad_row(time="2025-01-15T14:30:00"), 3, 1, "neither seconds"),  # no UTC offset
    (bad_row(time=""), 3, 1, "time is empty"),
    (bad_row(side="hold"), 3, 3, "side 'hold' is not one of BUY, SELL"),
    (bad_row(outcome="maybe"), 3, 4, "outcome 'maybe' is not one of YES, NO"),
    (bad_row(time_in_force="DAY"), 3, 7, "time_in_force 'DAY' is not one of GTC, GTD, FOK"),
    (bad_row(time_in_force="GTD"), 3, 7, "a GTD order needs expires_in"),
    (bad_row(expires_in="5"), 3, 8, "expires_in is for GTD orders, not GTC"),
    (bad_row(time_in_force="gtd", expires_in="0"), 3, 8, "expires_in 0 is not positive"),
    (bad_row(time_in_force="gtd", expires_in="soon"), 3, 8, "expires_in='soon' is not a dec"),
    (bad_row(post_only="yes"), 3, 9, "post_only 'yes' is not true or false"),
    (bad_row(post_only="true", time_in_force="FOK"), 3, 9, "post_only needs GTC or GTD, not FOK"),
    (bad_row(order_id="first"), 3, 10, "order_id 'first' was placed before"),
    (bad_row(order_id="ghost", action="cancel"), 3, 10, "cancels order_id 'ghost', not placed"),
    (bad_row(action="cancel"), 3, 11, "a cancel needs the order_id of the order it cancels"),
    (bad_row(action="modify"), 3, 11, "action 'modify' is not new or cancel"),
    (f"{HEADER}\n1,pm-btc-100k,buy\n", 2, 4, "has 3 cells, but the header names 11 columns"),
    (f"{HEADER},extra\n", 1, 12, "unknown column 'extra'; known columns: time, market_id"),
    ("time,market_id,side,outcome,pirce,size\n", 1, 5, "unknown column 'pirce'"),
    ("time,market_id,side,outcome,size\n", 1, 6, "missing column price"),
    ("time,time,market_id\n", 1, 2, "column 'time' appears twice"),
    ("\n\n", 1, 1, "is empty: expected a header line"),
]


@pytest.mark.parametrize(("text", "line", "column", "message"), ORDER_ERRORS)
def test_bad_orders_name_file_line_and_column(
    tmp_path: Path, text: str, line: int, column: int, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ReplayError) as caught:
        orders(path)
    error = caught.value
    assert str(error).startswith(f"{path}:{line}:{column}: ")
    assert message in str(error)
    assert (error.path, error.line, error.column) == (str(path), line, column)
    assert isinstance(error, PolyedgeError) and isinstance(error, ValueError)


def test_the_good_row_of_the_error_cases_is_good(tmp_path: Path) -> None:
    """So each error case fails on its bad row, not on the row before it."""
    assert len(orders(write(tmp_path, bad_row()))) == 2


@pytest.mark.parametrize(
    ("cells", "start", "message"),
    [
        (["1"], "2025-01-15T14:30:00Z", "unlike the file's other times: ISO-8601 times (start"),
        (["2025-01-15T14:29:59Z"], "2025-01-15T14:30:00Z", "is before start"),
        (["2025-01-15T14:30:00Z", "3"], None, "unlike the file's other times: ISO-8601 times"),
        (["2025-01-15T14:30:01Z", "2025-01-15T15:30:00+01:01"], None, "before the previous"),
    ],
)
def test_iso_time_errors(tmp_path: Path, cells: list[str], start: str | None, message: str) -> None:
    rows = "".join(f"{cell},pm-btc-100k,buy,yes,0.5,5\n" for cell in cells)
    path = write(tmp_path, "time,market_id,side,outcome,price,size\n" + rows)
    with fails_at(path, len(cells) + 1, 1, message):
        orders(path, start=start)


def test_csv_details_bom_crlf_quotes_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"\xef\xbb\xbftime,market_id,side,outcome,price,size\r\n\r\n"
        b'0,"pm-btc-100k", buy ,yes,"0.5",5\r\n'
    )
    assert orders(path) == [(0, Intent(1, PM, Side.BUY, Outcome.YES, U("0.5"), U(5)))]


@pytest.mark.parametrize(
    ("content", "line", "column", "message"),
    [
        (b"time,market_id,price\n0,pm-btc-100k,0.5\n1,pm-btc-100k,\xff\n", 3, 15, "not UTF-8"),
        (b"time,market_id,price\n0,pm-btc-100k," + b"9" * 200_000, 2, 1, "field limit"),
    ],
    ids=["not-utf-8", "huge-field"],
)
def test_unreadable_csv_names_the_line(
    tmp_path: Path, content: bytes, line: int, column: int, message: str
) -> None:
    path = tmp_path / "market.csv"
    path.write_bytes(content)
    with fails_at(path, line, column, message):
        read_market_data(path, MARKETS)


def test_a_bad_start_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidValue, match="start 'noon' is not an ISO-8601 time"):
        orders(SAMPLE_ORDERS, start="noon")
    missing = tmp_path / "nowhere.csv"
    with fails_at(missing, None, None, "cannot read it: No such file"):
        orders(missing)


# --- market data -------------------------------------------------------------------------

MARKET_HEADER = "time,market_id,bid,ask,bid_size,ask_size,price,size\n"


def test_a_tape_quotes_the_latest_row_at_or_before_a_time(tmp_path: Path) -> None:
    tapes = quotes(
        MARKET_HEADER + "1,pm-btc-100k,0.40,0.42,100,200.5,,\n"
        "2,KXBTC-100K,0.50,0.52,,,,\n"
        "3,pm-btc-100k,0.41,0.44,,50,,\n"
        "3,pm-btc-100k,0.43,0.45,7,8,,\n"  # the same time: the later row wins
        "5,pm-btc-100k,,,,,0.47,12\n",  # a trade: one tick either side
        tmp_path,
    )
    assert set(tapes) == {"pm-btc-100k", "KXBTC-100K"}
    first = Quote(U("0.40"), U("0.42"), U(100), U("200.5"))
    snapshot = Quote(U("0.43"), U("0.45"), U(7), U(8))
    trade = Quote(U("0.46"), U("0.48"), U(12), U(12))
    pm = tapes["pm-btc-100k"]
    assert pm.market_id == "pm-btc-100k"
    assert pm.quote(0) == first  # before the first row
    assert pm.quote(S) == first  # at it
    assert pm.quote(3 * S - 1) == first  # between rows
    assert pm.quote(3 * S) == snapshot
    assert pm.quote(5 * S - 1) == snapshot
    assert pm.quote(5 * S) == pm.quote(10**15) == trade
    assert tapes["KXBTC-100K"].quote(0) == Quote(U("0.50"), U("0.52"), 0, 0)  # sizes unknown
    with pytest.raises(InvalidValue, match="in time order"):
        pm.quote(4 * S)


def test_a_tape_follows_queries_that_skip_many_rows(tmp_path: Path) -> None:
    times = [t * 7 // 3 for t in range(0, 3000)]  # repeats and gaps
    rows = "".join(
        f"{t},pm-btc-100k,0.{10 + i % 80},0.{11 + i % 80},{i},{i + 1},,\n"
        for i, t in enumerate(times)
    )
    tape = quotes(MARKET_HEADER + rows, tmp_path)["pm-btc-100k"]
    for query in range(-5, 7200, 13):  # seconds; often past several rows at once
        expected = max(bisect.bisect_right(times, query) - 1, 0)
        assert tape.quote(query * S).bid_size == U(expected), query


@pytest.mark.parametrize(
    ("price", "bid", "ask"),
    [("0.01", "0.01", "0.02"), ("0.5", "0.49", "0.51"), ("0.99", "0.98", "0.99")],
)
def test_a_trade_quotes_one_tick_either_side_within_bounds(
    tmp_path: Path, price: str, bid: str, ask: str
) -> None:
    tape = quotes(f"time,market_id,price\n0,KXBTC-100K,{price}\n", tmp_path)["KXBTC-100K"]
    assert tape.quote(0) == Quote(U(bid), U(ask), 0, 0)


MARKET_ERRORS = [
    (MARKET_HEADER + "0,pm-btc-100k,0.5,0.5,,,,\n", 2, 4, "ask 0.5 is not above bid 0.5"),
    (MARKET_HEADER + "0,pm-btc-100k,0.5,0.52,,,0.51,\n", 2, 7, "price is set in a snapshot row"),
    (MARKET_HEADER + "0,pm-btc-100k,,,5,,0.51,\n", 2, 5, "bid_size is set in a trade row"),
    (MARKET_HEADER + "0,pm-btc-100k,,,,,,\n", 2, 3, "neither a snapshot (bid, ask) nor a trade"),
    (MARKET_HEADER + "0,pm-btc-100k,0.5,,,,,\n", 2, 4, "ask is empty"),
    (MARKET_HEADER + "0,pm-btc-100k,0.505,0.52,,,,\n", 2, 3, "bid 0.505 is not a multiple"),
    (MARKET_HEADER + "0,pm-btc-100k,0.5,0.52,-1,,,\n", 2, 5, "bid_size -1 is negative"),
    (MARKET_HEADER + "0,pm-btc-100k,,,,,0.5,x\n", 2, 8, "size='x' is not a decimal number"),
    (MARKET_HEADER + "0,pm-eth,0.5,0.52,,,,\n", 2, 2, "unknown market_id 'pm-eth'"),
    (MARKET_HEADER + "2,pm-btc-100k,0.5,0.52,,,,\n1,KXBTC-100K,,,,,0.5,\n", 3, 1, "before the"),
    ("time,market_id,size\n", 1, 4, "missing column bid, ask or price"),
    ("time,market_id,bid,price\n", 1, 5, "missing column ask"),
    ("time,bid,ask\n", 1, 4, "missing column market_id"),
]


@pytest.mark.parametrize(("text", "line", "column", "message"), MARKET_ERRORS)
def test_bad_market_data_names_file_line_and_column(
    tmp_path: Path, text: str, line: int, column: int, message: str
) -> None:
    path = write(tmp_path, text, "market.csv")
    with pytest.raises(ReplayError) as caught:
        read_market_data(path, MARKETS)
    assert str(caught.value).startswith(f"{path}:{line}:{column}: ")
    assert message in str(caught.value)


def test_a_trades_only_or_snapshots_only_file_is_fine(tmp_path: Path) -> None:
    trades = quotes("time,market_id,price\n0,pm-btc-100k,0.3\n", tmp_path)
    snapshots = quotes("market_id,ask,bid,time\npm-btc-100k,0.31,0.29,0\n", tmp_path)
    assert trades["pm-btc-100k"].quote(0) == snapshots["pm-btc-100k"].quote(0)


# --- the sample files --------------------------------------------------------------------


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE_ORDERS.open(newline="") as file:
        return list(csv.DictReader(file))


def test_the_sample_orders_load() -> None:
    rows, items = sample_rows(), orders(SAMPLE_ORDERS)
    assert len(items) == len(rows) == 42
    assert [item.intent_id for _, item in items] == list(range(1, 43))
    intents = [item for _, item in items if isinstance(item, Intent)]
    cancels = [item for _, item in items if isinstance(item, Cancel)]
    assert len(cancels) == 9 and len(intents) == 33
    assert {intent.market.market_id for intent in intents} == set(MARKETS)
    assert {intent.time_in_force for intent in intents} == set(TimeInForce)
    assert any(intent.post_only for intent in intents)
    assert all(cancel.target < cancel.intent_id for cancel in cancels)
    assert items[-1][0] == 59 * S + S // 2


def test_the_sample_market_data_loads() -> None:
    tapes = read_market_data(SAMPLE_MARKET, MARKETS)
    assert set(tapes) == set(MARKETS)
    pm, kx = tapes["pm-btc-100k"], tapes["KXBTC-100K"]
    assert pm.quote(0) == Quote(U("0.53"), U("0.55"), U(1200), U(800))
    assert pm.quote(2 * S + S // 2) == Quote(U("0.54"), U("0.56"), U(120), U(120))  # a trade
    assert kx.quote(60 * S) == Quote(U("0.55"), U("0.57"), U(115), U(85))  # the last row


def test_a_recorded_flow_runs_end_to_end() -> None:
    rows = sample_rows()
    cancels = sum(row["action"] == "cancel" for row in rows)
    placed = [row for row in rows if row["action"] != "cancel"]
    kinds = Counter(row["time_in_force"].lower().replace("ioc", "fak") for row in placed)
    source = read_orders(SAMPLE_ORDERS, MARKETS, batch_size=8)
    result = asyncio.run(DryTestingEngine(CONFIG, source=source).run())
    assert result.intents == len(rows)
    assert result.intents_by_kind == {**kinds, "cancel": cancels}
    assert result.orders == len(rows) - cancels == len(placed)
    assert sum(result.orders_by_state.values()) == result.orders
    assert "PENDING" not in result.orders_by_state
    assert result.illegal_transitions == 0
    assert result.simulated_seconds >= 59.5  # the last recorded order arrived at 59.5 s


# --- wired into runs ------------------------------------------------------------------


def replay_toml(tmp_path: Path, market: str = "sample_market.csv") -> Path:
    """A scenario in tmp_path replaying the samples by paths relative to it."""
    for name in ("sample_orders.csv", market):
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    path = tmp_path / "scenario.toml"
    path.write_text(f'seed = 1\n[replay]\norders = "sample_orders.csv"\nmarket_data = "{market}"\n')
    return path


def test_a_config_replays_files_relative_to_it(tmp_path: Path) -> None:
    config = TestConfig.load(replay_toml(tmp_path))
    assert config.replay is not None and config.replay.orders == tmp_path / "sample_orders.csv"
    result = asyncio.run(DryTestingEngine(config).run())
    assert result.intents == len(sample_rows())
    assert result.illegal_transitions == 0


def test_other_recordings_under_the_same_config_are_another_run(tmp_path: Path) -> None:
    first = tmp_path / "a"
    second = tmp_path / "b"
    first.mkdir()
    second.mkdir()
    a = asyncio.run(DryTestingEngine(TestConfig.load(replay_toml(first))).run())
    path = replay_toml(second)
    market = second / "sample_market.csv"
    market.write_text(market.read_text().replace("0.53,0.55,1200,800", "0.52,0.55,1200,800"))
    b = asyncio.run(DryTestingEngine(TestConfig.load(path)).run())
    again = asyncio.run(DryTestingEngine(TestConfig.load(replay_toml(first))).run())
    assert a.run_id != b.run_id
    assert (a.run_id, a.digest) == (again.run_id, again.digest)


def test_the_venues_books_follow_the_recorded_quotes(tmp_path: Path) -> None:
    from polyedge.engine import Pipeline, identity
    from polyedge.scheduler import VirtualScheduler

    config = TestConfig.load(replay_toml(tmp_path))
    tapes = read_market_data(SAMPLE_MARKET, MARKETS)
    scheduler = VirtualScheduler()
    pipeline = Pipeline(config, scheduler, identity(config))
    for at in (0, 2 * S + S // 2, 30 * S, 60 * S):
        scheduler.run_until(at)
        for market_id, tape in tapes.items():
            simulator = pipeline.simulators[MARKETS[market_id].venue]
            recorded = tape.quote(at - at % (S // 10))  # the market moves in 100 ms steps
            yes = simulator.quote(market_id, Outcome.YES)
            assert yes == (recorded.bid, recorded.ask), (market_id, at)
            assert simulator.quote(market_id, Outcome.NO) == (U(1) - yes[1], U(1) - yes[0])


def test_recorded_market_data_needs_books(tmp_path: Path) -> None:
    config = TestConfig.load(replay_toml(tmp_path))
    touch = [mc.model_copy(update={"liquidity": "touch"}) for mc in config.markets]
    with pytest.raises(PolyedgeError, match='needs liquidity = "book" on'):
        asyncio.run(DryTestingEngine(config.model_copy(update={"markets": touch})).run())


def test_the_command_line_replays(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from polyedge.cli import main

    runner = CliRunner()
    out = tmp_path / "result.json"
    args = ["run", "--no-store", "-q", "--json", str(out), "--replay-orders", str(SAMPLE_ORDERS)]
    result = runner.invoke(main, [*args, "--replay-market", str(SAMPLE_MARKET)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["intents"] == len(sample_rows())
    refused = runner.invoke(main, [*args, "--intents", "10"])
    assert refused.exit_code == 2 and "drop --intents" in refused.output
    missing = runner.invoke(main, ["run", "--no-store", "-q", "--replay-orders", "nope.csv"])
    assert missing.exit_code == 2 and "nope.csv" in missing.output


# --- Parquet -----------------------------------------------------------------------------


def test_parquet_without_pyarrow_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    path = tmp_path / "orders.parquet"
    with pytest.raises(ReplayError, match=r"pip install 'polyedge\[parquet\]'"):
        orders(path)
    with pytest.raises(ReplayError, match=r"pip install 'polyedge\[parquet\]'"):
        read_market_data(path, MARKETS)


def pyarrow() -> Any:
    return pytest.importorskip(
        "pyarrow", reason="pyarrow is not installed (pip install 'polyedge[parquet]')"
    )


def write_parquet(tmp_path: Path, name: str, columns: dict[str, Any]) -> Path:
    pa = pyarrow()
    parquet = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / name
    parquet.write_table(pa.table(columns), path)
    return path


def test_parquet_orders_read_as_their_csv(tmp_path: Path) -> None:
    pa = pyarrow()
    rows = sample_rows()

    def column(name: str) -> list[str | None]:
        return [row[name] or None for row in rows]

    def decimals(name: str) -> Any:
        return pa.array([Decimal(row[name]) if row[name] else None for row in rows])

    path = write_parquet(
        tmp_path,
        "orders.parquet",
        {
            "time": decimals("time"),
            "market_id": pa.array(column("market_id")).dictionary_encode(),
            "side": column("side"),
            "outcome": column("outcome"),
            "price": decimals("price"),
            "size": column("size"),  # as text
            "time_in_force": column("time_in_force"),
            "expires_in": decimals("expires_in"),
            "post_only": pa.array(
                [None if v is None else v == "true" for v in column("post_only")]
            ),
            "order_id": column("order_id"),
            "action": column("action"),
        },
    )
    assert orders(path) == orders(SAMPLE_ORDERS)


def test_parquet_market_data_reads_as_its_csv(tmp_path: Path) -> None:
    pa = pyarrow()
    with SAMPLE_MARKET.open(newline="") as file:
        rows = list(csv.DictReader(file))

    def decimals(name: str) -> Any:
        return pa.array([Decimal(row[name]) if row[name] else None for row in rows])

    utc = pa.array([row["time"].removesuffix("Z") for row in rows]).cast(pa.timestamp("ns"))
    path = write_parquet(
        tmp_path,
        "market.parquet",
        {
            # The same instants, in another zone: they are read as UTC all the same.
            "time": utc.cast(pa.timestamp("ns", tz="America/New_York")),
            "market_id": [row["market_id"] for row in rows],
            **{name: decimals(name) for name in ("bid", "ask", "bid_size", "ask_size", "price")},
            "size": decimals("size"),
        },
    )
    from_csv = read_market_data(SAMPLE_MARKET, MARKETS)
    from_parquet = read_market_data(path, MARKETS)
    assert set(from_parquet) == set(from_csv)
    for market_id, tape in from_csv.items():
        for time in range(0, 61 * S, S // 4):
            assert from_parquet[market_id].quote(time) == tape.quote(time), (market_id, time)


def test_parquet_timestamps_without_a_zone_are_utc(tmp_path: Path) -> None:
    pa = pyarrow()
    path = write_parquet(
        tmp_path,
        "market.parquet",
        {
            "time": pa.array([1_736_951_400_000_000, 1_736_951_401_500_000], pa.timestamp("us")),
            "market_id": ["pm-btc-100k"] * 2,
            "price": ["0.5", "0.6"],
        },
    )
    tape = read_market_data(path, MARKETS, start="2025-01-15T14:30:00Z")["pm-btc-100k"]
    assert tape.quote(S + S // 2 - 1).bid == U("0.49")
    assert tape.quote(S + S // 2).bid == U("0.59")


def test_parquet_refuses_float_columns_and_numbers_rows_as_csv_lines(tmp_path: Path) -> None:
    pa = pyarrow()
    floats = write_parquet(
        tmp_path,
        "floats.parquet",
        {"time": ["0"], "market_id": ["pm-btc-100k"], "price": pa.array([0.5], pa.float64())},
    )
    with fails_at(floats, 1, 3, "column 'price' holds binary floats (double)"):
        read_market_data(floats, MARKETS)
    bad = write_parquet(
        tmp_path,
        "bad.parquet",
        {
            "time": ["0", "1", "2"],
            "market_id": ["pm-btc-100k"] * 3,
            "price": ["0.5", "0.6", "0.555"],
        },
    )
    with fails_at(bad, 4, 3, "price 0.555 is not a multiple"):
        read_market_data(bad, MARKETS)
    lists = write_parquet(
        tmp_path, "lists.parquet", {"time": ["0"], "market_id": [["pm-btc-100k"]], "price": ["0.5"]}
    )
    with fails_at(lists, 1, 2, "column 'market_id' holds list<"):
        read_market_data(lists, MARKETS)
    not_parquet = write(tmp_path, "time,market_id,price\n", "fake.parquet")
    with fails_at(not_parquet, None, None, "cannot read it as Parquet"):
        read_market_data(not_parquet, MARKETS)
