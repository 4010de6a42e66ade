"""The seeded generator in a worker process, so that the engine's thread only unpacks.

Making an intent costs the engine's thread about five times what unpacking one does
(measured: 0.9 us against 0.12), so a long run has a worker process make them on the
other core. The worker (main(), in a new Python process; `python -m
polyedge.intent_worker` runs it alone) reads the run's config as JSON on stdin and writes
the generator's batches to stdout, each as an 8-byte little-endian length and the batch
as intents.pack() packs it; a length of 0 ends them.

The worker takes about 0.3 s to start, so the engine makes the first batches itself
until the worker has caught up, then takes the worker's, from the first one it has not
made: one generator's batches either way. Where no worker can start (not POSIX, no
Python executable, an OSError), the engine makes every batch itself.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import IO

from polyedge.collector import fewer_collections
from polyedge.config import TestConfig
from polyedge.errors import PolyedgeError
from polyedge.intents import IntentGenerator, Timed, pack, unpack
from polyedge.types import Market

WORKER_MIN_INTENTS = 50_000  # shorter runs are over before a worker would have started
_HEADER = 8  # bytes of a batch's length
# Room in the pipe for the worker to run ahead by some batches (Linux; elsewhere the
# system's size). At the default 64 KiB the worker waited, mid-batch, for each read, and
# the engine for the rest of each batch (measured: 9% of a run's time).
_PIPE_BYTES = 1 << 20


class IntentWorkerError(PolyedgeError):
    """The intent worker process stopped before its last batch."""


def generated_batches(
    config: TestConfig, markets: dict[str, Market], local: int | None = None
) -> Iterator[list[Timed]]:
    """The seeded generator's batches for `config`, most of them made by a worker process.

    Batches are made here until the worker, which makes every batch from the seed, has
    caught up: its copies of those made here are dropped as they arrive, and the first
    batch it has ready that was not made here is the first taken from it. `local` fixes
    how many are made here instead. Runs shorter than WORKER_MIN_INTENTS start no worker.
    """
    made_here = IntentGenerator(config, markets).batches()
    short = config.intents is not None and config.intents < WORKER_MIN_INTENTS
    worker = None if short and local is None else _start(config)
    if worker is None:
        yield from made_here
        return
    try:
        frames = _batches_of(worker)
        made = dropped = 0
        while True:
            if local is not None and made == local:
                for _ in range(made - dropped):
                    _next_of(frames)
                break
            if dropped < made and _ready(worker):
                _next_of(frames)  # the worker's copy of one made here
                dropped += 1
                continue
            if local is None and dropped == made and _ready(worker):
                break  # the worker has the next batch ready
            batch = next(made_here, None)
            if batch is None:
                return  # all made here
            yield batch
            made += 1
        order = tuple(markets.values())
        for packed in frames:
            yield unpack(packed, order)
    finally:
        _stop(worker)


def _next_of(frames: Iterator[bytes]) -> bytes:
    packed = next(frames, None)
    if packed is None:
        raise IntentWorkerError("the intent worker made fewer batches than the generator here")
    return packed


class _Worker:
    """The worker process, and the file its stderr goes to: a pipe that nobody reads while
    the batches come could fill up, and stop the worker mid-run."""

    def __init__(self, process: subprocess.Popen[bytes], errors: IO[bytes]) -> None:
        self.process = process
        self.errors = errors
        assert process.stdout is not None
        self.batches: IO[bytes] = process.stdout


def _start(config: TestConfig) -> _Worker | None:
    if os.name != "posix" or not sys.executable or getattr(sys, "frozen", False):
        return None  # a frozen app's executable is the app, not Python
    errors = tempfile.TemporaryFile()  # noqa: SIM115 (it lives as long as the worker: _stop)
    try:
        process = subprocess.Popen(
            _command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            start_new_session=True,  # Ctrl-C is the engine's to handle, not the worker's
        )
    except OSError:
        errors.close()
        return None
    worker = _Worker(process, errors)
    import fcntl  # POSIX only, as the worker is

    if hasattr(fcntl, "F_SETPIPE_SZ"):
        with contextlib.suppress(OSError):  # above the system's limit: keep its size
            fcntl.fcntl(worker.batches, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    assert process.stdin is not None
    try:
        with process.stdin:
            process.stdin.write(config.model_dump_json().encode())
    except OSError:  # it died at once: the engine makes the batches
        _stop(worker)
        return None
    return worker


def _command() -> list[str]:
    """Python running main(), importing polyedge from where this process did."""
    where = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    run = f"import sys; sys.path.insert(0, {where!r}); from {__name__} import main; main()"
    return [sys.executable, "-c", run]


def _ready(worker: _Worker) -> bool:
    """Whether the worker has written something (or stopped) since it started."""
    readable, _, _ = select.select([worker.batches], [], [], 0)
    return bool(readable)


def _batches_of(worker: _Worker) -> Iterator[bytes]:
    while True:
        header = worker.batches.read(_HEADER)
        length = int.from_bytes(header, "little")
        if len(header) == _HEADER and not length:
            return
        packed = worker.batches.read(length)
        if len(header) < _HEADER or len(packed) < length:
            raise IntentWorkerError(_failure(worker))
        yield packed


def _failure(worker: _Worker) -> str:
    code = worker.process.wait()
    worker.errors.seek(0)
    said = worker.errors.read().decode(errors="replace").strip().splitlines()
    return f"the intent worker stopped (exit code {code})" + (f": {said[-1]}" if said else "")


def _stop(worker: _Worker) -> None:
    if worker.process.poll() is None:
        worker.process.kill()
    worker.process.wait()
    worker.batches.close()
    worker.errors.close()


def main() -> None:
    """The worker: the config on stdin, the batches on stdout."""
    config = TestConfig.model_validate_json(sys.stdin.buffer.read())
    markets = config.build_markets()
    order = tuple(markets.values())
    out = sys.stdout.buffer
    try:
        with fewer_collections():
            for batch in IntentGenerator(config, markets).batches():
                packed = pack(batch, order)
                out.write(len(packed).to_bytes(_HEADER, "little") + packed)
                out.flush()
        out.write(bytes(_HEADER))
        out.flush()
    except BrokenPipeError:  # the engine has taken all it wanted
        os._exit(0)  # without flushing stdout once more, into the broken pipe


if __name__ == "__main__":
    main()
