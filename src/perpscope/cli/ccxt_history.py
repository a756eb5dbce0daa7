"""``perpscope ccxt-backfill``: funding or open-interest history of any ccxt exchange into the store.

A thin shell over :class:`perpscope.venues.ccxt.connector.CcxtHistory`; ccxt is imported only when the command
runs (it is an optional extra: ``pip install 'perpscope[ccxt]'``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import click

from perpscope.cli.common import App, console, pass_app
from perpscope.models import Record
from perpscope.store.base import Store
from perpscope.times import format_ms, parse_time
from perpscope.venues.ccxt.connector import CcxtHistory

CHANNELS = ("funding", "open_interest")


@click.command("ccxt-backfill")
@click.option("--exchange", required=True, help="A ccxt exchange id, e.g. gate, mexc, bitget, krakenfutures.")
@click.option("--symbol", required=True, help="A base (BTC), BTC-USDT-PERP, ccxt's BTC/USDT:USDT or the venue's id.")
@click.option("--channel", required=True, type=click.Choice(CHANNELS), help="What to fetch.")
@click.option("--since", required=True, help="Start: ISO 8601 date/time (UTC), epoch, or 30d for 30 days ago.")
@click.option("--until", default="now", show_default=True, help="End, in the same forms.")
@click.option("--timeframe", default="1h", show_default=True, help="Open interest sampling, in ccxt's names.")
@click.option("--venue", help="Venue name stored with the records [default: the exchange id].")
@click.option("--interval-h", default=8.0, show_default=True, help="Funding interval for a lone print (hours).")
@click.option("--api-base", help="Send the exchange's REST calls to this origin instead (a proxy, a fake venue).")
@pass_app
def ccxt_backfill_command(
    app: App,
    exchange: str,
    symbol: str,
    channel: str,
    since: str,
    until: str,
    timeframe: str,
    venue: str | None,
    interval_h: float,
    api_base: str | None,
) -> None:
    """Page one ccxt exchange's funding or open-interest history into the store, through ccxt's rate limiter.

    Records are stored with source "ccxt <exchange>"; running twice stores nothing twice.
    """
    start, end = _time(since, "--since"), _time(until, "--until")
    if end <= start:
        raise click.BadParameter(f"{until!r} is not after {since!r}", param_hint="--until")
    client = CcxtHistory(exchange, venue=venue, api_base=api_base, fallback_interval_h=interval_h)
    store = app.api(read_only=False).store
    fetched, added = asyncio.run(_run(client, channel, symbol, start, end, timeframe, store))
    console.print(
        f"{client.venue} {channel} {symbol}: {fetched:,} records fetched (source: ccxt {exchange}), "
        f"{added:,} new to the store, {format_ms(start)} .. {format_ms(end)}",
        highlight=False,
    )


async def _run(
    client: CcxtHistory, channel: str, symbol: str, start: int, end: int, timeframe: str, store: Store
) -> tuple[int, int]:
    async with client:
        pages: AsyncIterator[Sequence[Record]]
        if channel == "funding":
            pages = client.funding_history(symbol, start, end)
        else:
            pages = client.open_interest_history(symbol, start, end, timeframe)
        fetched = added = 0
        async for page in pages:
            counts = await asyncio.to_thread(store.write_records, page)
            fetched += len(page)
            added += sum(count.added for count in counts.values())
    return fetched, added


def _time(text: str, option: str) -> int:
    try:
        return parse_time(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None


COMMANDS: list[click.Command] = [ccxt_backfill_command]
