// The heatmap page: range selector, venue selector, the zoomable heatmap, and the liquidation map beside it.

import { api, state, usd, price, time, element, live, symbolPicker, markNav } from "./common.js";
import { lineChart } from "./charts.js";
import { HeatmapChart } from "./heatmapchart.js";

const RANGES = ["12h", "24h", "3d", "7d", "30d", "90d", "180d", "1y"];
const chosen = { range: "24h", venue: "" };
const status = document.getElementById("heatmap-status");
let request = 0;

const chart = new HeatmapChart(document.getElementById("heatmap"), {
  height: window.innerWidth < 700 ? 340 : 480,
  onView: (view) => load({ since: Math.round(view.t0), until: Math.round(view.t1), price_min: view.p0, price_max: view.p1 }),
});
chart.onReset = () => load();

function columnsWanted() {
  return Math.min(1000, Math.max(60, Math.round(document.getElementById("heatmap").parentElement.clientWidth / 2)));
}

async function load(zoom = null) {
  const mine = ++request;
  status.textContent = "loading…";
  try {
    const params = { symbol: state.symbol, range: chosen.range, venue: chosen.venue, columns: columnsWanted(), rows: 240, ...(zoom || {}) };
    const data = await api("/api/heatmap", params);
    if (mine !== request) return; // a newer request superseded this one
    chart.setData(data, { keepView: zoom !== null });
    status.textContent = `${data.symbol} on ${data.venues.join(", ")} · ${time(data.since)} → ${time(data.until)} · ` +
      `${data.times.length} columns of ${(data.column_ms / 60000).toFixed(0)} min · USD of estimated liquidation levels per price row`;
    document.getElementById("assumptions").replaceChildren(...[...data.assumptions, ...data.notes].map((text) => element("li", {}, text)));
  } catch (error) {
    status.textContent = String(error.message || error);
  }
}

async function loadMap() {
  const sentences = document.getElementById("map-sentences");
  try {
    const found = await api("/api/heatmap/map", { symbol: state.symbol, venue: chosen.venue });
    document.getElementById("map-at").textContent = `at ${time(found.at)}, price ${price(found.price)}`;
    const edges = found.price_edges, middles = edges.slice(0, -1).map((edge, i) => (edge + edges[i + 1]) / 2);
    lineChart(document.getElementById("map"), {
      height: 280,
      xFormat: (value) => price(value),
      yFormat: usd,
      rightFormat: usd,
      marker: { x: found.price, label: `price ${price(found.price)}` },
      series: [
        { name: "long levels (USD)", color: "#ff5b6e", kind: "bar", x: middles, y: found.long_usd },
        { name: "short levels (USD)", color: "#2ecc9a", kind: "bar", x: middles, y: found.short_usd },
        { name: "cumulative at risk (USD)", color: "#fde725", axis: "right", x: middles, y: found.cumulative_usd },
      ],
    });
    sentences.replaceChildren(...found.sentences.map((text) => element("li", {}, text)));
  } catch (error) {
    sentences.replaceChildren(element("li", { class: "error" }, String(error.message || error)));
  }
}

function rangeButtons() {
  const group = document.getElementById("ranges");
  for (const range of RANGES) {
    const button = element("button", { type: "button", "data-range": range }, range);
    if (range === chosen.range) button.classList.add("current");
    button.addEventListener("click", () => {
      chosen.range = range;
      for (const other of group.children) other.classList.toggle("current", other === button);
      load();
    });
    group.append(button);
  }
}

async function start() {
  markNav();
  const found = await symbolPicker();
  const venues = (found && found.venues[state.symbol.split("-")[0]]) || [];
  const picker = document.getElementById("venue");
  for (const venue of venues) picker.append(element("option", { value: venue }, venue));
  picker.addEventListener("change", () => { chosen.venue = picker.value; load(); loadMap(); });
  rangeButtons();
  await Promise.all([load(), loadMap()]);
  live({});
  window.addEventListener("resize", () => loadMap());
  document.body.dataset.ready = "true";
}

start();
