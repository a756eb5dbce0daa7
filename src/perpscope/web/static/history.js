// Funding (8-hour normalised) and open-interest history per venue.

import { api, state, usd, percent, shortTime, element, showError, live, symbolPicker, markNav } from "./common.js";
import { lineChart, PALETTE } from "./charts.js";

const RANGES = { "24h": 86400000, "7d": 7 * 86400000, "30d": 30 * 86400000, "90d": 90 * 86400000, "1y": 365 * 86400000 };
// The charts end at the data's present (newest stored event), so imported history shows too.
let chosen = "7d";

function legend(target, series) {
  target.replaceChildren(...series.map((item) => {
    const swatch = element("span", { class: "swatch" });
    swatch.style.background = item.color; // CSSOM, not a style attribute: the page's policy forbids inline styles
    return element("span", { class: "key" }, swatch, item.name);
  }));
}

async function draw(path, canvasId, legendId, value, format) {
  const canvas = document.getElementById(canvasId);
  try {
    const found = await api(path, { symbol: state.symbol, window: chosen });
    const series = found.series.map((item, i) => ({
      name: `${item.venue} ${item.symbol}`, color: PALETTE[i % PALETTE.length], x: item.time, y: item[value],
    }));
    lineChart(canvas, { height: 260, timeAxis: true, series, yFormat: format, xFormat: (t, span) => shortTime(t, span || RANGES[chosen]) });
    legend(document.getElementById(legendId), series);
    canvas.dataset.points = String(series.reduce((sum, item) => sum + item.x.length, 0));
  } catch (error) { showError(document.getElementById(legendId), error); }
}

function drawAll() {
  return Promise.all([
    draw("/api/funding/history", "funding-chart", "funding-legend", "rate_8h", (v) => percent(v, 4)),
    draw("/api/open-interest/history", "oi-chart", "oi-legend", "oi_usd", usd),
  ]);
}

async function start() {
  markNav();
  await symbolPicker();
  const group = document.getElementById("ranges");
  for (const range of Object.keys(RANGES)) {
    const button = element("button", { type: "button", "data-range": range }, range);
    if (range === chosen) button.classList.add("current");
    button.addEventListener("click", () => {
      chosen = range;
      for (const other of group.children) other.classList.toggle("current", other === button);
      drawAll();
    });
    group.append(button);
  }
  await drawAll();
  live({});
  document.body.dataset.ready = "true";
}

start();
