"""``perpscope collect``, ``replay`` and ``backfill``: live collection, recordings into history, REST history."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from perpscope.cli.common import App, console, errors, pass_app
from perpscope.collect import registry
from perpscope.collect.collector import Collector, CollectorSettings, restart_since
from perpscope.collect.connector import Connector, ConnectorSettings, Intervals, VenueUrls
from perpscope.collect.http import DEFAULT_HTTP, HttpSettings
from perpscope.collect.profiles import PROFILES
from perpscope.collect.recorder import Recorder
from perpscope.collect.replay import replay
from perpscope.collect.session import SessionSettings
from perpscope.collect.writer import WriterSettings
from perpscope.config import CollectSettings
from perpscope.errors import InputError
from perpscope.store.base import Store
from perpscope.times import format_ms, now_ms, parse_duration, parse_time
from perpscope.venues.capabilities import Channel

REPLAY_MARGIN_MS = 60_000
SIM_NOTE = (
    "[bold yellow]SIMULATED DATA[/]: collecting the market of 'perpscope sim serve' on loopback "
    "(venue names are the real ones; the data are not)"
)


@dataclass(frozen=True)
class UrlOverrides:
    """``--venue-url`` values: venue -> base URLs replacing the venue's own."""

    by_venue: tuple[tuple[str, VenueUrls], ...] = ()

    def of(self, venue: str) -> VenueUrls:
        return dict(self.by_venue).get(venue, VenueUrls())


def parse_venue_urls(values: Sequence[str]) -> UrlOverrides:
    """``binance=http://127.0.0.1:8080`` sets REST to that URL and the websocket to its ``ws://`` twin;
    ``binance.rest=URL`` and ``binance.ws=URL`` set one of them."""
    found: dict[str, VenueUrls] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not url:
            raise click.BadParameter(
                f"{value!r}: use VENUE=URL, VENUE.rest=URL or VENUE.ws=URL", param_hint="--venue-url"
            )
        venue, _, part = name.strip().lower().partition(".")
        current = found.get(venue, VenueUrls())
        if part in ("", "rest"):
            current = VenueUrls(rest=url, websocket=current.websocket or (_websocket_twin(url) if not part else ""))
        elif part in ("ws", "websocket"):
            current = VenueUrls(rest=current.rest, websocket=url)
        else:
            raise click.BadParameter(f"{value!r}: unknown part {part!r} (rest or ws)", param_hint="--venue-url")
        found[venue] = current
    return UrlOverrides(tuple(found.items()))


def _websocket_twin(url: str) -> str:
    return "ws" + url[len("http") :] if url.startswith("http") else url


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _connectors(
    venues: Sequence[str],
    symbols: Sequence[str],
    intervals: Intervals,
    urls: UrlOverrides,
    http: HttpSettings = DEFAULT_HTTP,
    collect: CollectSettings | None = None,
) -> list[Connector]:
    return [
        registry.make(
            venue,
            ConnectorSettings(tuple(symbols), intervals, urls.of(venue.lower())),
            http,
            collect=collect,
        )
        for venue in venues
    ]


@dataclass(frozen=True)
class CollectPlan:
    """What ``collect`` will do, from its flags over the ``[collect]`` settings over a profile."""

    venues: tuple[str, ...]
    symbols: tuple[str, ...]
    intervals: Intervals
    urls: UrlOverrides
    stale_after_s: float
    flush_interval_s: float
    restart_lookback: str
    record_dir: Path | None
    budget_share: float
    profile: str = ""
    source_prefix: str = ""


def plan_collection(
    settings: CollectSettings,
    *,
    venues: str | None = None,
    symbols: str | None = None,
    venue_urls: Sequence[str] = (),
    oi_interval: float | None = None,
    funding_interval: float | None = None,
    stale_after: float | None = None,
    restart_lookback: str | None = None,
    record_dir: Path | None = None,
) -> CollectPlan:
    """Flags (None: not given) win over the settings. A profile name in place of the venue list (``sim``) brings
    its venues, symbols, intervals and URLs; the settings' intervals and URLs then do not apply, flags still do."""
    chosen = (venues if venues is not None else settings.venues).strip().lower()
    profile = PROFILES[chosen]() if chosen in PROFILES else None
    if profile is not None:
        names, default_symbols, intervals = profile.venues, ",".join(profile.symbols), profile.intervals
        found = dict(profile.urls)
    else:
        names, default_symbols = tuple(_names(chosen)), settings.symbols
        intervals = Intervals(open_interest_s=settings.oi_poll_s, funding_s=settings.funding_poll_s)
        found = {name: VenueUrls(settings.urls(name).rest, settings.urls(name).websocket) for name in names}
    intervals = dataclasses.replace(
        intervals,
        open_interest_s=oi_interval if oi_interval is not None else intervals.open_interest_s,
        funding_s=funding_interval if funding_interval is not None else intervals.funding_s,
    )
    for venue, given in parse_venue_urls(venue_urls).by_venue:
        current = found.get(venue, VenueUrls())
        found[venue] = VenueUrls(given.rest or current.rest, given.websocket or current.websocket)
    folder = record_dir if record_dir is not None else (Path(settings.record_dir) if settings.record_dir else None)
    return CollectPlan(
        venues=names,
        symbols=tuple(_names(symbols if symbols is not None else default_symbols)),
        intervals=intervals,
        urls=UrlOverrides(tuple(found.items())),
        stale_after_s=stale_after if stale_after is not None else settings.stale_after_s,
        flush_interval_s=settings.flush_interval_s,
        restart_lookback=restart_lookback if restart_lookback is not None else settings.restart_lookback,
        record_dir=folder,
        budget_share=settings.budget_share,
        profile=profile.name if profile is not None else "",
        source_prefix=profile.source_prefix if profile is not None else "",
    )


@click.command("collect")
@click.option(
    "--venues",
    help="Comma-separated venues, or 'sim': the market of 'perpscope sim serve' on loopback. [default: binance]",
)
@click.option("--symbols", help="Comma-separated bases (BTC) or BTC-USDT-PERP. [default: BTC,ETH; sim: BTC]")
@click.option(
    "--record",
    "record_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write raw frames here (jsonl.gz, hourly files); replayed into the store at start.",
)
@click.option(
    "--venue-url",
    "venue_urls",
    multiple=True,
    help="Replace a venue's base URLs: binance=http://127.0.0.1:8080 (tests, proxies).",
)
@click.option("--oi-interval", type=float, help="Seconds between open-interest polls (0: none). [default: 10]")
@click.option("--funding-interval", type=float, help="Seconds between settled-funding polls. [default: 60]")
@click.option("--stale-after", type=float, help="Seconds without data before a connection is replaced. [default: 30]")
@click.option("--restart-lookback", help="Backfill at most this far back at start. [default: 24h]")
@click.option("--status-every", default=1.0, show_default=True, help="Seconds between status lines (0: none).")
@pass_app
def collect_command(
    app: App,
    venues: str | None,
    symbols: str | None,
    record_dir: Path | None,
    venue_urls: tuple[str, ...],
    oi_interval: float | None,
    funding_interval: float | None,
    stale_after: float | None,
    restart_lookback: str | None,
    status_every: float,
) -> None:
    """Collect live funding, open interest, liquidations and prices until stopped (Ctrl-C or SIGTERM).

    Data arrive over websockets where venues stream them and by REST polls otherwise; after a reconnect or a
    restart, what REST history keeps is backfilled and what it does not is recorded as a gap. Defaults come from
    the [collect] settings (config file, PERPSCOPE_COLLECT__* variables).
    """
    plan = plan_collection(
        app.settings.collect,
        venues=venues,
        symbols=symbols,
        venue_urls=venue_urls,
        oi_interval=oi_interval,
        funding_interval=funding_interval,
        stale_after=stale_after,
        restart_lookback=restart_lookback,
        record_dir=record_dir,
    )
    if plan.profile == "sim":
        errors.print(SIM_NOTE, highlight=False, soft_wrap=True)
    http = HttpSettings(budget_share=plan.budget_share)
    connectors = _connectors(plan.venues, plan.symbols, plan.intervals, plan.urls, http, app.settings.collect)
    store = app.api(read_only=False).store
    lookback = parse_duration(plan.restart_lookback)
    since = {c.venue: s for c in connectors if (s := restart_since(store, c.venue, now_ms(), lookback)) is not None}
    record_dir = plan.record_dir
    if record_dir is not None and any(record_dir.rglob("*.jsonl.gz")):
        _catch_up(record_dir, connectors, store, since)
    settings = CollectorSettings(
        session=SessionSettings(stale_after_s=plan.stale_after_s),
        writer=WriterSettings(flush_interval_s=plan.flush_interval_s, source_prefix=plan.source_prefix),
    )
    recorder = Recorder(record_dir) if record_dir is not None else None
    collector = Collector(connectors, store, settings, recorder=recorder)
    try:
        asyncio.run(_run(collector, since, status_every))
    finally:
        if recorder is not None:
            recorder.close()
    _report(collector)


def _catch_up(folder: Path, connectors: Sequence[Connector], store: Store, since: dict[str, int]) -> None:
    """Replay what the last run recorded but may not have stored (it was killed between two flushes)."""
    start = min(since.values()) - REPLAY_MARGIN_MS if len(since) == len(connectors) else None
    count = replay(folder, {c.venue: c for c in connectors}, store, since_ms=start)
    message = f"replayed {count.frames:,} recorded frames: {count.added:,} records were missing from the store"
    errors.print(message, highlight=False, soft_wrap=True)


async def _run(collector: Collector, since: dict[str, int], status_every: float) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, collector.stop)
    status = asyncio.create_task(_show_status(collector, status_every)) if status_every > 0 else None
    try:
        await collector.run(backfill_since=since)
    finally:
        if status is not None:
            status.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _show_status(collector: Collector, every: float) -> None:
    """One live line on a terminal; a plain line every ``every`` seconds otherwise (logs, pipes)."""
    live = sys.stderr.isatty()
    while True:
        await asyncio.sleep(every)
        line = collector.status.line(now_ms())
        if live:
            sys.stderr.write("\r\x1b[2K" + line[: _width()])
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _width() -> int:
    return max(40, console.width - 1)


def _report(collector: Collector) -> None:
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    status = collector.status
    errors.print(
        f"stored {status.stored:,} new records ({status.repeated:,} already stored); "
        f"{status.reconnects} reconnects; {status.gaps} gaps recorded; {status.malformed} malformed messages skipped",
        highlight=False,
        soft_wrap=True,
    )
    for venue, reason in collector.errors.items():
        errors.print(f"[bold red]error:[/] {venue}: {reason}", highlight=False, soft_wrap=True)
    if collector.errors:
        raise SystemExit(1)


@click.command("replay")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--since", help="Only frames received from this time (ISO 8601, epoch, or 7d for 7 days ago).")
@pass_app
def replay_command(app: App, folder: Path, since: str | None) -> None:
    """Feed recordings made by ``collect --record FOLDER`` through the venues' parsers into the store.

    Replaying is idempotent: records already stored are counted, not stored twice.
    """
    since_ms = _time(since, "--since") if since else None
    connectors = _connectors(registry.available(), (), Intervals(), UrlOverrides())
    count = replay(folder, {c.venue: c for c in connectors}, app.api(read_only=False).store, since_ms=since_ms)
    console.print(
        f"{count.files} files, {count.frames:,} frames ({count.malformed:,} malformed, skipped): "
        f"{count.records:,} records parsed, {count.added:,} new to the store",
        highlight=False,
    )


@click.command("backfill")
@click.option("--venue", required=True, help="One venue, e.g. binance.")
@click.option("--symbol", required=True, help="A base (BTC) or a canonical symbol (BTC-USDT-PERP).")
@click.option("--channel", required=True, type=click.Choice([c.value for c in Channel]), help="What to fetch.")
@click.option("--since", required=True, help="Start: ISO 8601 date/time (UTC), epoch, or 30d for 30 days ago.")
@click.option("--until", default="now", show_default=True, help="End, in the same forms.")
@click.option("--venue-url", "venue_urls", multiple=True, help="Replace the venue's base URLs (see collect).")
@pass_app
def backfill_command(
    app: App, venue: str, symbol: str, channel: str, since: str, until: str, venue_urls: tuple[str, ...]
) -> None:
    """Page a venue's REST history for one channel into the store, within the venue's rate limits."""
    start, end = _time(since, "--since"), _time(until, "--until")
    if end <= start:
        raise click.BadParameter(f"{until!r} is not after {since!r}", param_hint="--until")
    connector = _connectors([venue], [symbol], Intervals(), parse_venue_urls(venue_urls))[0]
    chosen = Channel(channel)
    if not connector.can_backfill(chosen):
        raise InputError(f"{connector.venue} keeps no REST history for {chosen.value}: it can only be collected live")
    stored, added = asyncio.run(_backfill(connector, chosen, symbol, start, end, app.api(read_only=False).store))
    console.print(
        f"{connector.venue} {chosen.value} {symbol}: {stored:,} records fetched (source: {connector.venue} REST), "
        f"{added:,} new to the store, {format_ms(start)} .. {format_ms(end)}",
        highlight=False,
    )


async def _backfill(
    connector: Connector, channel: Channel, symbol: str, start: int, end: int, store: Store
) -> tuple[int, int]:
    fetched = added = 0
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[at]}"), TimeElapsedColumn())
    try:
        with Progress(*columns, console=errors, transient=True, disable=not sys.stderr.isatty()) as progress:
            task = progress.add_task(f"{connector.venue} {channel.value}", total=end - start, at="")
            async for page in connector.backfill(channel, symbol, start, end):
                counts = await asyncio.to_thread(store.write_records, page)
                fetched += len(page)
                added += sum(count.added for count in counts.values())
                last = max(record.ts_event for record in page)
                progress.update(task, completed=last - start, at=format_ms(last))
    finally:
        await connector.http.close()
    return fetched, added


def _time(text: str, option: str) -> int:
    try:
        return parse_time(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from None


COMMANDS: list[click.Command] = [collect_command, replay_command, backfill_command]
