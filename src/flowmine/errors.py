"""The error tree of flowmine. Every error flowmine raises on purpose derives from one root, and every
exception class of flowmine is defined here (``tests/test_errors.py`` keeps it so)::

    FlowmineError                      root: catch this to handle any flowmine error (exit 2)
    ├── InputError                     a source the user gave cannot be used (exit 2)
    │   ├── UnsafeInputError           refused for safety: URL, DOCTYPE/entities, decompression bomb (exit 2)
    │   └── UnusableInputError         empty, truncated, not what its extension says, no events (exit 2)
    │       └── NothingLoadedError     every row of the source was quarantined: nothing is stored (exit 2)
    ├── MappingError                   the mapping (TOML) is invalid or a column role is ambiguous (exit 2)
    ├── StoreError                     the store directory is missing, corrupt, locked, read-only or full (exit 2)
    │   ├── ProcessNotFoundError       the store has no process of that name (exit 2)
    │   └── DamagedStoreError          a stored file's content differs from the digest in its manifest (exit 2)
    ├── OptionError (ValueError)       an argument outside its declared constraint (flowmine._params) (exit 2)
    │   ├── ArgumentError (TypeError)        an option it does not take, or without one it needs (exit 2)
    │   ├── MissingColumnError (KeyError)    the events given lack a column the function needs (exit 2)
    │   └── AnalyticsError             a metric's option, or a log without a required column (exit 2)
    │       └── TooManyActivitiesError more distinct activities than the fast engine handles (exit 2)
    ├── EngineUnavailableError         the engine cannot run here: pyspark, sqlglot or Java missing (exit 2)
    ├── TranslationError               a query has no Spark SQL equivalent (yet) (exit 2)
    ├── DashboardError                 the dashboard cannot start as asked: an address without auth (exit 2)
    │   └── AuthFileError              the auth file is missing, malformed, holds a plain password (exit 2)
    ├── StrictModeError                --strict and some rows were quarantined (exit 1)
    └── FastPathDeclined               internal: a fast reader hands the source to the exact one (exit 2)

The CLI's exit codes (``flowmine.cli``): 0 done; 1 ``--strict`` found quarantined rows
(:class:`StrictModeError`), ``monitor`` found a KPI breaching, ``verify`` found a damaged file; 2 any
other :class:`FlowmineError` (``exit_code``), a wrong command-line option, or the machine refusing a
write (``OSError``); 3 an internal error (a bug: anything else; the traceback goes to a file).

The option errors keep the builtin base a caller may already catch (``ValueError``, ``TypeError``,
``KeyError``), so ``except ValueError`` around a metric still holds. Messages are one line: they name
the file (and row, column where known) or the parameter, what was expected and what came, so a person
can act on them without a traceback.
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


class OptionError(FlowmineError, ValueError):
    """An argument of a public function is outside its declared constraint.

    ``parameter`` and ``function`` name it when the declared-parameter validator
    (:mod:`flowmine._params`) raised it, so a face can say which of its own options it was.
    """

    def __init__(self, message: str, *, parameter: str | None = None, function: str | None = None) -> None:
        self.parameter = parameter
        self.function = function
        super().__init__(message)


class ArgumentError(OptionError, TypeError):
    """A call with an option the function does not take, or without one it needs (a ``TypeError``, as
    Python's own for a wrong call)."""


class MissingColumnError(OptionError, KeyError):
    """The events given lack a column the function needs (a ``KeyError``, as a missing column's lookup)."""

    __str__ = Exception.__str__  # KeyError's own would quote the message


class AnalyticsError(OptionError):
    """A metric was called with an invalid option or a log that lacks a required column."""


class TooManyActivitiesError(AnalyticsError):
    """The log has more distinct activities than the compiled fast path handles (``MAX_ACTIVITIES``)."""


class EngineUnavailableError(FlowmineError):
    """The requested engine cannot run here (a package or Java is missing, or the cluster is unreachable)."""


class TranslationError(FlowmineError):
    """A query has no Spark SQL equivalent (yet)."""


class DashboardError(FlowmineError):
    """The dashboard cannot start as asked."""


class AuthFileError(DashboardError):
    """The auth file cannot be used (missing, malformed, plain-text password, no users)."""


class StrictModeError(FlowmineError):
    """Raised by the CLI in ``--strict`` mode when rows were quarantined."""

    exit_code = 1


class FastPathDeclined(FlowmineError):
    """Internal: a fast reader cannot represent this source exactly and declines it before any result
    exists; the exact (slower) reader then reads the source. Caught inside flowmine, never shown."""
