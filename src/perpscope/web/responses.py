"""JSON out of the dashboard: msgspec-encoded (fast; NaN and infinities become ``null``), frames as row lists."""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np
import polars as pl
from starlette.responses import Response

_ENCODER = msgspec.json.Encoder(enc_hook=lambda value: _plain(value))


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pl.Series):
        return value.to_list()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _ENCODER.encode(content)


def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """A frame as a list of row objects (column name -> value)."""
    return frame.to_dicts()


def encode(content: Any) -> bytes:
    return _ENCODER.encode(content)
