"""File replay: recorded orders become intents, recorded market data the quotes to follow.

Both kinds of file are CSV, or Parquet when the name ends in `.parquet` (that needs
pyarrow: `pip install 'polyedge[parquet]'`). A CSV file's first line names its columns,
in any order; blank lines are skipped and cells are stripped of surrounding spaces. A
column polyedge does not know is an error (a misspelt optional column would otherwise be
silently ignored), and so is an empty required cell; an empty optional cell takes the
default. Prices and sizes are decimal text (`0.57`, `10`, `12.5`), parsed exactly to
units, never through a binary float: a Parquet column of floats is refused, so store
amounts there as strings or decimals (an integer column means whole units).

Bad input raises `ReplayError` naming the file, line and column (1-based), as in
`orders.csv:7:5: price 0.555 is not a multiple of the tick 0.01 of market pm-btc-100k`.
A Parquet table is numbered as if it were that CSV: its column names are line 1, its
first row line 2.

**Times.** `time` is, throughout one file, either

- seconds since the start of the run, as decimal text (`0`, `1.5`, `12.000000250`: at
  most 9 decimals, as times are integer nanoseconds), or
- ISO-8601 timestamps with a UTC offset (`2025-01-15T14:30:00.125Z`, `...+00:00`,
  `...-05:00`; a space may replace the `T`; up to 9 fractional digits). The file's first
  row is time 0, unless `start=` (an ISO-8601 timestamp) names the moment that is: give
  two files recorded together the same `start`, so that their clocks line up. A Parquet
  timestamp column is read this way too (one without a time zone as UTC).

The first row decides which; times must not decrease from one row to the next.

**Orders** (`read_orders`): one row per order or cancel.

| column          | meaning                                                   | default  |
| --------------- | --------------------------------------------------------- | -------- |
| `time`          | when the order (or cancel) arrives                        | required |
| `market_id`     | a market of the run's configuration                       | required |
| `side`          | `buy` or `sell`                                           | required |
| `outcome`       | `yes` or `no`                                             | required |
| `price`         | limit price, on the market's tick, in [tick, 1 - tick]    | required |
| `size`          | shares or contracts, positive                             | required |
| `time_in_force` | `GTC`, `GTD`, `FOK`, `FAK` or `IOC` (the same as `FAK`)   | `GTC`    |
| `expires_in`    | seconds from `time` to a GTD order's expiry; GTD only     |          |
| `post_only`     | `true` or `false`; GTC and GTD only                       | `false`  |
| `order_id`      | the recorder's id of the order: any text, unique          |          |
| `action`        | `new`, or `cancel`: cancel the order placed as `order_id` | `new`    |

Words are read in any case. Every row becomes one intent, with intent ids 1, 2, 3... in
file order, cancels included. A cancel row reads only `time`, `order_id` and `action`,
and cancels the intent that the earlier row with that `order_id` became. Venue rules
beyond the tick (minimum size, size step, minimum marketable buy, GTD lead time) are left
to the simulated venue, which rejects what breaks them as the real one would.

**Market data** (`read_market_data`): columns `time`, `market_id`, then `bid`, `ask`,
`bid_size`, `ask_size` for book snapshots and/or `price`, `size` for trades; a file may
mix both kinds of row, and each row leaves the other kind's columns empty. Prices are of
the YES outcome (a NO quote is its mirror: NO bid = 1 - YES ask).

- A snapshot sets the quote: `bid` below `ask`, both on the market's tick; `bid_size`
  and `ask_size` are the depth at the touch (0 when left empty: unknown).
- A trade at `price` p sets the quote one tick either side of it, bid = p - tick and
  ask = p + tick (kept within [tick, 1 - tick]), with the traded `size` (default 0) on
  each side. The aggressor is not recorded, so the trade price is taken as the mid: an
  order through p takes, one resting at p is not filled by the print alone.

Each market's rows become a `MarketTape`, whose `quote(time_ns)` is the quote of its
latest row at or before `time_ns` (before its first row, that row's).
"""

from __future__ import annotations

import csv
import hashlib
import importlib
import re
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import numpy as np
import numpy.typing as npt

from polyedge.errors import InvalidValue, PolyedgeError, PrecisionError
from polyedge.fixedpoint import DECIMALS, SCALE, to_str, to_units
from polyedge.intents import Timed
from polyedge.types import Cancel, Intent, Market, Outcome, Side, TimeInForce

__all__ = ["MarketTape", "Quote", "ReplayError", "read_market_data", "read_orders"]

ORDER_COLUMNS = (
    "time",
    "market_id",
    "side",
    "outcome",
    "price",
    "size",
    "time_in_force",
    "expires_in",
    "post_only",
    "order_id",
    "action",
)
SNAPSHOT_COLUMNS = ("bid", "ask", "bid_size", "ask_size")
TRADE_COLUMNS = ("price", "size")
MARKET_COLUMNS = ("time", "market_id", *SNAPSHOT_COLUMNS, *TRADE_COLUMNS)
NS_DECIMALS = 9  # times are integer nanoseconds
NS_PER_S = 1_000_000_000
PARQUET_BATCH_ROWS = 65_536  # rows decoded at a time: memory stays flat on large tables

_ISO = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")
_SECONDS = re.compile(r"[0-9]*\.?[0-9]+")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_E = TypeVar("_E", bound=StrEnum)


class ReplayError(PolyedgeError, ValueError):
    """A recorded file that cannot be replayed; the message names file, line and column."""

    def __init__(
        self, path: str, message: str, line: int | None = None, column: int | None = None
    ) -> None:
        where = path if line is None else f"{path}:{line}:{column}"
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Quote:
    """The best YES bid and ask of a market, and the size at each, in units."""

    bid: int
    ask: int
    bid_size: int
    ask_size: int


class MarketTape:
    """One market's recorded quotes; `quote(t)` is the latest at or before t.

    `times` (ns, non-decreasing) and `quotes` (rows of bid, ask, bid_size, ask_size) are
    int64 arrays. Queries must come in non-decreasing time order: a cursor follows them,
    so a query costs O(1) amortised.
    """

    __slots__ = ("_current", "_cursor", "_quotes", "_times", "market_id")

    def __init__(
        self, market_id: str, times: npt.NDArray[np.int64], quotes: npt.NDArray[np.int64]
    ) -> None:
        if not len(times) or quotes.shape != (len(times), 4):
            raise InvalidValue("a tape needs at least one time, and one quote (4 values) per time")
        self.market_id = market_id
        self._times = times
        self._quotes = quotes
        self._cursor = 0
        self._current = Quote(*map(int, quotes[0]))

    def quote(self, time_ns: int) -> Quote:
        """The quote of the latest row at or before `time_ns` (the first row's before it)."""
        times, cursor = self._times, self._cursor
        if cursor + 1 < len(times) and times[cursor + 1] <= time_ns:
            # Skip every row up to time_ns at once: a query may come long after the last.
            cursor = int(np.searchsorted(times, time_ns, side="right")) - 1
            self._cursor = cursor
            self._current = Quote(*map(int, self._quotes[cursor]))
        elif time_ns < times[cursor] and cursor:
            raise InvalidValue(
                f"quotes of {self.market_id} must be asked in time order: {time_ns} ns "
                f"came after {int(times[cursor])} ns"
            )
        return self._current


def read_orders(
    path: str | Path,
    markets: Mapping[str, Market],
    *,
    start: str | None = None,
    batch_size: int = 1024,
) -> Iterator[list[Timed]]:
    """The recorded orders in `path` as batches of (arrival ns, Intent | Cancel).

    A source for DryTestingEngine. The file is read lazily, `batch_size` rows at a time;
    a bad row raises ReplayError when it is reached.
    """
    if batch_size < 1:
        raise InvalidValue(f"batch_size must be positive, got {batch_size}")
    clock = _Clock(start)
    placed: dict[str, int] = {}  # the recorder's order id -> the intent it became
    batch: list[Timed] = []
    required = ORDER_COLUMNS[:6]  # time, market_id, side, outcome, price, size
    for intent_id, row in enumerate(_rows(path, ORDER_COLUMNS, required), 1):
        time = clock.read(row)
        action = row.text("action").lower() or "new"
        order_id = row.text("order_id")
        item: Intent | Cancel
        if action == "new":
            item = _intent(row, intent_id, time, markets)
            if order_id:
                if order_id in placed:
                    raise row.error("order_id", f"order_id {order_id!r} was placed before")
                placed[order_id] = intent_id
        elif action == "cancel":
            if not order_id:
                raise row.error("action", "a cancel needs the order_id of the order it cancels")
            if order_id not in placed:
                raise row.error("order_id", f"cancels order_id {order_id!r}, not placed before")
            item = Cancel(intent_id=intent_id, target=placed[order_id])
        else:
            raise row.error("action", f"action {action!r} is not new or cancel")
        batch.append((time, item))
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def read_market_data(
    path: str | Path, markets: Mapping[str, Market], *, start: str | None = None
) -> dict[str, MarketTape]:
    """The recorded quotes and trades in `path`, as a tape per market id."""
    clock = _Clock(start)
    times: dict[str, array[int]] = {}
    quotes: dict[str, array[int]] = {}  # bid, ask, bid_size, ask_size per row
    kinds = (SNAPSHOT_COLUMNS[:2], TRADE_COLUMNS[:1])  # bid and ask, or price
    for row in _rows(path, MARKET_COLUMNS, ("time", "market_id"), kinds):
        time = clock.read(row)
        market = _market(row, markets)
        if row.text("bid") or row.text("ask"):
            _empty(row, TRADE_COLUMNS, "a snapshot")
            bid, ask = row.price("bid", market), row.price("ask", market)
            if bid >= ask:
                raise row.error("ask", f"ask {to_str(ask)} is not above bid {to_str(bid)}")
            quote = (bid, ask, row.size("bid_size"), row.size("ask_size"))
        elif row.text("price"):
            _empty(row, SNAPSHOT_COLUMNS, "a trade")
            price, size, tick = row.price("price", market), row.size("size"), market.tick_size
            quote = (max(price - tick, tick), min(price + tick, SCALE - tick), size, size)
        else:
            first = "bid" if "bid" in row.columns else "price"
            raise row.error(first, "the row is neither a snapshot (bid, ask) nor a trade (price)")
        times.setdefault(market.market_id, array("q")).append(time)
        quotes.setdefault(market.market_id, array("q")).extend(quote)
    return {
        market_id: MarketTape(
            market_id,
            np.frombuffer(times[market_id], dtype=np.int64),
            np.frombuffer(quotes[market_id], dtype=np.int64).reshape(-1, 4),
        )
        for market_id in times
    }


def fingerprint(paths: list[Path]) -> bytes:
    """A digest of the files' bytes: part of a replayed run's identity, so the same config
    over other recordings is another run."""
    digest = hashlib.blake2b(digest_size=16)
    for path in paths:
        try:
            with open(path, "rb") as file:
                digest.update(hashlib.file_digest(file, "blake2b").digest())
        except OSError as exc:
            raise ReplayError(str(path), f"cannot read it: {exc.strerror}") from None
    return digest.digest()


# --- rows ------------------------------------------------------------------------------


class _Row:
    """One row's cells by column name; the errors it makes name file, line and column."""

    __slots__ = ("cells", "columns", "line", "path")

    def __init__(self, path: str, columns: dict[str, int], line: int, cells: list[str]) -> None:
        self.path = path
        self.columns = columns
        self.line = line
        self.cells = cells

    def text(self, name: str) -> str:
        """The cell of column `name`; "" when empty or when the file has no such column."""
        index = self.columns.get(name)
        return "" if index is None else self.cells[index]

    def error(self, name: str, message: str) -> ReplayError:
        return ReplayError(self.path, message, self.line, self.columns[name] + 1)

    def required(self, name: str) -> str:
        text = self.text(name)
        if not text:
            raise self.error(name, f"{name} is empty")
        return text

    def number(self, name: str, decimals: int = DECIMALS) -> int:
        """Decimal text as an exact int at 10**decimals per unit."""
        text = self.required(name)
        try:
            return to_units(text, name=name, decimals=decimals)
        except PrecisionError:
            raise self.error(name, f"{name} {text} has more than {decimals} decimals") from None
        except PolyedgeError as exc:
            raise self.error(name, str(exc)) from None

    def price(self, name: str, market: Market) -> int:
        units = self.number(name)
        try:
            return market.check_price(units, name)
        except InvalidValue as exc:
            raise self.error(name, str(exc)) from None

    def size(self, name: str) -> int:
        """A size that may be 0 (unknown); 0 when the cell is empty."""
        if not self.text(name):
            return 0
        size = self.number(name)
        if size < 0:
            raise self.error(name, f"{name} {to_str(size)} is negative")
        return size

    def choice(self, name: str, kind: type[_E], default: _E | None = None) -> _E:
        text = self.text(name)
        if not text:
            if default is None:
                raise self.error(name, f"{name} is empty")
            return default
        try:
            return kind(text)
        except ValueError:
            known = ", ".join(kind.__members__)
            raise self.error(name, f"{name} {text!r} is not one of {known}") from None


def _rows(
    path: str | Path,
    known: tuple[str, ...],
    required: tuple[str, ...],
    alternatives: tuple[tuple[str, ...], ...] = (),
) -> Iterator[_Row]:
    """The data rows of `path`. Its header must name every `required` column, all the
    columns of at least one of the `alternatives` and part of none, and nothing unknown."""
    name = str(path)
    lines = _parquet_lines(name) if name.lower().endswith(".parquet") else _csv_lines(name)
    first = next(lines, None)
    if first is None:
        raise ReplayError(name, "is empty: expected a header line naming the columns", 1, 1)
    line, header = first
    columns: dict[str, int] = {}
    for index, column in enumerate(header):
        if column not in known:
            message = f"unknown column {column!r}; known columns: {', '.join(known)}"
            raise ReplayError(name, message, line, index + 1)
        if column in columns:
            raise ReplayError(name, f"column {column!r} appears twice", line, index + 1)
        columns[column] = index
    missing = [column for column in required if column not in columns]
    for group in alternatives:
        if any(column in columns for column in group):
            missing += [column for column in group if column not in columns]
    if alternatives and not any(column in columns for group in alternatives for column in group):
        missing.append(" or ".join(", ".join(group) for group in alternatives))
    if missing:
        raise ReplayError(name, f"missing column {', '.join(missing)}", line, len(header) + 1)
    for line, cells in lines:
        if len(cells) != len(header):
            message = f"has {len(cells)} cells, but the header names {len(header)} columns"
            raise ReplayError(name, message, line, min(len(cells), len(header)) + 1)
        yield _Row(name, columns, line, cells)


def _csv_lines(path: str) -> Iterator[tuple[int, list[str]]]:
    try:
        with open(path, "rb") as file:
            reader = csv.reader(_decoded(file, path))
            try:
                for cells in reader:
                    if cells:
                        yield reader.line_num, [cell.strip() for cell in cells]
            except csv.Error as exc:
                raise ReplayError(path, f"is not valid CSV: {exc}", reader.line_num, 1) from None
    except OSError as exc:
        raise ReplayError(path, f"cannot read it: {exc.strerror}") from None


def _decoded(file: BinaryIO, path: str) -> Iterator[str]:
    """The lines of `file` as UTF-8 text, decoded one by one so an error can say where."""
    for line, raw in enumerate(file, 1):
        try:
            yield raw.decode("utf-8-sig" if line == 1 else "utf-8")  # -sig: Excel's BOM
        except UnicodeDecodeError as exc:
            message = f"is not UTF-8 text: byte {raw[exc.start]:#04x} at byte {exc.start + 1}"
            raise ReplayError(path, message, line, exc.start + 1) from None


def _parquet_lines(path: str) -> Iterator[tuple[int, list[str]]]:
    """A Parquet table's column names, then its rows, as text cells (numbered as CSV)."""
    try:
        # Imported by name: pyarrow is optional, and ships no type information.
        pa = importlib.import_module("pyarrow")
        parquet = importlib.import_module("pyarrow.parquet")
    except ImportError:
        message = "reading Parquet needs pyarrow: pip install 'polyedge[parquet]'"
        raise ReplayError(path, message) from None
    try:
        table = parquet.ParquetFile(path)
    except OSError as exc:
        raise ReplayError(path, f"cannot read it: {exc.strerror or exc}") from None
    except pa.ArrowException as exc:
        raise ReplayError(path, f"cannot read it as Parquet: {exc}") from None
    with table:
        fields = list(table.schema_arrow)
        for index, field in enumerate(fields):
            if pa.types.is_floating(field.type):
                message = (
                    f"column {field.name!r} holds binary floats ({field.type}), which are not "
                    "exact: store amounts and times as strings or decimals"
                )
                raise ReplayError(path, message, 1, index + 1)
        yield 1, [field.name for field in fields]
        line = 1
        for batch in table.iter_batches(batch_size=PARQUET_BATCH_ROWS):
            names = enumerate(batch.schema.names, 1)
            columns = [_texts(pa, path, batch.column(name), number, name) for number, name in names]
            for cells in zip(*columns, strict=True):
                line += 1
                yield line, [cell.strip() for cell in cells]


def _texts(pa: Any, path: str, column: Any, number: int, name: str) -> list[str]:
    """An Arrow column's cells as the text CSV would hold ("" for null)."""
    if pa.types.is_timestamp(column.type):  # as UTC, so its text ends in Z
        column = column.cast(pa.timestamp(column.type.unit, tz="UTC"))
    try:
        texts: list[str] = column.cast(pa.string()).fill_null("").to_pylist()
    except pa.ArrowException:
        message = f"column {name!r} holds {column.type}: expected text, numbers or timestamps"
        raise ReplayError(path, message, 1, number) from None
    return texts


# --- cells -----------------------------------------------------------------------------


class _Clock:
    """Reads `time` cells as ns since the run's start, checking they never decrease."""

    __slots__ = ("_form", "_iso", "_last", "_origin")

    def __init__(self, start: str | None) -> None:
        self._origin: int | None = None
        self._iso: bool | None = None  # None until the first row decides
        self._form = ""
        if start is not None:
            self._origin = _iso_ns(start)
            if self._origin is None:
                raise InvalidValue(f"start {start!r} is not an ISO-8601 time with a UTC offset")
            self._iso, self._form = True, "ISO-8601 times (start is given)"
        self._last: int | None = None

    def read(self, row: _Row) -> int:
        text = row.required("time")
        instant = _iso_ns(text)
        if instant is None and not _SECONDS.fullmatch(text):
            raise row.error(
                "time",
                f"time {text!r} is neither seconds (like 1.5) nor an ISO-8601 time with a "
                "UTC offset (like 2025-01-15T14:30:00Z)",
            )
        if self._iso is None:
            self._iso = instant is not None
            self._form = "ISO-8601 times" if self._iso else "seconds"
        if self._iso != (instant is not None):
            raise row.error("time", f"time {text!r} is unlike the file's other times: {self._form}")
        if instant is None:
            time = row.number("time", NS_DECIMALS)
        else:
            if self._origin is None:
                self._origin = instant  # the first row is time 0
            time = instant - self._origin
        if self._last is not None and time < self._last:
            raise row.error("time", f"time {text} is before the previous row's time")
        if time < 0:  # the first row, before start
            raise row.error("time", f"time {text} is before start")
        self._last = time
        return time


def _iso_ns(text: str) -> int | None:
    """An ISO-8601 time with a UTC offset as Unix ns, exactly; None if it is not one."""
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    whole, fraction, offset = match.groups()
    try:
        moment = datetime.fromisoformat(whole + ("+00:00" if offset == "Z" else offset))
    except ValueError:
        return None
    seconds = (moment - _EPOCH) // timedelta(seconds=1)
    return seconds * NS_PER_S + int((fraction or "").ljust(NS_DECIMALS, "0"))


def _market(row: _Row, markets: Mapping[str, Market]) -> Market:
    market_id = row.required("market_id")
    market = markets.get(market_id)
    if market is None:
        known = ", ".join(sorted(markets))
        raise row.error("market_id", f"unknown market_id {market_id!r}; known: {known}")
    return market


def _intent(row: _Row, intent_id: int, time: int, markets: Mapping[str, Market]) -> Intent:
    market = _market(row, markets)
    side = row.choice("side", Side)
    outcome = row.choice("outcome", Outcome)
    price = row.price("price", market)
    size = row.number("size")
    if size <= 0:
        raise row.error("size", f"size {to_str(size)} is not positive")
    time_in_force = row.choice("time_in_force", TimeInForce, TimeInForce.GTC)
    expires_at = None
    if time_in_force is TimeInForce.GTD:
        if not row.text("expires_in"):
            raise row.error("time_in_force", "a GTD order needs expires_in (seconds)")
        expires_in = row.number("expires_in", NS_DECIMALS)
        if expires_in <= 0:
            raise row.error("expires_in", f"expires_in {row.text('expires_in')} is not positive")
        expires_at = time + expires_in
    elif row.text("expires_in"):
        raise row.error("expires_in", f"expires_in is for GTD orders, not {time_in_force.name}")
    post_only = row.text("post_only").lower() or "false"
    if post_only not in ("true", "false"):
        raise row.error("post_only", f"post_only {post_only!r} is not true or false")
    if post_only == "true" and time_in_force not in (TimeInForce.GTC, TimeInForce.GTD):
        raise row.error("post_only", f"post_only needs GTC or GTD, not {time_in_force.name}")
    return Intent(
        intent_id=intent_id,
        market=market,
        side=side,
        outcome=outcome,
        price=price,
        size=size,
        time_in_force=time_in_force,
        expires_at=expires_at,
        post_only=post_only == "true",
    )


def _empty(row: _Row, columns: tuple[str, ...], kind: str) -> None:
    """The cells of the other kind of row must be empty: a row is one kind or the other."""
    for name in columns:
        if row.text(name):
            raise row.error(name, f"{name} is set in {kind} row; a row is a snapshot or a trade")
