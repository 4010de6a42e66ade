"""Where runs are kept: the embedded SQLite file (default) or PostgreSQL."""

from __future__ import annotations

from urllib.parse import urlsplit

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


def open_store(url: str | None, *, create: bool = True) -> Store:
    """The store a URL names: postgresql://..., sqlite:PATH, or None for the default file.

    With `create=False` (to read a run that should be there) a SQLite file that does not
    exist is an error when the store is opened, rather than made empty.
    """
    if url is None:
        return SqliteStore(DEFAULT_SQLITE, create=create)
    if url.startswith("sqlite:"):
        path = url.removeprefix("sqlite:").removeprefix("//")
        if not path:
            raise StoreError(f"{url!r} names no file: use sqlite:PATH")
        return SqliteStore(path, create=create)
    try:
        urlsplit(url).port  # noqa: B018 (reading the port checks it)
    except ValueError as exc:  # the URL may hold a password: it is not repeated
        raise StoreError(f"malformed database URL: {exc}") from None
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url)
    raise StoreError(
        f"unsupported database URL {redact(url)!r}: use postgresql://USER@HOST/DB or sqlite:PATH"
    )
