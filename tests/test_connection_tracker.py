"""The PostgreSQL pool's connections are counted, and none is left open at shutdown."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from polyedge.store import PostgresStore, StoreError


async def _backends(url: str) -> int:
    """Connections to the database of `url`, other than the one asking."""
    name = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", name
            )
        )
    finally:
        await connection.close()


def test_connections_are_counted_and_closed(pg_url: str) -> None:
    async def run() -> None:
        store = PostgresStore(pg_url)
        await store.open()
        await asyncio.sleep(0)  # termination listeners run at the loop's next turn
        stats = store.connections
        assert (stats.opened, stats.closed) == (1, 1)  # the set-up connection; the pool's
        async with store._use():  # are made as they are needed
            assert (stats.opened, stats.in_use) == (2, 1)
            async with store._use():
                assert stats.in_use == 2
        assert stats.in_use == 0
        assert await _backends(pg_url) == stats.opened - stats.closed
        await store.close()
        assert stats.closed == stats.opened and stats.failed == 0
        assert await _backends(pg_url) == 0  # nothing leaked

    asyncio.run(run())


def test_failed_connections_are_counted() -> None:
    async def run() -> None:
        store = PostgresStore("postgresql://postgres@127.0.0.1:1/nothing")
        with pytest.raises(StoreError, match="cannot reach"):
            await store.open()
        assert (store.connections.failed, store.connections.opened) == (1, 0)

    asyncio.run(run())


def test_a_killed_connection_is_counted_closed_and_replaced(pg_url: str) -> None:
    async def run() -> None:
        store = PostgresStore(pg_url)
        await store.open()
        async with store._use() as connection:
            pid = connection.get_server_pid()
        admin = await asyncpg.connect(pg_url)
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
        await admin.close()
        for _ in range(50):  # the pool notices the closed connection
            if store.connections.closed >= 2:
                break
            await asyncio.sleep(0.02)
        assert await store.get_run(uuid.uuid4()) is None  # a new connection works
        await store.close()
        assert store.connections.closed == store.connections.opened

    asyncio.run(run())


def test_a_connection_lost_in_a_transaction_raises_what_lost_it(pg_url: str) -> None:
    """Not asyncpg's InterfaceError at rolling back over the lost connection."""

    async def run() -> None:
        store = PostgresStore(pg_url)
        await store.open()
        admin = await asyncpg.connect(pg_url)
        with pytest.raises(asyncpg.PostgresConnectionError, match="administrator command"):
            async with store._use() as connection, connection.transaction():
                sleep = asyncio.create_task(connection.execute("SELECT pg_sleep(10)"))
                await asyncio.sleep(0.1)
                await admin.execute("SELECT pg_terminate_backend($1)", connection.get_server_pid())
                await sleep
        await admin.close()
        assert store.connections.closed == 2 and store.connections.in_use == 0
        assert await store.get_run(uuid.uuid4()) is None  # the pool connects again
        await store.close()
        assert store.connections.closed == store.connections.opened

    asyncio.run(run())
