"""ETConformance precision over the prefix trie: hand-computed nets, pm4py's own figure (relative 1e-9) on
real and random logs, the escaping edges per step, and the warning of a precision with no fitting prefix."""

from __future__ import annotations

import json
import random
import warnings
from collections import Counter
from copy import deepcopy
from pathlib import Path

import pm4py
import pytest
from pm4py.objects.log.obj import Event, EventLog, Trace
from pm4py.objects.petri_net.obj import Marking, PetriNet
from pm4py.objects.petri_net.utils.petri_utils import add_arc_from_to

from flowmine import Store
from flowmine.conformance import (
    CHECK_PHASES,
    ESCAPING_COLUMNS,
    NO_FITTING_PREFIX,
    check,
    precision,
    read_reference,
    replay_prefixes,
)
from flowmine.discovery import Variants, collect_variants
from flowmine.models import ReferenceModel
from tests.conftest import run_cli, shared_log

REL = 1e-9
SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


def _net(arcs: list[tuple[str, str, str]], start: str, end: str) -> ReferenceModel:
    """A net from ``(place, transition, place)`` triples; a transition named ``tau...`` is silent."""
    net = PetriNet("hand")
    places: dict[str, PetriNet.Place] = {}
    trans: dict[str, PetriNet.Transition] = {}
    for src, t, dst in arcs:
        for p in (src, dst):
            if p not in places:
                places[p] = PetriNet.Place(p)
                net.places.add(places[p])
        if t not in trans:
            trans[t] = PetriNet.Transition(t, None if t.startswith("tau") else t)
            net.transitions.add(trans[t])
        add_arc_from_to(places[src], trans[t], net)
        add_arc_from_to(trans[t], places[dst], net)
    return ReferenceModel(net, Marking({places[start]: 1}), Marking({places[end]: 1}), "hand")


def _variants(log: dict[tuple[str, ...], int]) -> Variants:
    return Variants.of((t, n, [f"{'-'.join(t)}#{i}" for i in range(n)]) for t, n in log.items())


def _pm4py(model: ReferenceModel, log: dict[tuple[str, ...], int]) -> float:
    el = EventLog([Trace([Event({"concept:name": a}) for a in t]) for t, n in log.items() for _ in range(n)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(pm4py.precision_token_based_replay(el, model.net, model.im, model.fm))


#: a, then b or c, then d
CHOICE = [("p0", "a", "p1"), ("p1", "b", "p2"), ("p1", "c", "p2"), ("p2", "d", "p3")]
#: a, then b any number of times, then (through a silent step) c
LOOP = [("p0", "a", "p1"), ("p1", "b", "p1"), ("p1", "tau", "p2"), ("p2", "c", "p3")]


def test_choice_by_hand():
    m = _net(CHOICE, "p0", "p3")
    both = {("a", "b", "d"): 3, ("a", "c", "d"): 1}
    # enabled x cases: start {a} 4, after a {b, c} 2 x 4, after ab {d} 3, after ac {d} 1 = 16; nothing escapes
    p = replay_prefixes(m, _variants(both))
    assert (p.value, p.enabled, p.escaping, p.prefixes, p.fitting_prefixes) == (1.0, 16, 0, 8, 8)
    assert p.escaping_edges.empty and list(p.escaping_edges.columns) == list(ESCAPING_COLUMNS)
    one = {("a", "b", "d"): 2}
    p = replay_prefixes(m, _variants(one))  # after a the model allows c, no case does it: 2 of 8 escape
    assert (p.value, p.enabled, p.escaping) == (0.75, 8, 2)
    assert p.escaping_edges.to_dict("records") == [
        {"step": "a", "activity": "c", "occurrences": 2, "cases": 2, "step_occurrences": 2, "rate": 1.0}]
    assert p.value == _pm4py(m, one) and precision(m, _variants(both)) == _pm4py(m, both)


def test_loop_and_silent_step_by_hand():
    m = _net(LOOP, "p0", "p3")
    log = {("a", "b", "b", "c"): 1, ("a", "c"): 1}
    # start {a} x2; after a {b, c} x2, both done next; after ab {b, c} x1, c escapes; after abb {b, c} x1, b
    # escapes: enabled 2 + 4 + 2 + 2 = 10, escaping 2. c after a is reached through the silent step.
    p = replay_prefixes(m, _variants(log))
    assert (p.enabled, p.escaping, p.value) == (10, 2, 0.8)
    assert p.value == pytest.approx(_pm4py(m, log), rel=REL)
    rows = {(r["step"], r["activity"]): r for r in p.escaping_edges.to_dict("records")}
    assert set(rows) == {("b", "b"), ("b", "c")}
    for r in rows.values():  # the b step is passed twice (ab, abb), by one case; each escape once
        assert (r["occurrences"], r["cases"], r["step_occurrences"], r["rate"]) == (1, 1, 2, 0.5)
    assert int(p.escaping_edges.occurrences.sum()) == p.escaping


def test_non_fitting_prefixes_and_unknown_activities():
    m = _net(CHOICE, "p0", "p3")
    # x is not in the model: pm4py's replay skips it, so "a x" still fits (at p1: b and c enabled, b done next)
    log = {("a", "x", "b", "d"): 1, ("b", "d"): 2}
    p = replay_prefixes(m, _variants(log))
    # start {a} x3 (b escapes? no: b is a start activity but not enabled; a is enabled and done) -> 3, 0;
    # "a" {b,c} next {x}: 2, 2; "a x" {b,c} next {b}: 2, 1; "a x b" {d}: 1, 0; "b" (2 cases) does not fit
    assert (p.enabled, p.escaping, p.prefixes, p.fitting_prefixes) == (8, 3, 5, 3)
    assert p.value == pytest.approx(_pm4py(m, log), rel=REL) and p.warning is None
    assert not (p.escaping_edges.step == "b").any()  # a non-fitting prefix has no escaping edge


def test_no_fitting_prefix_warns():
    """The issue's case: the model's first step never occurs, every prefix fails and precision is 0."""
    m = _net([("s", "Start", "p0"), *CHOICE, ("p3", "End", "e")], "s", "e")
    log = {("a", "b", "d"): 5, ("a", "c", "d"): 2}
    p = replay_prefixes(m, _variants(log))
    assert (p.value, p.prefixes, p.fitting_prefixes, p.warning) == (0.0, 14, 0, NO_FITTING_PREFIX)
    assert p.value == _pm4py(m, log)
    assert p.escaping_edges.to_dict("records") == [
        {"step": None, "activity": "Start", "occurrences": 7, "cases": 7, "step_occurrences": 7, "rate": 1.0}]
    single = replay_prefixes(m, _variants({("a",): 3}))  # no prefix at all: nothing to warn about
    assert single.prefixes == 0 and single.warning is None


def test_empty_log_and_a_comma_in_a_name():
    m = _net(CHOICE, "p0", "p3")
    empty = replay_prefixes(m, _variants({}))
    assert (empty.value, empty.enabled, empty.prefixes) == (1.0, 0, 0)
    # pm4py joins a prefix with "," and replays the split key: "a,b" is replayed as a then b
    log = {("a,b", "d"): 2, ("a", "b", "d"): 1, ("a", "c"): 1}
    assert precision(m, _variants(log)) == pytest.approx(_pm4py(m, log), rel=REL)


def test_duplicate_labels_equal_pm4py():
    """Two transitions labelled a: the replay fires an enabled one, as pm4py's does (same net objects)."""
    m = _net([("p0", "a1", "p1"), ("p0", "a2", "p2"), ("p1", "b", "p3"), ("p2", "c", "p3"), ("p3", "tau", "p1")],
             "p0", "p3")
    for t in m.net.transitions:
        if t.name in ("a1", "a2"):
            t.label = "a"
    log = {("a", "b"): 2, ("a", "c"): 1, ("a", "c", "b", "b"): 1}
    p = replay_prefixes(m, _variants(log))
    assert p.value == pytest.approx(_pm4py(m, log), rel=REL) and 0 < p.fitting_prefixes < p.prefixes


def _random_case(seed: int) -> tuple[ReferenceModel, dict[tuple[str, ...], int]]:
    """A random process tree (loops, silent steps, parallelism) as a net, and its playout perturbed."""
    from pm4py.algo.simulation.playout.petri_net import algorithm as playout
    from pm4py.algo.simulation.tree_generator import algorithm as tree_gen

    random.seed(seed)
    tree = tree_gen.apply(parameters={"min": 4, "mode": 6, "max": 9, "loop": 0.3, "silent": 0.2,
                                      "parallel": 0.25, "choice": 0.25, "sequence": 0.2})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net, im, fm = pm4py.convert_to_petri_net(tree)
        played = playout.apply(net, im, fm, parameters={"noTraces": 25, "maxTraceLength": 16})
    acts = [*sorted({t.label for t in net.transitions if t.label}), "zz"]
    rng = random.Random(seed)
    log: Counter[tuple[str, ...]] = Counter()
    for tr in played:
        t = [e["concept:name"] for e in tr]
        for _ in range(rng.randint(0, 2)):  # deletions, swaps and insertions: non-fitting prefixes
            k = rng.randint(0, 2)
            if k == 0 and len(t) > 1:
                del t[rng.randrange(len(t))]
            elif k == 1 and len(t) > 1:
                i = rng.randrange(len(t) - 1)
                t[i], t[i + 1] = t[i + 1], t[i]
            else:
                t.insert(rng.randrange(len(t) + 1), rng.choice(acts))
        log[tuple(t)] += 1
    return ReferenceModel(net, im, fm, f"random tree {seed}"), dict(log)


@pytest.mark.parametrize("seed", range(25))
def test_random_nets_equal_pm4py(seed):
    m, log = _random_case(seed)
    p = replay_prefixes(m, _variants(log))
    assert p.value == pytest.approx(_pm4py(m, log), rel=REL)
    assert int(p.escaping_edges.occurrences.sum()) == p.escaping


def _stored(tmp_path: Path, name: str):
    store = Store(tmp_path / "s")
    store.ingest("real", [str(shared_log(name))])
    return collect_variants(store, "real"), store.load("real")


def _pm4py_df(df, m: ReferenceModel) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(pm4py.precision_token_based_replay(df, m.net, m.im, m.fm))


def _inductive(df, noise: float) -> ReferenceModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net, im, fm = pm4py.discover_petri_net_inductive(df, noise_threshold=noise)
    return ReferenceModel(net, im, fm, f"pm4py inductive miner, noise {noise}")


@pytest.mark.parametrize("name", ["running-example.xes", "roadtraffic100traces.xes", "06_bpic2013_closed.xes.gz",
                                  "08_receipt.xes.gz", "helpdesk.xes.gz"])
def test_real_logs_against_inductive_models_equal_pm4py(tmp_path, name):
    v, df = _stored(tmp_path, name)
    for noise in (0.0, 0.2):
        m = _inductive(df, noise)
        assert precision(m, v) == pytest.approx(_pm4py_df(df, m), rel=REL)


def test_running_example_models_equal_pm4py(tmp_path):
    v, df = _stored(tmp_path, "running-example.xes")
    for model in ("running-example.bpmn", "running-example.pnml"):
        m = read_reference(shared_log(model))
        assert precision(m, v) == pytest.approx(_pm4py_df(df, m), rel=REL)


def test_sepsis_full_log_equals_pm4py(tmp_path):
    """The full Sepsis log against its hand-drawn model (pm4py about 7 s) and an IMf 0.2 model (about 11 s)."""
    v, df = _stored(tmp_path, "Sepsis Cases - Event Log.xes.gz")
    for m in (read_reference(shared_log("sepsis.bpmn")), _inductive(df, 0.2)):
        p = replay_prefixes(m, v)
        assert p.value == pytest.approx(_pm4py_df(df, m), rel=REL)
        events = sum(n * len(t) for t, n in zip(v.traces, v.counts.tolist(), strict=True))
        assert 0 < p.fitting_prefixes < p.prefixes == events - v.n_cases  # n - 1 prefixes per case of n events


@pytest.fixture(scope="module")
def finance(tmp_path_factory) -> Store:
    st = Store(tmp_path_factory.mktemp("prec") / "s")
    st.ingest("finance", [str(SAMPLES / "finance_claims.csv")], mapping=SAMPLES / "finance_claims.mapping.toml")
    return st


def test_check_reports_escaping_edges(finance):
    parts: list[str] = []
    report = check(finance, "finance", with_impact=False, progress=parts.append)
    assert parts == list(CHECK_PHASES)  # each part named once, in order, as it starts
    p = replay_prefixes(report.model, collect_variants(finance, "finance").renamed(report.labels.mapping))
    assert report.precision == p.value and report.precision_warning is None
    assert report.escaping_edges.equals(p.escaping_edges)
    assert report.precision_prefixes == {"total": p.prefixes, "fitting": p.fitting_prefixes}
    data = report.to_dict()
    assert data["escaping_edges"] == json.loads(json.dumps(p.escaping_edges.to_dict("records")))
    assert data["precision_prefixes"] == report.precision_prefixes and data["precision_warning"] is None
    assert check(finance, "finance", with_precision=False, with_impact=False).to_dict()["escaping_edges"] == []


def _with_start_and_end(model: ReferenceModel, path: Path) -> Path:
    """The model with a visible Start before it and End after it (tasks no log has): a PNML file."""
    net, im, fm = deepcopy((model.net, model.im, model.fm))  # the model read stays as it was
    s, e = PetriNet.Place("fm_start"), PetriNet.Place("fm_end")
    start, end = PetriNet.Transition("fm_t_start", "Start"), PetriNet.Transition("fm_t_end", "End")
    net.places.update({s, e})
    net.transitions.update({start, end})
    add_arc_from_to(s, start, net)
    for p in im:
        add_arc_from_to(start, p, net)
    for p in fm:
        add_arc_from_to(p, end, net)
    add_arc_from_to(end, e, net)
    pm4py.write_pnml(net, Marking({s: 1}), Marking({e: 1}), str(path))
    return path


def test_check_and_cli_warn_of_no_fitting_prefix(finance, tmp_path):
    model = read_reference(SAMPLES.parent / "src/flowmine/processes/definitions/finance/model.bpmn")
    ref = _with_start_and_end(model, tmp_path / "start_end.pnml")
    report = check(finance, "finance", reference=ref, with_impact=False)
    assert report.precision_warning == NO_FITTING_PREFIX and report.precision == 0.0
    assert report.precision_prefixes["total"] > 0 and report.precision_prefixes["fitting"] == 0
    out = tmp_path / "r.json"
    res = run_cli("check", "--store", str(finance.path), "--process", "finance", "--reference", str(ref),
                  "--json", str(out))
    assert res.returncode == 0, res.stderr
    assert "warning: precision rests on no fitting prefix" in res.stdout
    assert "after (start) -> Start" in res.stdout
    assert json.loads(out.read_text("utf-8"))["precision_warning"] == NO_FITTING_PREFIX
