"""Fixtures shared by tests/ and benches/."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database, dropped afterwards.

    Made next to the database DATABASE_URL names. Without DATABASE_URL the test skips,
    except in CI, where PostgreSQL tests must run.
    """
    admin = os.environ.get("DATABASE_URL")
    if not admin:
        if IN_CI:
            pytest.fail("DATABASE_URL is not set: CI must run the PostgreSQL tests")
        pytest.skip(
            "PostgreSQL tests need DATABASE_URL (e.g. postgresql://postgres@127.0.0.1/test)"
        )
    name = f"polyedge_t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(admin, f"CREATE DATABASE {name}"))
    yield admin.rsplit("/", 1)[0] + "/" + name
    asyncio.run(_admin(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()
