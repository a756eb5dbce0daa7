"""``python -m perpscope.fakevenue``: a fake Binance on loopback playing a scripted market until Ctrl-C.

Point a collector at it with ``perpscope collect --venues binance --venue-url binance=<printed URL>``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time

from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.market import scripted
from perpscope.fakevenue.server import FakeVenue


async def serve(port: int, bases: tuple[str, ...], step_ms: int) -> None:
    async with FakeVenue(BinanceDialect(), port=port) as venue:
        print(f"fake binance: REST {venue.rest_url}  websocket {venue.websocket_url}", flush=True)
        now = time.time_ns() // 1_000_000
        await venue.play(scripted(bases, count=10**9, start_ms=now, step_ms=step_ms))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m perpscope.fakevenue", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--symbols", default="BTC,ETH", help="comma-separated bases")
    parser.add_argument("--step-ms", type=int, default=100, help="milliseconds between market steps")
    arguments = parser.parse_args()
    bases = tuple(part.strip().upper() for part in arguments.symbols.split(",") if part.strip())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(arguments.port, bases, arguments.step_ms))


if __name__ == "__main__":
    main()
