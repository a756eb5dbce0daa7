"""Every error perpscope raises on purpose, in one tree, so callers catch exactly what they mean:

PerpscopeError                      base: the CLI prints its message and exits non-zero, no traceback
├── ConfigError                     unknown or misspelled key, wrong type, bad value (names the key and file)
├── StoreError                      the database cannot be opened, migrated, written or queried
│   └── StoreBusyError              another process holds the embedded database's lock for too long
├── InputError                      bad user input: a file, a row, an argument
│   ├── UnknownFormatError          no importer recognises the file
│   └── ParseError                  a value that does not fit: names file, line and field
├── VenueError                      a venue misbehaved or is unreachable
│   ├── NetworkError                no connection, DNS failure, timeout
│   ├── RateLimitError              HTTP 429/418; carries ``retry_after`` seconds
│   └── VenueResponseError          a payload that is not what the venue documents
└── QueryError                      a view asked for something the data cannot answer (unknown symbol, empty range)
"""

from __future__ import annotations


class PerpscopeError(Exception):
    """Base of every deliberate perpscope error."""


class ConfigError(PerpscopeError):
    pass


class StoreError(PerpscopeError):
    pass


class StoreBusyError(StoreError):
    pass


class InputError(PerpscopeError):
    pass


class UnknownFormatError(InputError):
    pass


class ParseError(InputError):
    """A bad value in an input file. The message reads ``file:line: field 'x': what is wrong``."""

    def __init__(self, reason: str, *, file: str | None = None, line: int | None = None, field: str | None = None):
        self.reason = reason
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self._compose())

    def _compose(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        what = f"field '{self.field}': {self.reason}" if self.field else self.reason
        return f"{where}: {what}"

    def located(self, *, file: str | None = None, line: int | None = None) -> ParseError:
        """The same error with the file (and line, if unknown so far) filled in by an outer layer."""
        return ParseError(
            self.reason,
            file=self.file or file,
            line=self.line if self.line is not None else line,
            field=self.field,
        )


class VenueError(PerpscopeError):
    pass


class NetworkError(VenueError):
    pass


class RateLimitError(VenueError):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class VenueResponseError(VenueError):
    pass


class QueryError(PerpscopeError):
    pass
