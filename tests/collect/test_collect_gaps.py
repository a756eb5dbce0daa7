"""Gap planning and the status line, with hand-computed values."""

from __future__ import annotations

import time

from perpscope.collect import gaps
from perpscope.collect.connector import Carried
from perpscope.collect.status import Status
from perpscope.models import Gap
from perpscope.venues.capabilities import Channel

BTC_LIQUIDATIONS = Carried(Channel.LIQUIDATIONS, "BTC-USDT-PERP", "BTCUSDT")
BTC_FUNDING = Carried(Channel.FUNDING_SETTLED, "BTC-USDT-PERP", "BTCUSDT")


def test_a_reconnect_becomes_backfills_where_history_exists_and_gaps_elsewhere() -> None:
    plan = gaps.plan(
        "binance",
        [BTC_LIQUIDATIONS, BTC_FUNDING],
        1_000,
        5_000,
        "stale: no data for 30 s",
        lambda channel: channel is Channel.FUNDING_SETTLED,
    )
    assert plan.backfills == (
        gaps.BackfillRequest(
            "binance", Channel.FUNDING_SETTLED, "BTC-USDT-PERP", "BTCUSDT", 1_000, 5_000, "stale: no data for 30 s"
        ),
    )
    assert plan.gaps == (
        Gap(
            venue="binance",
            symbol="BTC-USDT-PERP",
            native_symbol="BTCUSDT",
            ts_event=1_000,
            ts_recv=5_000,
            source="binance collector",
            channel="liquidations",
            ts_end=5_000,
            reason="stale: no data for 30 s",
            backfilled=False,
        ),
    )


def test_backfill_outcomes_are_recorded_as_spans() -> None:
    request = gaps.BackfillRequest("okx", Channel.OPEN_INTEREST, "BTC-USDT-PERP", "BTC-USDT-SWAP", 10, 20, "restart")
    done = gaps.filled(request)
    assert (done.channel, done.ts_event, done.ts_end, done.reason, done.backfilled) == (
        "open_interest", 10, 20, "restart", True
    )  # fmt: skip
    failed = gaps.failed_backfill(request, "HTTP 503")
    assert (failed.reason, failed.backfilled, failed.native_symbol) == (
        "restart; backfill failed: HTTP 503", False, "BTC-USDT-SWAP"
    )  # fmt: skip


def test_the_status_line_names_every_counter() -> None:
    status = Status()
    for _ in range(10):
        status.message("binance ws0", 1_000)
    status.stream("binance ws0").reconnects = 1
    status.stream("binance ws0").malformed = 1
    status.stream("okx ws0")
    status.stored, status.repeated, status.gaps = 1_234, 5, 2
    assert status.messages == 10
    assert status.line(1_500) == (
        "2 msg/s  stored 1,234 records (+5 already stored)  reconnects 1  gaps 2  malformed 1  "
        "| last message: binance ws0 0.5s ago  okx ws0 never"
    )


def test_the_message_rate_covers_the_last_five_seconds() -> None:
    status = Status()
    status.message("binance ws0", 0)
    status._recent[0][0] -= 6  # that message's second is now six seconds ago: it no longer counts
    status.message("binance ws0", 0)
    assert status.rate() == 0.2


def test_the_message_rate_keeps_a_minute_of_counts_however_many_messages() -> None:
    status = Status()
    second = int(time.monotonic())
    status._recent.extend([old, 5_000] for old in range(second - 200, second - 1))  # 1 M messages, 199 s
    for _ in range(3):
        status.message("binance ws0", 0)
    kept = list(status._recent)
    assert len(kept) <= 60  # the seconds of the last minute only, not one entry per message
    assert kept[-1][1] in (3, 2, 1)  # the new second's count (3 unless the clock ticked over meanwhile)
    assert all(old > kept[-1][0] - 60 for old, _ in kept)
