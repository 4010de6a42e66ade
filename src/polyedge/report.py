"""The run report: terminal tables and JSON, both from the same RunResult."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from polyedge.fixedpoint import to_str
from polyedge.metrics import ArbitrageSummary, LatencySummary, RunResult, StoreSummary
from polyedge.types import OrderState


def as_json(result: RunResult) -> dict[str, Any]:
    """The result as JSON-ready data; amounts stay exact ints of micro-units."""
    data = dataclasses.asdict(result)
    if result.truth is not None:  # states by name, as everywhere else in the output
        for order in data["truth"].values():
            order["state"] = OrderState(order["state"]).name
    data["units"] = "prices, sizes, notional and fees are integers of micro-units (1e-6)"
    return data


def write_json(result: RunResult, path: Path) -> None:
    path.write_text(json.dumps(as_json(result), indent=2, sort_keys=True) + "\n")


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    return table


def _counts(title: str, label: str, counts: dict[str, int]) -> Table:
    table = _table(title, label, "count")
    for name, count in counts.items():
        table.add_row(name, f"{count:,}")
    if not counts:
        table.add_row("(none)", "0")
    return table


def render(result: RunResult, console: Console) -> None:
    summary = _table("Run", "", "")
    summary.show_header = False
    core = "compiled" if result.compiled_core else "pure Python"
    strategy = (("strategy", result.strategy),) if result.strategy else ()
    for name, value in (
        ("run id", result.run_id),
        ("mode / seed / core", f"{result.mode} / {result.seed} / {core}"),
        *strategy,
        ("intents", f"{result.intents:,}" + ("  (interrupted)" if result.interrupted else "")),
        ("orders", f"{result.orders:,}"),
        ("events", f"{result.events:,}"),
        ("simulated time", f"{result.simulated_seconds:,.3f} s"),
        ("wall time", f"{result.wall_seconds:,.3f} s"),
        ("throughput", f"{result.intents_per_second:,.0f} intents/s"),
        ("peak RSS", f"{result.peak_rss_mb:,.1f} MB"),
        ("digest", result.digest),
    ):
        summary.add_row(name, value)
    console.print(summary)

    console.print(_counts("Intents", "kind", result.intents_by_kind))
    if result.intents_refused:
        console.print(
            _counts("Intents refused before reaching a venue", "reason", result.intents_refused)
        )
    console.print(_counts("Orders by final state", "state", result.orders_by_state))

    fills = _table("Fills", "", "")
    fills.show_header = False
    for name, value in (
        ("fills", f"{result.fills:,}"),
        ("size submitted", to_str(result.submitted_size)),
        ("size filled", to_str(result.filled_size)),
        ("fill ratio", f"{result.fill_ratio:.2%}"),
        ("notional", f"${to_str(result.notional)}"),
        ("fees", f"${to_str(result.fees)}"),
    ):
        fills.add_row(name, value)
    console.print(fills)

    rejects = _table("Rejects by reason", "venue", "reason", "count")
    for venue, codes in result.rejects_by_reason.items():
        for code, count in codes.items():
            rejects.add_row(venue, code, f"{count:,}")
    console.print(rejects)

    illegal = _table(
        f"Illegal transitions refused: {result.illegal_transitions:,}",
        "order",
        "state",
        "event",
        "time (ns)",
    )
    for record in result.illegal_examples[:10]:
        illegal.add_row(str(record.order_id), record.state, record.event, f"{record.time_ns:,}")
    console.print(illegal)

    if result.settlements:
        console.print(_positions_table(result))
    if result.faults_injected or result.faults_handled:
        faults = _table("Venue faults", "venue", "fault", "count")
        for venue, injected in result.faults_injected.items():
            for kind, count in injected.items():
                faults.add_row(venue, f"injected: {kind}", f"{count:,}")
        for kind, count in result.faults_handled.items():
            faults.add_row("engine", f"handled: {kind}", f"{count:,}")
        console.print(faults)

    if result.store is not None:
        console.print(_store_table(result.store, result))
    if result.arbitrage is not None:
        console.print(_arbitrage_table(result.arbitrage))

    latency = _table("Latency (us)", "venue", "message", "count", "p50", "p90", "p99", "max")
    for venue, kinds in result.latency_us.items():
        for kind, s in kinds.items():
            latency.add_row(
                venue,
                kind,
                f"{s.count:,}",
                *(f"{v:,.0f}" for v in (s.p50_us, s.p90_us, s.p99_us, s.max_us)),
            )
    console.print(latency)


def _positions_table(result: RunResult) -> Table:
    table = _table(
        "Positions and PnL ($)", "market", "YES", "NO", "cash", "fees", "resolved", "PnL"
    )
    for s in result.settlements:
        table.add_row(
            s.market_id,
            to_str(s.yes),
            to_str(s.no),
            to_str(s.cash),
            to_str(s.fees),
            s.resolution or "open",
            "-" if s.pnl is None else to_str(s.pnl),
        )
    return table


def _store_table(store: StoreSummary, result: RunResult) -> Table:
    table = _table("Store", "", "")
    table.show_header = False
    rows = [
        ("store", store.store),
        ("state", _store_state(store, result)),
        ("events written", f"{store.events_written:,} in {store.batches:,} batches"),
        ("resumed from event", f"{store.resumed_from:,}"),
        ("events not stored", f"{store.unwritten:,}"),
        ("connections", ", ".join(f"{k} {v}" for k, v in store.connections.items())),
    ]
    if store.matches_stored_digest is not None:
        rows.append(("same digest as stored", "yes" if store.matches_stored_digest else "NO"))
    for name, value in rows:
        table.add_row(name, value)
    return table


def resume_hint(result: RunResult) -> str:
    """How a stored run that did not end complete is continued, if it can be."""
    if result.mode != "virtual":
        return "a real-time run cannot be resumed"
    return f"resume with: polyedge run --resume {result.run_id}"


def _store_state(store: StoreSummary, result: RunResult) -> str:
    """What the database did, in words: how many writes it failed and the first error
    (`polyedge run --verbose` prints each), and whether every event is stored after all."""
    failed = ""
    if store.retries:
        first = f" (first error: {store.errors[0]})" if store.errors else ""
        failed = f"the database failed {store.retries:,} write{'s' * (store.retries > 1)}{first}"
    if store.unwritten or store.status == "running":
        cause = f"; {failed}" if failed else ""
        lost = (
            f"{store.unwritten:,} events are not stored"
            if store.unwritten
            else "the run's end is not recorded"
        )
        return f"INCOMPLETE: {lost}; {resume_hint(result)}{cause}"
    if failed:
        return (
            f"recovered: {failed}; each write was retried until it succeeded, and all "
            f"{store.events_stored:,} events are stored"
        )
    return "ok"


def _arbitrage_table(groups: ArbitrageSummary) -> Table:
    table = _table("Arbitrage groups", "", "")
    table.show_header = False
    aborted = ", ".join(f"{reason} {n:,}" for reason, n in groups.aborted_by_reason.items())
    rows = [
        ("attempted", f"{groups.attempted:,}"),
        ("completed", f"{groups.completed:,}"),
        ("aborted", aborted or "0"),
        ("  unwound / nothing filled", f"{groups.unwound:,} / {groups.failed:,}"),
        ("realised edge", f"${to_str(groups.realised_edge)}"),
        ("residual exposure", to_str(groups.residual_exposure)),
        ("peak leg exposure", to_str(groups.exposure_peak)),
        (
            "failure -> all cancels (sim)",
            _latency(groups.cancel_latency_sim),
        ),
        (
            "failure -> all cancels (wall)",
            _latency(groups.cancel_latency_wall),
        ),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def _latency(summary: LatencySummary) -> str:
    return (
        f"p50 {summary.p50_us:,.1f} us, p99 {summary.p99_us:,.1f} us, max {summary.max_us:,.1f} us"
    )
