"""The embedded SQLite store: a file, no server, the zero-setup default.

The same logical schema as schema.sql (UUIDs as 16-byte blobs, JSON as text). sqlite3
calls run in one worker thread, so the event loop never waits on the disk.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from polyedge.events import EVENTS, event_ids
from polyedge.store.base import (
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

T = TypeVar("T")

ROWS_PER_INSERT = 64  # 64 order events are 896 parameters: below SQLite's oldest limit, 999

SCHEMA = """
CREATE TABLE IF NOT EXISTS polyedge_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO polyedge_meta (key, value) VALUES ('schema_version', '1');
CREATE TABLE IF NOT EXISTS runs (
    run_id BLOB PRIMARY KEY, config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted')),
    events INTEGER NOT NULL DEFAULT 0, digest TEXT,
    started_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, finished_at TEXT
);
CREATE TABLE IF NOT EXISTS orders (
    run_id BLOB NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    order_id INTEGER NOT NULL, lane_seq INTEGER NOT NULL, venue INTEGER NOT NULL,
    market_id TEXT NOT NULL, side TEXT NOT NULL, outcome TEXT NOT NULL,
    price INTEGER NOT NULL, size INTEGER NOT NULL, time_in_force TEXT NOT NULL,
    expires_at INTEGER, post_only INTEGER NOT NULL, group_id INTEGER NOT NULL,
    PRIMARY KEY (run_id, order_id)
);
CREATE TABLE IF NOT EXISTS finished_orders (
    run_id BLOB NOT NULL, order_id INTEGER NOT NULL, final_state INTEGER NOT NULL,
    PRIMARY KEY (run_id, order_id)
);
CREATE TABLE IF NOT EXISTS arbitrage_groups (
    run_id BLOB NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL,
    PRIMARY KEY (run_id, group_id)
);
CREATE TABLE IF NOT EXISTS order_events (
    event_id BLOB PRIMARY KEY,
    run_id BLOB NOT NULL,
    seq INTEGER NOT NULL, order_id INTEGER NOT NULL, lane_seq INTEGER NOT NULL,
    venue INTEGER NOT NULL, event INTEGER NOT NULL, from_state INTEGER NOT NULL,
    to_state INTEGER NOT NULL, price INTEGER NOT NULL, size INTEGER NOT NULL,
    fee INTEGER NOT NULL, reason INTEGER NOT NULL, sim_time INTEGER NOT NULL
) WITHOUT ROWID;  -- as in schema.sql: orders are written first, in the same transaction
CREATE INDEX IF NOT EXISTS order_events_by_order ON order_events (run_id, order_id);
CREATE VIEW IF NOT EXISTS fills AS
    SELECT event_id, run_id, seq, order_id, venue, price, size, fee, sim_time
    FROM order_events WHERE event IN (3, 4) AND to_state >= 0;
"""


class SqliteStore(Store):
    """A SQLite file; with `create=False` a missing file is an error rather than made."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        self._path = Path(path)
        self._create = create
        self.description = f"SQLite {self._path}"
        self.connections = ConnectionStats()
        self._db: sqlite3.Connection | None = None
        self._thread: ThreadPoolExecutor | None = None  # one per opening: close() ends it

    async def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        db = self._db
        if db is None or self._thread is None:
            raise StoreError("the store is not open")

        def run() -> T:
            self.connections.in_use += 1
            try:
                return work(db)
            finally:
                self.connections.in_use -= 1

        return await asyncio.get_running_loop().run_in_executor(self._thread, run)

    async def open(self) -> None:
        if not self._create and not self._path.is_file():
            raise StoreError(f"no store at {self._path}: no run has been stored there")

        def connect() -> sqlite3.Connection:
            try:
                db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open {self._path}: {exc}") from None
            try:
                return _prepared(db, self._path)
            except BaseException:
                db.close()
                raise

        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="polyedge-sqlite")
        try:
            self._db = await asyncio.get_running_loop().run_in_executor(self._thread, connect)
        except StoreError:
            self.connections.failed += 1
            self._thread.shutdown(wait=False)
            self._thread = None
            raise
        self.connections.opened += 1

    async def close(self) -> None:
        if self._db is not None:
            await self._call(lambda db: db.close())
            self._db = None
            self.connections.closed += 1
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None

    async def begin_run(self, run_id: uuid.UUID, config_json: str) -> RunRecord:
        await self._call(
            lambda db: db.execute(
                "INSERT OR IGNORE INTO runs (run_id, config, status) VALUES (?, ?, 'running')",
                (run_id.bytes, config_json),
            )
        )
        record = await self.get_run(run_id)
        assert record is not None
        return record

    async def get_run(self, run_id: uuid.UUID) -> RunRecord | None:
        row = await self._call(
            lambda db: db.execute(
                "SELECT config, status, events, digest FROM runs WHERE run_id = ?", (run_id.bytes,)
            ).fetchone()
        )
        return None if row is None else RunRecord(run_id, row[0], row[1], row[2], row[3])

    async def write(
        self,
        run_id: uuid.UUID,
        batch: Batch,
        merge: bool = False,
        after: asyncio.Future[None] | None = None,
    ) -> None:
        # INSERT OR IGNORE costs SQLite nothing extra, so every write merges.
        run = run_id.bytes
        if after is not None:  # one writer thread: nothing to overlap, so simply wait
            await asyncio.shield(after)

        def write(db: sqlite3.Connection) -> None:
            events, finishing, groups = batch.events, batch.finishing(), batch.groups()
            with _transaction(db):
                _insert(db, "orders", len(batch.orders), run, *zip(*batch.orders, strict=True))
                _insert(db, "arbitrage_groups", len(groups), run, groups)
                _insert(
                    db,
                    "order_events",
                    len(events),
                    event_ids(run_id, events["seq"]).view("V16").tolist(),
                    run,
                    *(events[name] for name in EVENTS.names or ()),
                )
                _insert(
                    db,
                    "finished_orders",
                    len(finishing),
                    run,
                    finishing["order_id"],
                    finishing["to_state"],
                )
                if batch.last:
                    db.execute(
                        "UPDATE runs SET events = max(events, ?) WHERE run_id = ?",
                        (batch.last, run),
                    )

        await self._call(write)

    async def end_run(self, run_id: uuid.UUID, status: RunStatus, digest: str | None) -> None:
        await self._call(
            lambda db: db.execute(
                "UPDATE runs SET status = ?, digest = ?, finished_at = CURRENT_TIMESTAMP "
                "WHERE run_id = ?",
                (status, digest, run_id.bytes),
            )
        )

    async def in_flight(self, run_id: uuid.UUID) -> list[InFlight]:
        def read(db: sqlite3.Connection) -> list[InFlight]:
            orders = db.execute(
                "SELECT order_id, lane_seq, venue, market_id, side, outcome, price, size, "
                "time_in_force, expires_at, post_only, group_id FROM orders o "
                "WHERE run_id = ? AND NOT EXISTS (SELECT 1 FROM finished_orders f "
                "WHERE f.run_id = o.run_id AND f.order_id = o.order_id) ORDER BY order_id",
                (run_id.bytes,),
            ).fetchall()
            ids = [row[0] for row in orders]
            events: list[Any] = []
            for start in range(0, len(ids), 900):  # SQLite's bound-parameter limit
                chunk = ids[start : start + 900]
                events += db.execute(
                    f"SELECT seq, order_id, event, to_state, size FROM order_events "
                    f"WHERE run_id = ? AND order_id IN ({','.join('?' * len(chunk))})",
                    (run_id.bytes, *chunk),
                ).fetchall()
            events.sort()
            rows = [(*row[:10], bool(row[10]), row[11]) for row in orders]
            return fold_in_flight(rows, [tuple(e[1:]) for e in events])

        return await self._call(read)


def _prepared(db: sqlite3.Connection, path: Path) -> sqlite3.Connection:
    """`db` checked (a SQLite file, not corrupt, of this schema version) and set up."""
    try:
        damage = [row[0] for row in db.execute("PRAGMA quick_check(3)").fetchall()]
        if damage != ["ok"]:
            found = " ".join(" ".join(damage).split())  # on one line
            raise StoreError(f"{path} is corrupt ({found}): use another file")
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        has_meta = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'polyedge_meta'").fetchone()
        if has_meta:
            (version,) = db.execute(
                "SELECT value FROM polyedge_meta WHERE key = 'schema_version'"
            ).fetchone() or (None,)
            if version != SCHEMA_VERSION:
                raise StoreError(
                    f"{path} holds polyedge schema version {version}; this polyedge "
                    f"needs version {SCHEMA_VERSION}: use another file"
                )
        db.executescript(SCHEMA)
    except sqlite3.Error as exc:  # not a database at all, or damaged where the check looked
        raise StoreError(f"{path} is not a usable SQLite file ({exc}): use another file") from None
    return db


def _insert(db: sqlite3.Connection, table: str, count: int, *columns: object) -> None:
    """INSERT OR IGNORE `count` rows given column by column (one value for every row, or a
    sequence of `count`), ROWS_PER_INSERT to a statement: sqlite3 lets go of the GIL once
    per statement rather than once per row (the event loop's thread takes it each time)."""
    if not count:
        return
    rows = np.empty((count, len(columns)), dtype=object)
    for number, column in enumerate(columns):
        rows[:, number] = column
    whole = count - count % ROWS_PER_INSERT
    for statements, per_statement in (
        (rows[:whole].reshape(-1, len(columns) * ROWS_PER_INSERT), ROWS_PER_INSERT),
        (rows[whole:], 1),
    ):
        if len(statements):
            values = ",".join([f"({','.join('?' * len(columns))})"] * per_statement)
            db.executemany(f"INSERT OR IGNORE INTO {table} VALUES {values}", statements.tolist())


class _transaction:
    """BEGIN ... COMMIT, or ROLLBACK on error (the connection is in autocommit mode)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN")

    def __exit__(self, kind: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if kind else "COMMIT")
