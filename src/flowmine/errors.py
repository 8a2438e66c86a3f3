"""The error tree of flowmine. Every error flowmine raises on purpose derives from one root::

    FlowmineError                  root: catch this to handle any flowmine error
    ├── InputError                 a source the user gave cannot be used (CLI exit code 2)
    │   ├── UnsafeInputError       refused for safety: URL, DOCTYPE/entities, decompression bomb
    │   └── UnusableInputError     empty, truncated, not what its extension says, no events
    │       └── NothingLoadedError every row of the source was quarantined: nothing is stored
    ├── MappingError               the mapping (TOML) is invalid or a column role is ambiguous
    ├── StoreError                 the store directory is missing, corrupt, locked, read-only or full
    │   ├── ProcessNotFoundError   the store has no process of that name
    │   └── DamagedStoreError      a stored file's content differs from the digest in its manifest
    └── StrictModeError            --strict and some rows were quarantined (CLI exit code 1)

Messages are one line: they name the file (and row, column where known), what was expected
and what came, so a person can act on them without a traceback.
"""

from __future__ import annotations


class FlowmineError(Exception):
    """Root of all flowmine errors."""

    exit_code = 2


class InputError(FlowmineError):
    """A source cannot be used; nothing from it is stored."""

    def __init__(self, source: str, message: str) -> None:
        self.source = str(source)
        self.reason = message
        super().__init__(f"{self.source}: {message}")


class UnsafeInputError(InputError):
    """A source refused for safety reasons (never fetched, parsed or expanded)."""


class UnusableInputError(InputError):
    """A source that is empty, truncated, of the wrong format or holds no events."""


class NothingLoadedError(UnusableInputError):
    """Every row of a source was quarantined: nothing from it is stored (the message shows the first)."""


class MappingError(FlowmineError):
    """The mapping does not fit the source, or the columns cannot be recognised unambiguously."""


class StoreError(FlowmineError):
    """The store cannot be read or written."""


class ProcessNotFoundError(StoreError):
    """The store holds no process of the requested name."""


class DamagedStoreError(StoreError):
    """A stored file is damaged (its sha256 or a Parquet page checksum does not match): nothing is
    read from it and no version is built on it."""


class StrictModeError(FlowmineError):
    """Raised by the CLI in ``--strict`` mode when rows were quarantined."""

    exit_code = 1
