"""perpscope: self-hosted intelligence for crypto perpetual-futures markets.

``perpscope.open(db)`` and ``perpscope.Perpscope`` load the service layer on first use, so that importing the
package (as the command-line entry point does first) stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from perpscope.api import Perpscope, open

__all__ = ["Perpscope", "open"]
__version__ = "0.1.0.dev0"


def __getattr__(name: str) -> Any:
    if name in __all__:
        from perpscope import api

        return getattr(api, name)
    raise AttributeError(f"module 'perpscope' has no attribute {name!r}")
