"""perpscope: self-hosted intelligence for crypto perpetual-futures markets."""

from perpscope.api import Perpscope, open

__all__ = ["Perpscope", "open"]
__version__ = "0.1.0.dev0"
