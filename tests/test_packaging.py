"""Every file the package reads at run time ships in a wheel, not only in an editable install."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "perpscope"


def test_every_data_file_of_the_package_is_declared_as_package_data() -> None:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = settings["tool"]["setuptools"]["package-data"]["perpscope"]
    data = sorted(
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts
    )
    undeclared = [name for name in data if not any(Path(name).match(pattern) for pattern in patterns)]
    assert undeclared == []
    assert {"web/templates/layout.html", "web/static/heatmap.js", "store/migrations/0001_initial.sql"} <= set(data)
