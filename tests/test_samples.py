"""The bundled samples (``flowmine.samples``): found through the package, whatever the working directory, and all
of them declared as package data so the wheel carries them (``tests/test_wheel.py`` checks the built wheel)."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path

import pytest

import flowmine
from flowmine import samples
from flowmine.errors import OptionError

ROOT = Path(__file__).resolve().parents[1]


def test_the_samples_are_the_index_entries_in_order():
    index = tomllib.loads((samples.folder() / samples.INDEX).read_text(encoding="utf-8"))
    expected = [e["process"] for e in index["log"]] + [e["process"] for e in index["extract"]]
    assert samples.names() == expected == ["sales", "procurement", "production", "finance", "sales_dirty",
                                           "sales_sap"]
    assert [s.name for s in samples.catalogue()] == expected


def test_path_and_mapping_name_the_files_inside_the_package(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing depends on the working directory
    package = Path(str(resources.files("flowmine.samples")))
    assert samples.path("procurement") == package / "data" / "procurement_events_gbk.csv"
    assert samples.mapping("procurement") == package / "data" / "procurement_events_gbk.mapping.toml"
    for sample in samples.catalogue():
        assert sample.file.is_file(), sample
        assert sample.truth is not None and sample.truth.is_file(), sample
        assert (sample.mapping is not None and sample.mapping.is_file()) == (sample.kind == "log"), sample
    sap = samples.get("sales_sap")
    assert (sap.kind, sap.profile, sap.timezone, sap.object_types) == (
        "extract", "sap-o2c", "Asia/Shanghai", ("order", "delivery", "invoice"))
    assert samples.mapping("sales_sap") is None


def test_an_unknown_sample_names_the_closest():
    with pytest.raises(OptionError, match=r"no sample named 'procurment'.*did you mean 'procurement'"):
        samples.path("procurment")
    with pytest.raises(OptionError, match=r"the samples are sales, procurement, .*sales_sap\)$"):
        samples.get("xyz")


def test_a_sample_ingests_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report = flowmine.Store("store").ingest("sales_dirty", [samples.path("sales_dirty")],
                                           mapping=samples.mapping("sales_dirty"))
    totals = report.totals()
    assert (totals["events_loaded"], totals["rows_quarantined"]) == (44, 6)  # the dirty file's planted rows


def test_every_sample_file_is_package_data_and_the_checkout_link_points_there():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["flowmine"]
    package = ROOT / "src" / "flowmine"
    files = [p for p in (package / "samples" / "data").rglob("*") if p.is_file()]
    unshipped = [p.name for p in files if not any(fnmatch(p.relative_to(package).as_posix(), pat) for pat in patterns)]
    assert files and unshipped == []
    assert sum(p.stat().st_size for p in files) < 20 * 2**20  # the wheel stays small
    assert (ROOT / "sample_logs").resolve() == (package / "samples" / "data").resolve()


def test_the_distribution_name_is_not_the_import_name():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "flowmine-pm"  # "flowmine" on PyPI is another project
    assert project["scripts"] == {"flowmine": "flowmine.cli:run"}
    assert project["license"] == "AGPL-3.0-or-later"
