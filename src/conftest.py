"""What the docstring examples run against (``pytest --doctest-modules src/flowmine``, in ``make test``).

Examples name the store ``STORE``: the path of a store holding ``finance``, ingested once per test
session from ``sample_logs/finance_claims.csv`` with its mapping (the numbers the examples show are
that sample's, as in the README), and ``TMP``, a fresh directory to write to. They run from the
repository root, so the sample logs, models and initiatives are found by their relative paths. This
file lives outside the package, so it is never installed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def _doctest_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    from flowmine.store import Store

    path = tmp_path_factory.mktemp("doctest") / "store"
    samples = ROOT / "sample_logs"
    Store(path).ingest("finance", [samples / "finance_claims.csv"], mapping=samples / "finance_claims.mapping.toml")
    return os.fspath(path)


@pytest.fixture(autouse=True)
def _doctest_globals(request: pytest.FixtureRequest, doctest_namespace: dict[str, object],
                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not isinstance(request.node, pytest.DoctestItem):
        return
    monkeypatch.chdir(ROOT)
    doctest_namespace["TMP"] = os.fspath(tmp_path)
    source = "\n".join(ex.source for ex in request.node.dtest.examples)
    if "STORE" in source:  # only the examples that read it pay for the store
        doctest_namespace["STORE"] = request.getfixturevalue("_doctest_store")
