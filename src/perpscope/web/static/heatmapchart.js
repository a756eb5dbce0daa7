// The estimated liquidation heatmap: one image pixel per (column, price row), scaled onto a canvas, with the
// price candles drawn over it. Wheel zooms time (shift + wheel: price), drag pans, double-click resets; after
// a zoom or pan settles, onView(view) lets the page fetch that window at full resolution.

import { setupCanvas, ticks, timeTicks, tooltipFor, place } from "./charts.js";
import { price as formatPrice, usd, time as formatTime, shortTime, debounce } from "./common.js";

// Viridis at nine stops: perceptually even, readable for colour-blind eyes, dark at zero.
const STOPS = [
  [13, 8, 64], [70, 17, 110], [72, 50, 126], [57, 86, 140], [39, 126, 142],
  [31, 158, 137], [74, 193, 109], [160, 218, 57], [253, 231, 37],
];

function colour(level) {
  const position = Math.min(Math.max(level, 0), 1) * (STOPS.length - 1);
  const index = Math.min(Math.floor(position), STOPS.length - 2);
  const share = position - index;
  return STOPS[index].map((value, k) => Math.round(value + (STOPS[index + 1][k] - value) * share));
}

export class HeatmapChart {
  constructor(canvas, { height = 460, onView = () => {} } = {}) {
    this.canvas = canvas;
    this.height = height;
    this.onView = debounce(onView, 350);
    this.tip = tooltipFor(canvas);
    this.data = null;
    this.view = null;
    this.bindEvents();
  }

  setData(data, { keepView = false } = {}) {
    this.data = data;
    this.image = this.paint(data);
    if (!keepView || !this.view) this.view = this.fullView();
    this.canvas.dataset.columns = String(data.times.length);
    this.canvas.dataset.since = String(data.since);
    this.canvas.dataset.until = String(data.until);
    this.canvas.dataset.range = data.range;
    this.draw();
  }

  fullView() {
    const edges = this.data.price_edges;
    return { t0: this.data.since, t1: this.data.until, p0: edges[0], p1: edges[edges.length - 1] };
  }

  paint(data) {
    const columns = data.times.length, rows = Math.max(data.price_edges.length - 1, 0);
    const image = document.createElement("canvas");
    image.width = Math.max(columns, 1);
    image.height = Math.max(rows, 1);
    if (!columns || !rows) return image;
    const totals = [];
    for (let c = 0; c < columns; c++) for (let r = 0; r < rows; r++) totals.push(data.long[c][r] + data.short[c][r]);
    const sorted = totals.filter((value) => value > 0).sort((a, b) => a - b);
    // The 99.5th percentile, not the maximum, sets full brightness: one huge cell must not darken the rest.
    this.scale = sorted.length ? sorted[Math.floor(sorted.length * 0.995)] || sorted[sorted.length - 1] : 1;
    const context = image.getContext("2d");
    const pixels = context.createImageData(columns, rows);
    for (let c = 0; c < columns; c++) {
      for (let r = 0; r < rows; r++) {
        const [red, green, blue] = colour(Math.sqrt(totals[c * rows + r] / this.scale));
        const at = ((rows - 1 - r) * columns + c) * 4; // row 0 is the lowest price: the image's bottom line
        pixels.data.set([red, green, blue, 255], at);
      }
    }
    context.putImageData(pixels, 0, 0);
    return image;
  }

  geometry() {
    const { context, width, height } = setupCanvas(this.canvas, this.height);
    const plot = { left: 0, right: width - 70, top: 6, bottom: height - 22 };
    const v = this.view;
    const logLow = Math.log(v.p0), logHigh = Math.log(v.p1);
    const xAt = (t) => plot.left + ((t - v.t0) / (v.t1 - v.t0)) * (plot.right - plot.left);
    const yAt = (p) => plot.bottom - ((Math.log(p) - logLow) / (logHigh - logLow)) * (plot.bottom - plot.top);
    const tAt = (x) => v.t0 + ((x - plot.left) / (plot.right - plot.left)) * (v.t1 - v.t0);
    const pAt = (y) => Math.exp(logLow + ((plot.bottom - y) / (plot.bottom - plot.top)) * (logHigh - logLow));
    return { context, width, height, plot, xAt, yAt, tAt, pAt };
  }

  draw() {
    if (!this.data) return;
    const g = this.geometry();
    this.g = g;
    const { context, plot } = g;
    context.fillStyle = "rgb(13,8,64)";
    context.fillRect(plot.left, plot.top, plot.right - plot.left, plot.bottom - plot.top);
    const data = this.data, edges = data.price_edges;
    if (data.times.length && edges.length > 1) {
      context.save();
      context.beginPath(); context.rect(plot.left, plot.top, plot.right - plot.left, plot.bottom - plot.top); context.clip();
      context.imageSmoothingEnabled = false;
      const x0 = g.xAt(data.times[0]), x1 = g.xAt(data.times[data.times.length - 1] + data.column_ms);
      const yTop = g.yAt(edges[edges.length - 1]), yBottom = g.yAt(edges[0]);
      context.drawImage(this.image, x0, yTop, x1 - x0, yBottom - yTop);
      this.drawCandles(context, g);
      context.restore();
    }
    this.drawAxes(context, g);
  }

  drawCandles(context, g) {
    const { times, column_ms: step, candles } = this.data;
    const width = Math.max(1, (g.xAt(step) - g.xAt(0)) * 0.6);
    for (let i = 0; i < times.length; i++) {
      const x = g.xAt(times[i] + step / 2);
      if (x < g.plot.left - width || x > g.plot.right + width) continue;
      const up = candles.close[i] >= candles.open[i];
      context.strokeStyle = context.fillStyle = up ? "#2ecc9a" : "#ff5b6e";
      context.beginPath(); context.moveTo(x, g.yAt(candles.high[i])); context.lineTo(x, g.yAt(candles.low[i])); context.stroke();
      const top = g.yAt(Math.max(candles.open[i], candles.close[i]));
      const bottom = g.yAt(Math.min(candles.open[i], candles.close[i]));
      context.fillRect(x - width / 2, top, width, Math.max(bottom - top, 1));
    }
  }

  drawAxes(context, g) {
    const { plot, height } = g;
    context.font = "11px system-ui, sans-serif";
    context.fillStyle = "#8a93a6";
    for (const value of ticks(this.view.p0, this.view.p1, 7)) {
      const y = g.yAt(value);
      if (y > plot.top + 6 && y < plot.bottom) context.fillText(formatPrice(value), plot.right + 4, y + 4);
    }
    const span = this.view.t1 - this.view.t0;
    for (const t of timeTicks(this.view.t0, this.view.t1, plot.right - plot.left)) {
      const label = shortTime(t, span);
      const width = context.measureText(label).width;
      context.fillText(label, Math.min(Math.max(g.xAt(t) - width / 2, 0), plot.right - width), height - 6);
    }
  }

  cellAt(event) {
    const box = this.canvas.getBoundingClientRect();
    const x = event.clientX - box.left, y = event.clientY - box.top;
    const t = this.g.tAt(x), p = this.g.pAt(y);
    const { times, column_ms: step, price_edges: edges } = this.data;
    const c = Math.floor((t - times[0]) / step);
    let r = edges.findIndex((edge) => edge > p) - 1;
    if (r < -1) r = edges.length - 2;
    return { c, r, p, inside: c >= 0 && c < times.length && r >= 0 && r < edges.length - 1 };
  }

  showTip(event) {
    if (!this.data || !this.data.times.length) return;
    const { c, r, p, inside } = this.cellAt(event);
    if (!inside) { this.tip.hidden = true; return; }
    const d = this.data, k = d.candles;
    this.tip.textContent = [
      formatTime(d.times[c]),
      `price ${formatPrice(p)} (row ${formatPrice(d.price_edges[r])}–${formatPrice(d.price_edges[r + 1])})`,
      `long levels ${usd(d.long[c][r])}, short levels ${usd(d.short[c][r])} (USD, ${d.label})`,
      `candle O ${formatPrice(k.open[c])} H ${formatPrice(k.high[c])} L ${formatPrice(k.low[c])} C ${formatPrice(k.close[c])}`,
    ].join("\n");
    place(this.tip, this.canvas, event);
  }

  zoom(event) {
    event.preventDefault();
    const factor = event.deltaY > 0 ? 1.25 : 0.8;
    const box = this.canvas.getBoundingClientRect();
    const v = this.view;
    if (event.shiftKey) {
      const anchor = Math.log(this.g.pAt(event.clientY - box.top));
      v.p0 = Math.exp(anchor + (Math.log(v.p0) - anchor) * factor);
      v.p1 = Math.exp(anchor + (Math.log(v.p1) - anchor) * factor);
    } else {
      const anchor = this.g.tAt(event.clientX - box.left);
      const full = this.fullView();
      const minimum = (this.data.column_ms || 60000) * 8;
      v.t0 = Math.max(full.t0 - (full.t1 - full.t0), anchor + (v.t0 - anchor) * factor);
      v.t1 = anchor + (v.t1 - anchor) * factor;
      if (v.t1 - v.t0 < minimum) v.t1 = v.t0 + minimum;
    }
    this.changed();
  }

  changed() {
    this.draw();
    this.onView({ ...this.view });
  }

  bindEvents() {
    const canvas = this.canvas;
    let drag = null;
    canvas.addEventListener("wheel", (event) => this.data && this.zoom(event), { passive: false });
    canvas.addEventListener("mousedown", (event) => (drag = { x: event.clientX, y: event.clientY, view: { ...this.view } }));
    window.addEventListener("mouseup", () => { if (drag && drag.moved) this.changed(); drag = null; });
    canvas.addEventListener("mousemove", (event) => {
      if (!drag) return this.showTip(event);
      drag.moved = true;
      const g = this.g, width = g.plot.right - g.plot.left, height = g.plot.bottom - g.plot.top;
      const shift = ((event.clientX - drag.x) / width) * (drag.view.t1 - drag.view.t0);
      const lift = ((event.clientY - drag.y) / height) * Math.log(drag.view.p1 / drag.view.p0);
      this.view = {
        t0: drag.view.t0 - shift, t1: drag.view.t1 - shift,
        p0: drag.view.p0 * Math.exp(lift), p1: drag.view.p1 * Math.exp(lift),
      };
      this.draw();
    });
    canvas.addEventListener("mouseleave", () => (this.tip.hidden = true));
    canvas.addEventListener("dblclick", () => this.onReset && this.onReset());
    window.addEventListener("resize", debounce(() => this.draw(), 150));
  }
}
