"""Full runs against a real PostgreSQL, with the faults the store must survive.

After each fault, every event the engine produced is in the database exactly once, and
the digest equals that of the same run without faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest

from polyedge import engine
from polyedge.config import TestConfig
from polyedge.engine import DryTestingEngine
from polyedge.metrics import RunResult
from polyedge.store import PostgresStore

INTENTS = 40_000


def config() -> TestConfig:
    return TestConfig(intents=INTENTS, seed=21)


def uninterrupted() -> RunResult:
    return asyncio.run(DryTestingEngine(config()).run())


async def stored(url: str) -> tuple[int, int, int, str]:
    """(events, distinct event ids, events the run row says, run status) in the database."""
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow(
            "SELECT (SELECT count(*) FROM order_events) AS n, "
            "(SELECT count(DISTINCT event_id) FROM order_events) AS d, "
            "(SELECT max(events) FROM runs) AS e, (SELECT max(status) FROM runs) AS s"
        )
        return row["n"], row["d"], row["e"], row["s"]
    finally:
        await connection.close()


def assert_complete(url: str, result: RunResult, reference: RunResult) -> None:
    assert result.digest == reference.digest
    events, distinct, high_water, status = asyncio.run(stored(url))
    assert events == distinct == high_water == reference.events
    assert status == "completed"


def test_connections_killed_mid_batch(pg_url: str) -> None:
    reference = uninterrupted()

    async def run() -> RunResult:
        engine = asyncio.create_task(DryTestingEngine(config(), store=PostgresStore(pg_url)).run())
        while not await stored_or_zero(pg_url):  # mid-run: once the first batch has landed
            await asyncio.sleep(0.01)
        admin = await asyncpg.connect(pg_url)
        killed = 0
        for _ in range(5):  # five kills, 100 ms apart, while batches are being written
            killed += await admin.fetchval(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()) AS k"
            )
            await asyncio.sleep(0.1)
        await admin.close()
        assert killed > 0
        return await engine

    result = asyncio.run(run())
    assert result.store is not None and result.store.retries > 0
    assert result.store.unwritten == 0
    assert_complete(pg_url, result, reference)


class Proxy:
    """A TCP relay on loopback to PostgreSQL that a test can cut and restore."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._links):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._links |= {writer, up_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._links -= {writer, up_writer}


async def proxy_to(url: str) -> tuple[Proxy, str]:
    """A started Proxy to the server of `url` (at 127.0.0.1, the URL's port), and the URL
    through it."""
    server = urlsplit(url)
    proxy = Proxy(server.port or 5432)
    await proxy.start()
    user = server.netloc.rpartition("@")[0]
    address = f"127.0.0.1:{proxy.port}"
    return proxy, server._replace(netloc=f"{user}@{address}" if user else address).geturl()


def test_server_unreachable_for_seconds_mid_run(pg_url: str) -> None:
    reference = uninterrupted()

    async def run() -> RunResult:
        proxy, via_proxy = await proxy_to(pg_url)
        engine = asyncio.create_task(
            DryTestingEngine(config(), store=PostgresStore(via_proxy)).run()
        )
        while not await stored_or_zero(pg_url):  # wait for the first batch to land
            await asyncio.sleep(0.01)
        await proxy.cut()
        await asyncio.sleep(2.0)  # the database is unreachable
        await proxy.start()  # back, on the same port
        return await engine

    result = asyncio.run(run())
    assert result.store is not None and result.store.retries > 0
    assert result.store.connections["failed"] > 0
    assert_complete(pg_url, result, reference)


def test_a_run_whose_database_is_lost_resumes_once_it_is_back(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database goes away for good mid-run: the run ends (after the store's close
    timeout, shortened here) with events unwritten and resumable, and the resume, with
    the database back, ends as the run that was never stopped."""
    reference = uninterrupted()
    monkeypatch.setattr(engine, "STORE_CLOSE_TIMEOUT_S", 1.0)

    async def run() -> RunResult:
        proxy, via_proxy = await proxy_to(pg_url)
        task = asyncio.create_task(DryTestingEngine(config(), store=PostgresStore(via_proxy)).run())
        while not await stored_or_zero(pg_url):  # wait for the first batch to land
            await asyncio.sleep(0.01)
        await proxy.cut()  # and never back on that address
        return await task

    lost = asyncio.run(run())
    assert lost.store is not None and lost.store.unwritten > 0
    events, distinct, high_water, status = asyncio.run(stored(pg_url))
    assert events == distinct == high_water < reference.events
    assert status == "running"  # the store was gone before the run could mark its end
    resumed = asyncio.run(DryTestingEngine(config(), store=PostgresStore(pg_url)).run())
    assert resumed.store is not None and resumed.store.resumed_from == high_water
    assert_complete(pg_url, resumed, reference)


@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "verbose"])
def test_an_outage_is_told_in_words_and_in_detail_only_when_asked(
    pg_url: str, tmp_path: Any, verbose: bool
) -> None:
    """`polyedge run` through an outage: the report says what the database did; the
    driver's own messages and each failed write's traceback reach stderr only with
    --verbose."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"COLUMNS": "500"}

    async def run() -> tuple[int | None, str, str]:
        proxy, via_proxy = await proxy_to(pg_url)
        command = ["run", "--intents", str(INTENTS), "--seed", "21", "--json", "out.json"]
        cli = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "polyedge", *command, "--database-url", via_proxy],
            *(["--verbose"] if verbose else []),
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        output = asyncio.ensure_future(cli.communicate())
        while not await stored_or_zero(pg_url):  # wait for the first batch to land
            assert not output.done(), (await output)[1].decode()
            await asyncio.sleep(0.01)
        await proxy.cut()
        await asyncio.sleep(2.0)  # the database is unreachable
        await proxy.start()
        out, err = await output
        return cli.returncode, out.decode(), err.decode()

    code, out, err = asyncio.run(run())
    assert code == 0, err
    store = json.loads((tmp_path / "out.json").read_text())["store"]
    assert store["retries"] > 0 and store["unwritten"] == 0
    assert f"recovered: the database failed {store['retries']:,} write" in out
    assert f"(first error: {store['errors'][0]})" in out
    assert f"all {store['events_written']:,} events are stored" in out
    assert "DEGRADED" not in out
    detail = ("Traceback", "never retrieved", "asyncpg", "Failed to restore")
    if verbose:
        assert "polyedge.store.postgres: writing the events up to" in err
        assert "Traceback" in err
    else:
        assert not [line for line in err.splitlines() if any(d in line for d in detail)], err


def test_process_killed_then_resumed(pg_url: str, tmp_path: Any) -> None:
    reference = uninterrupted()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    command = [
        sys.executable,
        "-m",
        "polyedge",
        "run",
        "--intents",
        str(INTENTS),
        "--seed",
        "21",
        "--database-url",
        pg_url,
        "--quiet",
    ]
    victim = subprocess.Popen(command, env=env, cwd=tmp_path)
    deadline = time.monotonic() + 60
    while asyncio.run(stored_or_zero(pg_url)) < 4096 and victim.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    events, _, high_water, status = asyncio.run(stored(pg_url))
    assert 0 < high_water < reference.events and status == "running"  # killed mid-run

    run_id = str(asyncio.run(only_run_id(pg_url)))
    recovered = subprocess.run(
        [sys.executable, "-m", "polyedge", "recover", run_id, "--database-url", pg_url],
        env=env,
        capture_output=True,
        text=True,
    )
    assert recovered.returncode == 0, recovered.stderr
    assert f"{high_water:,}" in recovered.stdout

    resumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "polyedge",
            "run",
            "--resume",
            run_id,
            "--database-url",
            pg_url,
            "--json",
            "out.json",
            "--quiet",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert resumed.returncode == 0, resumed.stderr
    figures = json.loads((tmp_path / "out.json").read_text())
    assert figures["digest"] == reference.digest
    assert figures["store"]["resumed_from"] == high_water
    events, distinct, high_water, status = asyncio.run(stored(pg_url))
    assert events == distinct == high_water == reference.events and status == "completed"


async def stored_or_zero(url: str) -> int:
    with contextlib.suppress(asyncpg.PostgresError, OSError):
        return (await stored(url))[2] or 0
    return 0


async def only_run_id(url: str) -> uuid.UUID:
    connection = await asyncpg.connect(url)
    try:
        return uuid.UUID(str(await connection.fetchval("SELECT run_id FROM runs")))
    finally:
        await connection.close()
