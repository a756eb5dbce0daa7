// Shared by every page: the API, number and time formats (each with its unit), the symbol, live push.

export const state = {
  symbol: new URLSearchParams(location.search).get("symbol") || localStorage.getItem("perpscope.symbol") || "BTC",
};

export async function api(path, params = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
  }
  const response = await fetch(url);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail || body);
    throw new Error(`${response.status}: ${detail}`);
  }
  return body;
}

export function percent(fraction, digits = 4) {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return "–";
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function usd(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const size = Math.abs(value);
  for (const [scale, suffix] of [[1e9, "B"], [1e6, "M"], [1e3, "K"]]) {
    if (size >= scale) return `$${(value / scale).toFixed(2)}${suffix}`;
  }
  return `$${value.toFixed(0)}`;
}

export function price(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return "$" + value.toLocaleString("en-US", { maximumFractionDigits: value >= 100 ? 0 : 4 });
}

export function time(ms) {
  if (ms === null || ms === undefined) return "–";
  return new Date(ms).toISOString().replace("T", " ").replace(/:\d\d\.\d+Z$/, " UTC");
}

export function shortTime(ms, span) {
  const iso = new Date(ms).toISOString();
  return span > 3 * 86400000 ? iso.slice(5, 10) + " " + iso.slice(11, 16) : iso.slice(11, 16);
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

export function table(target, headers, rows) {
  const head = element("tr", {}, ...headers.map((name) => element("th", {}, name)));
  const body = rows.map((cells) => element("tr", {}, ...cells.map((cell) => cellOf(cell))));
  target.replaceChildren(element("thead", {}, head), element("tbody", {}, ...body));
}

function cellOf(cell) {
  if (cell instanceof Node) return element("td", {}, cell);
  const classes = typeof cell === "string" && cell.startsWith("-") ? "negative" : "";
  return element("td", { class: classes }, cell);
}

export function showError(target, error) {
  target.replaceChildren(element("p", { class: "error" }, String(error.message || error)));
}

// One EventSource per page; handlers by event name: liquidation, funding, signal.
export function live(handlers) {
  const status = document.getElementById("live-status");
  const source = new EventSource("/api/live");
  source.onopen = () => status && (status.textContent = "live", status.className = "live on");
  source.onerror = () => status && (status.textContent = "reconnecting", status.className = "live off");
  for (const [name, handler] of Object.entries(handlers)) {
    source.addEventListener(name, (event) => handler(JSON.parse(event.data)));
  }
  return source;
}

export async function symbolPicker() {
  const picker = document.getElementById("symbol");
  if (!picker) return;
  const found = await api("/api/symbols").catch(() => ({ bases: [] }));
  const bases = found.bases.length ? found.bases : [state.symbol];
  if (!bases.includes(state.symbol)) state.symbol = bases[0];
  picker.replaceChildren(...bases.map((base) => element("option", { value: base }, base)));
  picker.value = state.symbol;
  picker.addEventListener("change", () => {
    localStorage.setItem("perpscope.symbol", picker.value);
    location.search = `?symbol=${encodeURIComponent(picker.value)}`;
  });
  return found;
}

export function debounce(action, wait) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => action(...args), wait);
  };
}

export function markNav() {
  for (const link of document.querySelectorAll("nav a")) {
    if (link.getAttribute("href") === location.pathname) link.classList.add("current");
  }
}
