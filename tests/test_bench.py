"""`polyedge bench`: every metric measured and judged; --check fails on a missed target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from polyedge.bench import Measurement


def test_pass_and_fail_follow_the_direction_of_the_target() -> None:
    fast = Measurement(
        "latency", "ns", 50, 100, higher_is_better=False, baseline="x", baseline_value=25
    )
    slow = Measurement("throughput", "/s", 50, 100, higher_is_better=True)
    assert fast.passed and fast.ratio == 2.0
    assert not slow.passed and slow.ratio is None
    assert Measurement("edge", "ns", 100, 100, higher_is_better=False).passed


def test_a_ratio_target_judges_measured_over_baseline() -> None:
    def stored(rate: float) -> Measurement:
        return Measurement("run", "/s", rate, 0.7, True, "none", 100, target_is_ratio=True)

    assert stored(70).passed and not stored(69).passed
    # measured alone would pass an absolute target of 0.7 every time
    assert not Measurement("run", "/s", 50, 0.7, True, target_is_ratio=True).passed


def test_a_measurement_without_a_target_is_never_a_miss() -> None:
    assert Measurement("writes", "/s", 1, None, True).passed


def test_quick_bench_reports_every_metric(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "polyedge", "bench", "--quick", "--check", "--json", "b.json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    figures = json.loads((tmp_path / "b.json").read_text())
    metrics = {figure["metric"] for figure in figures}
    assert {"enqueue (ring push)", "routing an intent", "peak RSS", "writes SQLite"} <= metrics
    assert "run of 20,000 into SQLite" in metrics
    assert {
        f"lane {v} {m}" for v in ("polymarket", "kalshi") for m in ("virtual", "realtime")
    } <= metrics
    assert all(figure["measured"] > 0 for figure in figures)
    assert all(figure["ratio"] > 0 for figure in figures if figure["baseline_value"])
    # --check: exit 1 exactly when some target was missed
    assert done.returncode == (0 if all(f["passed"] for f in figures) else 1), done.stderr
    assert "polyedge bench --quick" in done.stdout
