"""Check options (issue 19): model tasks the log never records checked as silent, model labels renamed by a
label map, and the one-line errors of unknown labels and bad map files. Figures are compared with pm4py's
own on the net with those transitions made invisible (relative 1e-9)."""

from __future__ import annotations

import json
import warnings
from copy import deepcopy
from pathlib import Path

import pm4py
import pytest

from flowmine import Store
from flowmine.conformance import NO_FITTING_PREFIX, check, read_label_map, read_reference, relabel
from flowmine.errors import InputError, OptionError
from flowmine.models import Layout, Node, ReferenceModel, to_bpmn
from tests.conftest import run_cli, shared_log

REL = 1e-9
#: The log's names of the hand-made model's tasks, and a German model's labels for them.
ENGLISH = {"register": "Anlegen", "check": "Prüfen", "review": "Begutachten", "escalate": "Eskalieren",
           "decide": "Entscheiden"}
#: Variants of the tiny log: every case fits the model once Start and End are silent; escalate never happens.
LOG = {("register", "check", "decide"): 3, ("register", "review", "decide"): 2}


def _bpmn(path: Path, names: dict[str, str]) -> Path:
    """Start task -> register -> (check | review | escalate) -> decide -> End task, tasks named by ``names``."""
    n = {k: names.get(k, k) for k in ("register", "check", "review", "escalate", "decide")}
    nodes = (Node("s", "start", "", 0, 0), Node("t0", "task", "Start", 1, 0), Node("t1", "task", n["register"], 2, 0),
             Node("x1", "xor", "", 3, 0), Node("t2", "task", n["check"], 4, -1), Node("t3", "task", n["review"], 4, 0),
             Node("t4", "task", n["escalate"], 4, 1), Node("x2", "xor", "", 5, 0),
             Node("t5", "task", n["decide"], 6, 0), Node("t6", "task", "End", 7, 0), Node("e", "end", "", 8, 0))
    edges = (("s", "t0"), ("t0", "t1"), ("t1", "x1"), ("x1", "t2"), ("x1", "t3"), ("x1", "t4"), ("t2", "x2"),
             ("t3", "x2"), ("t4", "x2"), ("x2", "t5"), ("t5", "t6"), ("t6", "e"))
    path.write_text(to_bpmn(Layout("P", "Options", nodes, edges)), encoding="utf-8")
    return path


def _log_store(tmp_path: Path) -> Store:
    rows = ["case,activity,timestamp"]
    case = 0
    for trace, count in LOG.items():
        for _ in range(count):
            case += 1
            rows += [f"c{case},{act},2025-01-0{case} 0{i}:00" for i, act in enumerate(trace)]
    src = tmp_path / "tiny.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    store = Store(tmp_path / "s")
    store.ingest("tiny", [str(src)])
    return store


def _silenced(model: ReferenceModel, labels: set[str]) -> ReferenceModel:
    """The net with ``labels`` made invisible by hand, as pm4py users do it (not through ``relabel``)."""
    net, im, fm = deepcopy((model.net, model.im, model.fm))
    for t in net.transitions:
        if t.label in labels:
            t.label = None
    return ReferenceModel(net, im, fm, model.source)


def _pm4py(df, m: ReferenceModel) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return (pm4py.fitness_alignments(df, m.net, m.im, m.fm)["log_fitness"],
                pm4py.precision_token_based_replay(df, m.net, m.im, m.fm))


def _figures(report) -> dict:
    """What must not depend on how the model's labels are spelt."""
    return {"fitness": report.fitness, "share": report.fitting_cases_share, "precision": report.precision,
            "prefixes": report.precision_prefixes, "steps": report.steps.to_dict("records"),
            "escaping": report.escaping_edges.to_dict("records"), "cases": report.case_fitness.to_dict()}


@pytest.mark.parametrize("fmt", ["bpmn", "pnml"])
def test_silent_start_and_end_fit_and_equal_pm4py(tmp_path, fmt):
    store = _log_store(tmp_path)
    ref = _bpmn(tmp_path / "m.bpmn", {})
    if fmt == "pnml":
        m = read_reference(ref)
        ref = tmp_path / "m.pnml"
        pm4py.write_pnml(m.net, m.im, m.fm, str(ref))
    df = store.load("tiny")
    plain = check(store, "tiny", reference=ref, with_impact=False)
    raw_fit, raw_prec = _pm4py(df, read_reference(ref))
    assert plain.fitness < 1.0 and plain.fitness == pytest.approx(raw_fit, rel=REL)
    assert plain.precision == pytest.approx(raw_prec, rel=REL)
    assert plain.precision_warning == NO_FITTING_PREFIX and plain.labels.unmatched_model == ["End", "Start", "escalate"]
    assert plain.silent == [] and plain.to_dict()["silent"] == [] and plain.to_dict()["label_map"] == {}

    report = check(store, "tiny", reference=ref, silent=["Start", "End"], with_impact=False)
    fit, prec = _pm4py(df, _silenced(read_reference(ref), {"Start", "End"}))
    # every case fits (case fitness 1); pm4py's log fitness still counts each silent step at cost 1 (of 10000)
    assert report.fitting_cases_share == 1.0 and report.average_case_fitness == 1.0
    assert report.fitness == pytest.approx(fit, rel=REL) and 0.9999 < report.fitness < 1.0
    assert report.precision == pytest.approx(prec, rel=REL) and report.precision < 1.0  # escalate escapes
    assert report.precision_warning is None and report.precision_prefixes["fitting"] > 0
    assert report.labels.unmatched_model == ["escalate"]
    assert not report.steps.activity.isin(["Start", "End"]).any()  # no longer steps that every case skips
    assert report.silent == ["End", "Start"] and report.to_dict()["silent"] == ["End", "Start"]
    replay = check(store, "tiny", reference=ref, silent=("Start", "End"), method="token-replay",
                   with_impact=False)
    assert replay.fitness == 1.0


def test_cli_silent_and_warning(tmp_path):
    store = _log_store(tmp_path)
    ref = _bpmn(tmp_path / "m.bpmn", {})
    base = ("check", "--store", str(store.path), "--process", "tiny", "--reference", str(ref), "--json", "-")
    plain = run_cli(*base)
    assert plain.returncode == 0, plain.stderr
    assert "warning: precision rests on no fitting prefix" in plain.stderr
    res = run_cli(*base, "--silent", "Start, End")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    api = check(store, "tiny", reference=ref, silent=["Start", "End"])
    assert data["fitting_cases_share"] == 1.0 and data["average_case_fitness"] == 1.0
    assert data["fitness"] == api.fitness and data["precision"] == api.precision and data["silent"] == ["End", "Start"]
    assert data["precision_warning"] is None and "warning:" not in res.stderr
    assert "model labels checked as silent: End, Start" in res.stderr


def test_label_map_equals_a_model_labelled_with_the_log_names(tmp_path):
    store = _log_store(tmp_path)
    english = _bpmn(tmp_path / "en.bpmn", {})
    german = _bpmn(tmp_path / "de.bpmn", ENGLISH)
    to_log = {de: en for en, de in ENGLISH.items()}
    unmapped = check(store, "tiny", reference=german, silent=["Start", "End"], with_impact=False)
    unmatched_log = unmapped.labels.unmatched_log
    assert unmapped.fitness < 0.5 and unmatched_log == sorted(set(ENGLISH) - {"escalate"})  # the map matters
    mapped = check(store, "tiny", reference=german, silent=["Start", "End"], label_map=to_log, with_impact=False)
    same = check(store, "tiny", reference=english, silent=["Start", "End"], with_impact=False)
    assert _figures(mapped) == _figures(same) and mapped.fitting_cases_share == 1.0
    assert mapped.label_map == to_log and mapped.to_dict()["label_map"] == dict(sorted(to_log.items()))
    # the file formats give the same map, and the CLI the same figures
    toml = tmp_path / "map.toml"
    toml.write_text("[labels]\n" + "".join(f'"{de}" = "{en}"\n' for de, en in to_log.items()), encoding="utf-8")
    csv = tmp_path / "map.csv"
    csv.write_text("model_label,log_activity\n" + "".join(f"{de},{en}\n" for de, en in to_log.items()),
                   encoding="utf-8")
    assert read_label_map(toml) == read_label_map(csv) == to_log
    for path in (toml, csv):
        res = run_cli("check", "--store", str(store.path), "--process", "tiny", "--reference", str(german),
                      "--silent", "Start,End", "--label-map", str(path), "--json", "-")
        assert res.returncode == 0, res.stderr
        data = json.loads(res.stdout)
        assert (data["fitness"], data["precision"]) == (same.fitness, same.precision)
        assert data["label_map"] == dict(sorted(to_log.items()))


def test_relabel_leaves_the_model_read_unchanged(tmp_path):
    m = read_reference(_bpmn(tmp_path / "m.bpmn", {}))
    before = m.labels
    r = relabel(m, silent=["Start"], label_map={"decide": "Decide claim"})
    assert m.labels == before and "Start" in m.labels
    assert r.labels == sorted({*before} - {"Start", "decide"} | {"Decide claim"})
    assert relabel(m) is m
    assert len(r.net.transitions) == len(m.net.transitions)
    assert {p.name for p in r.im} <= {p.name for p in r.net.places} and all(p in r.net.places for p in r.fm)


def test_unknown_labels_name_the_closest(tmp_path):
    store = _log_store(tmp_path)
    ref = _bpmn(tmp_path / "m.bpmn", {})
    with pytest.raises(OptionError, match=r"silent label 'Strat' is not in the model \(closest: 'Start'"):
        check(store, "tiny", reference=ref, silent=["Strat", "End"])
    with pytest.raises(OptionError, match=r"label map's model label 'registr' is not in the model "
                                          r"\(closest: 'register'"):
        check(store, "tiny", reference=ref, label_map={"registr": "register"})
    with pytest.raises(OptionError, match=r"'zzz' is not in the model \(its labels: 'End', 'Start', 'check'"):
        check(store, "tiny", reference=ref, silent=["zzz"])  # nothing close: the model's labels instead
    assert check(store, "tiny", reference=ref, silent="Start", with_impact=False).silent == ["Start"]  # one label
    with pytest.raises(OptionError, match="'Start' is both silent and in the label map"):
        check(store, "tiny", reference=ref, silent=["Start"], label_map={"Start": "Begin"})
    res = run_cli("check", "--store", str(store.path), "--process", "tiny", "--reference", str(ref),
                  "--silent", "Strat,End", "--json", "-")
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.strip().splitlines() == [
        "error: --silent: check: silent label 'Strat' is not in the model (closest: 'Start')"]


BAD_MAPS = {
    "no_table.toml": ('title = "x"\n', "expected a non-empty [labels] table"),
    "not_toml.toml": ("[labels\n", "not valid TOML"),
    "number.toml": ('[labels]\n"decide" = 3\n', "'decide' is not mapped to a non-empty string"),
    "header.csv": ("from,to\ndecide,Decide\n", "expected the header model_label,log_activity"),
    "columns.csv": ("model_label,log_activity\ndecide,Decide,extra\n", "row 2: expected two non-empty columns"),
    "twice.csv": ("model_label,log_activity\ndecide,A\ndecide,B\n", "row 3: model label 'decide' is mapped twice"),
    "map.txt": ("decide=Decide\n", "a label map must be .toml or .csv, got '.txt'"),
}


@pytest.mark.parametrize("name", sorted(BAD_MAPS))
def test_bad_label_map_files_are_one_line(tmp_path, name):
    content, message = BAD_MAPS[name]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("(", r"\(")):
        read_label_map(path)


def test_cli_bad_or_missing_label_map_exits_2(tmp_path):
    store = _log_store(tmp_path)
    ref = _bpmn(tmp_path / "m.bpmn", {})
    bad = tmp_path / "bad.csv"
    bad.write_text("from,to\n", encoding="utf-8")
    for path, message in ((bad, "expected the header model_label,log_activity"),
                          (tmp_path / "missing.toml", "label map not found")):
        res = run_cli("check", "--store", str(store.path), "--process", "tiny", "--reference", str(ref),
                      "--label-map", str(path), "--json", "-")
        assert res.returncode == 2 and "Traceback" not in res.stderr
        assert res.stderr.strip().splitlines() == [f"error: {path}: {message}"]


def test_running_example_label_map_round_trip(tmp_path):
    """The running example's model with every task renamed, checked through the inverse map, gives the
    original figures (BPMN and PNML), and does not without the map."""
    xes, bpmn = shared_log("running-example.xes"), shared_log("running-example.bpmn")
    store = Store(tmp_path / "s")
    store.ingest("real", [str(xes)])
    original = read_reference(bpmn)
    forward = {lab: f"Schritt {i}" for i, lab in enumerate(original.labels)}
    back = {new: old for old, new in forward.items()}
    renamed_bpmn = tmp_path / "renamed.bpmn"
    text = bpmn.read_text(encoding="utf-8")
    for old, new in forward.items():
        assert text.count(f'name="{old}"') == 1
        text = text.replace(f'name="{old}"', f'name="{new}"')
    renamed_bpmn.write_text(text, encoding="utf-8")
    renamed_pnml = tmp_path / "renamed.pnml"
    m = relabel(read_reference(shared_log("running-example.pnml")), label_map=forward)
    pm4py.write_pnml(m.net, m.im, m.fm, str(renamed_pnml))
    for ref, renamed in ((bpmn, renamed_bpmn), (shared_log("running-example.pnml"), renamed_pnml)):
        want = check(store, "real", reference=ref, with_impact=False)
        assert read_reference(renamed).labels == sorted(back)
        assert check(store, "real", reference=renamed, with_impact=False).fitness < want.fitness
        got = check(store, "real", reference=renamed, label_map=back, with_impact=False)
        assert _figures(got) == _figures(want)
