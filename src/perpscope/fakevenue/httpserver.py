"""A minimal HTTP/1.1 server for the fake venue's POST endpoints (the websocket library answers GETs only).

One request per connection (``Connection: close``), JSON in and out: enough for a venue's query endpoint, and
small enough to read at a glance.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlsplit

import msgspec

from perpscope.fakevenue.dialect import RestRequest

Answer = Callable[[RestRequest, str], Awaitable[tuple[int, object, dict[str, str]]]]
REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 418: "I'm a teapot", 429: "Too Many Requests"}


async def serve_http(answer: Answer, host: str, port: int = 0) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request, text = await _read(reader)
            status, body, headers = await answer(request, text)
            writer.write(_encode(status, body, headers))
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass  # a client that went away or spoke something else: nothing to answer
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)


async def _read(reader: asyncio.StreamReader) -> tuple[RestRequest, str]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    request_line, *header_lines = head.strip().split("\r\n")
    method, target, _ = request_line.split(" ", 2)
    headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in header_lines)}
    raw = await reader.readexactly(int(headers.get("content-length", "0")))
    text = raw.decode("utf-8")
    parts = urlsplit(target)
    body = msgspec.json.decode(raw) if raw else None
    return RestRequest(method, parts.path, dict(parse_qsl(parts.query)), body), text or parts.query


def _encode(status: int, body: object, headers: dict[str, str]) -> bytes:
    payload = msgspec.json.encode(body)
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}", "Content-Type: application/json"]
    lines += [f"Content-Length: {len(payload)}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload
