"""EventLog: rows packed as ROW, digested, handed on in batches with the new orders.
Compiled and pure-Python twin alike, and byte for byte the same."""

from __future__ import annotations

import hashlib
import os
import select
import signal
import uuid
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from polyedge._core.eventlog_py import DIGESTS_PENDING, EVENTS, FLUSH_ROWS, ROW, RunDigest

RUN = uuid.UUID(int=42)
Fields = tuple[int, int, int, int, int, int, int, int, int, int, int]

_INT64 = st.integers(-(2**63), 2**63 - 1)
FIELDS = st.tuples(
    _INT64,  # order id
    _INT64,  # lane seq
    st.integers(0, 255),  # venue
    st.integers(0, 255),  # event
    st.integers(-128, 127),  # from state
    st.integers(-128, 127),  # to state
    _INT64,  # price
    _INT64,  # size
    _INT64,  # fee
    st.integers(0, 65535),  # reason
    _INT64,  # time
)


class Collected:
    def __init__(self) -> None:
        self.batches: list[tuple[list[Any], Any]] = []

    def __call__(self, orders: list[Any], events: Any) -> None:
        self.batches.append((orders, events))

    def rows(self) -> list[tuple[int, ...]]:
        return [tuple(int(v) for v in row) for _, events in self.batches for row in events]


def expected_digest(rows: list[tuple[int, ...]]) -> str:
    digest = hashlib.blake2b(RUN.bytes, digest_size=32)
    digest.update(b"".join(ROW.pack(*row) for row in rows))
    return digest.hexdigest()


@given(st.lists(FIELDS, max_size=30))
def test_rows_are_numbered_packed_and_digested(eventlog: ModuleType, events: list[Fields]) -> None:
    log = eventlog.EventLog(RUN)
    seen = Collected()
    log.subscribe(seen)
    assert [log.append(*fields) for fields in events] == list(range(1, len(events) + 1))
    rows = [(seq, *fields) for seq, fields in enumerate(events, 1)]
    assert log.digest() == expected_digest(rows)
    assert seen.rows() == rows and log.count == len(events)
    assert all(batch.dtype == EVENTS for _, batch in seen.batches)


def test_full_batches_go_out_on_their_own_with_the_orders_made_meanwhile(
    eventlog: ModuleType,
) -> None:
    log = eventlog.EventLog(RUN)
    seen = Collected()
    log.subscribe(seen)
    log.order("first order")
    for i in range(FLUSH_ROWS + 3):
        log.append(i, i, 1, 3, 1, 2, 500_000, 10, 0, 0, i)
        if i == 10:
            log.order("second order")
    assert [(orders, len(events)) for orders, events in seen.batches] == [
        (["first order", "second order"], FLUSH_ROWS)
    ]
    log.flush()
    assert [len(events) for _, events in seen.batches] == [FLUSH_ROWS, 3]
    assert seen.batches[1][1]["seq"].tolist() == [FLUSH_ROWS + 1, FLUSH_ROWS + 2, FLUSH_ROWS + 3]
    log.flush()  # nothing new: nothing handed on
    assert len(seen.batches) == 2


def test_orders_are_kept_only_for_subscribers(eventlog: ModuleType) -> None:
    log = eventlog.EventLog(RUN)
    log.order("nobody listens")
    seen = Collected()
    log.subscribe(seen)
    log.flush()
    assert seen.batches == []


def test_a_check_runs_right_after_its_event_with_the_log_flushed(eventlog: ModuleType) -> None:
    log = eventlog.EventLog(RUN)
    seen = Collected()
    log.subscribe(seen)
    checked: list[int] = []
    log.at_count(2, lambda: checked.append(len(seen.rows())))
    for i in range(4):
        log.append(i, i, 1, 1, 0, 1, 0, 0, 0, 0, i)
    assert checked == [2]


@pytest.mark.parametrize(
    ("position", "value", "name"),
    [(2, 256, "venue"), (3, -1, "event"), (5, 128, "to_state"), (9, 65536, "reason")],
)
def test_a_field_too_big_for_its_column_is_refused_and_not_logged(
    eventlog: ModuleType, position: int, value: int, name: str
) -> None:
    log = eventlog.EventLog(RUN)
    fields = [1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0]
    fields[position] = value
    with pytest.raises(OverflowError, match=name):
        log.append(*fields)
    assert log.count == 0
    assert log.append(1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0) == 1


def test_compiled_and_twin_logs_give_the_same_bytes() -> None:
    from polyedge import _core

    if not _core.extensions_built():
        pytest.skip("the compiled core is not built")
    logs = [_core.load("eventlog", compiled).EventLog(RUN) for compiled in (True, False)]
    collected = [Collected() for _ in logs]
    for log, seen in zip(logs, collected, strict=True):
        log.subscribe(seen)
        for i in range(FLUSH_ROWS + 100):
            log.append(i * 7, i, i % 3, i % 10, i % 8, (i % 9) - 1, i * 1000, i, -i, i % 500, i)
    digests = [log.digest() for log in logs]
    assert digests[0] == digests[1]
    first, second = (np.concatenate([e for _, e in seen.batches]) for seen in collected)
    assert first.tobytes() == second.tobytes()


def test_the_digest_hashes_its_updates_in_order_on_the_worker() -> None:
    """More batches than may wait for the worker, of varied sizes (some under the 2 KiB
    hashlib hashes without letting go of the GIL): the same digest as hashing in line."""
    chunks = [bytes([i % 251]) * (i * 997 % 70_000) for i in range(3 * DIGESTS_PENDING)]
    digest = RunDigest(RUN.bytes)
    for chunk in chunks:
        digest.update(chunk)
    expected = hashlib.blake2b(RUN.bytes, digest_size=32)
    expected.update(b"".join(chunks))
    assert digest.hexdigest() == expected.hexdigest()
    digest.update(b"more")  # hexdigest() leaves it usable
    expected.update(b"more")
    assert digest.hexdigest() == expected.hexdigest()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_digests_with_a_worker_of_its_own() -> None:
    """The parent's worker thread does not exist in a forked child: without a new one,
    the child's digest would wait for it for ever."""
    RunDigest(b"").update(b"x" * 4096)  # the parent's worker is running
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child process)
        digest = RunDigest(b"child")
        digest.update(b"y" * 100_000)
        os.write(write_end, digest.hexdigest().encode())
        os._exit(0)
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], 10)
    written = os.read(read_end, 64).decode() if ready else ""
    os.close(read_end)
    if not ready:
        os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    assert written == hashlib.blake2b(b"child" + b"y" * 100_000, digest_size=32).hexdigest()
