"""The fake venue: one loopback server speaking a venue's websocket and REST dialect, with scripted faults.

Websocket upgrades and plain HTTP GETs share one port (``websockets`` answers plain requests through its
``process_request`` hook), so a collector reaches it by replacing both base URLs with ``http://127.0.0.1:PORT``
and ``ws://127.0.0.1:PORT``. Events are published with :meth:`FakeVenue.publish` (or played on a wall-clock
schedule with :meth:`FakeVenue.play`); every frame and 200 answer is entered in the :class:`Ledger`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

import msgspec
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from perpscope.fakevenue.dialect import Dialect, Rendered, RestRequest
from perpscope.fakevenue.faults import NO_FAULTS, FaultPlan, HttpFault
from perpscope.fakevenue.httpserver import serve_http
from perpscope.fakevenue.ledger import Ledger
from perpscope.fakevenue.market import Event
from perpscope.fakevenue.state import MarketState

log = logging.getLogger(__name__)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(eq=False)
class _Client:
    connection: ServerConnection
    streams: set[str]
    wrapped: bool
    stalled: bool = False
    held: list[Rendered] = field(default_factory=list)  # frames kept back to be sent out of order


class FakeVenue:
    def __init__(self, dialect: Dialect, faults: FaultPlan = NO_FAULTS, *, host: str = "127.0.0.1", port: int = 0):
        self.dialect = dialect
        self.faults = faults
        self.host = host
        self.port = port
        self.ledger = Ledger()
        self.state = MarketState()
        self._clients: list[_Client] = []
        self._server: Server | None = None
        self._post_server: asyncio.Server | None = None
        self._lock = asyncio.Lock()
        self._fault_counts: dict[int, int] = {}
        # The venue's own clock (server times in snapshots): the wall clock, or a simulated market's.
        self.clock: Callable[[], int] = wall_clock_ms

    @property
    def rest_url(self) -> str:
        """The websocket port serves GETs too; venues queried by POST get a plain HTTP server of their own."""
        if self._post_server is not None:
            return f"http://{self.host}:{self._post_server.sockets[0].getsockname()[1]}"
        return f"http://{self.host}:{self.port}"

    @property
    def websocket_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    @property
    def connections(self) -> int:
        return len(self._clients)

    async def start(self) -> FakeVenue:
        self._server = await serve(self._session, self.host, self.port, process_request=self._http)
        self.port = self._server.sockets[0].getsockname()[1] if self._server.sockets else self.port
        if self.dialect.needs_post:
            self._post_server = await serve_http(self.answer, self.host)
        return self

    async def stop(self) -> None:
        if self._post_server is not None:
            self._post_server.close()
            await self._post_server.wait_closed()
            self._post_server = None
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeVenue:
        return await self.start()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.stop()

    # -- publishing ----------------------------------------------------------------------------------------

    async def publish(self, event: Event) -> None:
        async with self._lock:
            self.state.apply(event)
            self.ledger.published.append(event)
            for rendered in self.dialect.render(event):
                for client in [c for c in self._clients if rendered.stream in c.streams and not c.stalled]:
                    await self._deliver(client, rendered)

    async def play(self, events: Iterable[Event]) -> None:
        """Publish each event when the wall clock reaches its ``ts``."""
        for event in events:
            delay = event.ts / 1000 - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.publish(event)

    async def _snapshots(self, client: _Client, streams: frozenset[str]) -> None:
        async with self._lock:
            for rendered in self.dialect.on_subscribe(streams, self.state, self.clock()):
                if client in self._clients and not client.stalled:
                    await self._deliver(client, rendered)

    async def _deliver(self, client: _Client, rendered: Rendered) -> None:
        number = self.ledger.frames_sent + 1
        self.ledger.frames_sent = number
        if number in self.faults.malformed_before:
            self.ledger.malformed_sent += 1
            await self._send(client, self.dialect.malformed(rendered.stream, self.ledger.malformed_sent), ())
        if number in self.faults.swap:
            client.held.append(rendered)
            return
        for frame in [rendered, *client.held]:
            await self._send(client, self.dialect.wrap(frame.stream, frame.payload, client.wrapped), frame.records)
        client.held.clear()
        if number in self.faults.duplicate:
            await self._send(client, self.dialect.wrap(rendered.stream, rendered.payload, client.wrapped), ())
        if number in self.faults.disconnect_after:
            self.ledger.disconnects += 1
            self._drop(client)
            client.connection.transport.abort()  # no close frame: the client learns from TCP
        elif number in self.faults.stall_after:
            self.ledger.stalls += 1
            client.stalled = True

    async def _send(self, client: _Client, text: str, records: Iterable[object]) -> None:
        try:
            await client.connection.send(text)
        except ConnectionClosed:
            self._drop(client)
            return
        self.ledger.texts_written += 1
        self.ledger.deliver(records)  # type: ignore[arg-type]

    def _drop(self, client: _Client) -> None:
        if client in self._clients:
            self._clients.remove(client)

    # -- websocket sessions --------------------------------------------------------------------------------

    async def _session(self, connection: ServerConnection) -> None:
        streams, wrapped = self.dialect.initial_streams(connection.request.path if connection.request else "/")
        client = _Client(connection, set(streams), wrapped)
        self._clients.append(client)
        try:
            async for message in connection:
                text = message if isinstance(message, str) else message.decode("utf-8", errors="replace")
                added, replies = self.dialect.on_message(text)
                client.streams |= added
                for reply in replies if not client.stalled else ():
                    await connection.send(reply)
                    self.ledger.texts_written += 1
                if added:
                    await self._snapshots(client, added)
        except ConnectionClosed:
            pass
        finally:
            self._drop(client)

    # -- REST ----------------------------------------------------------------------------------------------

    def _http_fault(self, path: str, query: str) -> HttpFault | None:
        """The first fault whose own count of matching requests has reached one of its numbers."""
        chosen = None
        for index, fault in enumerate(self.faults.http):
            if fault.matches(path, query):
                self._fault_counts[index] = self._fault_counts.get(index, 0) + 1
                if chosen is None and self._fault_counts[index] in fault.requests:
                    chosen = fault
        return chosen

    async def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        """Plain GETs on the websocket port."""
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None
        parts = urlsplit(request.path)
        query = dict(parse_qsl(parts.query))
        status, body, headers = await self.answer(RestRequest("GET", parts.path, query, None), parts.query)
        return _response(connection, status, body, headers)

    async def answer(self, request: RestRequest, match_text: str) -> tuple[int, object, dict[str, str]]:
        """(status, JSON body, extra headers) for one REST request, faults first. ``match_text`` is what a
        fault's ``query`` is looked for in: the query string, or a POST body."""
        self.ledger.requests[request.path] = self.ledger.requests.get(request.path, 0) + 1
        fault = self._http_fault(request.path, match_text)
        if fault is not None and fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault is not None and fault.status != 200:
            headers = {"Retry-After": str(fault.retry_after_s)} if fault.retry_after_s is not None else {}
            return fault.status, {"code": -1003, "msg": "injected fault"}, headers
        async with self._lock:
            answer = self.dialect.rest(request, self.state)
            if answer is None:
                return 404, {"code": -1, "msg": f"no such path {request.path}"}, {}
            if answer.status == 200:
                self.ledger.deliver(answer.records)
            return answer.status, answer.body, {}


def _response(
    connection: ServerConnection, status: int, body: object, headers: dict[str, str] | None = None
) -> Response:
    response = connection.respond(status, "")
    response.body = msgspec.json.encode(body)
    replaced = {"content-type", "content-length"}
    fresh = Headers([(name, value) for name, value in response.headers.raw_items() if name.lower() not in replaced])
    fresh["Content-Type"] = "application/json"
    fresh["Content-Length"] = str(len(response.body))
    for name, value in (headers or {}).items():
        fresh[name] = value
    response.headers = fresh
    return response
