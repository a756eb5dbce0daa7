"""The pages in headless Debian Chromium against ``perpscope serve`` in its own process.

Screenshots of every page (laptop and phone widths) are saved under the test's tmp dir; the live-push test writes
a liquidation into the store after the page opened and requires it on screen within 1 s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_samples import CHROMIUM, CHROMIUM_ARGS, liquidation

from perpscope.models import Side
from perpscope.store import open_store

if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (Python package) is a dev dependency")

PAGES = {"overview": "/", "heatmap": "/heatmap", "history": "/history", "feed": "/feed", "reports": "/reports"}


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_page(browser: object, url: str, width: int = 1400, height: int = 900) -> tuple[object, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": height})  # type: ignore[attr-defined]
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=20_000)
    return page, problems


@pytest.mark.timeout(180)
def test_every_page_loads_without_console_errors_and_charts_have_data(
    browser: object, served_market: tuple[str, Path], tmp_path: Path
) -> None:
    base, _ = served_market
    for width, height, device in ((1400, 900, "laptop"), (390, 844, "phone")):
        for name, path in PAGES.items():
            page, problems = open_page(browser, base + path, width, height)
            page.wait_for_timeout(300)  # type: ignore[attr-defined]
            page.screenshot(path=str(tmp_path / f"{device}-{name}.png"), full_page=True)  # type: ignore[attr-defined]
            assert problems == [], (device, name, problems)
            check_content(page, name)
            page.close()  # type: ignore[attr-defined]
    print(f"screenshots in {tmp_path}")


def check_content(page: object, name: str) -> None:
    text = page.inner_text  # type: ignore[attr-defined]
    if name == "overview":
        assert page.locator("#funding-table tbody tr").count() == 3  # type: ignore[attr-defined]
        assert "OI-weighted" in text("#funding-aggregate")
        assert page.locator("#signals li.signal").count() >= 1  # type: ignore[attr-defined]
        assert "all venues" in text("#liquidation-table")
    elif name == "heatmap":
        assert int(page.get_attribute("#heatmap", "data-columns")) > 100  # type: ignore[attr-defined]
        assert page.evaluate(PAINTED, "#heatmap") > 1_000  # type: ignore[attr-defined]
        assert page.evaluate(PAINTED, "#map") > 100  # type: ignore[attr-defined]
        assert text("#map-sentences").count("A move to $") == 3
    elif name == "history":
        assert int(page.get_attribute("#funding-chart", "data-points")) >= 6  # type: ignore[attr-defined]
        assert int(page.get_attribute("#oi-chart", "data-points")) > 100  # type: ignore[attr-defined]
    elif name == "feed":
        assert page.locator("#feed tbody tr").count() == 200  # type: ignore[attr-defined]


# Pixels that are not the background: a chart that drew nothing has none.
PAINTED = """(selector) => {
  const canvas = document.querySelector(selector);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 0; i < pixels.length; i += 4 * 7) if (pixels[i] + pixels[i + 1] + pixels[i + 2] > 150) painted++;
  return painted;
}"""


@pytest.mark.timeout(120)
def test_the_range_selector_changes_the_heatmap(browser: object, served_market: tuple[str, Path]) -> None:
    base, _ = served_market
    page, problems = open_page(browser, base + "/heatmap")
    day = page.get_attribute("#heatmap", "data-since")  # type: ignore[attr-defined]
    assert page.get_attribute("#heatmap", "data-range") == "24h"  # type: ignore[attr-defined]
    page.click("button[data-range='12h']")  # type: ignore[attr-defined]
    page.wait_for_selector("#heatmap[data-range='12h']", timeout=10_000)  # type: ignore[attr-defined]
    half = page.get_attribute("#heatmap", "data-since")  # type: ignore[attr-defined]
    until = int(page.get_attribute("#heatmap", "data-until"))  # type: ignore[attr-defined]
    assert until - int(half) == 12 * 3_600_000
    assert int(half) - int(day) == 12 * 3_600_000
    assert problems == []
    page.close()  # type: ignore[attr-defined]


@pytest.mark.timeout(120)
def test_a_liquidation_stored_after_the_page_opened_appears_within_a_second(
    browser: object, served_market: tuple[str, Path]
) -> None:
    base, database = served_market
    page, problems = open_page(browser, base + "/feed")
    page.wait_for_selector("#live-status.on", timeout=10_000)  # type: ignore[attr-defined]
    page.wait_for_timeout(600)  # type: ignore[attr-defined]  # the server's poller has had its first look
    now = int(time.time() * 1000)
    fresh = liquidation("binance", Side.SHORT, 123_456.0, 0.5, now, received=now)
    with open_store(database) as store:  # a second process writing, as a collector does
        store.write_records([fresh])
    stored = time.monotonic()
    page.wait_for_selector("#feed tbody tr.fresh >> text=$123,456", timeout=5_000)  # type: ignore[attr-defined]
    latency = time.monotonic() - stored
    print(f"push latency store -> browser: {latency * 1000:.0f} ms")
    assert latency < 1.0
    first = page.locator("#feed tbody tr").first.inner_text()  # type: ignore[attr-defined]
    assert "binance" in first and "short" in first and "$61.73K" in first
    assert problems == []
    page.close()  # type: ignore[attr-defined]
