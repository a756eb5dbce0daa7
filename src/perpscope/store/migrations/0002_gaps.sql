-- 0002: spans a collector could not fill (throttled feeds have no history to backfill from).

CREATE TABLE gaps (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    native_symbol TEXT NOT NULL,
    ts_event BIGINT NOT NULL,
    ts_recv BIGINT NOT NULL,
    source TEXT NOT NULL,
    channel TEXT NOT NULL,
    ts_end BIGINT NOT NULL,
    reason TEXT NOT NULL,
    backfilled BOOLEAN NOT NULL,
    PRIMARY KEY (venue, symbol, channel, ts_event)
);
