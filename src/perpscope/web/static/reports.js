// The reports folder's contents.

import { api, time, element, showError, live, symbolPicker, markNav } from "./common.js";

async function start() {
  markNav();
  await symbolPicker();
  const target = document.getElementById("reports");
  try {
    const found = await api("/api/reports");
    const items = found.reports.map((report) => element("li", {},
      element("a", { href: report.html || report.markdown }, report.name), ` · written ${time(report.modified_ms)}`,
      report.markdown ? element("a", { href: report.markdown, class: "secondary" }, "Markdown") : ""));
    target.replaceChildren(...items);
    if (!items.length) target.replaceChildren(element("li", { class: "muted" },
      found.folder ? `no reports in ${found.folder} yet` : "no reports folder: start with perpscope serve --reports DIR"));
  } catch (error) { showError(target, error); }
  live({});
  document.body.dataset.ready = "true";
}

start();
