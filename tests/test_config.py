"""Settings: every layer in order, and no misspelled key slips through."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from perpscope.config import load_settings
from perpscope.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_point_at_a_per_user_duckdb_file() -> None:
    settings = load_settings(environ={})
    assert settings.db.endswith("perpscope.duckdb")
    assert settings.log_level == "WARNING"
    assert settings.store.lock_timeout_s == 30.0


def test_layers_file_then_environment_then_flags(tmp_path: Path) -> None:
    path = write(tmp_path, 'db = "/from/file.duckdb"\nlog_level = "INFO"\n[store]\nlock_timeout_s = 5\n')
    from_file = load_settings(path, environ={})
    assert (from_file.db, from_file.log_level, from_file.store.lock_timeout_s) == ("/from/file.duckdb", "INFO", 5.0)

    environ = {"PERPSCOPE_DB": "/from/env.duckdb", "PERPSCOPE_STORE__LOCK_TIMEOUT_S": "7.5"}
    from_env = load_settings(path, environ=environ)
    assert (from_env.db, from_env.store.lock_timeout_s) == ("/from/env.duckdb", 7.5)
    assert from_env.log_level == "INFO"  # untouched by the environment

    from_flags = load_settings(path, {"db": "/from/flag.duckdb", "log_level": None}, environ=environ)
    assert from_flags.db == "/from/flag.duckdb"
    assert from_flags.log_level == "INFO"  # a flag not given does not override


def test_config_file_named_by_environment(tmp_path: Path) -> None:
    path = write(tmp_path, 'db = "postgresql://localhost/perpscope"\n')
    assert load_settings(environ={"PERPSCOPE_CONFIG": str(path)}).db == "postgresql://localhost/perpscope"


def test_misspelled_key_in_file_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "[store]\nlock_timout_s = 5\n")
    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ={})
    assert str(raised.value) == f"{path}: unknown setting 'store.lock_timout_s' (did you mean 'store.lock_timeout_s'?)"


def test_misspelled_environment_variable_is_named() -> None:
    with pytest.raises(ConfigError, match="environment variable PERPSCOPE_DBB: unknown setting 'dbb'"):
        load_settings(environ={"PERPSCOPE_DBB": "x"})


def test_wrong_type_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[store]\nlock_timeout_s = "soon"\n')
    with pytest.raises(ConfigError, match=re.escape("'store.lock_timeout_s' must be float, got 'soon'")):
        load_settings(path, environ={})


def test_a_value_where_a_section_belongs(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'store' is a section"):
        load_settings(write(tmp_path, "store = 3\n"), environ={})


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "db = \n"), environ={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "absent.toml", environ={})


def test_settings_are_frozen() -> None:
    settings = load_settings(environ={})
    with pytest.raises(AttributeError):
        settings.db = "other"  # type: ignore[misc]


def test_collect_section_defaults() -> None:
    collect = load_settings(environ={}).collect
    assert (collect.venues, collect.symbols, collect.oi_poll_s, collect.funding_poll_s) == (
        "binance",
        "BTC,ETH",
        10.0,
        60.0,
    )
    assert (collect.stale_after_s, collect.flush_interval_s, collect.restart_lookback) == (30.0, 1.0, "24h")
    assert (collect.record_dir, collect.budget_share) == ("", 0.5)
    assert (collect.binance.rest, collect.binance.websocket) == ("", "")
    assert collect.urls("okx") == collect.okx and collect.urls("nowhere").rest == ""


def test_collect_section_from_file_and_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[collect]\nvenues = "binance,okx"\noi_poll_s = 5\n[collect.okx]\nrest = "http://127.0.0.1:9000"\n',
    )
    environ = {"PERPSCOPE_COLLECT__OKX__WEBSOCKET": "ws://127.0.0.1:9001", "PERPSCOPE_COLLECT__BUDGET_SHARE": "0.25"}
    collect = load_settings(path, environ=environ).collect
    assert (collect.venues, collect.oi_poll_s, collect.budget_share) == ("binance,okx", 5.0, 0.25)
    assert (collect.okx.rest, collect.okx.websocket) == ("http://127.0.0.1:9000", "ws://127.0.0.1:9001")
    assert collect.binance.rest == ""  # untouched


def test_misspelled_nested_collect_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[collect.binance]\nwebsockt = "ws://127.0.0.1:9001"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(path, environ={})
    message = f"{path}: unknown setting 'collect.binance.websockt' (did you mean 'collect.binance.websocket'?)"
    assert str(raised.value) == message


def test_unknown_venue_section_is_named() -> None:
    with pytest.raises(ConfigError, match=re.escape("unknown setting 'collect.kraken'")):
        load_settings(environ={"PERPSCOPE_COLLECT__KRAKEN__REST": "http://x"})


def test_collect_values_have_their_types(tmp_path: Path) -> None:
    path = write(tmp_path, '[collect]\noi_poll_s = "often"\n')
    with pytest.raises(ConfigError, match=re.escape("'collect.oi_poll_s' must be float, got 'often'")):
        load_settings(path, environ={})
