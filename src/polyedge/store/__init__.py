"""Where runs are kept: the embedded SQLite file (default) or PostgreSQL."""

from __future__ import annotations

from polyedge.store.base import Batch, InFlight, RunRecord, Store, StoreError, WriterStats
from polyedge.store.postgres import PostgresStore, redact
from polyedge.store.sqlite import SqliteStore

DEFAULT_SQLITE = "polyedge.sqlite3"

__all__ = [
    "DEFAULT_SQLITE",
    "Batch",
    "InFlight",
    "PostgresStore",
    "RunRecord",
    "SqliteStore",
    "Store",
    "StoreError",
    "WriterStats",
    "open_store",
]


def open_store(url: str | None) -> Store:
    """The store a URL names: postgresql://..., sqlite:PATH, or None for the default file."""
    if url is None:
        return SqliteStore(DEFAULT_SQLITE)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url)
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:").removeprefix("//")
        if not path:
            raise StoreError(f"{url!r} names no file: use sqlite:PATH")
        return SqliteStore(path)
    raise StoreError(
        f"unsupported database URL {redact(url)!r}: use postgresql://USER@HOST/DB or sqlite:PATH"
    )
