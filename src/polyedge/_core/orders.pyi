from dataclasses import Field
from typing import Any, ClassVar

from polyedge._core.definitions import (
    Liquidity,
    OrderEvent,
    OrderState,
    Outcome,
    Rounding,
    Side,
    TimeInForce,
    Venue,
)

class FeeProfile:
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    def __init__(
        self,
        taker_rate: int = 0,
        maker_rate: int = 0,
        exponent: int = 1,
        quantum: int = 10,
        rounding: Rounding = ...,
    ) -> None: ...
    @property
    def taker_rate(self) -> int: ...
    @property
    def maker_rate(self) -> int: ...
    @property
    def exponent(self) -> int: ...
    @property
    def quantum(self) -> int: ...
    @property
    def rounding(self) -> Rounding: ...
    def fee(self, size: int, price: int, liquidity: Liquidity) -> int: ...

class Market:
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    def __init__(
        self,
        venue: Venue,
        market_id: str,
        tick_size: int,
        min_size: int,
        fees: FeeProfile = ...,
        size_step: int = ...,
        gtd_threshold: int = 0,
    ) -> None: ...
    @property
    def venue(self) -> Venue: ...
    @property
    def market_id(self) -> str: ...
    @property
    def tick_size(self) -> int: ...
    @property
    def min_size(self) -> int: ...
    @property
    def fees(self) -> FeeProfile: ...
    @property
    def size_step(self) -> int: ...
    @property
    def gtd_threshold(self) -> int: ...
    @property
    def venue_index(self) -> int: ...
    def check_price(self, price: object, name: str = "price") -> int: ...

class Intent:
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    def __init__(
        self,
        intent_id: int,
        market: Market,
        side: Side,
        outcome: Outcome,
        price: int,
        size: int,
        time_in_force: TimeInForce = ...,
        expires_at: int | None = None,
        post_only: bool = False,
        group_id: int = 0,
        max_cost: int | None = None,
    ) -> None: ...
    @staticmethod
    def unchecked(
        intent_id: int,
        market: Market,
        side: Side,
        outcome: Outcome,
        price: int,
        size: int,
        time_in_force: TimeInForce,
        expires_at: int | None = None,
        post_only: bool = False,
        group_id: int = 0,
        max_cost: int | None = None,
    ) -> Intent: ...
    @property
    def intent_id(self) -> int: ...
    @property
    def market(self) -> Market: ...
    @property
    def side(self) -> Side: ...
    @property
    def outcome(self) -> Outcome: ...
    @property
    def price(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def time_in_force(self) -> TimeInForce: ...
    @property
    def expires_at(self) -> int | None: ...
    @property
    def post_only(self) -> bool: ...
    @property
    def group_id(self) -> int: ...
    @property
    def max_cost(self) -> int | None: ...

class Cancel:
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
    def __init__(self, intent_id: int, target: int) -> None: ...
    @property
    def intent_id(self) -> int: ...
    @property
    def target(self) -> int: ...

class Order:
    order_id: int
    intent: Intent
    lane_seq: int
    sent_at: int
    state: OrderState
    filled: int
    cancel_sent_at: int
    answers: int
    last_trade: int
    def __init__(
        self,
        order_id: int,
        intent: Intent,
        lane_seq: int = 0,
        sent_at: int = 0,
        state: OrderState = ...,
        filled: int = 0,
        cancel_sent_at: int = 0,
        answers: int = 0,
        last_trade: int = 0,
    ) -> None: ...
    @property
    def remaining(self) -> int: ...
    @property
    def is_terminal(self) -> bool: ...
    def apply(self, event: OrderEvent) -> OrderState: ...
    def fill(self, size: int) -> OrderState: ...

def routed_order(intent: Intent, lane_seq: int, sent_at: int) -> Order: ...
def unpack_intents(
    packed: bytes, markets: tuple[Market, ...]
) -> list[tuple[int, Intent] | tuple[int, int, int, int, int]]: ...
