-- 0001: the initial tables. Natural keys make every write idempotent (see store/schema.py).
-- The event tables (funding, open_interest, liquidations, prices, long_short_ratios, taker_volume) get their
-- PRIMARY KEY on PostgreSQL only (0001_initial.postgres.sql); on DuckDB the single writer keeps them unique.

CREATE TABLE instruments (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    native_symbol TEXT NOT NULL,
    ts_event BIGINT NOT NULL,
    ts_recv BIGINT NOT NULL,
    source TEXT NOT NULL,
    base TEXT NOT NULL,
    quote TEXT NOT NULL,
    settle TEXT NOT NULL,
    contract_size DOUBLE PRECISION NOT NULL,
    tick_size DOUBLE PRECISION,
    funding_interval_h DOUBLE PRECISION NOT NULL,
    inverse BOOLEAN NOT NULL,
    margin_brackets TEXT NOT NULL,
    PRIMARY KEY (venue, symbol)
);

CREATE TABLE funding (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    native_symbol TEXT NOT NULL,
    ts_event BIGINT NOT NULL,
    ts_recv BIGINT NOT NULL,
    source TEXT NOT NULL,
    rate DOUBLE PRECISION NOT NULL,
    interval_h DOUBLE PRECISION NOT NULL,
    kind TEXT NOT NULL,
    funding_time BIGINT NOT NULL
);

CREATE TABLE open_interest (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    native_symbol TEXT NOT NULL,
    ts_event BIGINT NOT NULL,
    ts_recv BIGINT NOT NULL,
    source TEXT NOT NULL,
    oi_contracts DOUBLE PRECISION,
    oi_base DOUBLE PRECISION,
    oi_usd DOUBLE PRECISION,
    reported TEXT NOT NULL,
    conversion_price DOUBLE PRECISION
);

CREATE TABLE liquidations (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    native_symbol TEXT NOT NULL,
    ts_event BIGINT NOT NULL,
    ts_recv BIGINT NOT NULL,
    source TEXT NOT NULL,
    side TEXT NOT NULL,
    price DOUBLE PRECISION NOT NULL,
    quantity DOUBLE PRECISION NOT NULL,
    notional_usd DOUBLE PRECISION NOT NULL,
    complete BOOLEAN NOT NULL
);

CREATE TABLE liquidation_totals (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    native_symbol TEXT NOT NULL,
    ts_event BIGINT NOT NULL,
    ts_recv BIGINT NOT NULL,
    source TEXT NOT NULL,
    period TEXT NOT NULL,
    long_usd DOUBLE PRECISION NOT NULL,
    short_usd DOUBLE PRECISION NOT NULL,
    count BIGINT,
    PRIMARY KEY (venue, symbol, period, ts_event)
);

CREATE TABLE prices (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    native_symbol TEXT NOT NULL,
    ts_event BIGINT NOT NULL,
    ts_recv BIGINT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    price DOUBLE PRECISION NOT NULL
);

CREATE TABLE candles (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    native_symbol TEXT NOT NULL,
    ts_event BIGINT NOT NULL,
    ts_recv BIGINT NOT NULL,
    source TEXT NOT NULL,
    interval TEXT NOT NULL,
    kind TEXT NOT NULL,
    open DOUBLE PRECISION NOT NULL,
    high DOUBLE PRECISION NOT NULL,
    low DOUBLE PRECISION NOT NULL,
    close DOUBLE PRECISION NOT NULL,
    volume DOUBLE PRECISION,
    quote_volume DOUBLE PRECISION,
    PRIMARY KEY (venue, symbol, interval, kind, ts_event)
);

CREATE TABLE long_short_ratios (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    native_symbol TEXT NOT NULL,
    ts_event BIGINT NOT NULL,
    ts_recv BIGINT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    long_share DOUBLE PRECISION NOT NULL,
    short_share DOUBLE PRECISION NOT NULL
);

CREATE TABLE taker_volume (
    venue TEXT NOT NULL,
    symbol TEXT NOT NULL,
    native_symbol TEXT NOT NULL,
    ts_event BIGINT NOT NULL,
    ts_recv BIGINT NOT NULL,
    source TEXT NOT NULL,
    period TEXT NOT NULL,
    buy_volume DOUBLE PRECISION NOT NULL,
    sell_volume DOUBLE PRECISION NOT NULL
);
