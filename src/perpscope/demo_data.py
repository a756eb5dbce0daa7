"""A small synthetic market for ``perpscope demo`` until the market simulator exists.

It writes files in the same long CSV format as the real samples perpscope is tested on, so the demo goes through the
real importer and the real views. The numbers are invented (seeded, plausible), never presented as market data.
"""

from __future__ import annotations

import csv
import gzip
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from perpscope.times import MS_PER_HOUR, now_ms

VENUES = {"binance": 8, "bybit": 8, "okx": 8, "hyperliquid": 1}  # venue -> funding interval, hours
OKX_BTC_CONTRACT = 0.01  # BTC per OKX BTC-USDT-SWAP contract
OI_SHARE = {"binance": 0.4, "bybit": 0.25, "okx": 0.15, "hyperliquid": 0.2}


def write_synthetic_market(folder: Path, days: int = 7, seed: int = 7) -> list[Path]:
    """Write hourly candles, funding, open interest and a liquidation burst for BTC, ending at the current hour."""
    folder.mkdir(parents=True, exist_ok=True)
    random = np.random.default_rng(seed)
    hours = days * 24
    end = now_ms() // MS_PER_HOUR * MS_PER_HOUR
    starts = [end - (hours - index) * MS_PER_HOUR for index in range(hours)]
    returns = random.standard_t(df=3, size=hours) * 0.004
    returns[-30:-27] = [-0.02, -0.035, -0.015]  # a sell-off 30 hours before the end, for the liquidation burst
    closes = 95_000 * np.exp(np.cumsum(returns))
    paths = [
        _write(
            folder / "synthetic_candles.csv.gz",
            ["timestamp", "venue", "coin", "o", "h", "l", "c", "v"],
            _candles(starts, closes, random),
        ),
        _write(
            folder / "synthetic_funding.csv.gz",
            ["timestamp", "venue", "coin", "funding_rate"],
            _funding(starts, returns, random),
        ),
        _write(
            folder / "synthetic_open_interest.csv.gz",
            ["timestamp", "venue", "coin", "oi_usd"],
            _open_interest(starts, closes, returns),
        ),
        _write(
            folder / "synthetic_liquidations.csv.gz",
            ["timestamp", "venue", "coin", "side", "size_usd", "price"],
            _liquidations(starts, closes, random),
        ),
    ]
    return paths


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with gzip.open(path, "wt", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _candles(starts: list[int], closes: np.ndarray, random: np.random.Generator) -> list[list[object]]:
    rows: list[list[object]] = []
    for venue in ("binance", "bybit"):
        previous = closes[0]
        for start, close in zip(starts, closes, strict=True):
            wick = abs(random.normal(0, 0.002)) * close
            high, low = max(previous, close) + wick, min(previous, close) - wick
            rows.append(
                [
                    _iso(start),
                    venue,
                    "BTC",
                    round(previous, 1),
                    round(high, 1),
                    round(low, 1),
                    round(close, 1),
                    round(float(random.uniform(2_000, 9_000)), 3),
                ]
            )
            previous = close
    return rows


def _funding(starts: list[int], returns: np.ndarray, random: np.random.Generator) -> list[list[object]]:
    """Mostly the 0.01%/8 h anchor, pushed by recent momentum; hourly venues pay an eighth each hour."""
    rows: list[list[object]] = []
    momentum = np.convolve(returns, np.ones(24) / 24, mode="full")[: len(returns)]
    for venue, interval in VENUES.items():
        for index, start in enumerate(starts):
            hour = start // MS_PER_HOUR
            if hour % interval:
                continue
            rate_8h = 0.0001 + 0.05 * momentum[index] + random.normal(0, 0.00002)
            rate_8h = float(np.clip(rate_8h, -0.003, 0.003))
            rows.append([_iso(start), venue, "BTC", round(rate_8h * interval / 8, 8)])
    return rows


def _open_interest(starts: list[int], closes: np.ndarray, returns: np.ndarray) -> list[list[object]]:
    rows: list[list[object]] = []
    contracts = 90_000 * np.exp(np.cumsum(np.where(returns < -0.01, returns * 3, 0.0008)))
    for venue, share in OI_SHARE.items():
        for start, close, open_btc in zip(starts, closes, contracts, strict=True):
            rows.append([_iso(start), venue, "BTC", round(float(open_btc * share * close), 2)])
    return rows


def _liquidations(starts: list[int], closes: np.ndarray, random: np.random.Generator) -> list[list[object]]:
    """A burst of long liquidations (OKX reports the forced order's side: sell) during the sell-off.

    The tidy format's OKX ``size_usd`` is contracts x price (docs/importing.md), so a USD amount is written as
    USD / 0.01 (BTC's contract value) for the importer to scale back."""
    rows: list[list[object]] = []
    for hour in range(len(starts) - 30, len(starts) - 27):
        for _ in range(40):
            moment = starts[hour] + int(random.uniform(0, MS_PER_HOUR))
            price = float(closes[hour]) * (1 + random.normal(0, 0.003))
            rows.append([_iso(moment), "okx", "BTC", "sell", _okx_size(random.lognormal(10, 1.2)), round(price, 1)])
    for _ in range(25):  # scattered small short liquidations elsewhere
        hour = int(random.integers(0, len(starts)))
        moment = starts[hour] + int(random.uniform(0, MS_PER_HOUR))
        rows.append(
            [_iso(moment), "okx", "BTC", "buy", _okx_size(random.lognormal(8, 1)), round(float(closes[hour]), 1)]
        )
    return sorted(rows, key=lambda row: str(row[0]))


def _okx_size(usd: float) -> float:
    """The tidy format's OKX ``size_usd`` is contracts x price (docs/importing.md): write USD / contract value."""
    return round(float(usd) / OKX_BTC_CONTRACT, 2)
