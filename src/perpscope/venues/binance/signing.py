"""Signed (USER_DATA) Binance requests, for the one the collector makes: ``GET /fapi/v1/leverageBracket``.

Binance signs the query string: ``signature`` = hex HMAC-SHA256 of ``param=value&...`` (``timestamp`` and
``recvWindow`` included) under the API secret, sent with the key in the ``X-MBX-APIKEY`` header (docs: USDⓈ-M
general info, "SIGNED Endpoint Security"). The signing happens in an httpx transport, per attempt, so a retry
carries a fresh timestamp. A clock too far from Binance's is refused (code -1021): the transport then reads the
server time (``GET /fapi/v1/time``), keeps the difference, and signs again once. The secret is never logged, shown
or put in an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
import msgspec

from perpscope.venues.binance import endpoints

API_KEY_HEADER = "X-MBX-APIKEY"
RECV_WINDOW_MS = 5_000  # how long after ``timestamp`` Binance accepts the request (its default)
SIGNED_PATHS = (endpoints.LEVERAGE_BRACKET.path,)  # matched at the end of the path: a proxy may put a prefix before
TIME_PATH = "/fapi/v1/time"
OUTSIDE_RECV_WINDOW = b'"code":-1021'


class _ServerTime(msgspec.Struct):
    serverTime: int


@dataclass(frozen=True)
class ApiKey:
    key: str
    secret: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.key or not self.secret:
            raise ValueError("a Binance API key needs both the key and its secret")


def signature(secret: str, query: str) -> str:
    """Hex HMAC-SHA256 of the query string under the secret."""
    return hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()


def signed_query(params: list[tuple[str, str]], secret: str, now_ms: int) -> str:
    """``params`` with ``recvWindow``, ``timestamp`` and the ``signature`` of all of them, in that order."""
    query = urlencode([*params, ("recvWindow", str(RECV_WINDOW_MS)), ("timestamp", str(now_ms))])
    return f"{query}&signature={signature(secret, query)}"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class SigningTransport(httpx.AsyncBaseTransport):
    """Signs requests to ``SIGNED_PATHS`` and passes every request on to ``inner``."""

    def __init__(
        self, credentials: ApiKey, inner: httpx.AsyncBaseTransport | None = None, clock: Callable[[], int] = _now_ms
    ):
        self.credentials = credentials
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.clock = clock
        self.offset_ms = 0  # Binance's clock minus ours, once a request was refused for its timestamp

    def sign(self, request: httpx.Request) -> httpx.Request:
        if not request.url.path.endswith(SIGNED_PATHS):
            return request
        params = [(name, value) for name, value in request.url.params.multi_items() if name != "signature"]
        query = signed_query(params, self.credentials.secret, self.clock() + self.offset_ms)
        headers = httpx.Headers(request.headers)
        headers[API_KEY_HEADER] = self.credentials.key
        url = request.url.copy_with(query=query.encode())
        return httpx.Request(request.method, url, headers=headers, extensions=request.extensions)  # keeps timeouts

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(self.sign(request))
        if response.status_code != 400 or not request.url.path.endswith(SIGNED_PATHS):
            return response
        body = await response.aread()
        if OUTSIDE_RECV_WINDOW not in body.replace(b" ", b""):
            return response
        await response.aclose()
        await self._correct_clock(request)
        return await self.inner.handle_async_request(self.sign(request))

    async def _correct_clock(self, request: httpx.Request) -> None:
        """Keep Binance's time minus ours, from ``/fapi/v1/time`` (the middle of the round trip as our time)."""
        path = request.url.path.removesuffix(endpoints.LEVERAGE_BRACKET.path) + TIME_PATH
        asked = self.clock()
        answer = await self.inner.handle_async_request(
            httpx.Request("GET", request.url.copy_with(path=path, query=None), extensions=request.extensions)
        )
        try:
            server = msgspec.json.decode(await answer.aread(), type=_ServerTime).serverTime
        except msgspec.DecodeError:
            return  # no usable time: the request is signed again as before, and Binance's refusal stands
        finally:
            await answer.aclose()
        self.offset_ms = server - (asked + self.clock()) // 2

    async def aclose(self) -> None:
        await self.inner.aclose()
