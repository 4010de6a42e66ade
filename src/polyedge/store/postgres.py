"""The PostgreSQL store, through an asyncpg pool.

Batches are written with binary COPY straight into the tables, the payloads built with
numpy (pgbinary). A batch that may be stored in part already (the retry of a write whose
outcome is unknown) is merged instead: COPY into per-connection staging tables, then
INSERT ... ON CONFLICT DO NOTHING on the keys (the event UUID), so a row is never
duplicated. A ConnectionTracker counts the pool's connections opened, closed, failed and in use.
Each failed write is logged (logger polyedge.store.postgres, INFO, with its traceback);
the caller retries it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from importlib import resources
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import numpy as np
import numpy.typing as npt

from polyedge.store import pgbinary
from polyedge.store.base import (
    IN_FLIGHT,
    SCHEMA_VERSION,
    Batch,
    ConnectionStats,
    InFlight,
    RunRecord,
    RunStatus,
    Store,
    StoreError,
    fold_in_flight,
)

CONNECT_TIMEOUT_S = 5.0
# The advisory lock held while the schema is checked and applied (any fixed key will do).
_SCHEMA_LOCK = int.from_bytes(b"polyedge", "big")
_CONNECTION_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)
# What leaves a connection unusable: lost, or asyncpg's protocol confused by losing it.
_LOST = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, asyncpg.InternalClientError)
_log = logging.getLogger(__name__)

_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS staging_orders (LIKE orders) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS staging_events (LIKE order_events) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS staging_finished (LIKE finished_orders) ON COMMIT DELETE ROWS;
"""
_TABLES = ("orders", "order_events", "finished_orders")
_STAGING_TABLES = ("staging_orders", "staging_events", "staging_finished")
# Everything a batch changes besides its rows, in one round trip.
_FOLLOW_UP = """
WITH groups AS (
    INSERT INTO arbitrage_groups SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING
)
UPDATE runs SET events = GREATEST(events, $3) WHERE run_id = $1
"""
# A BRIN index narrows a lookup only to the block ranges it has summarized: rows added
# since lie in ranges that every lookup reads. The server summarizes at VACUUM (never, where
# autovacuum is off), so each run ends by summarizing what it wrote, all but a last partial
# range: 0.14 s for 520,000 events. Unsummarized, every run stored since was read again.
_SUMMARIZE = "SELECT brin_summarize_new_values('order_events_by_order_range')"
# For a run just written the planner has no statistics, and prices the BRIN bitmap scan
# as dear as a parallel scan of the whole table, which it then picks (with JIT compiling on
# top: 0.27 s): 1.1 s against 0.44 s in a database of 15 runs, growing with each run.
_BRIN_ONLY = "SET LOCAL enable_seqscan = off; SET LOCAL jit = off"
_MERGE = """
INSERT INTO orders SELECT * FROM staging_orders ON CONFLICT DO NOTHING;
INSERT INTO order_events SELECT * FROM staging_events ON CONFLICT DO NOTHING;
INSERT INTO finished_orders SELECT * FROM staging_finished ON CONFLICT DO NOTHING;
"""


def schema_sql() -> str:
    return resources.files("polyedge.store").joinpath("schema.sql").read_text()


def redact(url: str) -> str:
    """`url` without its password."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


class ConnectionTracker:
    """Counts what the pool does with connections; every connect goes through here."""

    def __init__(self) -> None:
        self.stats = ConnectionStats()

    async def connect(self, *args: Any, **kwargs: Any) -> asyncpg.Connection:
        try:
            connection = await asyncpg.connect(*args, **kwargs)
        except BaseException:
            self.stats.failed += 1
            raise
        self.stats.opened += 1
        connection.add_termination_listener(self._closed)
        return connection

    def _closed(self, connection: asyncpg.Connection) -> None:
        self.stats.closed += 1

    @contextlib.asynccontextmanager
    async def using(self, pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
        """A connection of the pool. Where it turns out lost, it is closed rather than given
        back to be reset (which would fail too, and report it to the loop's exception
        handler), and the error that lost it is raised, not asyncpg's InterfaceError at
        rolling back over it."""
        async with pool.acquire() as connection:
            self.stats.in_use += 1
            try:
                yield connection
            except _LOST as exc:
                with contextlib.suppress(asyncpg.InterfaceError):  # given back once closed
                    connection.terminate()
                reason = _first(exc)
                if reason is exc:
                    raise
                raise reason from None
            finally:
                self.stats.in_use -= 1


def _first(error: BaseException) -> BaseException:
    """`error`, or where it is an InterfaceError raised while handling another error (using
    the connection that error lost), that other error."""
    while isinstance(error, asyncpg.InterfaceError) and error.__context__ is not None:
        error = error.__context__
    return error


def _explain(error: BaseException, url: str) -> StoreError:
    """One clear line for what went wrong reaching the database; no credentials."""
    where = redact(url)
    if isinstance(
        error, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError
    ):
        return StoreError(f"{where}: authentication failed ({error})")
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return StoreError(f"{where}: {error}")
    if isinstance(error, OSError | TimeoutError | asyncpg.CannotConnectNowError):
        return StoreError(f"cannot reach the database at {where}: {error or 'timed out'}")
    return StoreError(f"{where}: {type(error).__name__}: {error}")


class PostgresStore(Store):
    def __init__(self, url: str) -> None:
        self._url = url
        self.description = f"PostgreSQL {redact(url)}"
        self._tracker = ConnectionTracker()
        self.connections = self._tracker.stats
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        try:
            connection = await self._tracker.connect(self._url, timeout=CONNECT_TIMEOUT_S)
        except ValueError as exc:  # a malformed URL
            raise StoreError(f"malformed database URL {redact(self._url)}: {exc}") from None
        except _CONNECTION_ERRORS as exc:
            raise _explain(exc, self._url) from None
        try:
            await self._ensure_schema(connection)
        except _CONNECTION_ERRORS as exc:
            raise _explain(exc, self._url) from None
        finally:
            await connection.close()
        try:
            self._pool = await asyncpg.create_pool(
                self._url,
                # No floor of connections: asyncpg would restore it in the background while
                # the database is down, logging a traceback at every try. Writes connect as
                # they need to, and their failures are retried and reported by the writer.
                min_size=0,
                max_size=IN_FLIGHT,  # a connection for each batch being written
                timeout=CONNECT_TIMEOUT_S,
                connect=self._tracker.connect,
                init=self._prepare,
            )
        except _CONNECTION_ERRORS as exc:
            raise _explain(exc, self._url) from None

    async def _ensure_schema(self, connection: asyncpg.Connection) -> None:
        """Check the schema's version and apply the schema, one store at a time: stores
        opened at once on a new database would otherwise all create the same tables, and
        all but one fail."""
        async with connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
            has_meta = await connection.fetchval("SELECT to_regclass('polyedge_meta') IS NOT NULL")
            if has_meta:
                version = await connection.fetchval(
                    "SELECT value FROM polyedge_meta WHERE key = 'schema_version'"
                )
                if version != SCHEMA_VERSION:
                    raise StoreError(
                        f"{redact(self._url)} holds polyedge schema version {version}; this "
                        f"polyedge needs version {SCHEMA_VERSION}: use another database"
                    )
            await connection.execute(schema_sql())  # idempotent

    async def _prepare(self, connection: asyncpg.Connection) -> None:
        await connection.execute(_STAGING)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    def _use(self) -> contextlib.AbstractAsyncContextManager[asyncpg.Connection]:
        if self._pool is None:
            raise StoreError("the store is not open")
        return self._tracker.using(self._pool)

    async def begin_run(self, run_id: uuid.UUID, config_json: str) -> RunRecord:
        async with self._use() as connection:
            await connection.execute(
                "INSERT INTO runs (run_id, config, status) VALUES ($1, $2::jsonb, 'running') "
                "ON CONFLICT (run_id) DO NOTHING",
                run_id,
                config_json,
            )
        record = await self.get_run(run_id)
        assert record is not None
        return record

    async def get_run(self, run_id: uuid.UUID) -> RunRecord | None:
        async with self._use() as connection:
            row = await connection.fetchrow(
                "SELECT config::text, status, events, digest FROM runs WHERE run_id = $1", run_id
            )
        if row is None:
            return None
        return RunRecord(run_id, row["config"], row["status"], row["events"], row["digest"])

    async def write(
        self,
        run_id: uuid.UUID,
        batch: Batch,
        merge: bool = False,
        after: asyncio.Future[None] | None = None,
    ) -> None:
        finishing = batch.finishing()
        payloads = (
            pgbinary.orders(run_id, batch.orders) if batch.orders else None,
            pgbinary.events(run_id, batch.events) if len(batch.events) else None,
            pgbinary.finished(run_id, finishing) if len(finishing) else None,
        )
        try:
            async with self._use() as connection, connection.transaction():
                tables = _STAGING_TABLES if merge else _TABLES
                for table, payload in zip(tables, payloads, strict=True):
                    if payload is not None:
                        await connection.copy_to_table(table, source=payload, format="binary")
                if merge:
                    await connection.execute(_MERGE)
                if after is not None:  # the rows are sent; commit them after the batch before
                    await asyncio.shield(after)  # (shielded: cancelling us must not cancel it)
                await connection.execute(_FOLLOW_UP, run_id, batch.groups(), batch.last)
        except Exception:
            _log.info("writing the events up to %d failed", batch.last, exc_info=True)
            raise

    async def _fetch(self, query: str, *args: object, settings: str = "") -> list[asyncpg.Record]:
        async with self._use() as connection, connection.transaction():
            if settings:
                await connection.execute(settings)
            return await connection.fetch(query, *args)  # type: ignore[no-any-return]

    async def _bigints(self, query: str, *args: object) -> npt.NDArray[np.int64]:
        """The one bigint column `query` selects, as a numpy array (binary COPY: no records)."""
        chunks: list[bytes] = []

        async def take(chunk: bytes) -> None:
            chunks.append(chunk)

        async with self._use() as connection:
            await connection.copy_from_query(query, *args, output=take, format="binary")
        return pgbinary.bigints(b"".join(chunks))

    async def end_run(self, run_id: uuid.UUID, status: RunStatus, digest: str | None) -> None:
        async with self._use() as connection:
            await connection.execute(
                "UPDATE runs SET status = $2, digest = $3, finished_at = now() WHERE run_id = $1",
                run_id,
                status,
                digest,
            )
            await connection.execute(_SUMMARIZE)

    async def in_flight(self, run_id: uuid.UUID) -> list[InFlight]:
        # Created minus finished, as two id columns diffed here: an anti-join's plan depends
        # on statistics that a run just written (what recovery meets) does not have yet.
        # Queries that do not depend on each other go on the pool's two connections at once.
        created, finished = await asyncio.gather(
            self._bigints("SELECT order_id FROM orders WHERE run_id = $1", run_id),
            self._bigints("SELECT order_id FROM finished_orders WHERE run_id = $1", run_id),
        )
        # Sorted: the event lookup's range is the first id to the last. (With assume_unique
        # the diff keeps the order rows came in, and an unwind's id, near 2**62, comes
        # anywhere.) Sorting what is left is cheaper than the diff sorting both columns.
        ids = np.sort(np.setdiff1d(created, finished, assume_unique=True)).tolist()
        if not ids:
            return []
        orders, events = await asyncio.gather(
            self._fetch(
                "SELECT order_id, lane_seq, venue, market_id, side, outcome, price, size, "
                "time_in_force, expires_at, post_only, group_id FROM orders "
                "WHERE run_id = $1 AND order_id = ANY($2::bigint[]) ORDER BY order_id",
                run_id,
                ids,
            ),
            # The run and the id range let the BRIN index skip blocks; "+ 0" keeps the id
            # list out of the index scan (BRIN tests every id on every block range: 25 s
            # for 10,000 ids over 5M events) and in a filter, where it is hashed.
            self._fetch(
                "SELECT order_id, event, to_state, size FROM order_events WHERE run_id = $1 "
                "AND order_id BETWEEN $3 AND $4 AND order_id + 0 = ANY($2::bigint[]) "
                "ORDER BY seq",
                run_id,
                ids,
                ids[0],
                ids[-1],
                settings=_BRIN_ONLY,
            ),
        )
        return fold_in_flight([tuple(row) for row in orders], [tuple(row) for row in events])
