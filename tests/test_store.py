"""Both stores pass the same suite: schema, idempotent batches, recovery, bad input."""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from polyedge.config import TestConfig
from polyedge.engine import DryTestingEngine
from polyedge.events import Events, OrderRow, Row, event_uuid, run_uuid
from polyedge.metrics import RunResult
from polyedge.store import Batch, PostgresStore, SqliteStore, Store, StoreError, open_store
from polyedge.store.postgres import _SUMMARIZE
from polyedge.store.writer import BatchWriter

RUN = run_uuid(b"test-store")


def order_row(order_id: int, group: int = 0) -> OrderRow:
    return (
        order_id,
        order_id,
        1,
        "KXBTC-100K",
        "buy",
        "yes",
        500_000,
        2_000_000,
        "GTC",
        None,
        False,
        group,
    )


def event_row(seq: int, order_id: int, event: int, to_state: int, size: int = 0) -> Row:
    return (seq, order_id, order_id, 1, event, 1, to_state, 500_000, size, 0, 0, seq * 1000)


@pytest.fixture(params=["sqlite", "postgres"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """A factory of stores on one fresh database (call it again for a second connection)."""
    if request.param == "sqlite":
        yield lambda: SqliteStore(tmp_path / "store.sqlite3")
    else:
        url = request.getfixturevalue("pg_url")
        yield lambda: PostgresStore(url)


def use(store: Store, work: Callable[[Store], Any]) -> Any:
    async def run() -> Any:
        async with store:
            return await work(store)

    return asyncio.run(run())


def test_schema_is_applied_once_and_reapplied_harmlessly(make_store: Callable[[], Store]) -> None:
    use(make_store(), lambda s: s.begin_run(RUN, "{}"))
    record = use(make_store(), lambda s: s.get_run(RUN))  # opening again re-applies the schema
    assert record is not None and record.status == "running" and record.events == 0


@pytest.mark.parametrize("attempt", range(3))  # a fresh database each time
def test_stores_opened_at_once_on_a_new_database_all_open(pg_url: str, attempt: int) -> None:
    """Runs started together each make sure of the schema: one creates it, the others wait."""

    async def open_all() -> None:
        stores = [PostgresStore(pg_url) for _ in range(4)]
        try:
            await asyncio.gather(*(store.open() for store in stores))
        finally:
            for store in stores:
                await store.close()

    asyncio.run(open_all())
    assert use(PostgresStore(pg_url), lambda s: s.get_run(RUN)) is None


def test_batches_are_stored_and_idempotent(make_store: Callable[[], Store]) -> None:
    batch = Batch(
        orders=[order_row(1), order_row(2, group=1)],
        events=[event_row(1, 1, 0, 1), event_row(2, 2, 0, 1), event_row(3, 1, 4, 3, 2_000_000)],
    )

    async def work(store: Store) -> Any:
        await store.begin_run(RUN, '{"seed": 1}')
        await store.write(RUN, batch)
        await store.write(RUN, batch, merge=True)  # a retried batch changes nothing
        await store.write(RUN, Batch(orders=batch.orders, events=batch.events[1:]), merge=True)
        return await store.get_run(RUN), await store.in_flight(RUN)

    record, in_flight = use(make_store(), work)
    assert record.events == 3
    assert [(f.order[0], f.state, f.filled) for f in in_flight] == [(2, 1, 0)]  # 1 is FILLED
    counts = count_rows(make_store())
    assert counts == {
        "orders": 2,
        "order_events": 3,
        "finished_orders": 1,
        "arbitrage_groups": 1,
        "fills": 1,
    }


def test_a_batch_without_merge_refuses_rows_already_stored(make_store: Callable[[], Store]) -> None:
    batch = Batch(orders=[order_row(1)], events=[event_row(1, 1, 0, 1)])

    async def work(store: Store) -> None:
        await store.begin_run(RUN, "{}")
        await store.write(RUN, batch)
        await store.write(RUN, batch)

    if isinstance(make_store(), SqliteStore):
        use(make_store(), work)  # SQLite always merges: it costs nothing there
    else:
        with pytest.raises(asyncpg.UniqueViolationError):
            use(make_store(), work)
    assert count_rows(make_store())["order_events"] == 1


def test_in_flight_folds_states_and_fills(make_store: Callable[[], Store]) -> None:
    batch = Batch(
        orders=[order_row(1), order_row(2), order_row(3)],
        events=[
            event_row(1, 1, 0, 1),  # submitted
            event_row(2, 1, 3, 2, 500_000),  # partial fill
            event_row(3, 1, 3, -1, 100),  # refused: changes nothing
            event_row(4, 1, 5, 6),  # cancel requested
            event_row(5, 1, 3, 6, 250_000),  # a late partial fill
            event_row(6, 2, 2, 5),  # order 2 rejected: finished
        ],
    )

    async def work(store: Store) -> Any:
        await store.begin_run(RUN, "{}")
        await store.write(RUN, batch)
        return await store.in_flight(RUN)

    in_flight = use(make_store(), work)
    assert [(f.order[0], f.state, f.filled) for f in in_flight] == [(1, 6, 750_000), (3, 0, 0)]
    assert in_flight[0].order == order_row(1)


def test_in_flight_finds_the_events_of_orders_stored_out_of_id_order(
    make_store: Callable[[], Store],
) -> None:
    """An arbitrage unwind's id (near 2**62) stored between ordinary ones: the in-flight
    ids come out of the store unsorted, yet every one's events are found."""
    unwind = 2**62 + 3
    batch = Batch(
        orders=[order_row(5), order_row(unwind), order_row(7)],
        events=[
            event_row(1, 5, 4, 3, 2_000_000),  # order 5 filled: finished
            event_row(2, unwind, 0, 1),  # submitted
            event_row(3, unwind, 3, 2, 500_000),  # partial fill
            event_row(4, 7, 0, 1),  # submitted
        ],
    )

    async def work(store: Store) -> Any:
        await store.begin_run(RUN, "{}")
        await store.write(RUN, batch)
        return await store.in_flight(RUN)

    in_flight = use(make_store(), work)
    assert [(f.order[0], f.state, f.filled) for f in in_flight] == [
        (7, 1, 0),
        (unwind, 2, 500_000),
    ]


def test_end_run_records_status_and_digest(make_store: Callable[[], Store]) -> None:
    async def work(store: Store) -> Any:
        await store.begin_run(RUN, "{}")
        await store.end_run(RUN, "completed", "ab" * 32)
        return await store.get_run(RUN)

    record = use(make_store(), work)
    assert (record.status, record.digest) == ("completed", "ab" * 32)


def test_rows_are_stored_exactly_at_the_edges_of_their_types(
    make_store: Callable[[], Store],
) -> None:
    big, small = 2**63 - 1, 2**15 - 1
    orders = [
        (1, big, small, "KXBTC-100K", "buy", "yes", 1, big, "GTC", None, False, 0),
        (2, -big, -small - 1, "marché-été-市场", "sell", "no", big, 1, "GTD", -big, True, big),
        (3, 0, 0, "", "", "", 0, 0, "", 0, False, 1),
    ]
    events = [  # as wide as the log's rows go (events.ROW)
        (1, 1, big, 255, 255, 127, 127, big, big, big, small, big),
        (2, 2, -big, 0, 0, -128, -1, -big, -big, -big, 0, -big - 1),
        (3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ]

    async def work(store: Store) -> Any:
        await store.begin_run(RUN, "{}")
        await store.write(RUN, Batch(orders, events))
        return await store.in_flight(RUN)

    in_flight = use(make_store(), work)
    assert [f.order for f in in_flight] == orders  # none is finished: all read back
    stored = stored_rows(make_store(), "SELECT * FROM order_events ORDER BY seq")
    assert [row[2:] for row in stored] == events
    assert [row[:2] for row in stored] == [(event_uuid(RUN, seq), RUN) for seq in (1, 2, 3)]


@pytest.mark.parametrize("length", [1, 63, 64, 65, 64 * 3 + 7])
def test_a_batch_of_any_length_is_stored_row_for_row(
    make_store: Callable[[], Store], length: int
) -> None:
    # SQLite inserts many rows to a statement, and the rest one by one.
    orders = [order_row(number, group=number % 3) for number in range(1, length + 1)]
    # odd orders filled (FILL -> FILLED), even ones acknowledged (ACK -> SUBMITTED)
    events = [event_row(n, n, *((4, 3) if n % 2 else (1, 1))) for n in range(1, length + 1)]

    async def work(store: Store) -> None:
        await store.begin_run(RUN, "{}")
        await store.write(RUN, Batch(orders, events))

    use(make_store(), work)
    store = make_store()
    assert stored_rows(store, "SELECT * FROM orders ORDER BY order_id") == [
        (RUN, *row) for row in orders
    ]
    stored = stored_rows(store, "SELECT * FROM order_events ORDER BY seq")
    assert stored == [(event_uuid(RUN, row[0]), RUN, *row) for row in events]
    finished = stored_rows(store, "SELECT order_id, final_state FROM finished_orders ORDER BY 1")
    assert finished == [(row[1], 3) for row in events if row[6] == 3]
    groups = stored_rows(store, "SELECT group_id FROM arbitrage_groups ORDER BY 1")
    assert groups == [(group,) for group in sorted({row[11] for row in orders if row[11]})]


def test_a_value_too_big_for_its_column_is_refused(pg_url: str) -> None:
    batch = Batch([order_row(1)], [(1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 2**15, 0)])  # smallint reason

    async def work(store: Store) -> None:
        await store.begin_run(RUN, "{}")
        await store.write(RUN, batch)

    with pytest.raises(OverflowError):
        use(PostgresStore(pg_url), work)
    assert count_rows(PostgresStore(pg_url))["orders"] == 0  # the transaction was undone


def test_the_btree_on_events_by_order_becomes_brin_on_open(pg_url: str) -> None:
    """Databases made before keep working and lose the btree that slowed their writes."""

    async def indexes() -> dict[str, str]:
        connection = await asyncpg.connect(pg_url)
        try:
            rows = await connection.fetch(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'order_events'"
            )
        finally:
            await connection.close()
        return {row["indexname"]: row["indexdef"] for row in rows}

    async def old_index() -> None:
        connection = await asyncpg.connect(pg_url)
        try:
            await connection.execute(
                "DROP INDEX order_events_by_order_range; "
                "CREATE INDEX order_events_by_order ON order_events (run_id, order_id)"
            )
        finally:
            await connection.close()

    use(PostgresStore(pg_url), lambda s: s.begin_run(RUN, "{}"))
    asyncio.run(old_index())
    assert "order_events_by_order" in asyncio.run(indexes())
    use(PostgresStore(pg_url), lambda s: s.get_run(RUN))  # opening applies the schema
    found = asyncio.run(indexes())
    assert "order_events_by_order" not in found
    assert "USING brin (run_id, order_id)" in found["order_events_by_order_range"]


def test_in_flight_events_come_from_the_range_of_their_orders(pg_url: str) -> None:
    """Orders in flight at both ends of a long run, many finished ones between them."""
    finished = range(2, 3000)
    orders = [order_row(order_id) for order_id in range(1, 3001)]
    events = [event_row(1, 1, 0, 1)]  # SUBMIT: order 1 stays SUBMITTED
    events += [event_row(order_id, order_id, 4, 3, 2_000_000) for order_id in finished]
    events += [event_row(3000, 3000, 3, 2, 500_000)]  # a partial fill: PARTIAL_FILL

    async def work(store: Store) -> Any:
        await store.begin_run(RUN, "{}")
        await store.write(RUN, Batch(orders, events))
        return await store.in_flight(RUN)

    in_flight = use(PostgresStore(pg_url), work)
    assert [(f.order[0], f.state, f.filled) for f in in_flight] == [(1, 1, 0), (3000, 2, 500_000)]


def test_a_run_ends_with_its_events_summarized_in_the_brin_index(pg_url: str) -> None:
    # 5,000 events fill some of the index's 32-page block ranges (the last, partial one
    # is summarized only once full, as VACUUM does it).
    batch = Batch([order_row(1)], [event_row(seq, 1, 0, 1) for seq in range(1, 5001)])

    async def work(store: Store) -> None:
        await store.begin_run(RUN, "{}")
        await store.write(RUN, batch)
        await store.end_run(RUN, "completed", "digest")

    use(PostgresStore(pg_url), work)
    assert sql(PostgresStore(pg_url), "SELECT pg_relation_size('order_events')") > 64 * 8192
    assert sql(PostgresStore(pg_url), _SUMMARIZE) == 0  # nothing left for lookups to read


def test_in_flight_events_are_looked_up_through_the_brin_index(pg_url: str) -> None:
    """Not by a scan of every run's events, which the planner picks for a run just written."""
    orders = [order_row(order_id) for order_id in range(1, 201)]
    events = [event_row(order_id, order_id, 0, 1) for order_id in range(1, 201)]

    async def work(store: Store) -> Any:
        await store.write(RUN, Batch(orders, events))
        return await store.in_flight(RUN)

    use(PostgresStore(pg_url), lambda s: s.begin_run(RUN, "{}"))
    scans = "SELECT seq_scan, idx_scan FROM pg_stat_user_tables WHERE relname = 'order_events'"
    seq_before, index_before = stored_rows(PostgresStore(pg_url), scans)[0]
    assert len(use(PostgresStore(pg_url), work)) == 200
    deadline = time.monotonic() + 10  # a backend reports its counts as it exits
    while (now := stored_rows(PostgresStore(pg_url), scans)[0]) == (seq_before, index_before):
        assert time.monotonic() < deadline, "the lookup's scan was never counted"
        time.sleep(0.05)
    assert now == (seq_before, index_before + 1)  # one scan, by the index


def test_a_batch_commits_only_after_the_one_before(make_store: Callable[[], Store]) -> None:
    def batch(seq: int) -> Batch:
        return Batch([order_row(seq)], [event_row(seq, seq, 0, 1)])

    async def work(store: Store) -> tuple[int, int, int]:
        await store.begin_run(RUN, "{}")
        first: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        second = asyncio.create_task(store.write(RUN, batch(2), after=first))
        await asyncio.sleep(0.1)  # the second batch is sent, and waits
        waiting = (await store.get_run(RUN)).events  # type: ignore[union-attr]
        await store.write(RUN, batch(1))
        first.set_result(None)
        await second
        written = (await store.get_run(RUN)).events  # type: ignore[union-attr]
        failed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        failed.set_exception(ConnectionError("the batch before was lost"))
        with pytest.raises(ConnectionError):
            await store.write(RUN, batch(4), after=failed)
        return waiting, written, (await store.get_run(RUN)).events  # type: ignore[union-attr]

    assert use(make_store(), work) == (0, 2, 2)
    assert count_rows(make_store())["order_events"] == 2  # nothing of the refused batch


class FlakyStore(SqliteStore):
    """SQLite that loses the first try of the batch starting at event `fail`, slowly; or
    every try, with `fail` 0."""

    def __init__(self, path: Path, fail: int) -> None:
        super().__init__(path)
        self.fail = fail
        self.committed: list[int] = []  # the first event of each batch, in commit order

    async def write(
        self,
        run_id: uuid.UUID,
        batch: Batch,
        merge: bool = False,
        after: asyncio.Future[None] | None = None,
    ) -> None:
        first = int(batch.events["seq"][0])
        if self.fail == 0 or (first == self.fail and not merge):
            await asyncio.sleep(0.05)  # the next batch is sent meanwhile
            raise ConnectionError("connection lost mid-batch")
        await super().write(run_id, batch, merge, after)
        self.committed.append(first)


def write_through(store: Store, events: int, close_timeout_s: float) -> BatchWriter:
    """`events` events through a writer into `store`, two a batch; the writer, closed."""

    async def run() -> BatchWriter:
        async with store:
            await store.begin_run(RUN, "{}")
            writer = BatchWriter(store, RUN, batch_rows=2, flush_interval_s=0.01)
            writer.start()
            for seq in range(1, events + 1, 2):
                rows = [event_row(seq, seq, 0, 1), event_row(seq + 1, seq, 0, 1)]
                writer.consume([], Batch([], rows).events)  # packed, as the log hands them
                await asyncio.sleep(0.01)
            await writer.close(close_timeout_s)
            assert asyncio.all_tasks() == {asyncio.current_task()}  # nothing left running
            return writer

    return asyncio.run(run())


def test_the_writer_commits_batches_in_order_across_a_retry(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path / "store.sqlite3", fail=3)
    writer = write_through(store, 10, close_timeout_s=10)
    assert store.committed == [1, 3, 5, 7, 9]  # 5 was sent while 3 failed, yet waited for it
    assert writer.stats.retries == 1 and writer.stats.unwritten == 0
    assert count_rows(SqliteStore(store._path))["order_events"] == 10


def test_the_writer_stops_cleanly_when_the_store_stays_down(tmp_path: Path) -> None:
    writer = write_through(FlakyStore(tmp_path / "store.sqlite3", fail=0), 10, close_timeout_s=0.3)
    assert writer.stats.retries > 0 and writer.stats.events_written == 0
    assert writer.stats.unwritten == 10  # still buffered, never dropped silently


def run_with(store: Store | None, **config: Any) -> RunResult:
    settings: dict[str, Any] = {"intents": 3_000, "seed": 2} | config
    return asyncio.run(DryTestingEngine(TestConfig(**settings), store=store).run())


def test_a_run_stores_every_event_exactly_once(make_store: Callable[[], Store]) -> None:
    result = run_with(make_store())
    assert result.store is not None
    assert result.store.events_written == result.events
    assert result.store.unwritten == 0 and not result.store.degraded
    opened, closed = result.store.connections["opened"], result.store.connections["closed"]
    assert opened >= 1 and closed == opened and result.store.connections["in_use"] == 0
    counts = count_rows(make_store())
    assert counts["order_events"] == result.events
    assert counts["orders"] == result.orders
    assert counts["fills"] == result.fills
    assert dangling_events(make_store()) == 0  # every event's order is stored
    assert result.digest == run_with(None).digest  # the store changes nothing


def test_running_a_stored_run_again_replays_and_verifies_it(
    make_store: Callable[[], Store],
) -> None:
    first = run_with(make_store())
    again = run_with(make_store())
    assert again.store is not None
    assert again.store.resumed_from == first.events and again.store.events_written == 0
    assert again.store.matches_stored_digest is True
    assert count_rows(make_store())["order_events"] == first.events


def test_a_resume_continues_from_the_high_water_mark(make_store: Callable[[], Store]) -> None:
    whole = run_with(None)
    config = TestConfig(intents=3_000, seed=2)
    store = make_store()
    # Store only part of the run, as a crash would leave it: events 1..4096 and their orders.
    pipeline_rows = capture_rows(config, limit=4096)
    use(store, lambda s: write_prefix(s, config, pipeline_rows))
    resumed = run_with(make_store())
    assert resumed.store is not None and resumed.store.resumed_from == 4096
    assert resumed.store.events_written == whole.events - 4096
    assert resumed.digest == whole.digest
    assert count_rows(make_store())["order_events"] == whole.events
    assert use(make_store(), lambda s: s.get_run(whole_run_id(config))).status == "completed"


def test_a_store_holding_another_runs_data_is_refused(make_store: Callable[[], Store]) -> None:
    config = TestConfig(intents=3_000, seed=2)
    rows = capture_rows(config, limit=4096)
    orders, events = rows
    stranger = order_row(999_999)  # an order this run never makes, still in flight
    use(make_store(), lambda s: write_prefix(s, config, ([*orders, stranger], events)))
    with pytest.raises(StoreError, match="does not match its replay at event 4096"):
        run_with(make_store())


def test_schema_of_another_version_is_refused(make_store: Callable[[], Store]) -> None:
    use(make_store(), lambda s: s.begin_run(RUN, "{}"))
    set_schema_version(make_store(), "0")
    with pytest.raises(StoreError, match="schema version 0; this polyedge needs version 1"):
        use(make_store(), lambda s: s.get_run(RUN))


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://db", "unsupported database URL"),
        ("sqlite:", "names no file"),
        ("postgresql://postgres@127.0.0.1:1/x", "cannot reach the database"),
        ("postgresql://postgres:hunter2@127.0.0.1:1/x", "postgres:***@"),
        ("postgresql://postgres@127.0.0.1:5432:99/x", "malformed database URL"),
        ("sqlite:/nonexistent-dir/x.sqlite3", "cannot open"),
    ],
)
def test_bad_urls_get_one_clear_error(url: str, words: str) -> None:
    with pytest.raises(StoreError) as error:
        use(open_store(url), lambda s: s.get_run(RUN))
    assert words in str(error.value)
    assert "hunter2" not in str(error.value)


def test_wrong_credentials_are_named(pg_url: str) -> None:
    url = pg_url.replace("postgres@", "no_such_role@")
    with pytest.raises(StoreError, match="no_such_role"):
        use(open_store(url), lambda s: s.get_run(RUN))


# --- helpers that look at the database directly -------------------------------------------


def count_rows(store: Store) -> dict[str, int]:
    tables = ("orders", "order_events", "finished_orders", "arbitrage_groups", "fills")
    if isinstance(store, SqliteStore):
        with sqlite3.connect(store._path) as db:
            return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    return asyncio.run(_pg_counts(store, tables))


async def _pg_counts(store: Store, tables: tuple[str, ...]) -> dict[str, int]:
    connection = await asyncpg.connect(store._url)  # type: ignore[attr-defined]
    try:
        counts = {t: await connection.fetchval(f"SELECT count(*) FROM {t}") for t in tables}
        distinct = await connection.fetchval("SELECT count(DISTINCT event_id) FROM order_events")
        assert distinct == counts["order_events"]  # no event twice
        return counts
    finally:
        await connection.close()


async def _pg_rows(store: Store, query: str) -> list[tuple[Any, ...]]:
    connection = await asyncpg.connect(store._url)  # type: ignore[attr-defined]
    try:
        return [tuple(row) for row in await connection.fetch(query)]
    finally:
        await connection.close()


def stored_rows(store: Store, query: str) -> list[tuple[Any, ...]]:
    """The rows `query` selects, UUIDs as uuid.UUID from either store."""
    if isinstance(store, PostgresStore):
        return asyncio.run(_pg_rows(store, query))
    with sqlite3.connect(store._path) as db:  # type: ignore[attr-defined]
        return [
            tuple(uuid.UUID(bytes=v) if isinstance(v, bytes) and len(v) == 16 else v for v in row)
            for row in db.execute(query)
        ]


def dangling_events(store: Store) -> int:
    query = (
        "SELECT count(*) FROM order_events e WHERE NOT EXISTS (SELECT 1 FROM orders o "
        "WHERE o.run_id = e.run_id AND o.order_id = e.order_id)"
    )
    return int(sql(store, query))


def set_schema_version(store: Store, version: str) -> None:
    sql(store, f"UPDATE polyedge_meta SET value = '{version}' WHERE key = 'schema_version'")


def sql(store: Store, query: str) -> Any:
    if isinstance(store, SqliteStore):
        with sqlite3.connect(store._path) as db:
            row = db.execute(query).fetchone()
            return row[0] if row else None

    async def run() -> Any:
        connection = await asyncpg.connect(store._url)  # type: ignore[attr-defined]
        try:
            return await connection.fetchval(query)
        finally:
            await connection.close()

    return asyncio.run(run())


def capture_rows(config: TestConfig, limit: int) -> tuple[list[OrderRow], list[Row]]:
    """The order and event rows of the first `limit` events of a run, as the log flushes them."""
    from polyedge.engine import Pipeline, identity
    from polyedge.scheduler import VirtualScheduler
    from polyedge.state import order_row

    orders: list[OrderRow] = []
    events: list[Row] = []
    pipeline = Pipeline(config, VirtualScheduler(), identity(config))

    def keep(new_orders: list[Any], new_events: Events) -> None:
        if len(events) < limit:
            orders.extend(order_row(order) for order in new_orders)
            events.extend(new_events.tolist())

    pipeline.log.subscribe(keep)
    asyncio.run(DryTestingEngine(config)._run_virtual(pipeline, None, None))
    return orders, events[:limit]


def whole_run_id(config: TestConfig) -> uuid.UUID:
    return run_uuid(config.model_dump_json().encode())


async def write_prefix(
    store: Store, config: TestConfig, rows: tuple[list[OrderRow], list[Row]]
) -> None:
    run_id = whole_run_id(config)
    await store.begin_run(run_id, config.model_dump_json())
    await store.write(run_id, Batch(*rows), merge=True)
    assert event_uuid(run_id, 1) != event_uuid(run_id, 2)
