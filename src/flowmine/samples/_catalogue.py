"""The sample logs shipped inside the package, found through :mod:`importlib.resources`.

``data/samples.toml`` indexes them: one ``[[log]]`` per event log (file, mapping, ground truth) and one
``[[extract]]`` per ERP table export (file, extraction profile, time zone, object types). A sample is
known by the process it is ingested into (``procurement``, ``sales_sap``, ...). Nothing here depends on
the working directory, so a notebook or ``flowmine demo`` finds the samples from any folder once the
package is installed.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from flowmine.errors import OptionError

#: The file in :func:`folder` that lists the samples.
INDEX = "samples.toml"


@dataclass(frozen=True)
class Sample:
    """One bundled sample: the log (or ERP export) ``file``, its ``mapping`` and ``truth`` (what the
    simulator planted), all as paths inside the installed package.

    ``kind`` is ``"log"`` (an event log: ``store.ingest(name, [file], mapping=mapping)``) or
    ``"extract"`` (ERP tables: ``flowmine.extract.extract(profile, [file], timezone=timezone)``, then
    flattened on each of ``object_types``).
    """

    name: str
    kind: str
    file: Path
    mapping: Path | None = None
    truth: Path | None = None
    profile: str | None = None
    timezone: str | None = None
    object_types: tuple[str, ...] = ()


def folder() -> Path:
    """The installed folder holding ``samples.toml`` and the sample files (``flowmine demo --samples``).

    Raises :class:`~flowmine.errors.OptionError` if the package was installed without its data or as a
    zip that is not unpacked (the samples must be files a reader can open).

    >>> (folder() / "samples.toml").is_file()
    True
    """
    data = resources.files("flowmine.samples") / "data"
    if not isinstance(data, Path) or not (data / INDEX).is_file():
        raise OptionError(f"flowmine's sample data is not installed as files (looked in {data}); "
                          "reinstall the package from its wheel")
    return data


def _catalogue() -> dict[str, Sample]:
    root = folder()
    doc = tomllib.loads((root / INDEX).read_text(encoding="utf-8"))

    def at(entry: dict[str, str], key: str) -> Path | None:
        return root / entry[key] if entry.get(key) else None

    found: dict[str, Sample] = {}
    for entry in doc.get("log", []):
        found[entry["process"]] = Sample(entry["process"], "log", root / entry["file"], mapping=at(entry, "mapping"),
                                         truth=at(entry, "truth"))
    for entry in doc.get("extract", []):
        found[entry["process"]] = Sample(entry["process"], "extract", root / entry["file"], truth=at(entry, "truth"),
                                         profile=entry["profile"], timezone=entry.get("timezone", "UTC"),
                                         object_types=tuple(entry.get("object_types", ())))
    return found


def names() -> list[str]:
    """The names of the bundled samples, in the index's order (event logs first, then ERP exports).

    >>> names()
    ['sales', 'procurement', 'production', 'finance', 'sales_dirty', 'sales_sap']
    """
    return list(_catalogue())


def catalogue() -> list[Sample]:
    """Every bundled sample, in the order of :func:`names`.

    >>> [s.file.name for s in catalogue() if s.kind == "extract"]
    ['sap_o2c_export.zip']
    """
    return list(_catalogue().values())


def get(name: str) -> Sample:
    """The sample called ``name``; an unknown name raises :class:`~flowmine.errors.OptionError` naming
    the closest ones.

    >>> get("finance").mapping.name
    'finance_claims.mapping.toml'
    """
    catalogue = _catalogue()
    if name not in catalogue:
        close = difflib.get_close_matches(name, list(catalogue), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise OptionError(f"no sample named {name!r} (the samples are {', '.join(catalogue)}){hint}",
                          parameter="name", function="flowmine.samples.get")
    return catalogue[name]


def path(name: str) -> Path:
    """The path of the sample ``name``'s file (the log, or the ERP export for an extract sample).

    >>> path("procurement").name
    'procurement_events_gbk.csv'
    """
    return get(name).file


def mapping(name: str) -> Path | None:
    """The path of the sample ``name``'s mapping (``None`` for an ERP export, which has a profile).

    >>> mapping("procurement").name
    'procurement_events_gbk.mapping.toml'
    """
    return get(name).mapping
