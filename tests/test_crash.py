"""The crash campaign: a stored run stopped any way, at any point, resumes to the run that
was never stopped, row for row and with the same digest, on both stores.

SIGKILL comes from inside the run (tests/crash_victim.py), at seeded-random events spread
over the whole run, plus chosen ones: the very end, in the middle of a write, and while
arbitrage legs are being unwound. SIGINT and SIGTERM, once (drain, report, exit 130 or 143)
and twice (stop at once), are sent to `polyedge run` itself at seeded-random moments; what
they leave stored must be a prefix of the uninterrupted run. Resumes alternate between
`polyedge run --resume ID` and running the same command again.

The compiled pass runs every point; the pure-Python pass (POLYEDGE_NO_EXTENSIONS=1), whose
runs are several times slower, a few of them.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from polyedge import _core
from polyedge._core import TERMINAL_STATES
from polyedge.config import TestConfig
from polyedge.coordinator import UNWIND_IDS
from polyedge.engine import DryTestingEngine

VICTIM = Path(__file__).with_name("crash_victim.py")
# Every fault on both venues and many arbitrage groups, most of them unwound: 40,000
# intents, about 90,000 events (22 batches of the event log).
SCENARIO = """
intents = 40000
arrival_rate = 1000
seed = 5

[mix]
arbitrage = 0.2
gtc_lifetime_s = 1.0
gtd_lifetime_s = 1.0

[[markets]]
venue = "polymarket"
market_id = "pm-btc-100k"
twin = "KXBTC-100K"
volatility = 0.1

[[markets]]
venue = "kalshi"
market_id = "KXBTC-100K"
twin = "pm-btc-100k"
volatility = 0.1

[[venues]]
venue = "polymarket"
[venues.faults]
drop_ack_rate = 0.05
duplicate_fill_rate = 0.05
reorder_rate = 0.2
response_timeout_s = 0.5
outages = [{ start_s = 5.0, end_s = 5.5, mode = "reject" },
           { start_s = 20.0, end_s = 20.5, mode = "timeout" }]
disconnects = [{ at_s = 12.0, down_s = 0.3 }]

[[venues]]
venue = "kalshi"
[venues.faults]
drop_ack_rate = 0.05
duplicate_fill_rate = 0.05
reorder_rate = 0.2
response_timeout_s = 0.5
outages = [{ start_s = 8.0, end_s = 8.5, mode = "timeout" },
           { start_s = 30.0, end_s = 30.5, mode = "reject" }]
disconnects = [{ at_s = 25.0, down_s = 0.3 }]
"""
RANDOM_KILLS = 20 if _core.COMPILED else 3
SIGNAL_ROUNDS = 2 if _core.COMPILED else 1  # per signal and per count (once, twice)
TABLES = {  # each table's rows, in a stable order; the runs row without its timestamps
    "runs": "SELECT status, events, digest FROM runs",
    "orders": "SELECT * FROM orders ORDER BY order_id",
    "order_events": "SELECT * FROM order_events ORDER BY seq",
    "finished_orders": "SELECT * FROM finished_orders ORDER BY order_id",
    "arbitrage_groups": "SELECT * FROM arbitrage_groups ORDER BY group_id",
}
Rows = dict[str, list[tuple[Any, ...]]]


class Database:
    """Where the campaign's runs are stored, emptied between points."""

    url: str

    def rows(self) -> Rows:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError

    def stored(self) -> int:
        """The run's high-water mark (0 before it is begun)."""
        runs = self.rows_of("SELECT events FROM runs")
        return int(runs[0][0]) if runs else 0

    def rows_of(self, query: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError


class SqliteDatabase(Database):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:{path}"

    def rows_of(self, query: str) -> list[tuple[Any, ...]]:
        if not self.path.exists():
            return []
        with sqlite3.connect(self.path) as db:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchone():
                return []
            return db.execute(query).fetchall()

    def rows(self) -> Rows:
        return {table: self.rows_of(query) for table, query in TABLES.items()}

    def clear(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


class PostgresDatabase(Database):
    def __init__(self, url: str) -> None:
        self.url = url

    def rows_of(self, query: str) -> list[tuple[Any, ...]]:
        return asyncio.run(self._fetch([query]))[0]

    def rows(self) -> Rows:
        return dict(zip(TABLES, asyncio.run(self._fetch(list(TABLES.values()))), strict=True))

    def clear(self) -> None:
        asyncio.run(self._fetch([], "DROP TABLE IF EXISTS " + ", ".join(TABLES) + " CASCADE"))

    async def _fetch(self, queries: list[str], statement: str = "") -> list[list[tuple[Any, ...]]]:
        connection = await asyncpg.connect(self.url)
        try:
            if statement:
                await connection.execute(statement)
            exists = await connection.fetchval("SELECT to_regclass('runs') IS NOT NULL")
            return [
                [tuple(row) for row in await connection.fetch(query)] if exists else []
                for query in queries
            ]
        finally:
            await connection.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield SqliteDatabase(tmp_path / "crash.sqlite3")
    else:
        yield PostgresDatabase(request.getfixturevalue("pg_url"))


@dataclass(frozen=True)
class Reference:
    """The uninterrupted run, as stored."""

    rows: Rows
    run_id: str

    @property
    def events(self) -> int:
        return len(self.rows["order_events"])

    def unwinding_at(self, mark: int) -> int:
        """Unwind orders in flight when event `mark` was the last one logged."""
        begun: dict[int, int] = {}
        ended: dict[int, int] = {}
        terminal = {int(state) for state in TERMINAL_STATES}
        for event in self.rows["order_events"]:
            seq, order_id, to_state = _event_fields(event)
            if order_id >= UNWIND_IDS:
                begun.setdefault(order_id, seq)
                if to_state in terminal:
                    ended.setdefault(order_id, seq)
        return sum(1 for order, first in begun.items() if first <= mark < ended.get(order, 1 << 62))

    def assert_prefix(self, rows: Rows) -> None:
        """`rows` are what the uninterrupted run stores, up to their high-water mark."""
        mark = rows["runs"][0][1] if rows["runs"] else 0
        assert rows["order_events"] == self.rows["order_events"][:mark]
        for table in ("orders", "finished_orders", "arbitrage_groups"):
            assert set(rows[table]) <= set(self.rows[table]), table


def _event_fields(event: tuple[Any, ...]) -> tuple[int, int, int]:
    """seq, order id and to-state of an order_events row (event_id, run_id, seq, order_id,
    lane_seq, venue, event, from_state, to_state, ...), the same on both stores."""
    return int(event[2]), int(event[3]), int(event[8])


def polyedge(database: Database, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return subprocess.Popen(
        [sys.executable, "-m", "polyedge", "run", *args, "--database-url", database.url, "-q"],
        cwd=tmp_path,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, errors = process.communicate(timeout=300)
    return process.returncode, errors


def resume(database: Database, tmp_path: Path, scenario: Path, run_id: str, by_id: bool) -> None:
    """Continue the stored run, by its id or by running the same command again."""
    args = ("--resume", run_id) if by_id else ("--config", str(scenario))
    code, errors = finish(polyedge(database, tmp_path, *args))
    assert code == 0, errors


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO)
    return path


@pytest.fixture
def reference(database: Database, tmp_path: Path, scenario: Path) -> Reference:
    code, errors = finish(polyedge(database, tmp_path, "--config", str(scenario)))
    assert code == 0, errors
    rows = database.rows()
    assert rows["runs"][0][0] == "completed" and rows["runs"][0][1] == len(rows["order_events"])
    database.clear()
    return Reference(rows, str(DryTestingEngine(TestConfig.load(scenario)).run_id))


def test_sigkill_at_any_event_resumes_to_the_uninterrupted_run(
    database: Database, tmp_path: Path, scenario: Path, reference: Reference
) -> None:
    total = reference.events
    draw = random.Random(30)
    boundaries = range(4096, total, 4096)  # where the event log hands its batches on
    unwinding = [mark for mark in boundaries if reference.unwinding_at(mark)]
    points = [
        (draw.choice(("commit", "write")), draw.randint(1, total)) for _ in range(RANDOM_KILLS)
    ]
    points += [
        ("write", 1),  # the first write under way: nothing stored but the run's row
        ("commit", total),  # every event stored, the run not yet marked completed
        ("end", total),  # the same, killed as it is marked
        *(("commit", mark) for mark in draw.sample(unwinding, min(2, len(unwinding)))),
    ]
    outcomes = []
    for number, (how, point) in enumerate(points):
        database.clear()
        victim = subprocess.run(
            [sys.executable, str(VICTIM), database.url, str(scenario), how, str(point)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert victim.returncode == -signal.SIGKILL, victim.stderr
        mark = database.stored()
        outcomes.append((how, point, mark, reference.unwinding_at(mark)))
        reference.assert_prefix(database.rows())
        resume(database, tmp_path, scenario, reference.run_id, by_id=number % 2 == 1 and mark > 0)
        assert database.rows() == reference.rows, (how, point, mark)
    print(f"\n{type(database).__name__}: (how, point, high-water mark, unwinds in flight)")
    print("\n".join(map(str, outcomes)))
    marks = {mark for _, _, mark, _ in outcomes}
    assert len(marks) >= min(8, len(points) // 2), "the kills should spread over the run"
    assert {0, total} <= marks
    assert any(unwinds for *_, unwinds in outcomes), "no kill fell inside an unwind"


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=lambda n: n.name)
def test_a_signal_stores_a_prefix_and_the_run_resumes(
    database: Database,
    tmp_path: Path,
    scenario: Path,
    reference: Reference,
    number: signal.Signals,
) -> None:
    draw = random.Random(int(number))
    outcomes = []
    for round_number, times in enumerate([1, 2] * SIGNAL_ROUNDS):
        delay = draw.uniform(0, 0.8)  # after the run is begun; it takes intents for ~1 s
        while True:
            code, errors, rows = stop(database, tmp_path, scenario, number, times, delay)
            status, mark = rows["runs"][0][:2]
            outcomes.append((times, round(delay, 3), code, status, mark))
            if status == "interrupted" or delay < 0.001:
                break
            # The signal came once the run had taken all its intents: it ran to the end.
            assert code in (0, 128 + number, -number), errors
            assert rows == reference.rows and "Traceback" not in errors
            delay /= 4  # sooner, until one lands while the run is going
        assert status == "interrupted", "no signal arrived while the run was going"
        assert "Traceback" not in errors
        if times == 1:
            assert code == 128 + number, errors
            assert f"stopped; {mark:,} events are stored; resume with" in errors, errors
        elif code != -number:  # (the second signal may land as the process exits: killed)
            assert code == 128 + number, errors
            assert "stopped at once" in errors or "events are stored; resume with" in errors
        reference.assert_prefix(rows)
        resume(database, tmp_path, scenario, reference.run_id, by_id=round_number % 2 == 0)
        assert database.rows() == reference.rows
    print(f"\n{number.name} {type(database).__name__}: (signals, delay, exit, status, mark)")
    print("\n".join(map(str, outcomes)))


def stop(
    database: Database,
    tmp_path: Path,
    scenario: Path,
    number: signal.Signals,
    times: int,
    delay: float,
) -> tuple[int, str, Rows]:
    """Run the scenario and send it `times` signals `number`, the first `delay` seconds
    after the run is begun in the store: the exit code, stderr and the rows stored."""
    database.clear()
    process = polyedge(database, tmp_path, "--config", str(scenario))
    while not database.rows_of("SELECT 1 FROM runs") and process.poll() is None:
        time.sleep(0.001)
    time.sleep(delay)
    for _ in range(times):
        process.send_signal(number)
        time.sleep(0.05)
    code, errors = finish(process)
    return code, errors, database.rows()
