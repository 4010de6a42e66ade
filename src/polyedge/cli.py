"""The `polyedge` command line."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from importlib import resources
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from polyedge.config import TestConfig
from polyedge.engine import DryTestingEngine
from polyedge.errors import PolyedgeError
from polyedge.metrics import RunResult
from polyedge.report import render, write_json

EXIT_BAD_INPUT = 2


def _fail(message: str) -> None:
    click.echo(f"polyedge: {message}", err=True)
    sys.exit(EXIT_BAD_INPUT)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="polyedge")
def main() -> None:
    """Dry-run order-management flows against simulated prediction-market venues."""


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
def run(
    config_path: Path | None,
    intents: int | None,
    duration_s: float | None,
    seed: int | None,
    mode: str | None,
    json_path: Path | None,
    quiet: bool,
) -> None:
    """Run a dry test and report what happened (Ctrl-C stops it and still reports)."""
    try:
        config = TestConfig.load(
            config_path, intents=intents, duration_s=duration_s, seed=seed, mode=mode
        )
    except PolyedgeError as exc:
        _fail(str(exc))
    engine = DryTestingEngine(config)
    console = Console()
    result = asyncio.run(_run_with_progress(engine, config, quiet))
    if not quiet:
        render(result, console)
    if json_path is not None:
        try:
            write_json(result, json_path)
        except OSError as exc:
            _fail(f"cannot write {json_path}: {exc.strerror}")
    if result.interrupted:
        sys.exit(130)


async def _run_with_progress(
    engine: DryTestingEngine, config: TestConfig, quiet: bool
) -> RunResult:
    loop = asyncio.get_running_loop()

    def interrupt() -> None:
        engine.stop()
        loop.remove_signal_handler(signal.SIGINT)  # a second Ctrl-C stops at once

    # Windows has no loop signal handlers: there Ctrl-C raises KeyboardInterrupt instead.
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGINT, interrupt)
    if quiet:
        return await engine.run()
    with Progress(
        TextColumn("[bold]running"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("intents", total=config.intents)
        return await engine.run(lambda taken: progress.update(task, completed=taken))


@main.command("config")
@click.option("--example", is_flag=True, help="Print a commented example scenario.")
def config_command(example: bool) -> None:
    """Show configuration help."""
    if not example:
        _fail("say what to show: polyedge config --example")
    click.echo(resources.files("polyedge").joinpath("example.toml").read_text(), nl=False)
