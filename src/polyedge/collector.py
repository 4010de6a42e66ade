"""How often Python's cyclic garbage collector runs while polyedge makes objects by the
hundred thousand (the engine's run, the intent worker's batches)."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often inside this block.

    A run keeps hundreds of thousands of small tuples alive (the scheduler's heap, the
    store's buffer); at the default thresholds the collector scans them again and again
    (measured: 13% of a run without a store, more with one, and a seventh of the intent
    worker's time). Neither makes cycles of its own, so collecting less often frees the
    same memory, later.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
