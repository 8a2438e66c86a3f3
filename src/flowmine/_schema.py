"""The canonical event log: column names, types and quarantine reason codes, defined once.

Every other module refers to these constants instead of spelling column names as string
literals. Core columns use the XES standard keys so pm4py needs no mapping and XES export
is direct. See ``docs/SCHEMA.md`` for the full description of each column.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

#: Version of the canonical schema written into every Parquet file's metadata.
SCHEMA_VERSION: Final = 1

# --- core columns (XES keys) ---------------------------------------------------------------
CASE: Final = "case:concept:name"
ACTIVITY: Final = "concept:name"
TIMESTAMP: Final = "time:timestamp"  # completion time of the activity instance
START: Final = "start_timestamp"  # start time, null where unknown (pm4py's default start key)
RESOURCE: Final = "org:resource"
ROLE: Final = "org:role"
COST: Final = "cost:total"
CURRENCY: Final = "cost:currency"
QUALITY: Final = "quality:outcome"  # e.g. "pass" / "fail" for a quality check
LIFECYCLE: Final = "lifecycle:transition"
# activity instances folded from XES lifecycle transitions (see docs/SCHEMA.md, "Lifecycle"); optional
# columns: a store written before them lacks them, and analytics read a missing one as all-null
READY: Final = "ready_timestamp"  # schedule/assign time of the instance, null where unknown
OUTCOME: Final = "instance:outcome"  # how the instance ended (Outcome.*); null for plain events
PAUSED: Final = "paused_us"  # total microseconds suspended (suspend -> resume), null where none
EVENT_ID: Final = "event_id"  # stable int64 id in source order; every ordering ends with it

# provenance of each event (where it came from, so every number can be traced to a row)
SOURCE: Final = "source:file"
SOURCE_ROW: Final = "source:row"

#: Prefix of case-level attributes (XES trace attributes), as pm4py spells them.
CASE_PREFIX: Final = "case:"

#: Timestamps are tz-aware UTC at microsecond precision (Spark refuses ns; XES has ms).
TIMESTAMP_TYPE: Final = pa.timestamp("us", tz="UTC")

CORE_TYPES: Final[dict[str, pa.DataType]] = {
    CASE: pa.string(),
    ACTIVITY: pa.string(),
    TIMESTAMP: TIMESTAMP_TYPE,
    START: TIMESTAMP_TYPE,
    RESOURCE: pa.string(),
    ROLE: pa.string(),
    COST: pa.float64(),
    CURRENCY: pa.string(),
    QUALITY: pa.string(),
    READY: TIMESTAMP_TYPE,
    OUTCOME: pa.string(),
    PAUSED: pa.int64(),
    EVENT_ID: pa.int64(),
    SOURCE: pa.string(),
    SOURCE_ROW: pa.int64(),
}

#: Columns every stored event log has (the optional core columns are present, possibly all null).
REQUIRED: Final = (CASE, ACTIVITY, TIMESTAMP)

#: The time an activity instance is ordered by: the first of these that is known (start; completion where
#: no start is known; ready time where neither is), as pm4py's interval logs and Disco order instances.
ORDER_TIME: Final = (START, TIMESTAMP, READY)

#: The canonical order of every stored log and every query (the ``flowmine.sorted_by`` metadata; a nested
#: list means "the first known of"): case, instance time, completion (unknown last), event_id. Ties never
#: depend on the engine.
SORT_KEYS: Final = (CASE, ORDER_TIME, TIMESTAMP, EVENT_ID)


class Outcome:
    """Values of :data:`OUTCOME`: how an activity instance ended (the XES lifecycle model)."""

    COMPLETE: Final = "complete"
    ATE_ABORT: Final = "ate_abort"
    PI_ABORT: Final = "pi_abort"
    WITHDRAW: Final = "withdraw"
    AUTOSKIP: Final = "autoskip"
    MANUALSKIP: Final = "manualskip"
    OPEN: Final = "open"  # started, not ended when the log was extracted: completion unknown
    NEVER_STARTED: Final = "never_started"  # scheduled/assigned only (kept when the mapping asks)

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return tuple(v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str))


#: The XES standard lifecycle model's transitions (lifecycle extension), in lower case.
TRANSITIONS: Final = ("schedule", "assign", "reassign", "start", "suspend", "resume", "complete", "ate_abort",
                      "pi_abort", "withdraw", "autoskip", "manualskip")


# --- quarantine ----------------------------------------------------------------------------
Q_SOURCE: Final = "source"
Q_ROW: Final = "row"
Q_POSITION: Final = "position"
Q_COLUMN: Final = "column"
Q_VALUE: Final = "value"
Q_REASON: Final = "reason"
Q_DETAIL: Final = "detail"

QUARANTINE_SCHEMA: Final = pa.schema(
    [
        (Q_SOURCE, pa.string()),
        (Q_ROW, pa.int64()),
        (Q_POSITION, pa.string()),
        (Q_COLUMN, pa.string()),
        (Q_VALUE, pa.string()),
        (Q_REASON, pa.string()),
        (Q_DETAIL, pa.string()),
    ]
)

#: Longest value kept in a quarantine record (a 20 MB attribute is not copied into the report).
QUARANTINE_VALUE_CHARS: Final = 200


class Reason:
    """Machine-readable reason codes of quarantined rows (stable: scripts may rely on them)."""

    MISSING_CASE: Final = "missing_case"
    MISSING_ACTIVITY: Final = "missing_activity"
    MISSING_TIMESTAMP: Final = "missing_timestamp"
    INVALID_TIMESTAMP: Final = "invalid_timestamp"  # unparseable or impossible (2024-02-30)
    AMBIGUOUS_TIMESTAMP: Final = "ambiguous_timestamp"  # day/month order cannot be told
    NAIVE_TIMESTAMP: Final = "naive_timestamp"  # no offset, in a column with offsets, no zone declared
    INVALID_NUMBER: Final = "invalid_number"
    INVALID_VALUE: Final = "invalid_value"  # a typed attribute that does not parse
    INVALID_ENCODING: Final = "invalid_encoding"  # bytes that are not valid in the declared encoding
    VALUE_TOO_LARGE: Final = "value_too_large"
    COMPLETE_BEFORE_START: Final = "complete_before_start"
    DUPLICATE_EVENT: Final = "duplicate_event"  # exact copy of an earlier row: kept once
    DUPLICATE_CASE_ID: Final = "duplicate_case_id"  # a second XES trace with a case id already seen
    UNMATCHED_START: Final = "unmatched_start"  # no longer used: an unfinished start is an open instance
    NOT_STARTED: Final = "never_started"  # schedule/assign rows never followed by a start or an end
    MALFORMED_ROW: Final = "malformed_row"  # wrong number of fields, etc.
    NO_MILESTONES: Final = "no_milestones"  # a wide-table row with no milestone timestamp at all
    # timestamps (issue #13): sentinels, daylight saving, epoch units
    IMPLAUSIBLE_TIMESTAMP: Final = "implausible_timestamp"  # outside [timestamps] min_year..max_year
    NONEXISTENT_TIME: Final = "nonexistent_time"  # local time in a daylight-saving gap
    AMBIGUOUS_TIME: Final = "ambiguous_time"  # local time in a daylight-saving overlap
    MIXED_EPOCH_UNITS: Final = "mixed_epoch_units"  # an epoch cell in another unit than its column

    @classmethod
    def all(cls) -> tuple[str, ...]:
        return tuple(v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str))
