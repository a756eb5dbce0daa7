"""``perpscope serve``: the web dashboard (docs/dashboard.md), optionally with the collector in the same process."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
from pathlib import Path

import click

from perpscope.api import Perpscope
from perpscope.cli.common import App, console, errors, pass_app
from perpscope.config import Settings
from perpscope.errors import StoreError
from perpscope.store import is_postgres_url, open_store

LOOPBACK_NAMES = frozenset({"localhost", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, allow_remote: bool) -> str | None:
    """None for a loopback host; the warning to print for any other host when ``allow_remote``; else an error."""
    if is_loopback(host):
        return None
    if not allow_remote:
        raise click.UsageError(
            f"--host {host} would expose the dashboard beyond this machine; add --allow-remote to do so on purpose"
        )
    return (
        f"warning: the dashboard listens on {host}: anyone who can reach this address can read your data "
        "(it has no login; it is read-only). Put it behind an authenticating proxy or a firewall."
    )


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8050, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option("--allow-remote", is_flag=True, help="Allow a --host other than loopback (prints a warning).")
@click.option("--db", "database", help="Database to show (overrides the global --db and settings).")
@click.option(
    "--reports",
    "reports_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of reports (perpscope report --out DIR/NAME) to list. [default: 'reports' beside the database]",
)
@click.option("--collect", is_flag=True, help="Also run the collector in this process (see perpscope collect).")
@click.option("--venues", default="binance", show_default=True, help="With --collect: comma-separated venues.")
@click.option("--symbols", default="BTC,ETH", show_default=True, help="With --collect: comma-separated bases.")
@click.option("--venue-url", "venue_urls", multiple=True, help="With --collect: replace a venue's base URLs.")
@pass_app
def serve(
    app: App,
    host: str,
    port: int,
    allow_remote: bool,
    database: str | None,
    reports_dir: Path | None,
    collect: bool,
    venues: str,
    symbols: str,
    venue_urls: tuple[str, ...],
) -> None:
    """Serve the dashboard: funding, open interest, liquidations, the heatmap and map, signals, live.

    Read-only: the server opens the database read-only for each request, so a collector in another process keeps
    writing. With --collect the collector runs here and the server reads through the same connection.
    """
    warning = check_host(host, allow_remote)
    settings = dataclasses.replace(app.settings, db=database) if database else app.settings
    reports = reports_dir or default_reports_dir(settings.db)
    if warning:
        errors.print(f"[bold yellow]{warning}[/]", highlight=False, soft_wrap=True)
    if collect:
        _serve_collecting(settings, host, port, reports, venues, symbols, venue_urls)
    else:
        serve_database(settings, host, port, reports)


def default_reports_dir(db: str) -> Path | None:
    return None if is_postgres_url(db) or db == ":memory:" else Path(db).expanduser().parent / "reports"


def serve_database(settings: Settings, host: str, port: int, reports: Path | None) -> None:
    """Serve ``settings.db`` read-only until interrupted (also what ``perpscope demo`` can end with)."""
    import uvicorn

    from perpscope.web.app import create_app, per_request

    with open_store(settings.db, read_only=True, lock_timeout_s=settings.store.lock_timeout_s) as store:
        store.schema_version()  # fails now, clearly, if the database is missing or newer than this perpscope
    app = create_app(per_request(settings.db, settings), reports_dir=reports, warm=True)
    _announce(host, port, settings.db, reports)
    # Open live-push streams never end by themselves: give them a second at shutdown, then close them.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=1)


def _serve_collecting(
    settings: Settings,
    host: str,
    port: int,
    reports: Path | None,
    venues: str,
    symbols: str,
    venue_urls: tuple[str, ...],
) -> None:
    import uvicorn

    from perpscope.cli.collecting import _connectors, _names, parse_venue_urls
    from perpscope.collect.collector import Collector
    from perpscope.collect.connector import Intervals
    from perpscope.web.app import create_app, shared

    try:
        store = open_store(settings.db, hold=True, lock_timeout_s=settings.store.lock_timeout_s)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    api = Perpscope(store, settings)
    connectors = _connectors(
        _names(venues), _names(symbols), Intervals(), parse_venue_urls(venue_urls), collect=settings.collect
    )
    collector = Collector(connectors, store)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(shared(api), reports_dir=reports, warm=True),
            host,
            port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
    )
    _announce(host, port, settings.db, reports, collecting=venues)

    async def both() -> None:
        collecting = asyncio.create_task(collector.run())
        try:
            await server.serve()  # returns on Ctrl-C / SIGTERM
        finally:
            collector.stop()
            await collecting

    try:
        asyncio.run(both())
    finally:
        api.close()
    for venue, reason in collector.errors.items():
        errors.print(f"[bold red]error:[/] {venue}: {reason}", highlight=False, soft_wrap=True)


def _announce(host: str, port: int, db: str, reports: Path | None, collecting: str = "") -> None:
    shown = f"[{host}]" if ":" in host else host
    console.print(f"perpscope dashboard on [bold]http://{shown}:{port}/[/] (read-only; Ctrl-C stops)", highlight=False)
    console.print(f"  database: {db}", highlight=False)
    console.print(f"  reports:  {reports if reports is not None else 'none'}", highlight=False)
    if collecting:
        console.print(f"  collecting in this process from: {collecting}", highlight=False)


COMMANDS: list[click.Command] = [serve]
