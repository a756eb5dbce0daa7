-- 0003: published market-sentiment indices (alternative.me's Fear & Greed), one row per series and period.
-- A replace table (store/schema.py), so its PRIMARY KEY is on both backends and no supplement is needed.

CREATE TABLE sentiment (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    native_symbol TEXT NOT NULL,
    ts_event BIGINT NOT NULL,
    ts_recv BIGINT NOT NULL,
    source TEXT NOT NULL,
    series TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    classification TEXT NOT NULL,
    PRIMARY KEY (venue, symbol, series, ts_event)
);
