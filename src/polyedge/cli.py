"""The `polyedge` command line."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import signal
import sys
import uuid
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import ParamSpec

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from polyedge.config import ReplayConfig, StrategyConfig, TestConfig, strategy_path
from polyedge.engine import DryTestingEngine
from polyedge.errors import PolyedgeError
from polyedge.metrics import RunResult
from polyedge.recovery import Recovery
from polyedge.recovery import recover as rebuild_state
from polyedge.report import render, resume_hint, write_json
from polyedge.store import DEFAULT_SQLITE, Store, StoreError, open_store
from polyedge.store.driver import run_loop
from polyedge.store.postgres import schema_sql

EXIT_BAD_INPUT = 2
P = ParamSpec("P")


def _fail(message: str) -> None:
    click.echo(f"polyedge: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="polyedge")
def main() -> None:
    """Dry-run order-management flows against simulated prediction-market venues."""


DATABASE_URL = click.option(
    "--database-url",
    envvar="DATABASE_URL",
    help="postgresql://USER@HOST/DB or sqlite:PATH (default: DATABASE_URL, else "
    f"sqlite:{DEFAULT_SQLITE} in the working directory).",
)


def _interruptible(command: Callable[P, None]) -> Callable[P, None]:
    """Ctrl-C outside the run itself (starting, reporting): one line and exit 130, not a
    traceback or click's 'Aborted!'. What is stored stays resumable."""

    @functools.wraps(command)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except KeyboardInterrupt:
            click.echo("polyedge: interrupted", err=True)
            sys.exit(128 + signal.SIGINT)

    return guarded


def _check_output(path: Path | None) -> None:
    """Fail now, before any work, when `path` cannot be written."""
    if path is None:
        return
    problem = (
        "it is a directory"
        if path.is_dir()
        else f"there is no directory {path.parent}"
        if not path.parent.is_dir()
        else "permission denied"
        if not os.access(path if path.exists() else path.parent, os.W_OK)
        else None
    )
    if problem:
        _fail(f"cannot write {path}: {problem}")


def _run_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        _fail(f"{text!r} is not a run id (a UUID, as the report shows)")
        raise  # unreachable: _fail exits


@main.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scenario TOML file (see `polyedge config --example`).",
)
@click.option("--intents", type=int, help="Number of intents to generate.")
@click.option("--duration", "duration_s", type=float, help="Or: simulated seconds to run.")
@click.option("--seed", type=int, help="Random seed.")
@click.option("--mode", type=click.Choice(["virtual", "realtime"]), help="Time mode.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the figures as JSON to this file.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and no tables.")
@click.option(
    "--verbose",
    is_flag=True,
    help="Also print what the database driver reports as it happens (failed writes).",
)
@DATABASE_URL
@click.option("--no-store", is_flag=True, help="Keep nothing: no database at all.")
@click.option(
    "--resume",
    metavar="RUN_ID",
    help="Continue a stored run that was interrupted (its stored config is used).",
)
@click.option(
    "--replay-orders",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Recorded orders (CSV or Parquet) to run instead of generated intents.",
)
@click.option(
    "--replay-market",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Recorded quotes and trades (CSV or Parquet) for the venues' books to follow.",
)
@click.option("--replay-start", help="ISO-8601 time the replayed files count from.")
@click.option(
    "--strategy",
    "strategy_spec",
    metavar="FILE.py:CLASS|MODULE:CLASS",
    help="Your bot, a polyedge.Strategy, in the loop (parameters: the config's [strategy.params]).",
)
@_interruptible
def run(
    config_path: Path | None,
    intents: int | None,
    duration_s: float | None,
    seed: int | None,
    mode: str | None,
    json_path: Path | None,
    quiet: bool,
    verbose: bool,
    database_url: str | None,
    no_store: bool,
    resume: str | None,
    replay_orders: Path | None,
    replay_market: Path | None,
    replay_start: str | None,
    strategy_spec: str | None,
) -> None:
    """Run a dry test and report what happened.

    Every event is written to the store; running a run that is already stored (the same
    config and seed) replays it and continues it where the store left off. Ctrl-C or
    SIGTERM stops taking intents, lets the orders in flight finish and still reports
    (exit 130 or 143); the run stays resumable. A second signal stops at once.
    """
    replaying = replay_orders or replay_market or replay_start
    given_options = config_path or intents or duration_s or seed is not None or mode
    if resume and (given_options or replaying or strategy_spec):
        _fail("--resume continues a run with its stored configuration; drop the other options")
    if replay_orders and (intents or duration_s):
        _fail("--replay-orders runs the recorded orders; drop --intents and --duration")
    if resume and no_store:
        _fail("--resume needs the store the run is in; drop --no-store")
    _check_output(json_path)
    try:
        store = None if no_store else open_store(database_url, create=not resume)
        if resume:
            assert store is not None
            resumed = _run_id(resume)
            config = asyncio.run(_stored_config(store, resumed))
        else:
            config = TestConfig.load(
                config_path, intents=intents, duration_s=duration_s, seed=seed, mode=mode
            )
            if replaying:
                given: dict[str, object] = {
                    "orders": replay_orders,
                    "market_data": replay_market,
                    "start": replay_start,
                }
                replay = (config.replay or ReplayConfig()).model_copy(
                    update={key: value for key, value in given.items() if value is not None}
                )
                config = config.model_copy(update={"replay": replay})
            if strategy_spec:
                strategy = (config.strategy or StrategyConfig()).model_copy(
                    update={"path": strategy_path(strategy_spec, Path.cwd())}
                )
                config = config.model_copy(update={"strategy": strategy})
        engine = DryTestingEngine(config, store=store)
        if resume and engine.run_id != resumed:
            _fail(f"run {resumed} cannot be resumed: the files it replays have changed since")
        signals: list[int] = []
        result = run_loop(_run_with_progress(engine, quiet, signals), verbose=verbose)
    except PolyedgeError as exc:
        _fail(str(exc))
    stopped_by = 128 + signals[0] if signals else 0
    if result is None:  # a second signal: stopped at once, no report
        resumable = store is not None and config.mode == "virtual"
        how = f": resume with polyedge run --resume {engine.run_id}" if resumable else ""
        click.echo(f"polyedge: stopped at once{how}", err=True)
        sys.exit(stopped_by)
    console = Console()
    if not quiet:
        render(result, console)
    if json_path is not None:
        try:
            write_json(result, json_path)
        except OSError as exc:
            _fail(f"cannot write {json_path}: {exc.strerror}")
    if result.store is not None and result.store.matches_stored_digest is False:
        click.echo("polyedge: this run's digest differs from the stored one", err=True)
        sys.exit(1)
    if result.interrupted:
        if result.store is not None:
            click.echo(
                f"polyedge: stopped; {result.store.events_stored:,} events are stored; "
                f"{resume_hint(result)}",
                err=True,
            )
        sys.exit(stopped_by or 130)
    if result.store is not None and (result.store.unwritten or result.store.status == "running"):
        lost = (
            f"{result.store.unwritten:,} events could not be stored"
            if result.store.unwritten
            else "the store could not be told that the run ended"
        )
        click.echo(f"polyedge: {lost}; {resume_hint(result)}", err=True)
        sys.exit(1)


async def _stored_config(store: Store, run_id: uuid.UUID) -> TestConfig:
    async with store:
        record = await store.get_run(run_id)
    if record is None:
        raise StoreError(f"no run {run_id} in {store.description}")
    config = TestConfig.model_validate_json(record.config_json)
    if config.mode != "virtual":
        raise StoreError(
            f"run {run_id} ran in real time: it cannot be replayed, so it cannot be resumed"
        )
    return config


async def _run_with_progress(
    engine: DryTestingEngine, quiet: bool, signals: list[int]
) -> RunResult | None:
    """The run's result, or None when a second signal stopped it at once. The signals
    received are appended to `signals`."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None

    def on_signal(number: int) -> None:
        signals.append(number)
        if len(signals) == 1:
            engine.stop()  # drain, report
        else:
            task.cancel()  # stop at once

    # Windows has no loop signal handlers: there Ctrl-C raises KeyboardInterrupt instead.
    for number in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(number, on_signal, number)
    try:
        return await _run_shown(engine, quiet)
    except asyncio.CancelledError:
        if len(signals) < 2:
            raise
        return None


async def _run_shown(engine: DryTestingEngine, quiet: bool) -> RunResult:
    if quiet:
        return await engine.run()
    with Progress(
        TextColumn("[bold]running"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        what, total = engine.progress_total()
        task = progress.add_task(what, total=total)
        return await engine.run(lambda done: progress.update(task, completed=done))


@main.command("config")
@click.option("--example", is_flag=True, help="Print a commented example scenario.")
def config_command(example: bool) -> None:
    """Show configuration help."""
    if not example:
        _fail("say what to show: polyedge config --example")
    click.echo(resources.files("polyedge").joinpath("example.toml").read_text(), nl=False)


@main.group()
def db() -> None:
    """Set up and inspect the database."""


@db.command("schema")
def db_schema() -> None:
    """Print the PostgreSQL schema."""
    click.echo(schema_sql(), nl=False)


@db.command("init")
@DATABASE_URL
def db_init(database_url: str | None) -> None:
    """Create the schema (applying it again changes nothing)."""
    if not database_url:
        _fail("say which database: --database-url URL (or DATABASE_URL)")
    try:
        store = open_store(database_url)
        asyncio.run(_open_and_close(store))
    except PolyedgeError as exc:
        _fail(str(exc))
    click.echo(f"schema ready in {store.description}")


async def _open_and_close(store: Store) -> None:
    async with store:  # opening creates the schema, or checks its version
        pass


@main.command()
@click.argument("run_id")
@DATABASE_URL
def recover(run_id: str, database_url: str | None) -> None:
    """Rebuild a stored run's state and show it (what --resume would start from)."""
    try:
        store = open_store(database_url, create=False)
        recovery = asyncio.run(_rebuild(store, _run_id(run_id)))
    except PolyedgeError as exc:
        _fail(str(exc))
    table = Table(title=f"Run {recovery.run.run_id}", title_justify="left", show_header=False)
    table.add_column()
    table.add_column(justify="right")
    rows = [
        ("store", store.description),
        ("status", recovery.run.status),
        ("events stored (high-water mark)", f"{recovery.high_water_mark:,}"),
        ("orders in flight", f"{len(recovery.in_flight):,}"),
        *((f"  {state}", f"{count:,}") for state, count in recovery.states().items()),
        ("rebuilt in", f"{recovery.seconds:.3f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)


async def _rebuild(store: Store, run_id: uuid.UUID) -> Recovery:
    async with store:
        return await rebuild_state(store, run_id)


def _figure(value: float) -> str:
    """Three significant figures for small values, whole numbers with separators for others."""
    return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"


@main.command()
@click.option("--quick", is_flag=True, help="Smaller runs: done in about half a minute.")
@click.option("--check", is_flag=True, help="Exit 1 when a target is missed.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the measurements as JSON to this file.",
)
@DATABASE_URL
def bench(quick: bool, check: bool, json_path: Path | None, database_url: str | None) -> None:
    """Measure the performance targets beside same-run baselines; print one table.

    PostgreSQL is measured too when --database-url (or DATABASE_URL) names one; the
    benchmark writes runs of its own there.
    """
    from polyedge import bench as benchmarks

    _check_output(json_path)
    postgres = database_url if database_url and database_url.startswith("postgres") else None
    with Progress(
        TextColumn("[bold]benchmarking[/] {task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("")
        try:
            found = benchmarks.run_all(
                quick, postgres, lambda step: progress.update(task, description=step)
            )
        except PolyedgeError as exc:
            _fail(str(exc))
    table = Table(title="polyedge bench" + (" --quick" if quick else ""), title_justify="left")
    for column in ("metric", "measured", "target", "baseline (same run)", "ratio", ""):
        table.add_column(column, justify="left" if column in ("metric", "") else "right")
    for m in found:
        target = ""
        if m.target is not None:
            sign = ">=" if m.higher_is_better else "<="
            figure = f"{m.target:.2f}x" if m.target_is_ratio else _figure(m.target)
            target = f"{sign} {figure}"
        baseline = f"{m.baseline} {m.baseline_value:,.0f}" if m.baseline_value else ""
        table.add_row(
            m.metric,
            f"{_figure(m.measured)} {m.unit}",
            target,
            baseline,
            f"{m.ratio:.2f}x" if m.ratio else "",
            "" if m.target is None else "pass" if m.passed else "[bold red]MISS",
        )
    Console().print(table)
    if json_path is not None:
        json_path.write_text(json.dumps(benchmarks.as_json(found), indent=2) + "\n")
    if check and not all(m.passed for m in found):
        sys.exit(1)
