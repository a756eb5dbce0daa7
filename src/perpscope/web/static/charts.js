// Line and bar charts on a canvas, with a hover read-out. No library: a few hundred points per series.

const AXIS = "#8a93a6";
const GRID = "rgba(138,147,166,0.15)";

export function setupCanvas(canvas, height) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.parentElement.clientWidth;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { context, width, height };
}

export function ticks(low, high, count) {
  const span = high - low || Math.abs(high) || 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const out = [];
  for (let value = Math.ceil(low / step) * step; value <= high + 1e-9 * span; value += step) out.push(value);
  return out;
}

// Round times (UTC hours, days, weeks) at most one per ``spacing`` pixels.
export function timeTicks(t0, t1, pixels, spacing = 90) {
  const hour = 3600000;
  const steps = [15 * 60000, 30 * 60000, hour, 2 * hour, 3 * hour, 6 * hour, 12 * hour, 24 * hour, 2 * 24 * hour, 7 * 24 * hour, 30 * 24 * hour];
  const step = steps.find((s) => (t1 - t0) / s <= pixels / spacing) || 90 * 24 * hour;
  const out = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

// options: {series: [{name, color, x, y, kind: "line"|"bar", axis: "left"|"right"}], height, xFormat, yFormat,
//           rightFormat, xLabel, marker: {x, label}}
export function lineChart(canvas, options) {
  const draw = () => render(canvas, options);
  draw();
  canvas.chartRedraw = draw;
  hover(canvas, options);
  return draw;
}

function extent(values) {
  let low = Infinity, high = -Infinity;
  for (const value of values) {
    if (value === null || !Number.isFinite(value)) continue;
    if (value < low) low = value;
    if (value > high) high = value;
  }
  return low === Infinity ? [0, 1] : [low, high];
}

function layout(canvas, options) {
  const { context, width, height } = setupCanvas(canvas, options.height || 260);
  const series = options.series.filter((item) => item.x.length);
  const [x0, x1] = extent(series.flatMap((item) => item.x));
  const scales = {};
  for (const axis of ["left", "right"]) {
    const values = series.filter((item) => (item.axis || "left") === axis).flatMap((item) => item.y);
    let [low, high] = extent(values);
    if (series.some((item) => (item.axis || "left") === axis && item.kind === "bar")) low = Math.min(low, 0);
    const pad = (high - low) * 0.06 || Math.abs(high) * 0.1 || 1;
    scales[axis] = [low - (low === 0 ? 0 : pad), high + pad];
  }
  const plot = { left: 8, right: width - (options.rightFormat ? 70 : 64), top: 8, bottom: height - 22 };
  const xAt = (x) => plot.left + ((x - x0) / (x1 - x0 || 1)) * (plot.right - plot.left);
  const yAt = (y, axis = "left") => {
    const [low, high] = scales[axis];
    return plot.bottom - ((y - low) / (high - low || 1)) * (plot.bottom - plot.top);
  };
  return { context, width, height, series, x0, x1, scales, plot, xAt, yAt };
}

function render(canvas, options) {
  const frame = layout(canvas, options);
  canvas.chartFrame = frame;
  const { context, series, plot, xAt, yAt, scales } = frame;
  context.font = "11px system-ui, sans-serif";
  context.fillStyle = AXIS;
  context.strokeStyle = GRID;
  for (const value of ticks(...scales.left, 5)) {
    const y = yAt(value);
    context.beginPath(); context.moveTo(plot.left, y); context.lineTo(plot.right, y); context.stroke();
    context.fillText((options.yFormat || String)(value), plot.right + 4, y + 4);
  }
  const width = plot.right - plot.left;
  const xs = options.timeAxis ? timeTicks(frame.x0, frame.x1, width) : ticks(frame.x0, frame.x1, Math.max(2, Math.floor(width / 80)));
  for (const value of xs) {
    const label = (options.xFormat || String)(value, frame.x1 - frame.x0);
    const x = Math.min(Math.max(xAt(value) - context.measureText(label).width / 2, 0), plot.right - context.measureText(label).width);
    context.fillText(label, x, frame.height - 6);
  }
  for (const item of series) (item.kind === "bar" ? drawBars : drawLine)(context, item, frame);
  if (options.marker) {
    const x = xAt(options.marker.x);
    context.strokeStyle = "#e6e9ef"; context.setLineDash([4, 4]);
    context.beginPath(); context.moveTo(x, plot.top); context.lineTo(x, plot.bottom); context.stroke();
    context.setLineDash([]); context.fillStyle = "#e6e9ef";
    context.fillText(options.marker.label, Math.min(x + 4, plot.right - 80), plot.top + 12);
  }
  if (!series.length) {
    context.fillStyle = AXIS;
    context.fillText("no data in this range", plot.left + 10, (plot.top + plot.bottom) / 2);
  }
}

function drawLine(context, item, frame) {
  context.strokeStyle = item.color; context.lineWidth = 1.5; context.beginPath();
  let pen = false;
  for (let i = 0; i < item.x.length; i++) {
    const y = item.y[i];
    if (y === null || !Number.isFinite(y)) { pen = false; continue; }
    const [px, py] = [frame.xAt(item.x[i]), frame.yAt(y, item.axis || "left")];
    if (pen) context.lineTo(px, py); else context.moveTo(px, py);
    pen = true;
  }
  context.stroke(); context.lineWidth = 1;
}

function drawBars(context, item, frame) {
  const width = Math.max(1, ((frame.plot.right - frame.plot.left) / Math.max(item.x.length, 1)) * 0.9);
  context.fillStyle = item.color;
  const zero = frame.yAt(0, item.axis || "left");
  for (let i = 0; i < item.x.length; i++) {
    if (!item.y[i]) continue;
    const top = frame.yAt(item.y[i], item.axis || "left");
    context.fillRect(frame.xAt(item.x[i]) - width / 2, Math.min(top, zero), width, Math.abs(zero - top));
  }
}

function hover(canvas, options) {
  const tip = tooltipFor(canvas);
  canvas.addEventListener("mousemove", (event) => {
    const frame = canvas.chartFrame;
    if (!frame || !frame.series.length) return;
    const box = canvas.getBoundingClientRect();
    const x = frame.x0 + ((event.clientX - box.left - frame.plot.left) / (frame.plot.right - frame.plot.left)) * (frame.x1 - frame.x0);
    const lines = [(options.xFormat || String)(x, 0)];
    for (const item of frame.series) {
      const index = nearest(item.x, x);
      if (index >= 0) lines.push(`${item.name}: ${(item.format || options.yFormat || String)(item.y[index])}`);
    }
    tip.textContent = lines.join("\n");
    place(tip, canvas, event);
  });
  canvas.addEventListener("mouseleave", () => (tip.hidden = true));
}

export function tooltipFor(canvas) {
  const tip = document.createElement("div");
  tip.className = "tooltip";
  tip.hidden = true;
  canvas.parentElement.style.position = "relative";
  canvas.parentElement.append(tip);
  return tip;
}

export function place(tip, canvas, event) {
  const box = canvas.getBoundingClientRect();
  const x = event.clientX - box.left, y = event.clientY - box.top;
  tip.hidden = false;
  tip.style.left = `${Math.min(x + 14, box.width - tip.offsetWidth - 4)}px`;
  tip.style.top = `${Math.max(y - tip.offsetHeight - 10, 0)}px`;
}

function nearest(values, target) {
  let low = 0, high = values.length - 1;
  if (high < 0) return -1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (values[middle] < target) low = middle + 1; else high = middle;
  }
  return low > 0 && Math.abs(values[low - 1] - target) < Math.abs(values[low] - target) ? low - 1 : low;
}

export const PALETTE = ["#f0b90b", "#4c8dff", "#2ecc9a", "#e056fd", "#ff7a45", "#9aa5b1", "#00c2d1", "#c0ca33"];
