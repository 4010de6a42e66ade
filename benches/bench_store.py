"""Persistence figures: sustained writes, a stored run against an unstored one, recovery.

PostgreSQL figures need DATABASE_URL (a database the user may create databases next to);
without it those benchmarks skip. Each makes and drops a database of its own.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from polyedge.bench import synthetic_batches, write_pipelined
from polyedge.config import TestConfig
from polyedge.engine import DryTestingEngine
from polyedge.events import event_uuid_int, run_uuid
from polyedge.recovery import recover
from polyedge.store import PostgresStore, SqliteStore, Store

ORDERS = 1_000_000  # recovery: a run of this many orders
EVENTS_PER_ORDER = 5
IN_FLIGHT_EVERY = 100  # one order in this many is still in flight


@pytest.mark.benchmark(group="store writes")
@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_sustained_writes(benchmark: Any, kind: str, tmp_path: Path, request: Any) -> None:
    total = 300_000
    batches = synthetic_batches(total // 3, per_order=3)
    store: Store = (
        SqliteStore(tmp_path / "w.sqlite3")
        if kind == "sqlite"
        else PostgresStore(request.getfixturevalue("pg_url"))
    )
    runs = iter(range(1_000))

    async def write_all() -> None:
        await write_pipelined(store, run_uuid(f"bench {next(runs)}".encode()), batches)

    loop = asyncio.new_event_loop()
    loop.run_until_complete(store.open())
    try:
        benchmark.pedantic(lambda: loop.run_until_complete(write_all()), rounds=3)
    finally:
        loop.run_until_complete(store.close())
        loop.close()
    rate = total / benchmark.stats.stats.median
    benchmark.extra_info["events_per_second"] = round(rate)
    print(f"\n{kind}: {rate:,.0f} events/s sustained")


@pytest.mark.benchmark(group="run with a store")
def test_run_persisting_to_postgres(benchmark: Any, pg_url: str) -> None:
    config = TestConfig(intents=200_000)
    bare = asyncio.run(DryTestingEngine(config).run())
    rounds = iter(range(1_000))

    def stored_run() -> Any:
        # A new seed each round, so each is a new run rather than a replay.
        seeded = config.model_copy(update={"seed": next(rounds) + 1})
        return asyncio.run(DryTestingEngine(seeded, store=PostgresStore(pg_url)).run())

    result = benchmark.pedantic(stored_run, rounds=1)
    ratio = result.intents_per_second / bare.intents_per_second
    benchmark.extra_info["ratio_to_no_store"] = round(ratio, 3)
    print(
        f"\nno store {bare.intents_per_second:,.0f}/s, PostgreSQL "
        f"{result.intents_per_second:,.0f}/s: {ratio:.0%}"
    )


@pytest.mark.benchmark(group="recovery")
def test_recover_a_million_orders(benchmark: Any, pg_url: str) -> None:
    run_id = run_uuid(b"recovery bench")
    asyncio.run(_fill(pg_url, run_id))
    store = PostgresStore(pg_url)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(store.open())
    try:
        recovery = benchmark.pedantic(
            lambda: loop.run_until_complete(recover(store, run_id)), rounds=3
        )
    finally:
        loop.run_until_complete(store.close())
        loop.close()
    assert len(recovery.in_flight) == ORDERS // IN_FLIGHT_EVERY
    print(
        f"\nrecovered {ORDERS:,} orders / {ORDERS * EVENTS_PER_ORDER:,} events: "
        f"{len(recovery.in_flight):,} in flight, median {benchmark.stats.stats.median:.3f} s"
    )


async def _fill(url: str, run_id: uuid.UUID) -> None:
    """A stored run of ORDERS orders and 5 events each, made inside PostgreSQL."""
    async with PostgresStore(url) as store:  # opening creates the schema
        await store.begin_run(run_id, "{}")
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO orders SELECT $1, o, o, 1, 'm', 'buy', 'yes', 500000, 1000000, 'GTC', "
            "NULL, false, 0 FROM generate_series(1, $2::bigint) o",
            run_id,
            ORDERS,
        )
        # Event UUIDs as events.event_uuid_int makes them: the run's upper 64 bits, then
        # the variant bit over the sequence (the sign bit of a bigint).
        upper = f"{event_uuid_int(run_id, 0) >> 64:016x}"
        await connection.execute(
            "INSERT INTO order_events SELECT "
            "($3 || lpad(to_hex(s | (-9223372036854775808)::bigint), 16, '0'))::uuid, "
            "$1, s, (s - 1) / 5 + 1, 1, 1, 1, 1, 1, 500000, 1000000, 0, 0, s "
            "FROM generate_series(1, $2::bigint) s",
            run_id,
            ORDERS * EVENTS_PER_ORDER,
            upper,
        )
        await connection.execute(
            "INSERT INTO finished_orders SELECT $1, o, 3 FROM generate_series(1, $2::bigint) o "
            "WHERE o % $3 <> 0",
            run_id,
            ORDERS,
            IN_FLIGHT_EVERY,
        )
        await connection.execute(
            "UPDATE runs SET events = $2 WHERE run_id = $1", run_id, ORDERS * EVENTS_PER_ORDER
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
