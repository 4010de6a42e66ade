"""Both stores pass the same suite: schema, idempotent batches, recovery, bad input."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from polyedge.config import TestConfig
from polyedge.engine import DryTestingEngine
from polyedge.events import OrderRow, Row, event_uuid, run_uuid
from polyedge.metrics import RunResult
from polyedge.store import Batch, PostgresStore, SqliteStore, Store, StoreError, open_store

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


def test_end_run_records_status_and_digest(make_store: Callable[[], Store]) -> None:
    async def work(store: Store) -> Any:
        await store.begin_run(RUN, "{}")
        await store.end_run(RUN, "completed", "ab" * 32)
        return await store.get_run(RUN)

    record = use(make_store(), work)
    assert (record.status, record.digest) == ("completed", "ab" * 32)


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
    from polyedge.engine import _no_wait, _Pipeline
    from polyedge.scheduler import VirtualScheduler
    from polyedge.state import order_row

    orders: list[OrderRow] = []
    events: list[Row] = []
    pipeline = _Pipeline(config, VirtualScheduler())

    def keep(new_orders: list[Any], new_events: list[Row]) -> None:
        if len(events) < limit:
            orders.extend(order_row(order) for order in new_orders)
            events.extend(new_events)

    pipeline.log.subscribe(keep)
    asyncio.run(DryTestingEngine(config)._run_virtual(pipeline, None, _no_wait))
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
