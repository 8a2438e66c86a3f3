"""The public API is small, explicit and sorted; everything in it is importable from the top level."""

from __future__ import annotations

import flowmine


def test_all_is_sorted_and_complete():
    assert flowmine.__all__ == sorted(flowmine.__all__)
    for name in flowmine.__all__:
        assert getattr(flowmine, name) is not None


def test_error_tree_has_one_root_and_exit_codes():
    for name in ("InputError", "UnsafeInputError", "UnusableInputError", "MappingError", "StoreError",
                 "ProcessNotFoundError", "StrictModeError"):
        assert issubclass(getattr(flowmine, name), flowmine.FlowmineError)
    assert flowmine.StrictModeError.exit_code == 1 and flowmine.InputError.exit_code == 2


def test_licence_is_agpl():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    meta = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["license"] == "AGPL-3.0-or-later"
    assert "GNU AFFERO GENERAL PUBLIC LICENSE" in (root / "LICENSE").read_text(encoding="utf-8")[:200]
