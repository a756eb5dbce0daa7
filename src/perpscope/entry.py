"""The ``perpscope`` console script. Importing the commands takes a second or two (pyarrow, polars, the venues);
a Ctrl-C in that second must end like any other: one line and status 130, not a traceback."""

from __future__ import annotations

import sys


def run() -> None:
    try:
        from perpscope.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        raise SystemExit(130) from None
    main()
