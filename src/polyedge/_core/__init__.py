"""The hot core: ring queue, sequence counter, fixed-point arithmetic, transition table,
order book, timeline, event log, markets, intents and orders, latency histogram, order
tracker.

Each piece is a compiled Cython module (`ring`, `sequence`, `fixed`, `transitions`,
`book`, `timeline`, `eventlog`, `orders`, `histogram`, `tracker`) with a pure-Python
twin (`ring_py`, ...) that behaves identically.
The compiled core is used when it is built and POLYEDGE_NO_EXTENSIONS is unset (or "0");
COMPILED tells which is loaded. The build also compiles the plain modules on the order
path (setup.py's ORDER_PATH, the twins' shared checks among them) beside their .py; with
POLYEDGE_NO_EXTENSIONS set, those are imported from the .py, which is their twin.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import (
    BYTECODE_SUFFIXES,
    EXTENSION_SUFFIXES,
    SOURCE_SUFFIXES,
    ExtensionFileLoader,
    FileFinder,
    SourceFileLoader,
    SourcelessFileLoader,
)
from types import ModuleType
from typing import TYPE_CHECKING

from polyedge._core.definitions import (
    ILLEGAL,
    TERMINAL_STATES,
    TRANSITIONS,
    OrderEvent,
    OrderState,
    Rounding,
)

MODULES = (
    "book",
    "eventlog",
    "fixed",
    "histogram",
    "metrics",
    "orders",
    "ring",
    "sequence",
    "timeline",
    "tracker",
    "transitions",
)
NO_EXTENSIONS = os.environ.get("POLYEDGE_NO_EXTENSIONS", "") not in ("", "0")


def load(name: str, compiled: bool) -> ModuleType:
    """One implementation of core module `name`: the compiled one or its pure twin."""
    import importlib

    return importlib.import_module(f"{__name__}.{name if compiled else name + '_py'}")


def extensions_built() -> bool:
    """Whether the compiled modules import, whatever POLYEDGE_NO_EXTENSIONS says."""
    try:
        for name in MODULES:
            load(name, compiled=True)
    except ImportError:
        return False
    return True


def interpret_plain_modules() -> None:
    """Import polyedge's modules from their .py wherever a compiled copy lies beside one
    (Python's own finders prefer the compiled copy); a module with no .py (the core's
    .pyx) still comes from its build."""
    package = os.path.dirname(os.path.dirname(__file__))
    loaders = (
        (SourceFileLoader, SOURCE_SUFFIXES),
        (SourcelessFileLoader, BYTECODE_SUFFIXES),
        (ExtensionFileLoader, EXTENSION_SUFFIXES),
    )
    subpackages = [e.path for e in os.scandir(package) if e.is_dir() and e.name.isidentifier()]
    for directory in (package, *subpackages):
        sys.path_importer_cache[directory] = FileFinder(directory, *loaders)


COMPILED = not NO_EXTENSIONS and extensions_built()
if NO_EXTENSIONS:
    interpret_plain_modules()

if TYPE_CHECKING or COMPILED:
    from polyedge._core.book import OrderBook
    from polyedge._core.eventlog import EventLog
    from polyedge._core.fixed import add, div, fee, mul, mul_div, sub
    from polyedge._core.histogram import LatencyHistogram
    from polyedge._core.metrics import Position, RunMetrics
    from polyedge._core.orders import (
        Cancel,
        FeeProfile,
        Intent,
        Market,
        Order,
        routed_order,
        unpack_intents,
    )
    from polyedge._core.ring import RingQueue
    from polyedge._core.sequence import Sequence
    from polyedge._core.timeline import Timeline
    from polyedge._core.tracker import OrderTracker
    from polyedge._core.transitions import apply, try_apply
else:
    from polyedge._core.book_py import OrderBook
    from polyedge._core.eventlog_py import EventLog
    from polyedge._core.fixed_py import add, div, fee, mul, mul_div, sub
    from polyedge._core.histogram_py import LatencyHistogram
    from polyedge._core.metrics_py import Position, RunMetrics
    from polyedge._core.orders_py import (
        Cancel,
        FeeProfile,
        Intent,
        Market,
        Order,
        routed_order,
        unpack_intents,
    )
    from polyedge._core.ring_py import RingQueue
    from polyedge._core.sequence_py import Sequence
    from polyedge._core.timeline_py import Timeline
    from polyedge._core.tracker_py import OrderTracker
    from polyedge._core.transitions_py import apply, try_apply

__all__ = [
    "COMPILED",
    "ILLEGAL",
    "NO_EXTENSIONS",
    "TERMINAL_STATES",
    "TRANSITIONS",
    "Cancel",
    "EventLog",
    "FeeProfile",
    "Intent",
    "LatencyHistogram",
    "Market",
    "Order",
    "OrderBook",
    "OrderEvent",
    "OrderState",
    "OrderTracker",
    "Position",
    "RingQueue",
    "Rounding",
    "RunMetrics",
    "Sequence",
    "Timeline",
    "add",
    "apply",
    "div",
    "extensions_built",
    "fee",
    "load",
    "mul",
    "mul_div",
    "routed_order",
    "sub",
    "try_apply",
    "unpack_intents",
]
