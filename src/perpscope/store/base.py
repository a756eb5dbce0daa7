"""The one interface every backend implements, and the machinery they share (migrations, write accounting).

SQL handed to :meth:`Store.query` is the common subset of DuckDB and PostgreSQL, with ``?`` placeholders.
"""

from __future__ import annotations

import dataclasses
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from types import TracebackType
from typing import Any

import polars as pl
import pyarrow as pa

from perpscope.models import Record
from perpscope.store import schema


@dataclasses.dataclass(frozen=True)
class WriteCount:
    """What one write did to one table: ``received`` rows, of which ``added`` were new (the rest were
    already stored, or repeated within the batch)."""

    received: int
    added: int

    @property
    def present(self) -> int:
        return self.received - self.added


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The numbered migrations shipped in ``perpscope/store/migrations``, in order."""
    found = []
    folder = resources.files("perpscope.store") / "migrations"
    for entry in folder.iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda migration: migration.version)


def statements(sql: str) -> list[str]:
    """Split a migration into statements (migrations hold no semicolons inside strings)."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def latest_version() -> int:
    return migrations()[-1].version


def insert_sql(spec: schema.Table, source: str) -> str:
    """``INSERT ... SELECT DISTINCT ON (key) ... ON CONFLICT`` — valid in both DuckDB and PostgreSQL."""
    columns = ", ".join(spec.column_names)
    key = ", ".join(spec.key)
    head = f"INSERT INTO {spec.name} ({columns}) SELECT DISTINCT ON ({key}) {columns} FROM {source}"
    if spec.on_conflict == "ignore":
        return f"{head} ON CONFLICT ({key}) DO NOTHING"
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in spec.column_names if name not in spec.key)
    return f"{head} ON CONFLICT ({key}) DO UPDATE SET {updates}"


class Store(ABC):
    """A perpscope database. ``write`` is atomic across all the tables it is given; ``query`` returns polars."""

    url: str
    read_only: bool

    @abstractmethod
    def write(self, batches: Mapping[str, pa.Table]) -> dict[str, WriteCount]:
        """Write Arrow batches keyed by table name in one transaction: all of them or none."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> pl.DataFrame:
        """Run one read-only SQL statement with ``?`` placeholders."""

    @abstractmethod
    def schema_version(self) -> int:
        """The highest migration applied (0 for a new database)."""

    @abstractmethod
    def close(self) -> None:
        """Release every connection. Idempotent."""

    def write_records(self, records: Iterable[Record]) -> dict[str, WriteCount]:
        return self.write(schema.records_to_arrow(records))

    def count(self, table: str) -> int:
        spec = schema.table(table)
        return int(self.query(f"SELECT count(*) AS n FROM {spec.name}")["n"][0])

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
