-- 0001 on PostgreSQL: the natural keys of the event tables, enforced by the server because any number of
-- processes may write at once. DuckDB has one writer, which de-duplicates instead (store/duckdb.py).

ALTER TABLE funding ADD PRIMARY KEY (venue, symbol, kind, ts_event, funding_time);
ALTER TABLE open_interest ADD PRIMARY KEY (venue, symbol, ts_event);
ALTER TABLE liquidations ADD PRIMARY KEY (venue, symbol, ts_event, side, price, quantity);
ALTER TABLE prices ADD PRIMARY KEY (venue, symbol, kind, ts_event);
ALTER TABLE long_short_ratios ADD PRIMARY KEY (venue, symbol, kind, period, ts_event);
ALTER TABLE taker_volume ADD PRIMARY KEY (venue, symbol, period, ts_event);
