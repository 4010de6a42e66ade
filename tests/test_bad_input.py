"""Bad input, as a user meets it at the command line: one clear line, exit 2, nothing
written; and the cases around run identity that used to corrupt or lose a stored run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLE_ORDERS = Path(__file__).parent / "data" / "sample_orders.csv"


def polyedge(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "polyedge", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file in `directory` (a run's SQLite store among them), with its bytes."""
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file()}


def runs(store: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(store) as db:
        return db.execute("SELECT hex(run_id), status, events FROM runs ORDER BY rowid").fetchall()


def run_id_text(hex_id: str) -> str:
    """A run id as hex() of its blob gives it, as the CLI takes it."""
    h = hex_id.lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def assert_refused(done: subprocess.CompletedProcess[str], words: str) -> None:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith("polyedge: "), done.stderr
    assert words in lines[0], lines[0]


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    """A directory whose default store holds one small completed run."""
    done = polyedge(tmp_path, "run", "--intents", "2000", "-q")
    assert done.returncode == 0, done.stderr
    return tmp_path


def write(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("files", "args", "words"),
    [
        (
            {"bad.toml": "# caf\xe9\nintents = 10\n".encode("latin-1")},
            ("run", "--config", "bad.toml"),
            "bad.toml is not valid TOML: not UTF-8 text",
        ),
        ({"bad.toml": b"[mix]\nmax_size = -5\n"}, ("run", "--config", "bad.toml"), "max_size"),
        ({"bad.toml": b"[mix]\nmax_size = 0\n"}, ("run", "--config", "bad.toml"), "max_size"),
        (
            {"bad.toml": b"intents = 100000000000000000000000\n"},
            ("run", "--config", "bad.toml"),
            "intents",
        ),
        (
            {},
            ("run", "--intents", "10", "--database-url", "postgresql://[::1/x"),
            "malformed database URL",
        ),
        ({}, ("run", "--intents", "10", "--json", "no/such/dir/r.json"), "no directory no/such"),
        ({}, ("bench", "--quick", "--json", "/no/such/dir/b.json"), "cannot write"),
        ({}, ("run", "--resume", "3f1f0d4c-9a5e-4b38-8c47-1d5a5c3e2b10"), "no store at"),
        ({}, ("recover", "3f1f0d4c-9a5e-4b38-8c47-1d5a5c3e2b10"), "no store at"),
        ({}, ("run", "--resume", "not-a-uuid"), "is not a run id"),
        (
            {"orders.csv": SAMPLE_ORDERS.read_bytes() + b"99,pm-btc-100k,buy,yes,0.5,oops\n"},
            ("run", "--replay-orders", "orders.csv"),
            "orders.csv:",
        ),
    ],
    ids=[
        "non-utf8-toml",
        "negative-max-size",
        "zero-max-size",
        "huge-intents",
        "unparsable-url",
        "json-in-missing-dir",
        "bench-json-in-missing-dir",
        "resume-unknown-store",
        "recover-unknown-store",
        "resume-not-an-id",
        "bad-replay-row",
    ],
)
def test_bad_input_is_one_line_and_leaves_nothing(
    stored: Path, files: dict[str, bytes], args: tuple[str, ...], words: str
) -> None:
    """In a directory holding a stored run, the bad input changes no file at all (a
    missing store is not made, the existing one not touched)."""
    directory = stored / "fresh" if "no store at" in words else stored
    directory.mkdir(exist_ok=True)
    for name, data in files.items():
        write(directory, name, data)
    before = snapshot(directory)
    assert_refused(polyedge(directory, *args), words)
    assert snapshot(directory) == before


def test_a_corrupt_store_is_refused_at_open(stored: Path) -> None:
    store = stored / "polyedge.sqlite3"
    data = bytearray(store.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = b"\xa5" * 4096  # a page of garbage mid-file
    store.write_bytes(bytes(data))
    before = snapshot(stored)
    assert_refused(polyedge(stored, "run", "--intents", "2000", "-q"), "corrupt")
    assert_refused(polyedge(stored, "run", "--intents", "3000", "-q"), "corrupt")
    assert snapshot(stored) == before


def test_a_duration_runs_from_the_flag_and_from_a_file(tmp_path: Path) -> None:
    assert polyedge(tmp_path, "run", "--duration", "0.5", "--no-store", "-q").returncode == 0
    write(tmp_path, "timed.toml", b"duration_s = 0.5\n")
    done = polyedge(tmp_path, "run", "--config", "timed.toml", "--no-store", "-q")
    assert done.returncode == 0, done.stderr


def test_real_time_runs_never_share_a_stored_run(tmp_path: Path) -> None:
    for _ in range(2):
        done = polyedge(tmp_path, "run", "--mode", "realtime", "--intents", "500", "-q")
        assert done.returncode == 0, done.stderr
    stored = runs(tmp_path / "polyedge.sqlite3")
    assert len(stored) == 2 and {status for _, status, _ in stored} == {"completed"}
    assert_refused(polyedge(tmp_path, "run", "--resume", run_id_text(stored[0][0])), "real time")


def test_resume_of_a_completed_run_checks_it_and_writes_nothing(stored: Path) -> None:
    ((run_id, status, events),) = runs(stored / "polyedge.sqlite3")
    done = polyedge(stored, "run", "--resume", run_id_text(run_id), "-q")
    assert done.returncode == 0, done.stderr
    assert runs(stored / "polyedge.sqlite3") == [(run_id, status, events)]


def test_runs_started_at_once_on_an_empty_database_all_store(pg_url: str, tmp_path: Path) -> None:
    started = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "polyedge", "run", "--intents", "2000"),
                *("--seed", str(seed), "--database-url", pg_url, "-q"),
            ],
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(3)
    ]
    for process in started:
        _, errors = process.communicate(timeout=300)
        assert process.returncode == 0, errors


def test_recover_shows_a_run_of_the_default_store(stored: Path) -> None:
    ((run_id, _, events),) = runs(stored / "polyedge.sqlite3")
    done = polyedge(stored, "recover", run_id_text(run_id))
    assert done.returncode == 0, done.stderr
    assert "completed" in done.stdout and f"{events:,}" in done.stdout
