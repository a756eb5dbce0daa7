"""The dashboard's FastAPI application: a read-only JSON API, live push and the pages (docs/dashboard.md).

:func:`create_app` takes an *opener*: a function returning a context manager that yields a
:class:`~perpscope.api.Perpscope` for the span of one request. :func:`per_request` opens the embedded store
read-only for each request and closes it after, so a collector in another process can write between requests
(docs/architecture.md, "Concurrency on the embedded database"); :func:`shared` hands every request the one
Perpscope of a process that holds the store itself (``serve --collect``, tests, benchmarks).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from starlette.responses import Response

from perpscope.api import Perpscope
from perpscope.config import Settings
from perpscope.errors import InputError, PerpscopeError, QueryError, StoreBusyError, StoreError
from perpscope.store import is_postgres_url, open_store
from perpscope.store.attached import ATTACHMENTS
from perpscope.web.cache import ResultCache
from perpscope.web.push import PushHub
from perpscope.web.responses import JSON

Opener = Callable[[], AbstractContextManager[Perpscope]]

# Everything the pages load comes from this server: no CDN, no inline script (docs/dashboard.md).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@dataclass
class WebContext:
    """What every route reaches through ``request.app.state.web``."""

    opener: Opener
    reports_dir: Path | None
    cache: ResultCache = field(default_factory=ResultCache)
    hub: PushHub | None = None
    title: str = "perpscope"


def per_request(db: str, settings: Settings) -> Opener:
    """Open the database read-only for the request and close it afterwards: an embedded file is attached to
    the process's one DuckDB while any request reads it (store/attached.py), not opened anew each time."""

    if not is_postgres_url(str(db)):
        ATTACHMENTS.start()  # with the server, not in its first request

    @contextlib.contextmanager
    def opened() -> Iterator[Perpscope]:
        store = open_store(db, read_only=True, attach=True, lock_timeout_s=settings.store.lock_timeout_s)
        try:
            yield Perpscope(store, settings)
        finally:
            store.close()

    return opened


def shared(api: Perpscope) -> Opener:
    """Every request reads through ``api``'s store (which the caller holds open and closes)."""
    return lambda: contextlib.nullcontext(api)


def create_app(
    opener: Opener,
    *,
    reports_dir: Path | None = None,
    push_interval_s: float = 0.25,
    push: bool = True,
    title: str = "perpscope",
    warm: bool = False,
) -> FastAPI:
    """The dashboard. ``push_interval_s``: how often the live push polls the store for newly received rows.
    ``warm``: run the default heatmap (BTC, 24 h) in the background at start, so the first visitor need not wait
    for the model (0.5 s for 24 h of 4 venues)."""
    from perpscope.web.routes import analysis, heatmap, market, pages  # routes import WebContext from here

    hub = PushHub(opener, push_interval_s) if push else None
    context = WebContext(opener, reports_dir, hub=hub, title=title)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # What start-up allocated (modules, the app) is kept out of the cyclic GC: a full collection otherwise
        # walks ~95,000 objects, pausing whichever request it lands in for ~35 ms. Garbage goes first.
        gc.collect()
        gc.freeze()
        if hub is not None:
            hub.start()
        warming = threading.Thread(target=heatmap.warm, args=(opener, context.cache), name="heatmap warm-up")
        if warm:
            warming.start()
        try:
            yield
        finally:
            gc.unfreeze()  # collectable again at exit (DuckDB's bindings report objects never freed as leaks)
            if hub is not None:
                await hub.stop()
            if warming.is_alive():
                await asyncio.to_thread(warming.join)  # a model run in flight must end before the store closes

    app = FastAPI(
        title="perpscope dashboard API",
        version="1",
        description="Read-only views of a perpscope database: funding, open interest, liquidations, the estimated "
        "liquidation heatmap and map, signals and reports. Times are int milliseconds UTC; every response names "
        "its units.",
        default_response_class=JSON,
        lifespan=lifespan,
        docs_url=None,  # the interactive docs load scripts from a CDN; the OpenAPI JSON is at /api/openapi.json
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.web = context
    # Level 1: a heatmap's 700 KB of JSON in 5 ms instead of 33 ms at the default 9, for 7% more bytes.
    app.add_middleware(GZipMiddleware, minimum_size=2_048, compresslevel=1)
    _add_headers(app)
    _add_error_handlers(app)
    for module in (market, heatmap, analysis, pages):
        app.include_router(module.router)
    app.mount("/static", pages.static_files(), name="static")
    if hub is not None:
        app.include_router(hub.router())
    return app


def _add_headers(app: FastAPI) -> None:
    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], object]) -> Response:
        response: Response = await call_next(request)  # type: ignore[misc]
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def _add_error_handlers(app: FastAPI) -> None:
    """The service layer's errors as 4xx with their message; a busy or broken store as 503."""
    statuses: list[tuple[type[PerpscopeError], int]] = [
        (QueryError, 404),
        (InputError, 400),
        (StoreBusyError, 503),
        (StoreError, 503),
        (PerpscopeError, 400),
    ]
    for kind, status in statuses:
        app.add_exception_handler(kind, _handler(status))


def _handler(status: int) -> Callable[[Request, Exception], Response]:
    def handle(request: Request, error: Exception) -> Response:
        return JSON({"detail": str(error)}, status_code=status)

    return handle
