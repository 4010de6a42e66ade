"""Shared fixtures: every core test runs against the compiled core and its pure-Python twin."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

from polyedge import _core
from polyedge.types import Venue

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# Shared machines are noisy: hypothesis must judge results, never timing. The core fixtures
# hand out stateless modules, so reusing one across generated inputs is safe.
settings.register_profile(
    "polyedge", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile("polyedge")

# With POLYEDGE_NO_EXTENSIONS set, the whole suite runs on the pure-Python core only.
IMPLEMENTATIONS = [False] if _core.NO_EXTENSIONS else [True, False]
# The packaging tests build and check both cores themselves: run them in the compiled pass.
collect_ignore = ["packaging"] if _core.NO_EXTENSIONS else []


def pytest_sessionstart(session: pytest.Session) -> None:
    if IN_CI and not _core.NO_EXTENSIONS and not _core.COMPILED:
        raise pytest.UsageError("CI must test the compiled core, but it is not built")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI every test must run: a skip (a missing database, a missing build) fails."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\nci: {skipped} tests were skipped; in CI every test must run")


@pytest.fixture(params=list(Venue), ids=str)
def venue(request: pytest.FixtureRequest) -> Venue:
    """Each simulated venue in turn."""
    return Venue(request.param)


def core_fixture(name: str) -> Callable[[pytest.FixtureRequest], ModuleType]:
    """A fixture yielding core module `name`, once compiled and once pure Python."""

    @pytest.fixture(params=IMPLEMENTATIONS, ids=lambda compiled: "compiled" if compiled else "py")
    def implementation(request: pytest.FixtureRequest) -> ModuleType:
        if request.param and not _core.extensions_built():
            pytest.skip("the compiled core is not built (pip install -e . builds it)")
        return _core.load(name, compiled=request.param)

    return implementation


ring = core_fixture("ring")
sequence = core_fixture("sequence")
fixed = core_fixture("fixed")
transitions = core_fixture("transitions")
orders_core = core_fixture("orders")  # not `orders`: a common name for a test's own list
book = core_fixture("book")
timeline = core_fixture("timeline")
eventlog = core_fixture("eventlog")
histogram = core_fixture("histogram")
tracker_core = core_fixture("tracker")  # not `tracker`: venue_world's World has one


@pytest.fixture
def switch_often() -> Iterator[None]:
    """Make Python threads switch as often as possible, to provoke races."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)
