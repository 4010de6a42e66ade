import uuid
from collections.abc import Callable
from typing import Any

from polyedge._core.eventlog_py import Consumer

class EventLog:
    @property
    def run_id(self) -> uuid.UUID: ...
    @property
    def count(self) -> int: ...
    def __init__(self, run_id: uuid.UUID) -> None: ...
    def subscribe(self, consumer: Consumer) -> None: ...
    def at_count(self, count: int, check: Callable[[], None]) -> None: ...
    def order(self, order: Any) -> None: ...
    def append(
        self,
        order_id: int,
        lane_seq: int,
        venue: int,
        event: int,
        from_state: int,
        to_state: int,
        price: int,
        size: int,
        fee: int,
        reason: int,
        time: int,
    ) -> int: ...
    def flush(self) -> None: ...
    def digest(self) -> str: ...
