"""``perpscope fetch-sentiment``: the Crypto Fear & Greed Index (alternative.me, daily, 0-100) into the
``sentiment`` table. A third party's figure, stored beside perpscope's own positioning index and never mixed
into it (docs/analytics.md)."""

from __future__ import annotations

import asyncio
from typing import Any

import click

from perpscope.cli.common import App, console, pass_app, print_json
from perpscope.cli.views import json_option
from perpscope.models import SentimentIndex
from perpscope.store import Store, WriteCount
from perpscope.times import format_ms
from perpscope.venues.alternative import SERIES, SOURCE, SYMBOL
from perpscope.venues.alternative.endpoints import REST
from perpscope.venues.alternative.fetch import fetch_fear_greed

UNITS = {"value": "index 0 (extreme fear) .. 100 (extreme greed), alternative.me", "times": "ms UTC, day start"}


@click.command("fetch-sentiment")
@click.option(
    "--days",
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="The newest N daily values; 0: every day since 2018-02-01.",
)
@click.option("--url", "base_url", default=REST, show_default=True, help="API base URL (a proxy, a local copy).")
@json_option
@pass_app
def fetch_sentiment(app: App, days: int, base_url: str, as_json: bool) -> None:
    """Fetch the Crypto Fear & Greed Index (alternative.me) and store it; a second fetch adds nothing new."""
    fetched = asyncio.run(fetch_fear_greed(days, base_url=base_url))
    store = app.api(read_only=False).store
    count = store.write_records(fetched).get("sentiment", WriteCount(0, 0))
    latest = latest_stored(store)
    if as_json:
        print_json({"received": count.received, "added": count.added, "latest": latest, "units": UNITS})
        return
    console.print(_summary(fetched, count), highlight=False)
    if latest is not None:
        shown = f"{latest['value']:g} ({latest['classification']})"
        console.print(f"latest stored: {format_ms(latest['ts_event'])[:10]}: {shown}, index 0-100", highlight=False)


def _summary(fetched: list[SentimentIndex], count: WriteCount) -> str:
    what = f"{SOURCE} Fear & Greed Index ({SYMBOL} market, daily)"
    if not fetched:
        return f"{what}: the API returned no values"
    span = f"{format_ms(fetched[0].ts_event)[:10]} .. {format_ms(fetched[-1].ts_event)[:10]}"
    return f"{what}: {count.received} daily values {span}, {count.added} new, {count.present} already stored"


def latest_stored(store: Store) -> dict[str, Any] | None:
    """The newest stored Fear & Greed value: ``ts_event``, ``value``, ``classification``, ``source``."""
    frame = store.query(
        "SELECT ts_event, value, classification, source FROM sentiment "
        "WHERE venue = ? AND symbol = ? AND series = ? ORDER BY ts_event DESC LIMIT 1",
        [SOURCE, SYMBOL, SERIES],
    )
    return None if frame.is_empty() else frame.row(0, named=True)


COMMANDS: list[click.Command] = [fetch_sentiment]
