"""polyedge: dry-run backtesting of order-management flows against simulated venues."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from polyedge._core import COMPILED
from polyedge.errors import PolyedgeError

if TYPE_CHECKING:
    from polyedge.config import TestConfig
    from polyedge.engine import DryTestingEngine
    from polyedge.strategy import Context, Strategy, reconcile

__version__ = "0.1.0"

__all__ = [
    "COMPILED",
    "Context",
    "DryTestingEngine",
    "PolyedgeError",
    "Strategy",
    "TestConfig",
    "__version__",
    "reconcile",
]

# Imported when first used: `import polyedge` stays light for the CLI's quick commands.
_LAZY = {
    "Context": "polyedge.strategy",
    "DryTestingEngine": "polyedge.engine",
    "Strategy": "polyedge.strategy",
    "TestConfig": "polyedge.config",
    "reconcile": "polyedge.strategy",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'polyedge' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
