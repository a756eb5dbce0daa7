"""``python -m perpscope.cli``: the same as the ``perpscope`` command."""

from perpscope.cli import main

main()
