"""The public API is small, explicit and sorted: every package's ``__init__`` is its door (httpx's model).

For ``flowmine`` and each of its packages: ``__all__`` is sorted and names only what exists, nothing
private, everything documented, defined in the package or re-exported deliberately; every public
function or class the door holds is in ``__all__``. And no module imports another package's private
module (``lint-imports`` checks the same with its ``private_modules`` contract; this scan says which
line, and is tested against planted snippets so it can fail).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import flowmine
import flowmine.discovery
import flowmine.models

SRC = Path(flowmine.__file__).resolve().parent
PACKAGES = ["flowmine", *sorted(f"flowmine.{m.name}" for m in pkgutil.iter_modules([str(SRC)])
                                if m.ispkg and not m.name.startswith("_"))]

#: Names a door takes from another package on purpose (moved there; kept where notebooks found them).
REEXPORTED = {
    "flowmine.conformance": {"ReferenceModel", "read_reference"},  # reading a reference model: flowmine.models
    "flowmine.discovery": {"Variants", "bpmn_layout", "layered_layout", "to_svg"},  # analytics, models
    "flowmine.analytics": {"AnalyticsError", "TooManyActivitiesError"},  # defined in flowmine.errors
    "flowmine.engines": {"EngineUnavailableError"},  # defined in flowmine.errors
}
#: Public names in a door that are the package's own plumbing, shared by its modules (not API).
PLUMBING = {
    # the command modules' helpers
    "flowmine.cli": {"dashboard_user_app", "fail", "log_variants", "mapping_app", "spark_variants"},
}


def _kind(name: str) -> int:
    """isort-style order, as ruff's RUF022 sorts ``__all__``: CONSTANTS, then Classes, then functions."""
    return 0 if name.isupper() or (name.upper() == name and "_" in name) else 1 if name[0].isupper() else 2


def _door(package: str) -> types.ModuleType:
    return importlib.import_module(package)


def _own(value: object, package: str) -> bool:
    module = getattr(value, "__module__", None) or ""
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_sorted_and_names_what_exists(package):
    door = _door(package)
    names = door.__all__
    assert len(names) == len(set(names)), f"{package}.__all__ repeats a name"
    private = [n for n in names if n.startswith("_")]
    assert not private, f"{package}.__all__ exports private names {private}"
    assert names == sorted(names, key=lambda n: (_kind(n), n)), f"{package}.__all__ is not sorted"
    missing = [n for n in names if not hasattr(door, n)]
    assert not missing, f"{package}.__all__ names {missing}, which the door does not have"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_export_is_documented(package):
    door = _door(package)
    text = inspect.getdoc(door) or ""
    undocumented = []
    for name in door.__all__:
        value = getattr(door, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            own = value.__dict__.get("__doc__") if inspect.isclass(value) else value.__doc__
            if not (own or "").strip():
                undocumented.append(name)
        elif not re.search(rf"\b{re.escape(name)}\b", text) and not _commented(package, name):
            undocumented.append(name)  # a constant: named in the door's docstring, or `#:` above it
    assert not undocumented, f"{package}: exported without a docstring (or a #: comment) {undocumented}"


def _commented(package: str, name: str) -> bool:
    """Whether a module of ``package`` defines ``name`` right under a ``#:`` comment (or with one)."""
    folder = SRC if package == "flowmine" else SRC / package.split(".")[1]
    files = folder.glob("*.py") if package == "flowmine" else folder.rglob("*.py")
    pattern = re.compile(rf"^(?:[A-Za-z_][\w, ]*,\s*)?{re.escape(name)}\b[\w, ]*(?::[^=\n]*)?=")
    for path in files:
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if pattern.match(line) and ((i and lines[i - 1].lstrip().startswith("#:")) or "#:" in line):
                return True
    return False


@pytest.mark.parametrize("package", PACKAGES)
def test_exports_are_the_packages_own_or_deliberate(package):
    door = _door(package)
    scope = "flowmine" if package == "flowmine" else package
    foreign = [n for n in door.__all__
               if (inspect.isclass(getattr(door, n)) or inspect.isfunction(getattr(door, n)))
               and not _own(getattr(door, n), scope) and n not in REEXPORTED.get(package, set())]
    assert not foreign, f"{package} exports {foreign} from elsewhere without saying so (REEXPORTED)"


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_function_and_class_of_the_door_is_exported(package):
    door = _door(package)
    scope = "flowmine" if package == "flowmine" else package
    held = {n for n, v in vars(door).items()
            if not n.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v)) and _own(v, scope)}
    forgotten = sorted(held - set(door.__all__) - PLUMBING.get(package, set()))
    assert not forgotten, f"{package} holds public {forgotten} that __all__ does not export"


def test_the_door_check_can_fail(monkeypatch):
    """A door that exports a private or missing name, or forgets one, fails the checks above."""
    monkeypatch.setattr(flowmine.models, "__all__", [*flowmine.models.__all__, "_route"])
    with pytest.raises(AssertionError, match="private names"):
        test_all_is_sorted_and_names_what_exists("flowmine.models")
    without_curve = [n for n in flowmine.models.__all__ if n not in ("_route", "curve")]
    monkeypatch.setattr(flowmine.models, "__all__", without_curve)
    with pytest.raises(AssertionError, match=r"\['curve'\]"):
        test_every_public_function_and_class_of_the_door_is_exported("flowmine.models")
    monkeypatch.setattr(flowmine.models, "__all__", ["Layout", "UNSUPPORTED"])
    with pytest.raises(AssertionError, match="not sorted"):
        test_all_is_sorted_and_names_what_exists("flowmine.models")
    monkeypatch.setattr(flowmine.models, "__all__", ["UNSUPPORTED", "Layout", "no_such_thing"])
    with pytest.raises(AssertionError, match="no_such_thing"):
        test_all_is_sorted_and_names_what_exists("flowmine.models")
    monkeypatch.setattr(flowmine.models, "__all__", ["Layout", "Node", "layered_layout"])
    monkeypatch.setattr(flowmine.models.Node, "__doc__", None)
    with pytest.raises(AssertionError, match=r"\['Node'\]"):
        test_every_export_is_documented("flowmine.models")
    monkeypatch.setattr(flowmine.discovery, "__all__", ["FORMATS", "layered_layout", "write_model"])
    monkeypatch.setitem(REEXPORTED, "flowmine.discovery", set())
    with pytest.raises(AssertionError, match=r"\['layered_layout'\]"):
        test_exports_are_the_packages_own_or_deliberate("flowmine.discovery")


# --- no package imports another package's private module ------------------------------------------------


def private_imports(source: str, module: str) -> list[str]:
    """``line: target`` of every import in ``source`` (the text of ``module``) that reaches into another
    package's private part: ``flowmine.<pkg>._x`` (or ``from flowmine.<pkg> import _x``) outside ``<pkg>``.
    Imports inside functions count too. The core modules (``flowmine._schema``, ...) belong to every package."""
    parts = module.split(".")
    own = parts[1] if len(parts) > 1 else ""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            targets = [(node.module, a.name) for a in node.names]
        else:
            continue
        for target, name in targets:
            path = target.split(".")
            if path[0] != "flowmine" or len(path) < 2 or path[1].startswith("_") or path[1] == own:
                continue
            inner = path[2:] + ([name] if name is not None else [])
            if any(p.startswith("_") and not p.startswith("__") for p in inner):
                found.append(f"{node.lineno}: {target}" + (f" import {name}" if name else ""))
    return found


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    return ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)


def test_no_package_imports_another_packages_private_module():
    offending = []
    for path in sorted(SRC.rglob("*.py")):
        name = _module_name(path)
        offending += [f"{name}:{hit}" for hit in private_imports(path.read_text(encoding="utf-8"), name)]
    assert not offending, "private modules of another package imported:\n" + "\n".join(offending)


def test_the_private_import_scan_can_fail():
    planted = ("from flowmine.analytics import stored\n"
               "from flowmine._schema import CASE\n"
               "from flowmine.discovery._map import ProcessMap\n"
               "def later():\n"
               "    from flowmine.analytics._sql import scratch\n"
               "    import flowmine.store._store as mod\n"
               "    from flowmine.processes import _rule\n")
    assert private_imports(planted, "flowmine.conformance._check") == [
        "3: flowmine.discovery._map import ProcessMap",
        "5: flowmine.analytics._sql import scratch",
        "6: flowmine.store._store",
        "7: flowmine.processes import _rule",
    ]
    # the same imports inside their own package are its business
    assert private_imports("from flowmine.analytics._sql import scratch\n", "flowmine.analytics._held") == []
    assert private_imports("from flowmine.analytics._sql import scratch\n", "flowmine.analytics") == []


# --- the top-level door --------------------------------------------------------------------------------


def test_error_tree_has_one_root_and_exit_codes():
    for name in ("InputError", "UnsafeInputError", "UnusableInputError", "MappingError", "StoreError",
                 "ProcessNotFoundError", "StrictModeError"):
        assert issubclass(getattr(flowmine, name), flowmine.FlowmineError)
    assert flowmine.StrictModeError.exit_code == 1 and flowmine.InputError.exit_code == 2


def test_spark_is_found_through_its_entry_point_without_analytics_importing_it():
    """A fresh process: profile(engine='spark') finds the adapter the distribution declares; nothing
    imported flowmine.engines before (analytics never does)."""
    probe = ("import sys\n"
             "import flowmine.analytics._sql as s\n"
             "before = 'flowmine.engines' in sys.modules\n"
             "opener = s.registered_engine('spark')\n"
             "from flowmine.engines import open_spark\n"
             "print(before, opener is open_spark, 'pyspark' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True", "False"]  # found on demand; pyspark loads only when used


def test_profile_on_spark_without_a_registered_engine_says_what_to_import(monkeypatch):
    import pandas as pd

    from flowmine.analytics import AnalyticsError, _sql, profile

    monkeypatch.setattr(_sql, "OPENERS", {})
    monkeypatch.setattr(_sql, "ENGINE_ENTRY_POINTS", "flowmine.no-such-group")
    log = pd.DataFrame({"case:concept:name": ["1"], "concept:name": ["A"],
                        "time:timestamp": pd.to_datetime(["2025-01-01"], utc=True)})
    with pytest.raises(AnalyticsError) as raised:
        profile(log, engine="spark")
    assert str(raised.value) == "profile(engine='spark') needs the Spark engine: import flowmine.engines"


def test_canonical_table_refuses_a_filtered_log_that_only_as_table_can_read():
    from flowmine.analytics import AnalyticsError, CaseFilter, StoredLog
    from flowmine.analytics._log import canonical_table

    filtered = StoredLog(store=None, process="p", filters=(CaseFilter(cases=["1"]),))  # type: ignore[arg-type]
    with pytest.raises(AnalyticsError, match=r"use flowmine\.analytics\.as_table$"):
        canonical_table(filtered)


def test_the_doors_load_neither_dash_nor_numba():
    """The CLI's door, the dashboard's (auth-file helpers) and analytics' import without Dash or numba:
    ``create_app``/``serve`` and the compiled passes load on first use."""
    import subprocess
    import sys

    code = ("import sys, flowmine, flowmine.cli, flowmine.dashboard, flowmine.analytics; "
            "print(sorted(m for m in ('dash', 'numba', 'flowmine.analytics._fast') if m in sys.modules)); "
            "flowmine.analytics.fast_path_available(); flowmine.dashboard.create_app; "
            "print(sorted(m for m in ('dash', 'flowmine.analytics._fast') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "['dash', 'flowmine.analytics._fast']"]


def test_licence_is_agpl():
    import tomllib

    root = Path(__file__).resolve().parents[1]
    meta = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["license"] == "AGPL-3.0-or-later"
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in (root / "LICENSE").read_text(encoding="utf-8")[:200]


def test_one_public_helper_each_for_ready_times_microseconds_and_busy_spans():
    """When an instance became ready, timestamps as UTC microseconds and a resource's merged busy spans
    are analytics' public helpers, which explain and the simulation model's discovery import (no private
    copies)."""
    import numpy as np
    import pandas as pd

    import flowmine.analytics as analytics
    import flowmine.explain._card as card
    import flowmine.explain._units as units
    import flowmine.simulation._discover as discover

    for name in ("ready_times", "to_micros", "busy_spans"):
        assert name in analytics.__all__
    assert card.ready_times is units.ready_times is discover.ready_times is analytics.ready_times
    assert discover.to_micros is analytics.to_micros and discover.busy_spans is analytics.busy_spans
    assert not any(hasattr(discover, n) for n in ("_micros", "_ready")) and not hasattr(units, "_ready_times")

    t = pd.to_datetime(pd.Series(["2025-01-01 00:00:00", "2025-01-01 00:00:01", "2025-01-01 00:00:05",
                                  "2025-01-01 00:00:09", None]), utc=True)
    inst = pd.DataFrame({"ready": [t[0], None, None, None], "enabling_complete": [None, t[1], None, None],
                         "start": [t[1], t[2], t[1], None], "complete": [t[2], t[3], t[3], t[3]],
                         "resource": ["x", "x", "y", "x"]})
    assert analytics.ready_times(inst).tolist() == [t[0], t[1], t[1], t[3]]
    assert analytics.to_micros(t[:2]).tolist() == [1_735_689_600_000_000, 1_735_689_601_000_000]
    spans = analytics.busy_spans(inst)  # x: [1, 5] and [5, 9] touch, one span; the unstarted one is left out
    s0 = 1_735_689_600_000_000
    assert {k: (v[0] - s0).tolist() for k, v in spans.items()} == {"x": [1_000_000], "y": [1_000_000]}
    assert {k: (v[1] - s0).tolist() for k, v in spans.items()} == {"x": [9_000_000], "y": [9_000_000]}
    assert np.asarray(spans["x"][0]).dtype == np.int64
