"""``python -m perpscope.cli``: the same as the ``perpscope`` command."""

from perpscope.entry import run

run()
