"""A stored run that kills itself with SIGKILL at a chosen point: tests/test_crash.py's victim.

    python crash_victim.py DATABASE_URL SCENARIO_TOML HOW POINT

HOW says where the process dies:
  commit  right after the write holding event POINT has committed
  write   while the write holding event POINT is under way (sent, not yet committed)
  end     when every event is stored and the run is about to be marked completed

The store is wrapped, through the public Store interface only, so that the run dies from
inside its own writes: the points are events, not wall-clock guesses. Its writes carry at
most one batch of the event log (4,096 events) each, so the points spread over the run.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid

from polyedge.config import TestConfig
from polyedge.engine import DryTestingEngine
from polyedge.store import Batch, InFlight, RunRecord, Store, open_store
from polyedge.store.base import RunStatus


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class Victim(Store):
    write_rows = 4096

    def __init__(self, store: Store, how: str, point: int) -> None:
        self._store = store
        self._how = how
        self._point = point
        self.description = store.description
        self.connections = store.connections

    async def open(self) -> None:
        await self._store.open()

    async def close(self) -> None:
        await self._store.close()

    async def begin_run(self, run_id: uuid.UUID, config_json: str) -> RunRecord:
        return await self._store.begin_run(run_id, config_json)

    async def get_run(self, run_id: uuid.UUID) -> RunRecord | None:
        return await self._store.get_run(run_id)

    async def in_flight(self, run_id: uuid.UUID) -> list[InFlight]:
        return await self._store.in_flight(run_id)

    async def write(
        self,
        run_id: uuid.UUID,
        batch: Batch,
        merge: bool = False,
        after: asyncio.Future[None] | None = None,
    ) -> None:
        if self._how == "end" or batch.last < self._point:
            await self._store.write(run_id, batch, merge, after)
        elif self._how == "commit":
            await self._store.write(run_id, batch, merge, after)
            die()
        else:  # "write": under way, not committed
            self._writing = asyncio.ensure_future(self._store.write(run_id, batch, merge, after))
            for _ in range(3):
                await asyncio.sleep(0)
            die()

    async def end_run(self, run_id: uuid.UUID, status: RunStatus, digest: str | None) -> None:
        if self._how == "end":
            die()
        await self._store.end_run(run_id, status, digest)


def main() -> None:
    url, scenario, how, point = sys.argv[1:]
    assert how in ("commit", "write", "end"), how
    store = Victim(open_store(url), how, int(point))
    asyncio.run(DryTestingEngine(TestConfig.load(scenario), store=store).run())
    sys.exit("the victim was not killed: its point lies beyond the run")


if __name__ == "__main__":
    main()
