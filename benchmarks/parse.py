"""Messages/s through perpscope's parse + normalise, venue by venue, beside cryptofeed's and ccxt's parsers.

Two corpora per venue, both in the venue's real wire format (text, as a websocket hands it over):

- ``real``: the captured messages in ``../shared/data/messages`` (tardis-node and nautilus_trader) of the channels
  the collector subscribes to (liquidations, mark price / funding, tickers, open interest, index), read in place;
- ``generated``: the fake venue's own rendering (``perpscope.fakevenue``) of a scripted market over 20 symbols.

Each is repeated to ``--messages`` messages. A timed pass hands every message, one at a time, to the library's own
entry point for a websocket text frame and keeps what comes out; best of ``--runs`` passes after a warm-up pass.

- perpscope: ``venues.<venue>`` ``parse_message`` (Bybit: ``stream.parse_message`` with its ``TickerMerger``):
  str in, typed records out (canonical symbol, liquidated position's side, USD notional, base-unit sizes).
- cryptofeed: the feed class's ``message_handler`` (``BinanceFutures``, ``OKX``, ``Bybit``; it has no Hyperliquid
  feed) on one event loop, with one callback per data type that keeps the object. It decodes with yapic.json
  (floats as ``Decimal``) and builds its Cython types (``Liquidation``, ``Funding``, ``OpenInterest``, ``Index``).
- ccxt: ``ccxt.pro`` ``Client.handle_text_or_binary_message`` (orjson, then the exchange's ``handle_message``:
  ``binanceusdm``, ``okx``, ``bybit``, ``hyperliquid``), no futures waiting; it fills its caches (tickers,
  liquidations, funding rates) as unified dicts with the raw message under ``info``.

A comparison runs on the messages the other library handles (its websocket code has a branch for the channel,
and the message neither raises nor yields nothing there); perpscope is timed again on exactly that subset.
Markets (symbol maps) are loaded from lists built here, as the libraries would from REST, so nothing reaches the
network. cryptofeed and ccxt are installed only in a separate environment:

    python -m venv .bench && .bench/bin/pip install -e . -r benchmarks/requirements-compare.txt
    .bench/bin/python benchmarks/parse.py
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import itertools
import json
import logging
import platform
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from perpscope.fakevenue import okx as fake_okx
from perpscope.fakevenue.binance import BinanceDialect
from perpscope.fakevenue.bybit import BybitDialect
from perpscope.fakevenue.hyperliquid import HyperliquidDialect
from perpscope.fakevenue.market import scripted
from perpscope.fakevenue.okx import OkxDialect
from perpscope.venues.binance import parse as binance
from perpscope.venues.bybit import stream as bybit
from perpscope.venues.bybit.tickers import TickerMerger
from perpscope.venues.hyperliquid import parse as hyperliquid
from perpscope.venues.okx import parse as okx

ROOT = Path(__file__).resolve().parents[1]
MESSAGES = ROOT.parent / "shared" / "data" / "messages"
REQUIREMENTS = ROOT / "benchmarks" / "requirements-compare.txt"
VENUES = ("binance", "okx", "bybit", "hyperliquid")
BASES: tuple[str, ...] = ("BTC", "ETH", "SOL", "XRP", "DOGE", "BNB", "ADA", "AVAX", "LINK", "DOT")
BASES += ("LTC", "TRX", "NEAR", "APT", "ARB", "OP", "SUI", "TON", "BCH", "UNI")
TS_RECV = 1_700_000_000_000
RELEVANT: tuple[str, ...] = ("forceOrder", "markPrice", "funding-rate", "open-interest", "mark-price", "index-tickers")
RELEVANT += ("liquidation-orders", "tickers.", "allLiquidation", "liquidation.", "activeAssetCtx")
# OKX swaps' contract values (ctVal, coins) for the messages used here: OKX's instruments list, as of 2025.
OKX_CONTRACT_VALUES = {"BTC": 0.01, "ETH": 0.1, "SOL": 1.0, "XRP": 100.0, "DOGE": 1000.0, "WNCG": 1.0, "SOS": 1e6}

Parser = Callable[[str], int]  # one message in, how many objects came out


# ---------------------------------------------------------------- corpora


def _read(path: Path) -> Any:
    return json.loads(path.read_text())


def _text(message: Any) -> str:
    return json.dumps(message, separators=(",", ":"))


def _is_relevant(message: dict[str, Any]) -> bool:
    name = str(message.get("stream") or message.get("topic") or message.get("channel") or "")
    name = name or str((message.get("arg") or {}).get("channel", ""))
    return any(part in name or name == part.rstrip(".") for part in RELEVANT) and "generated" not in message


def real_messages(venue: str) -> list[str]:
    """The captured messages of the collected channels, in their recorded order ([] without shared data)."""
    tardis, nautilus = MESSAGES / "tardis-node", MESSAGES / "nautilus_trader"
    if not tardis.is_dir():
        return []
    if venue == "binance":
        found = _read(tardis / "binance_futures.json")["messages"]
        for name, stream in (("liquidation_stream", "btcusdt@forceOrder"), ("mark_price_stream", "btcusdt@markPrice")):
            found.append({"stream": stream, "data": _read(nautilus / "binance" / f"{name}.json")})  # combined form
    elif venue == "okx":
        swap = _read(tardis / "okex_swap.json")
        found = swap["okexSwapV5Messages"] + [entry["message"] for entry in swap["currentMessages"]]
        found += _read(tardis / "okex_futures.json")["okexFuturesV5Messages"]
        found.append(_read(nautilus / "okx" / "ws_funding_rate.json"))
    elif venue == "bybit":
        found = _read(tardis / "bybit.json")["messagesV5"] + [_read(nautilus / "bybit" / "ws_ticker_linear.json")]
    else:
        found = _read(tardis / "hyperliquid.json")["messages"]
    return [_text(message) for message in found if isinstance(message, dict) and _is_relevant(message)]


DIALECTS = {"binance": BinanceDialect, "okx": OkxDialect, "bybit": BybitDialect, "hyperliquid": HyperliquidDialect}


def generated_messages(venue: str, steps: int = 60) -> list[str]:
    """The fake venue's frames for a scripted market of 20 symbols: marks each step, liquidations, open interest."""
    fake_okx.CONTRACT_VALUES.update({base: OKX_CONTRACT_VALUES.get(base, 1.0) for base in BASES})  # see collect.py
    dialect: Any = DIALECTS[venue]()
    texts: list[str] = []
    for event in scripted(BASES, count=steps, start_ms=TS_RECV, step_ms=1_000):
        texts.extend(dialect.wrap(frame.stream, frame.payload, True) for frame in dialect.render(event))
    if venue == "bybit":  # the snapshot each subscription starts with, which later deltas apply to
        texts = [frame.payload for frame in dialect.on_subscribe(_bybit_streams(), _state(), TS_RECV)] + texts
    return texts


def _bybit_streams() -> frozenset[str]:
    return frozenset(f"tickers.{base}USDT" for base in BASES)


def _state() -> Any:
    from perpscope.fakevenue.state import MarketState

    state = MarketState()
    for event in scripted(BASES, count=1, start_ms=TS_RECV - 1_000):
        state.apply(event)
    return state


def repeated(messages: list[str], count: int) -> list[str]:
    return list(itertools.islice(itertools.cycle(messages), count)) if messages else []


# ---------------------------------------------------------------- perpscope


def okx_contract_values(messages: list[str]) -> dict[str, float]:
    natives = {native for message in messages for native in _okx_inst_ids(message)}
    return {native: OKX_CONTRACT_VALUES.get(native.split("-")[0], 1.0) for native in natives}


def _okx_inst_ids(message: str) -> Iterator[str]:
    for row in json.loads(message).get("data") or []:
        if isinstance(row, dict) and str(row.get("instId", "")).endswith("-SWAP"):
            yield row["instId"]


def perpscope_parser(venue: str, messages: list[str]) -> Parser:
    """A fresh parser (Bybit's merger starts empty) returning the number of records of each message."""
    if venue == "binance":
        return lambda text: len(binance.parse_message(text, TS_RECV))
    if venue == "okx":
        values = okx_contract_values(messages)
        return lambda text: len(okx.parse_message(text, TS_RECV, values))
    if venue == "bybit":
        merger = TickerMerger()
        return lambda text: len(bybit.parse_message(text, TS_RECV, merger))
    return lambda text: len(hyperliquid.parse_message(text, TS_RECV))


# ---------------------------------------------------------------- timing


def best_rate(make: Callable[[], Parser], messages: list[str], runs: int) -> tuple[float, int]:
    """(best messages/s over ``runs`` timed passes after one warm-up pass, objects out per pass)."""
    best, produced = float("inf"), 0
    for run in range(runs + 1):
        parser = make()
        gc.collect()
        started = time.process_time()  # CPU time: other jobs on the machine do not count
        produced = sum(map(parser, messages))
        elapsed = time.process_time() - started
        if run:  # the first pass warms caches and imports
            best = min(best, elapsed)
    return len(messages) / best, produced


def supported(make: Callable[[], Parser], messages: list[str]) -> tuple[list[str], int]:
    """The messages a library parses into at least one object without raising, in order; and how many raised."""
    parser, kept, raised = make(), [], 0
    for message in messages:
        try:
            if parser(message) > 0:
                kept.append(message)
        except Exception:  # the other library's own failures: counted, reported, left out
            raised += 1
    return kept, raised


# ---------------------------------------------------------------- the other libraries


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _natives(venue: str, messages: list[str]) -> list[str]:
    """The perpetuals' native symbols the messages name (what the libraries' instrument lists must hold)."""
    found: set[str] = set()
    for text in messages:
        message = json.loads(text)
        body = message.get("data", message)
        rows = body if isinstance(body, list) else [body]
        for row in rows:
            if isinstance(row, dict):
                found.update(str(row[key]) for key in ("s", "instId", "symbol", "coin") if key in row)
                if isinstance(row.get("o"), dict):
                    found.add(str(row["o"]["s"]))
    return sorted(name for name in found if _is_linear_perpetual(venue, name))


def _is_linear_perpetual(venue: str, name: str) -> bool:
    if venue == "binance":
        return name.endswith("USDT") and "_" not in name
    if venue == "okx":
        return name.endswith("-SWAP")
    if venue == "bybit":
        return name.endswith("USDT")  # cryptofeed reads Bybit's category=linear only
    return "@" not in name and "/" not in name


def _split(venue: str, native: str) -> tuple[str, str]:
    if venue == "okx":
        base, quote, _ = native.split("-")
        return base, quote
    if venue == "hyperliquid":
        return native, "USDC"
    return native.removesuffix("USDT"), "USDT"


def _drive(coroutine: Any) -> None:
    """Run a coroutine that never suspends (a message handler whose callbacks do not wait) to its end."""
    try:
        coroutine.send(None)
    except StopIteration:
        return
    coroutine.close()
    raise RuntimeError("the handler suspended")


def _cryptofeed_instruments(venue: str, natives: list[str]) -> Any:
    """The instrument list each feed class reads from REST at start, in the venue's own format."""
    pairs = [(native, *_split(venue, native)) for native in natives]
    if venue == "binance":
        rows = [{"symbol": n, "contractType": "PERPETUAL", "baseAsset": b, "quoteAsset": q} for n, b, q in pairs]
        return {"symbols": [row | {"filters": [{"tickSize": "0.01"}]} for row in rows]}
    if venue == "okx":
        return [{"data": [{"instType": "SWAP", "instId": native, "tickSz": "0.01"} for native, _, _ in pairs]}]
    return [
        {
            "result": {
                "list": [
                    {"symbol": n, "contractType": "LinearPerpetual", "baseCoin": b, "quoteCoin": q}
                    | {"priceFilter": {"tickSize": "0.01"}}
                    for n, b, q in pairs
                ]
            }
        }
    ]


class _Connection:
    """What cryptofeed's handlers read from their connection object: its address and subscriptions."""

    def __init__(self, address: str, subscription: dict[str, Any]):
        self.address = address
        self.subscription = subscription
        self.uuid = "benchmark"


def cryptofeed_parser(venue: str, messages: list[str]) -> Callable[[], Parser] | None:
    """cryptofeed's ``message_handler``; None for a venue it has no feed for."""
    from cryptofeed import defines  # type: ignore[import-not-found, unused-ignore]
    from cryptofeed.exchanges import OKX, BinanceFutures, Bybit  # type: ignore[import-not-found, unused-ignore]
    from cryptofeed.symbols import Symbols  # type: ignore[import-not-found, unused-ignore]

    feeds: dict[str, Any] = {"binance": BinanceFutures, "okx": OKX, "bybit": Bybit}
    if venue not in feeds:
        return None
    feed_class = feeds[venue]
    mapping, info = feed_class._parse_symbol_data(_cryptofeed_instruments(venue, _natives(venue, messages)))
    Symbols.set(feed_class.id, mapping, info)
    channels = [defines.LIQUIDATIONS, defines.FUNDING, defines.OPEN_INTEREST]
    channels += [defines.INDEX] if venue == "bybit" else []

    def make() -> Parser:
        kept: list[Any] = []

        async def keep(item: Any, receipt: float) -> None:
            kept.append(item)

        callbacks = {channel: keep for channel in channels}
        feed = feed_class(symbols=list(mapping), channels=channels, callbacks=callbacks)
        connection = _Connection("wss://stream.bybit.com/v5/public/linear", dict(feed.subscription))

        def parse(text: str) -> int:
            before = len(kept)
            _drive(feed.message_handler(text, connection, 1_700_000_000.0))
            return len(kept) - before

        return parse

    return make


OPENED: dict[str, list[Any]] = {}  # ccxt exchanges made, closed after their comparison (they hold a session)


def close_opened() -> None:
    for exchange in OPENED.pop("ccxt", []):
        exchange.asyncio_loop.run_until_complete(exchange.close())


def _ccxt_market(venue: str, native: str, contract_size: float) -> dict[str, Any]:
    base, quote = _split(venue, native)
    settle = quote
    return {
        "id": native if venue != "hyperliquid" else f"{base}/USDC:USDC",
        "symbol": f"{base}/{quote}:{settle}",
        "base": base,
        "quote": quote,
        "settle": settle,
        "baseId": base,
        "quoteId": quote,
        "settleId": settle,
        "type": "swap",
        "spot": False,
        "margin": False,
        "swap": True,
        "future": False,
        "option": False,
        "active": True,
        "contract": True,
        "linear": True,
        "inverse": False,
        "contractSize": contract_size,
        "info": {"baseName": base},
    }


def ccxt_parser(venue: str, messages: list[str]) -> Callable[[], Parser] | None:
    """ccxt.pro's websocket client entry point (orjson, then the exchange's ``handle_message``)."""
    import ccxt.pro  # type: ignore[import-not-found, unused-ignore]

    classes = {"binance": "binanceusdm", "okx": "okx", "bybit": "bybit", "hyperliquid": "hyperliquid"}
    values = okx_contract_values(messages)
    markets = [_ccxt_market(venue, native, values.get(native, 1.0)) for native in _natives(venue, messages)]
    loop, opened = asyncio.new_event_loop(), OPENED.setdefault("ccxt", [])

    def make() -> Parser:
        exchange = getattr(ccxt.pro, classes[venue])()
        exchange.set_markets(markets)
        exchange.asyncio_loop = loop  # the client wants a loop; it is never run: no connection is opened
        opened.append(exchange)
        client = exchange.client("wss://benchmark.invalid/ws/linear")
        resolved = [0]
        original = client.resolve

        def resolve(result: Any, message_hash: Any) -> Any:
            resolved[0] += 1
            return original(result, message_hash)

        client.resolve = resolve

        def parse(text: str) -> int:
            before = resolved[0]
            client.handle_text_or_binary_message(text)
            return resolved[0] - before

        return parse

    return make


# ---------------------------------------------------------------- report


COMPARATORS: dict[str, Callable[[str, list[str]], Callable[[], Parser] | None]] = {
    "cryptofeed": cryptofeed_parser,
    "ccxt": ccxt_parser,
}


def compare(venue: str, name: str, unique: list[str], count: int, runs: int) -> str:
    """One line: the other library against perpscope on the messages it handles."""
    make = COMPARATORS[name](venue, unique)
    if make is None:
        return f"  {name:<10} no {venue} feed"
    subset, raised = supported(make, unique)
    if not subset:
        return f"  {name:<10} handles none of these messages ({raised} raised)"
    messages = repeated(subset, count)
    theirs, _ = best_rate(make, messages, runs)
    ours, _ = best_rate(lambda: perpscope_parser(venue, subset), messages, runs)
    close_opened()
    return (
        f"  {name:<10} {theirs:>11,.0f} msg/s  {1e6 / theirs:6.2f} us/msg   perpscope on the same "
        f"{len(subset)}/{len(unique)} messages {ours:>11,.0f} msg/s  -> {ours / theirs:5.1f}x"
        + (f"  ({raised} raised in {name})" if raised else "")
    )


def report(venue: str, corpus: str, unique: list[str], count: int, runs: int, others: list[str]) -> None:
    if not unique:
        print(f"{venue:<12} {corpus:<9} (no messages: ../shared/data absent)")
        return
    messages = repeated(unique, count)
    rate, records = best_rate(lambda: perpscope_parser(venue, unique), messages, runs)
    print(
        f"{venue:<12} {corpus:<9} perpscope {rate:>11,.0f} msg/s  {1e6 / rate:6.2f} us/msg  "
        f"({len(unique)} distinct messages x{len(messages) // len(unique)}, {records / len(messages):.2f} records/msg)"
    )
    for name in others:
        print(compare(venue, name, unique, count, runs), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=200_000, help="messages per timed pass (default 200,000)")
    parser.add_argument("--runs", type=int, default=3, help="timed passes after a warm-up; the best counts (default 3)")
    parser.add_argument("--venues", default=",".join(VENUES), help="comma-separated venues")
    parser.add_argument("--corpus", choices=("real", "generated", "both"), default="both")
    arguments = parser.parse_args()
    others = [name for name in ("cryptofeed", "ccxt") if installed(name)]
    logging.disable(logging.WARNING)  # cryptofeed logs each message it has no branch for (left out of timing)
    print(f"python {platform.python_version()}, {platform.machine()}; compared with: {', '.join(others) or 'none'}")
    if len(others) < 2:
        print(
            "cryptofeed and/or ccxt are not installed here: perpscope's figures only. For the comparison:\n"
            "  python -m venv .bench && .bench/bin/pip install -e . -r benchmarks/requirements-compare.txt\n"
            "  .bench/bin/python benchmarks/parse.py"
        )
    corpora = ("real", "generated") if arguments.corpus == "both" else (arguments.corpus,)
    for venue in arguments.venues.split(","):
        for corpus in corpora:
            unique = real_messages(venue) if corpus == "real" else generated_messages(venue)
            report(venue, corpus, unique, arguments.messages, arguments.runs, others)


if __name__ == "__main__":
    main()
