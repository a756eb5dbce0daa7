"""Ground truth: every open position and every liquidation, as Arrow tables, Parquet files and store records.

Open positions are not a store table (no venue publishes them): they go to Parquet and stay available in Python.
Liquidations that happened go to the store as ordinary ``Liquidation`` records with ``source="sim"`` (records.py),
and to Parquet with what only the simulator knows: the position, its liquidation price, the cascade round and the
mark that fired it. Sides are ``"long"``/``"short"``; prices USD; quantities base units; times ms UTC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from perpscope.sim.exchange import LiquidationRow
from perpscope.sim.market import Market

POSITIONS_FILE = "truth_positions.parquet"
LIQUIDATIONS_FILE = "truth_liquidations.parquet"

POSITION_SCHEMA = pa.schema(
    [
        ("venue", pa.string()),
        ("position_id", pa.int64()),
        ("side", pa.string()),
        ("quantity", pa.float64()),
        ("entry", pa.float64()),
        ("leverage", pa.float64()),
        ("liquidation_price", pa.float64()),
        ("open_ts", pa.int64()),
    ]
)

LIQUIDATION_SCHEMA = pa.schema(
    [
        *POSITION_SCHEMA,
        ("ts", pa.int64()),
        ("step", pa.int64()),
        ("round", pa.int64()),
        ("trigger_mark", pa.float64()),
        ("fill_price", pa.float64()),
        ("mark_after", pa.float64()),
    ]
)


def open_positions(market: Market) -> pa.Table:
    """Every open position of every venue now, with its exact liquidation price (pending ones are priced)."""
    parts = []
    for venue in market.venues:
        positions = venue.positions
        positions.price_pending()
        alive = positions.column("alive")
        sides = positions.column("sides")[alive]
        columns = {
            "venue": pa.array([venue.spec.name] * int(alive.sum()), pa.string()),
            "position_id": positions.column("ids")[alive],
            "side": np.where(sides > 0, "long", "short"),
            "quantity": positions.column("quantities")[alive],
            "entry": positions.column("entries")[alive],
            "leverage": positions.column("leverages")[alive],
            "liquidation_price": positions.column("liquidation_prices")[alive],
            "open_ts": positions.column("open_ts")[alive],
        }
        parts.append(pa.table(columns, schema=POSITION_SCHEMA))
    return pa.concat_tables(parts) if parts else POSITION_SCHEMA.empty_table()


def liquidation_table(rows: list[LiquidationRow]) -> pa.Table:
    """The liquidation log: one row per liquidated position, in the order they fired."""
    columns: dict[str, list[object]] = {name: [] for name in LIQUIDATION_SCHEMA.names}
    for row in rows:
        for name in LIQUIDATION_SCHEMA.names:
            value = row.position_id if name == "position_id" else getattr(row, name)
            columns[name].append(("long" if value > 0 else "short") if name == "side" else value)
    return pa.table(columns, schema=LIQUIDATION_SCHEMA)


def export(market: Market, folder: Path) -> tuple[Path, Path]:
    """Write the open positions (now) and the liquidation log to Parquet in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    positions_path, liquidations_path = folder / POSITIONS_FILE, folder / LIQUIDATIONS_FILE
    pq.write_table(open_positions(market), positions_path)
    pq.write_table(liquidation_table(market.liquidation_log), liquidations_path)
    return positions_path, liquidations_path
