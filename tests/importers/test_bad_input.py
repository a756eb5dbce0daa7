"""Bad input: one clear error naming file, line and field, and the store exactly as it was before."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pytest

from perpscope.errors import ParseError, UnknownFormatError
from perpscope.importers import import_paths
from perpscope.store import DuckDBStore

GOOD = (
    "timestamp,venue,coin,funding_rate\n"
    "2025-03-08T16:00:00Z,binance,BTC,0.0001\n"
    "2025-03-09T00:00:00Z,binance,BTC,0.0002\n"
)
TABLES = ("funding", "candles", "open_interest", "liquidations", "liquidation_totals")


@pytest.fixture
def store(duckdb_store: DuckDBStore, tmp_path: Path) -> DuckDBStore:
    """A store that already holds a good file, so 'unchanged' means something."""
    good = tmp_path / "good_funding.csv"
    good.write_text(GOOD)
    (result,) = import_paths(duckdb_store, [good])
    assert result.counts["funding"].added == 2
    return duckdb_store


def counts(store: DuckDBStore) -> dict[str, int]:
    return {table: store.count(table) for table in TABLES}


def fails(store: DuckDBStore, path: Path, error: type[Exception] = ParseError, **options: str) -> str:
    before = counts(store)
    with pytest.raises(error) as caught:
        import_paths(store, [path], **options)  # type: ignore[arg-type]
    assert counts(store) == before
    return str(caught.value)


def test_truncated_gzip(store: DuckDBStore, tmp_path: Path) -> None:
    body = GOOD + "".join(f"2025-03-{day:02d}T08:00:00Z,okx,BTC,0.0001\n" for day in range(10, 28))
    whole = gzip.compress(body.encode())
    path = tmp_path / "cut_funding.csv.gz"
    path.write_bytes(whole[: len(whole) - 12])  # the deflate end and the gzip trailer are gone
    assert fails(store, path) == "cut_funding.csv.gz: compressed file is truncated (ends before its end marker)"


def test_a_non_number_names_file_line_and_field(store: DuckDBStore, tmp_path: Path) -> None:
    path = tmp_path / "bad_rate.csv"
    path.write_text(GOOD + "2025-03-09T08:00:00Z,binance,BTC,0.01%\n")
    assert fails(store, path) == "bad_rate.csv:4: field 'funding_rate': not a number: '0.01%'"


def test_a_missing_column(store: DuckDBStore, tmp_path: Path) -> None:
    path = tmp_path / "no_rate.csv"
    path.write_text("timestamp,venue,coin\n2025-03-08T16:00:00Z,binance,BTC\n")
    message = fails(store, path)
    assert message == (
        "no_rate.csv:1: field 'funding_rate': missing column for a tidy funding file (columns: timestamp, venue, coin)"
    )


def test_an_unknown_format(store: DuckDBStore, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, world\nthis is not market data\n")
    message = fails(store, path, UnknownFormatError)
    assert message.startswith("notes.txt: unknown format (no importer recognises it); formats: binance-archive, ")
    assert "tidy" in message


def test_an_unknown_format_name(store: DuckDBStore, tmp_path: Path) -> None:
    path = tmp_path / "good_funding.csv"
    assert fails(store, path, UnknownFormatError, format="csv").startswith("unknown format 'csv'; formats: ")


def test_a_time_out_of_range(store: DuckDBStore, tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text(GOOD + "1970-01-02T00:00:00Z,binance,BTC,0.0001\n")
    assert fails(store, path) == (
        "old.csv:4: field 'timestamp': time 86400000 is out of range "
        "(2009-01-03 18:15:05 UTC .. 2100-01-01 00:00:00 UTC): wrong unit?"
    )


def test_an_unknown_venue_and_an_unknown_side(store: DuckDBStore, tmp_path: Path) -> None:
    venue = tmp_path / "venue.csv"
    venue.write_text(GOOD + "2025-03-09T08:00:00Z,mexc,BTC,0.0001\n")
    assert fails(store, venue).startswith("venue.csv:4: field 'venue': unknown venue 'mexc' (known: binance, ")
    side = tmp_path / "side.csv"
    side.write_text("timestamp,venue,coin,side,size_usd,price\n2025-05-25T15:21:42Z,hyperliquid,BTC,X,100,100000\n")
    assert fails(store, side) == "side.csv:2: field 'side': unknown side 'X' for hyperliquid (known: b, long, s, short)"


def test_an_okx_coin_without_a_known_contract_size(store: DuckDBStore, tmp_path: Path) -> None:
    path = tmp_path / "okx.csv"
    path.write_text("timestamp,venue,coin,side,size_usd,price\n2026-03-04T22:45:43Z,okx,PEPE,buy,100,0.00001\n")
    assert fails(store, path) == (
        "okx.csv:2: field 'size_usd': okx sizes are in contracts and the contract size of PEPE is not in "
        "perpscope's catalog"
    )


def test_a_zip_is_one_transaction(store: DuckDBStore, tmp_path: Path) -> None:
    """The first member is good, the second bad: nothing of the archive is stored."""
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a_funding.csv", GOOD.replace("BTC", "ETH"))
        archive.writestr("b_funding.csv", GOOD.replace("0.0002", "x"))
    assert fails(store, path) == "two.zip:b_funding.csv:3: field 'funding_rate': not a number: 'x'"


def test_a_directory_skips_what_it_cannot_read_but_a_named_file_must_be_known(
    store: DuckDBStore, tmp_path: Path
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "README.md").write_text("# notes\n")
    (folder / "eth_funding.csv").write_text(GOOD.replace("BTC", "ETH"))
    results = import_paths(store, [folder])
    assert [(r.name, r.format, r.skipped) for r in results] == [
        ("folder/README.md", "-", "not a format perpscope imports"),
        ("folder/eth_funding.csv", "tidy", None),
    ]
    assert results[1].counts["funding"].added == 2
    fails(store, folder / "README.md", UnknownFormatError)
