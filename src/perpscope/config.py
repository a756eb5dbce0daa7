"""Settings: defaults < a TOML file < ``PERPSCOPE_*`` environment variables < command-line flags.

The result is one frozen :class:`Settings`. An unknown or misspelled key, in the file or the environment, is a
:class:`~perpscope.errors.ConfigError` that names it: a setting that is silently ignored is worse than none.

The file is ``--config PATH``, else ``$PERPSCOPE_CONFIG``, else ``<user config dir>/perpscope/config.toml`` if it
exists. Sections map to nested settings: ``[collect] oi_poll_s = 5`` is ``PERPSCOPE_COLLECT__OI_POLL_S=5``.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

from perpscope.errors import ConfigError

ENV_PREFIX = "PERPSCOPE_"
ENV_NOT_SETTINGS = frozenset({"PERPSCOPE_CONFIG"})
SECRET_SUFFIX = "secret"  # settings whose value no message may show


def default_db_path() -> str:
    return str(Path(platformdirs.user_data_dir("perpscope")) / "perpscope.duckdb")


@dataclasses.dataclass(frozen=True)
class StoreSettings:
    lock_timeout_s: float = 30.0  # how long an embedded-database user waits for another process's lock


@dataclasses.dataclass(frozen=True)
class VenueUrlSettings:
    rest: str = ""  # replaces the venue's REST base URL (a proxy, the simulator); empty: the venue's own
    websocket: str = ""  # replaces its websocket base URL


@dataclasses.dataclass(frozen=True)
class BinanceSettings(VenueUrlSettings):
    """Binance's URLs, and an optional API key for its one signed request the collector makes
    (``/fapi/v1/leverageBracket``: the margin brackets). Read-only permissions are enough."""

    api_key: str = ""
    api_secret: str = dataclasses.field(default="", repr=False)  # never shown: not in repr, logs or errors
    liquidation_stream: str = "auto"  # auto | symbol (<sym>@forceOrder) | all (!forceOrder@arr, filtered)


@dataclasses.dataclass(frozen=True)
class CollectSettings:
    """``perpscope collect``'s defaults; its flags override them."""

    venues: str = "binance"  # comma-separated venues, or a profile ("sim": the served simulator)
    symbols: str = "BTC,ETH"
    oi_poll_s: float = 10.0
    funding_poll_s: float = 60.0
    stale_after_s: float = 30.0
    flush_interval_s: float = 1.0
    restart_lookback: str = "24h"
    record_dir: str = ""  # also record raw frames here; empty: no recording
    budget_share: float = 0.5  # share of each venue's published request budget this process may use
    binance: BinanceSettings = dataclasses.field(default_factory=BinanceSettings)
    okx: VenueUrlSettings = dataclasses.field(default_factory=VenueUrlSettings)
    bybit: VenueUrlSettings = dataclasses.field(default_factory=VenueUrlSettings)
    hyperliquid: VenueUrlSettings = dataclasses.field(default_factory=VenueUrlSettings)

    def urls(self, venue: str) -> VenueUrlSettings:
        found = getattr(self, venue, None)
        return found if isinstance(found, VenueUrlSettings) else VenueUrlSettings()


@dataclasses.dataclass(frozen=True)
class Settings:
    db: str = dataclasses.field(default_factory=default_db_path)  # a DuckDB file path or postgresql://...
    log_level: str = "WARNING"
    store: StoreSettings = dataclasses.field(default_factory=StoreSettings)
    collect: CollectSettings = dataclasses.field(default_factory=CollectSettings)


def load_settings(
    config_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build the settings from every layer. ``overrides`` are the flags: dotted keys (``store.lock_timeout_s``);
    ``None`` values are flags the user did not give."""
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    path = _config_path(config_file, environ)
    if path is not None:
        _merge(merged, _read_toml(path))
    _merge(merged, _from_environ(environ))
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _merge(merged, _nest(dotted.split("."), value))
    return typing.cast(Settings, _build(Settings, merged, origin=str(path) if path else "settings"))


def _config_path(config_file: str | Path | None, environ: Mapping[str, str]) -> Path | None:
    explicit = config_file or environ.get("PERPSCOPE_CONFIG")
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        return path
    default = Path(platformdirs.user_config_dir("perpscope")) / "config.toml"
    return default if default.is_file() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def _from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name in ENV_NOT_SETTINGS:
            continue
        keys = name[len(ENV_PREFIX) :].lower().split("__")
        _merge(found, _nest(keys, _EnvText(value, name)))
    return found


class _EnvText(str):
    """A string from the environment, remembered with its variable name for error messages."""

    variable: str

    def __new__(cls, value: str, variable: str) -> _EnvText:
        text = super().__new__(cls, value)
        text.variable = variable
        return text


def _nest(keys: list[str], value: Any) -> dict[str, Any]:
    nested: Any = value
    for key in reversed(keys):
        nested = {key: nested}
    return typing.cast(dict[str, Any], nested)


def _merge(into: dict[str, Any], layer: Mapping[str, Any]) -> None:
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = dict(value) if isinstance(value, Mapping) else value


def _build(cls: type[Any], values: Mapping[str, Any], origin: str, prefix: str = "") -> Any:
    fields = {field.name: field for field in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
            raise ConfigError(f"{_where(value, origin)}: unknown setting '{prefix}{key}'{hint}")
        kwargs[key] = _coerce(hints[key], value, f"{prefix}{key}", origin)
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, key: str, origin: str) -> Any:
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise ConfigError(f"{_where(value, origin)}: '{key}' is a section, not a value")
        return _build(typing.cast(type, hint), value, origin, prefix=f"{key}.")
    target = _plain_type(hint)
    try:
        if target is bool and isinstance(value, str):
            return _parse_bool(value)
        if target in (int, float) and isinstance(value, str):
            return target(value)
        if target is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, target) and not (target is int and isinstance(value, bool)):
            return str(value) if target is str else value
    except ValueError:
        pass
    shown = "a value (hidden)" if key.endswith(SECRET_SUFFIX) else repr(value)
    raise ConfigError(f"{_where(value, origin)}: '{key}' must be {target.__name__}, got {shown}")


def _plain_type(hint: Any) -> type:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return next(arg for arg in typing.get_args(hint) if arg is not type(None))  # type: ignore[no-any-return]
    return typing.cast(type, typing.get_origin(hint) or hint)


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(text)


def _where(value: Any, origin: str) -> str:
    return f"environment variable {value.variable}" if isinstance(value, _EnvText) else origin
