"""A batch as PostgreSQL binary COPY payloads, built with numpy rather than value by value.

The format: a signature, then per row an int16 column count and, per column, an int32
byte length (-1 for NULL) and the value, big-endian; an int16 -1 ends it. Event and
finished-order rows have a fixed width, so they are numpy structured arrays: a template
row (counts, lengths, run id) repeated, then one assignment per column, from the batch's
packed events. Order rows hold text, so they are packed one by one, a struct per layout.
"""

from __future__ import annotations

import functools
import struct
import uuid

import numpy as np
import numpy.typing as npt

from polyedge.events import EVENTS, UUID_BYTES, Events, OrderRow, event_ids

_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # then flags and header extension: zero
_TRAILER = b"\xff\xff"
_INT16_MAX = np.iinfo(np.int16).max


def _row(columns: list[tuple[str, npt.DTypeLike]]) -> np.dtype[np.void]:
    """A row of the binary format as a structured dtype: the count, then (length, value)s."""
    fields: list[tuple[str, npt.DTypeLike]] = [("count", ">i2")]
    for name, kind in columns:
        fields += [(f"{name}_length", ">i4"), (name, kind)]
    return np.dtype(fields)


_BIG = ">i8"
_SMALL = ">i2"
_SMALLINT = ("venue", "event", "from_state", "to_state", "reason")  # in order_events
_EVENT_COLUMNS: list[tuple[str, npt.DTypeLike]] = [
    (name, _SMALL if name in _SMALLINT else _BIG) for name in EVENTS.names or ()
]
_EVENT = _row([("event_id", UUID_BYTES), ("run_id", "V16"), *_EVENT_COLUMNS])
_BIGINT_ROW = _row([("value", _BIG)])
_FINISHED = _row([("run_id", "V16"), ("order_id", _BIG), ("final_state", _SMALL)])


def _template(dtype: np.dtype[np.void], run_id: uuid.UUID) -> npt.NDArray[np.void]:
    """One row of `dtype` with its column count, lengths and run id filled in."""
    row = np.zeros(1, dtype)
    names = [name for name in dtype.names or () if not name.endswith("_length")]
    row["count"] = len(names) - 1
    for name in names[1:]:
        row[f"{name}_length"] = dtype.fields[name][0].itemsize  # type: ignore[index]
    row["run_id"] = np.void(run_id.bytes)
    return row


def _payload(rows: bytes | memoryview) -> memoryview:
    # A memoryview: asyncpg would take bytes for a path.
    return memoryview(b"".join((_SIGNATURE, rows, _TRAILER)))


def events(run_id: uuid.UUID, logged: Events) -> memoryview:
    """The order_events payload of the events `logged`."""
    if any(logged[name].max() > _INT16_MAX for name in _SMALLINT):
        raise OverflowError("an event value does not fit its smallint column")
    out = np.repeat(_template(_EVENT, run_id), len(logged))
    out["event_id"] = event_ids(run_id, logged["seq"])
    for name, _ in _EVENT_COLUMNS:
        out[name] = logged[name]
    return _payload(out.data)


def bigints(payload: bytes) -> npt.NDArray[np.int64]:
    """The values of a one-column bigint COPY payload (no NULLs)."""
    if not payload.startswith(_SIGNATURE) or not payload.endswith(_TRAILER):
        raise ValueError("not a binary COPY payload without flags or header extensions")
    rows = np.frombuffer(payload[len(_SIGNATURE) : -len(_TRAILER)], _BIGINT_ROW)
    if len(rows) and ((rows["count"] != 1).any() or (rows["value_length"] != 8).any()):
        raise ValueError("not one non-null bigint column")
    return rows["value"].astype(np.int64)


def finished(run_id: uuid.UUID, finishing: Events) -> memoryview:
    """The finished_orders payload of the events `finishing` their orders."""
    out = np.repeat(_template(_FINISHED, run_id), len(finishing))
    out["order_id"] = finishing["order_id"]
    out["final_state"] = finishing["to_state"]
    return _payload(out.data)


def orders(run_id: uuid.UUID, rows: list[OrderRow]) -> memoryview:
    """The orders payload of `rows`."""
    run = run_id.bytes
    packed = []
    for order, lane, venue, market, side, outcome, price, size, tif, expires, post, group in rows:
        layout, (m, s, o, t) = _order_layout(market, side, outcome, tif, expires is None)
        nullable = (-1,) if expires is None else (8, expires)
        # fmt: off
        packed.append(layout.pack(
            13, 16, run, 8, order, 8, lane, 2, venue,
            len(m), m, len(s), s, len(o), o, 8, price, 8, size, len(t), t,
            *nullable, 1, post, 8, group,
        ))
        # fmt: on
    return _payload(b"".join(packed))


@functools.lru_cache(maxsize=1024)
def _order_layout(
    market: str, side: str, outcome: str, tif: str, no_expiry: bool
) -> tuple[struct.Struct, tuple[bytes, bytes, bytes, bytes]]:
    """The struct of an order row with these texts (their lengths fix its layout)."""
    texts = (market.encode(), side.encode(), outcome.encode(), tif.encode())
    m, s, o, t = (f"i{len(text)}s" for text in texts)
    expires = "i" if no_expiry else "iq"
    return struct.Struct(f">hi16siqiqih{m}{s}{o}iqiq{t}{expires}i?iq"), texts
