// Overview: funding per venue and across venues, open interest, 24 h liquidations, signals, live ticker.

import { api, state, percent, usd, price, time, table, element, showError, live, symbolPicker, markNav, debounce } from "./common.js";

const TICKER_ROWS = 12;

async function funding() {
  const target = document.getElementById("funding-table");
  try {
    const { rows } = await api("/api/funding", { symbol: state.symbol });
    table(target, ["venue", "symbol", "rate (per interval)", "interval (h)", "8 h", "APR", "predicted next (8 h)", "settled", "source"],
      rows.map((row) => [row.venue, row.symbol, percent(row.rate), row.interval_h, percent(row.rate_8h),
        percent(row.apr, 2), percent(row.predicted_rate_8h), time(row.funding_time), row.source]));
    const { rows: [aggregate] } = await api("/api/funding/aggregate", { symbol: state.symbol });
    document.getElementById("funding-aggregate").textContent = aggregate
      ? `Across venues: OI-weighted ${percent(aggregate.oi_weighted_rate_8h)} per 8 h (APR ${percent(aggregate.oi_weighted_apr, 2)}), ` +
        `simple mean ${percent(aggregate.simple_mean_rate_8h)} per 8 h; venues ${aggregate.venues_included.join(", ") || "none"}; as of ${time(aggregate.as_of)}.`
      : "";
  } catch (error) { showError(target, error); }
}

async function openInterest() {
  const target = document.getElementById("oi-table");
  try {
    const { rows, totals } = await api("/api/open-interest", { symbol: state.symbol, window: "24h" });
    const lines = rows.map((row) => [row.venue, usd(row.oi_usd), usd(row.change_usd), percent(row.change_fraction, 2), time(row.ts_event)]);
    for (const total of totals) lines.push([element("strong", {}, `all (${total.venues} venues)`), usd(total.oi_usd), usd(total.change_usd), "", ""]);
    table(target, ["venue", "OI (USD)", "24 h change (USD)", "24 h change", "as of"], lines);
  } catch (error) { showError(target, error); }
}

async function liquidations() {
  const target = document.getElementById("liquidation-table");
  try {
    const found = await api("/api/liquidations", { symbol: state.symbol, window: "24h" });
    const lines = found.rows.map((row) => [row.venue, usd(row.long_usd), usd(row.short_usd), usd(row.total_usd),
      `${row.long_count + row.short_count}${row.lower_bound ? " (lower bound)" : ""}`]);
    if (found.total) lines.push([element("strong", {}, "all venues"), usd(found.total.long_usd), usd(found.total.short_usd), usd(found.total.total_usd), found.total.long_count + found.total.short_count]);
    table(target, ["venue", "longs liquidated", "shorts liquidated", "total", "events"], lines);
    document.getElementById("as-of").textContent = `data as of ${time(found.window_end)}`;
  } catch (error) { showError(target, error); }
}

async function signals() {
  const target = document.getElementById("signals");
  try {
    const found = await api("/api/signals", { symbol: state.symbol, window: "24h" });
    target.replaceChildren(...found.signals.map(signalItem));
    if (!found.signals.length) target.replaceChildren(element("li", { class: "muted" }, "no signal in the last 24 h of data"));
  } catch (error) { showError(target, error); }
}

function signalItem(signal) {
  return element("li", { class: `signal ${signal.kind}` },
    element("span", { class: "kind" }, signal.kind.replaceAll("_", " ")),
    element("span", { class: "when" }, `${time(signal.time)} · strength ${(signal.strength * 100).toFixed(0)}%`),
    element("p", {}, signal.sentence));
}

function tickerItem(row) {
  return element("li", { class: row.side },
    `${time(row.ts_event)} · ${row.venue} ${row.symbol} · ${row.side} liquidated ${usd(row.notional_usd)} at ${price(row.price)} (${row.source})`);
}

async function ticker() {
  const target = document.getElementById("ticker");
  try {
    const { rows } = await api("/api/liquidations/feed", { symbol: state.symbol, limit: TICKER_ROWS });
    target.replaceChildren(...rows.map(tickerItem));
  } catch (error) { showError(target, error); }
}

function ofSymbol(row) {
  return row.symbol.split("-")[0] === state.symbol.split("-")[0];
}

async function start() {
  markNav();
  await symbolPicker();
  await Promise.all([funding(), openInterest(), liquidations(), signals(), ticker()]);
  const refreshFunding = debounce(() => { funding(); openInterest(); }, 500);
  const refreshTotals = debounce(liquidations, 1000);
  live({
    liquidation: (row) => {
      if (!ofSymbol(row)) return;
      const target = document.getElementById("ticker");
      target.prepend(tickerItem(row));
      while (target.children.length > TICKER_ROWS) target.lastChild.remove();
      refreshTotals();
    },
    funding: (row) => ofSymbol(row) && refreshFunding(),
    signal: (signal) => {
      if (signal.symbol !== state.symbol.split("-")[0]) return;
      document.getElementById("signals").prepend(signalItem(signal));
    },
  });
  document.body.dataset.ready = "true";
}

start();
