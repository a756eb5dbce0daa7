"""Natural keys that must tell apart records a venue really sends as distinct."""

from __future__ import annotations

from perpscope import models
from perpscope.store import Store

PUSHED = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def predicted(funding_time: int, rate: float) -> models.FundingRate:
    return models.FundingRate(
        venue="okx", symbol="BTC-USDT-PERP", native_symbol="BTC-USDT-SWAP", ts_event=PUSHED, ts_recv=PUSHED + 40,
        rate=rate, interval_h=8, kind=models.FundingKind.PREDICTED, funding_time=funding_time,
    )  # fmt: skip


def test_one_push_predicting_two_settlements_keeps_both(any_store: Store) -> None:
    # OKX's funding-rate channel carries fundingRate (next settlement) and nextFundingRate (the one after) at one time.
    records = [predicted(PUSHED + 8 * 3_600_000, 0.0001), predicted(PUSHED + 16 * 3_600_000, 0.00012)]
    assert any_store.write_records(records)["funding"].added == 2
    assert any_store.write_records(records)["funding"].added == 0
    stored = any_store.query("SELECT funding_time, rate FROM funding ORDER BY funding_time")
    assert stored.rows() == [(PUSHED + 8 * 3_600_000, 0.0001), (PUSHED + 16 * 3_600_000, 0.00012)]
