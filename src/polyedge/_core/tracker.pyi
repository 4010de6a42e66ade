from polyedge._core.eventlog import EventLog
from polyedge._core.orders import Order
from polyedge._core.tracker_py import GroupWatcher, Listener
from polyedge.metrics import RunMetrics
from polyedge.scheduler import Scheduler
from polyedge.types import Liquidity, OrderEvent

class OrderTracker:
    groups: GroupWatcher
    listener: Listener | None
    @property
    def in_flight(self) -> dict[int, Order]: ...
    def __init__(
        self, log: EventLog, metrics: RunMetrics, scheduler: Scheduler, reasons: dict[str, int]
    ) -> None: ...
    def register(self, order: Order) -> bool: ...
    def apply(
        self,
        order: Order,
        event: OrderEvent,
        price: int = 0,
        size: int = 0,
        fee: int = 0,
        reason: str = "",
        trade_id: int = 0,
        liquidity: Liquidity | None = None,
    ) -> bool: ...
    def handled(self, fault: str) -> None: ...
    def ended(self) -> dict[str, int]: ...
    def unfinished(self) -> dict[str, int]: ...
