-- polyedge PostgreSQL schema, version 1. `polyedge db init` applies it; applying it again
-- changes nothing. Amounts are integers of micro-units (1e-6); times are simulated ns.

CREATE TABLE IF NOT EXISTS polyedge_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO polyedge_meta (key, value) VALUES ('schema_version', '1')
    ON CONFLICT (key) DO NOTHING;

CREATE TABLE IF NOT EXISTS runs (
    run_id      uuid PRIMARY KEY,          -- derived from the config and seed
    config      jsonb NOT NULL,            -- the TestConfig, enough to replay the run
    status      text NOT NULL CHECK (status IN ('running', 'completed', 'interrupted')),
    events      bigint NOT NULL DEFAULT 0, -- events stored: always exactly 1..events
    digest      text,                      -- set when the run completes
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);

-- No foreign key to runs, as in order_events below: its per-row check cost the server more
-- than storing the row. Every batch's run row exists before the batch is written.
CREATE TABLE IF NOT EXISTS orders (
    run_id        uuid NOT NULL,
    order_id      bigint NOT NULL,         -- the intent id it came from
    lane_seq      bigint NOT NULL,
    venue         smallint NOT NULL,
    market_id     text NOT NULL,
    side          text NOT NULL,
    outcome       text NOT NULL,
    price         bigint NOT NULL,
    size          bigint NOT NULL,
    time_in_force text NOT NULL,
    expires_at    bigint,
    post_only     boolean NOT NULL,
    group_id      bigint NOT NULL,         -- 0, or the arbitrage group of the order
    PRIMARY KEY (run_id, order_id)
);

-- One row per order that reached a terminal state: appended with COPY, never updated
-- (an UPDATE per order cost as much as writing all the events). Orders without a row
-- here are in flight: recovery reads those.
CREATE TABLE IF NOT EXISTS finished_orders (
    run_id      uuid NOT NULL,
    order_id    bigint NOT NULL,
    final_state smallint NOT NULL,
    PRIMARY KEY (run_id, order_id)
);

CREATE TABLE IF NOT EXISTS arbitrage_groups (
    run_id   uuid NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    group_id bigint NOT NULL,
    PRIMARY KEY (run_id, group_id)
);

-- No row-level foreign keys here: their per-row triggers cut COPY from ~400k to ~90k rows/s
-- on the reference machine. Every batch writes its orders before its events in one
-- transaction, so each event's (run_id, order_id) is in orders; the test suite checks it.
CREATE TABLE IF NOT EXISTS order_events (
    event_id   uuid PRIMARY KEY,           -- run's upper 64 bits + sequence (events.py)
    run_id     uuid NOT NULL,
    seq        bigint NOT NULL,
    order_id   bigint NOT NULL,
    lane_seq   bigint NOT NULL,
    venue      smallint NOT NULL,
    event      smallint NOT NULL,          -- polyedge OrderEvent
    from_state smallint NOT NULL,          -- polyedge OrderState
    to_state   smallint NOT NULL,          -- -1: the move was refused
    price      bigint NOT NULL,
    size       bigint NOT NULL,
    fee        bigint NOT NULL,
    reason     smallint NOT NULL,          -- 0, or the reject reason's number in the run
    sim_time   bigint NOT NULL
);
-- Only recovery looks events up by order: those of the orders still in flight. A BRIN index
-- (each 32-page block range's least and greatest run and order id) is next to free to keep
-- up while writing, where the btree it replaces took a quarter of the server's COPY time,
-- and it still narrows the lookup to the blocks a run's in-flight orders were written in:
-- events are appended in time order, and an order lives a short while.
DROP INDEX IF EXISTS order_events_by_order;  -- that btree, in databases made before
CREATE INDEX IF NOT EXISTS order_events_by_order_range ON order_events
    USING brin (run_id, order_id) WITH (pages_per_range = 32);

CREATE OR REPLACE VIEW fills AS
    SELECT event_id, run_id, seq, order_id, venue, price, size, fee, sim_time
    FROM order_events
    WHERE event IN (3, 4) AND to_state >= 0;   -- PARTIAL_FILL, FILL; not refused
