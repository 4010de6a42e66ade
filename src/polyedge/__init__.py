"""polyedge: dry-run backtesting of order-management flows against simulated venues."""

from polyedge._core import COMPILED
from polyedge.errors import PolyedgeError

__version__ = "0.1.0"

__all__ = ["COMPILED", "PolyedgeError", "__version__"]
