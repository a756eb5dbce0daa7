"""The pages: plain HTML files whose scripts fetch the JSON API, and the static scripts and styles they load.

Static files are served from the package's ``static`` folder only, by Starlette's StaticFiles, which resolves
every path and refuses any that leaves the folder (``..``, encoded or not, and symlinks out).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse, RedirectResponse

router = APIRouter(include_in_schema=False)

WEB = Path(str(resources.files("perpscope.web")))
TEMPLATES = WEB / "templates"
PAGES = {"/": "overview.html", "/heatmap": "heatmap.html", "/history": "history.html", "/feed": "feed.html"}
PAGES["/reports"] = "reports.html"


def _page(name: str) -> HTMLResponse:
    return HTMLResponse((TEMPLATES / name).read_text(encoding="utf-8"))


def _route(name: str) -> Callable[[], HTMLResponse]:
    def page() -> HTMLResponse:
        return _page(name)

    return page


for route, template in PAGES.items():
    router.add_api_route(route, _route(template), methods=["GET"], response_class=HTMLResponse)


@router.get("/favicon.ico")
def favicon() -> RedirectResponse:
    return RedirectResponse("/static/favicon.svg")


def static_files() -> StaticFiles:
    return StaticFiles(directory=WEB / "static", follow_symlink=False)
