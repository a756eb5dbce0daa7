"""The pages: plain HTML (one layout around each page's main content) whose scripts fetch the JSON API, and the
static scripts and styles they load.

Static files are served from the package's ``static`` folder only, by Starlette's StaticFiles, which resolves
every path and refuses any that leaves the folder (``..``, encoded or not, and symlinks out).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from string import Template

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, RedirectResponse

router = APIRouter(include_in_schema=False)

WEB = Path(str(resources.files("perpscope.web")))
TEMPLATES = WEB / "templates"
# route -> (its template, which is the page's <main>; the title; its script in /static): one layout holds the rest.
PAGES = {
    "/": ("overview.html", "Overview", "overview"),
    "/heatmap": ("heatmap.html", "Liquidation heatmap", "heatmap"),
    "/history": ("history.html", "History", "history"),
    "/feed": ("feed.html", "Liquidations", "feed"),
    "/reports": ("reports.html", "Reports", "reports"),
}


def render(template: str, title: str, script: str) -> str:
    """The page: the shared layout (head, navigation, footer) around the template's main content."""
    layout = Template((TEMPLATES / "layout.html").read_text(encoding="utf-8"))
    main = (TEMPLATES / template).read_text(encoding="utf-8")
    return layout.substitute(title=title, script=script, main=main)


def _route(html: str) -> Callable[[], HTMLResponse]:
    def page() -> HTMLResponse:
        return HTMLResponse(html)

    return page


for route, (template, title, script) in PAGES.items():
    html = render(template, title, script)  # once, at import: the files do not change while serving
    router.add_api_route(route, _route(html), methods=["GET"], response_class=HTMLResponse)


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg")


def static_files() -> StaticFiles:
    return StaticFiles(directory=WEB / "static", follow_symlink=False)
