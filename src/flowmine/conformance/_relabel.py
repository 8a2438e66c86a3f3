"""Check options on the model's labels: tasks that are never logged, and labels renamed at check time.

A reference model often has tasks no log records (a ``Start`` and an ``End`` task, a manual hand-over):
every case then misses them, fitness drops and precision, whose first prefix needs the first task, rests
on no fitting prefix. :func:`relabel` makes such **silent** labels invisible (tau) transitions and renames
others through a **label map** (model label -> log activity), on a copy of the net, so that alignments,
token replay, precision, fitness and deviations all read the same net. The renamed labels are then
matched to the log's activities as any label is (``match_labels``: normalisation and the definition's
aliases). :func:`read_label_map` reads the map from a TOML ``[labels]`` table or a two-column CSV.
"""

from __future__ import annotations

import csv
import difflib
import os
from collections.abc import Iterable, Mapping
from copy import deepcopy
from pathlib import Path

from flowmine._toml import read_toml
from flowmine.errors import InputError, OptionError
from flowmine.models import ReferenceModel

#: The file formats of a label map, by extension.
LABEL_MAP_FORMATS = (".toml", ".csv")


def relabel(model: ReferenceModel, silent: Iterable[str] = (), label_map: Mapping[str, str] | None = None
            ) -> ReferenceModel:
    """The model with the ``silent`` labels made invisible and the others renamed by ``label_map``.

    Parameters
    ----------
    model : ReferenceModel
    silent : iterable of str
        Model labels of tasks that are never logged (``Start``, ``End``): their transitions become silent.
    label_map : mapping, optional
        Model label -> log activity. Labels not in it keep their name.

    Returns
    -------
    ReferenceModel
        A new model (the given one is left as it was); the same object when there is nothing to change.

    Raises
    ------
    flowmine.errors.OptionError
        A label that is not one of the model's (with the closest ones), or one both silent and mapped.

    Examples
    --------
    >>> from flowmine.conformance import read_reference
    >>> m = read_reference("src/flowmine/processes/definitions/finance/model.bpmn")
    >>> r = relabel(m, silent=["Cashier payment"], label_map={"GM approval": "General manager approval"})
    >>> "Cashier payment" in r.labels, "General manager approval" in r.labels, "GM approval" in r.labels
    (False, True, False)
    >>> relabel(m, silent=["Cashier paymnet"])
    Traceback (most recent call last):
    ...
    flowmine.errors.OptionError: check: silent label 'Cashier paymnet' is not in the model (closest: 'Cashier payment')
    """
    quiet, renames = sorted(set(silent)), dict(label_map or {})
    if not quiet and not renames:
        return model
    known = model.labels
    _known_labels(quiet, known, "silent")
    _known_labels(renames, known, "label_map")
    both = sorted(set(quiet) & set(renames))
    if both:
        raise OptionError(f"check: {_quoted(both)} both silent and in the label map; give each label one of them",
                          parameter="silent", function="check")
    net, im, fm = deepcopy((model.net, model.im, model.fm))  # one copy, so the markings keep the net's places
    for t in net.transitions:
        if t.label in quiet:
            t.label = None
        elif t.label in renames:
            t.label = renames[t.label]
    return ReferenceModel(net, im, fm, model.source)


def _known_labels(labels: Iterable[str], known: list[str], parameter: str) -> None:
    """Raise one line naming the labels that are not the model's, each with its closest model labels."""
    unknown = [lab for lab in labels if lab not in known]
    if not unknown:
        return
    what = "silent label" if parameter == "silent" else "label map's model label"
    parts = []
    for lab in unknown:
        close = difflib.get_close_matches(lab, known, n=3, cutoff=0.5)
        parts.append(f"{lab!r} is not in the model (closest: {', '.join(map(repr, close))})" if close
                     else f"{lab!r} is not in the model (its labels: {', '.join(map(repr, known[:10]))})")
    raise OptionError(f"check: {what} {'; '.join(parts)}", parameter=parameter, function="check")


def _quoted(names: list[str]) -> str:
    return ", ".join(map(repr, names)) + (" is" if len(names) == 1 else " are")


def read_label_map(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read a label map (model label -> log activity) from a file.

    ``.toml``: a ``[labels]`` table, ``"Model label" = "log activity"``. ``.csv`` (UTF-8): two columns,
    model label then log activity, with the header ``model_label,log_activity``.

    Raises
    ------
    flowmine.errors.InputError
        Missing or unreadable file, another extension, no ``[labels]`` table, a value that is not a
        non-empty string, a row without two columns, a model label given twice (one line, naming the place).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "map.toml"
    >>> _ = p.write_text('[labels]\\n"GM approval" = "General manager approval"\\n', encoding="utf-8")
    >>> read_label_map(p)
    {'GM approval': 'General manager approval'}
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in LABEL_MAP_FORMATS:
        raise InputError(str(p), f"a label map must be .toml or .csv, got {suffix or 'no extension'!r}")
    return _toml_map(p) if suffix == ".toml" else _csv_map(p)


def _toml_map(p: Path) -> dict[str, str]:
    doc = read_toml(p, "label map not found")
    table = doc.get("labels")
    if not isinstance(table, dict) or not table:
        raise InputError(str(p), 'expected a non-empty [labels] table of "model label" = "log activity"')
    bad = [k for k, v in table.items() if not isinstance(v, str) or not v.strip()]
    if bad:
        raise InputError(str(p), f"[labels] {_quoted(bad)} not mapped to a non-empty string (a log activity)")
    return {str(k): v for k, v in table.items()}


def _csv_map(p: Path) -> dict[str, str]:
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(str(p), "label map not found") from None
    except UnicodeDecodeError:
        raise InputError(str(p), "not UTF-8 text") from None
    except OSError as exc:
        raise InputError(str(p), f"cannot be read ({exc.strerror or exc})") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, [])
    if [c.strip() for c in header] != ["model_label", "log_activity"]:
        raise InputError(str(p), "expected the header model_label,log_activity")
    out: dict[str, str] = {}
    for row in reader:
        if not any(c.strip() for c in row):
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise InputError(str(p), f"row {reader.line_num}: expected two non-empty columns (model label, "
                                     f"log activity), got {row!r}")
        if row[0] in out:
            raise InputError(str(p), f"row {reader.line_num}: model label {row[0]!r} is mapped twice")
        out[row[0]] = row[1]
    if not out:
        raise InputError(str(p), "no rows after the header model_label,log_activity")
    return out
