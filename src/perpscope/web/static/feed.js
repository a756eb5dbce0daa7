// The live liquidation feed and the waves of the last seven days.

import { api, state, usd, price, time, table, element, showError, live, symbolPicker, markNav } from "./common.js";

const ROWS = 200;
const HEADERS = ["time", "venue", "symbol", "side liquidated", "price (USD)", "quantity (base)", "notional (USD)", "source"];

function cells(row) {
  return [time(row.ts_event), row.venue, row.symbol, row.side, price(row.price), row.quantity.toPrecision(4),
    usd(row.notional_usd), row.source + (row.complete ? "" : " (feed drops events)")];
}

function rowElement(row) {
  const line = element("tr", { class: row.side }, ...cells(row).map((cell) => element("td", {}, cell)));
  line.dataset.key = `${row.venue}|${row.symbol}|${row.ts_event}|${row.side}|${row.price}|${row.quantity}`;
  return line;
}

async function start() {
  markNav();
  await symbolPicker();
  const target = document.getElementById("feed");
  const body = element("tbody");
  target.replaceChildren(element("thead", {}, element("tr", {}, ...HEADERS.map((name) => element("th", {}, name)))), body);
  try {
    const { rows } = await api("/api/liquidations/feed", { symbol: state.symbol, limit: ROWS });
    body.replaceChildren(...rows.map(rowElement));
  } catch (error) { showError(target, error); }
  live({
    liquidation: (row) => {
      if (row.symbol.split("-")[0] !== state.symbol.split("-")[0]) return;
      const line = rowElement(row);
      line.classList.add("fresh");
      body.prepend(line);
      while (body.children.length > ROWS) body.lastChild.remove();
    },
  });
  waves();
  document.body.dataset.ready = "true";
}

async function waves() {
  const target = document.getElementById("waves");
  try {
    const found = await api("/api/liquidations/waves", { symbol: state.symbol });
    table(target, ["start", "end", "side", "price range (USD)", "notional (USD)", "events", "venues"],
      found.waves.slice().reverse().map((wave) => [time(wave.start), time(wave.end), wave.side,
        `${price(wave.price_high)} → ${price(wave.price_low)}`, usd(wave.notional_usd) + (wave.lower_bound ? " (at least)" : ""),
        wave.events, wave.venues.join(", ")]));
  } catch (error) { showError(target, error); }
}

start();
