"""The fast paths of ``flowmine.explain`` equal the plain computations they replace: distinct cases
counted for many masks at once, factor values' masks built a block at a time, the sorted median, the
overlap of findings from bit-packed rows, batch sizes from sorted runs, the variant so far spelt once
per hash, a report's deviations as an index, and a prepared (remembered) log's units and results."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowmine
from flowmine.analytics import instances, stored
from flowmine.explain import _explain, _stats, _units, explain, step_card
from flowmine.explain._prepared import DeviationIndex, Prepared, forget, prepared


def _rng() -> np.random.Generator:
    return np.random.default_rng(17)


def test_distinct_cases_of_many_masks_at_once_equal_one_mask_at_a_time() -> None:
    rng = _rng()
    cases = np.array([f"c{i}" for i in rng.integers(0, 400, 1500)], dtype=object)  # many cases repeat
    masks = rng.random((70, cases.size)) < rng.random((70, 1))
    counter = _explain._Cases(cases)
    assert not counter.unique and counter.multi.size > 0
    plain = [int(pd.unique(cases[m]).size) for m in masks]
    assert counter.counts(masks).tolist() == plain == [counter.count(m) for m in masks]
    unique = _explain._Cases(np.array([f"u{i}" for i in range(200)], dtype=object))
    few = rng.random((5, 200)) < 0.3
    assert unique.counts(few).tolist() == few.sum(axis=1).tolist()


def _plain_candidates(units: _units.Units, min_cases: int, within: np.ndarray | None = None,
                      skip: str | None = None) -> tuple[list[tuple[str, str, str]], np.ndarray]:
    """The candidates as they were first written: one value's mask and its cases at a time."""
    scope = np.ones(units.values.size, dtype=bool) if within is None else within
    keys, masks = [], []
    for f in units.factors:
        if f.name == skip:
            continue
        codes, names = pd.factorize(f.labels)
        counts = np.bincount(codes[scope & (codes >= 0)], minlength=len(names))
        for k in np.flatnonzero(counts >= min_cases).tolist():
            mask = scope & (codes == k)
            if pd.unique(units.cases[mask]).size < min_cases or pd.unique(units.cases[scope & ~mask]).size < min_cases:
                continue
            keys.append((f.name, f.kind, str(names[k])))
            masks.append(mask)
    return keys, (np.vstack(masks) if masks else np.zeros((0, units.values.size), dtype=bool))


def test_candidates_built_a_block_at_a_time_equal_the_plain_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = _rng()
    n = 3000
    cases = np.array([f"c{i}" for i in rng.integers(0, 1200, n)], dtype=object)
    many = np.array([f"v{i}" for i in rng.integers(0, 150, n)], dtype=object)  # more values than a block
    many[rng.random(n) < 0.1] = None
    factors = [_units.Factor("many", "case attribute", many),
               _units.Factor("few", "time", np.array(rng.choice(["a", "b", "c"], n), dtype=object))]
    units = _units.Units(rng.lognormal(3, 1, n), cases, factors, "s", False)
    monkeypatch.setattr(_explain, "_BLOCK", 7)
    within = factors[1].labels == "a"
    for args in ((10,), (3,), (10, within, "few")):
        keys, masks = _explain._candidates(units, *args)
        plain_keys, plain_masks = _plain_candidates(units, *args)
        assert keys == plain_keys and len(keys) > 7
        assert np.array_equal(masks, plain_masks) and masks.flags["C_CONTIGUOUS"]


def test_the_sorted_median_is_numpy_s() -> None:
    rng = _rng()
    for n in (1, 2, 3, 10, 11, 1001):
        v = np.sort(rng.lognormal(2, 1, n))
        assert _stats.sorted_median(v) == float(np.median(v))


def test_overlap_of_findings_from_packed_rows_equals_the_single_precision_matrix_product() -> None:
    rng = _rng()
    n = 5000
    base = rng.random(n) < 0.4
    rows = [base]
    for flip in (10, 60, 100, 120, 500):  # the Jaccard index around 0.95 and far from it
        other = base.copy()
        other[rng.choice(n, flip, replace=False)] ^= True
        rows.append(other)
    rows += [rng.random(n) < 0.4, np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)]
    sub = np.vstack(rows)
    f = sub.astype(np.float32)
    inter = f @ f.T
    size = f.sum(axis=1)
    plain = np.triu(inter / np.maximum(size[:, None] + size[None, :] - inter, 1.0) >= _explain.SAME_UNITS, 1)
    fast = _explain._same_units(sub)
    assert np.array_equal(fast, plain) and plain.sum() >= 3 and not plain.all()


def test_batch_sizes_from_sorted_runs_equal_the_group_sizes() -> None:
    rng = _rng()
    resource = np.array(rng.choice(["ann", "bo", "cy", None], 800), dtype=object)
    resource[::37] = np.nan
    times = rng.integers(0, 40, 800).astype(np.int64)
    frame = pd.DataFrame({"r": resource, "c": times})
    plain = frame.groupby(["r", "c"], dropna=False)["c"].transform("size").to_numpy()
    assert _units.same_key_sizes(resource, times).tolist() == plain.tolist()


def test_codes_from_a_factor_s_source_equal_its_labels_factorized() -> None:
    rng = _rng()
    for values in (rng.lognormal(3, 1, 400), rng.integers(0, 5, 400).astype(np.float64),
                   np.where(rng.random(400) < 0.2, np.nan, rng.integers(0, 5, 400)),
                   np.array([0.0, -0.0, 1.0, np.nan] * 50)):
        f = _units.binned("x", "case attribute", values, 4)
        codes, names = pd.factorize(f.labels)
        assert f.codes()[0].tolist() == codes.tolist() and f.codes()[1].tolist() == names.tolist()
    when = pd.Series(pd.to_datetime(rng.integers(1.7e9, 1.75e9, 300), unit="s", utc=True))
    when[::7] = pd.NaT
    for f in _units.time_factors(when, "Asia/Shanghai", "ready"):
        codes, names = pd.factorize(f.labels)
        assert f.source is not None and f.codes()[0].tolist() == codes.tolist()
        assert f.codes()[1].tolist() == names.tolist()
    same = _units.Factor("x", "time", np.array(["a", "a", None, "b"], dtype=object),
                         source=(np.array([0, 1, -1, 2]), np.array(["a", "a", "b"], dtype=object)))
    assert same.codes()[0].tolist() == [0, 0, -1, 1]  # names not distinct: the labels are factorized


def test_sequences_spelt_once_per_hash_equal_one_per_row() -> None:
    acts = np.array(["A", "B", "C", "B", "A", "C"], dtype=object)
    hashes = np.array([5, 9, 5, 7, 9, 1], dtype=np.uint64)  # 5 and 9 twice: spelt as their first sequence
    begins, ends = np.array([0, 1, 2, 0, 3, 4]), np.array([2, 3, 2, 3, 6, 4])
    names: dict[int, str] = {}
    plain = [names.setdefault(int(h), " → ".join(acts[b:e]) if e > b else "(start)")
             for h, b, e in zip(hashes, begins, ends, strict=True)]
    assert _units._spelt(acts, hashes, begins, ends).tolist() == plain


class _Report:
    def __init__(self) -> None:
        self.case_deviations = {"c1": ["skipped: Review"], "c2": [], "c3": ["inserted: Pay", "skipped: Review"],
                                "c4": []}
        self.case_rules = {"c2": ["R1"], "c4": ["R2"]}
        self.case_fitness = pd.Series({"c1": 0.5, "c2": 1.0, "c3": 0.7, "c4": 0.9})


class _SharedReport:
    """A report as ``check`` makes it: the label lists shared by the cases of a variant (one of them the
    same step skipped and inserted), rules broken by some cases (one not among the cases), fitness below
    1 without any label."""

    def __init__(self, n: int = 2_000) -> None:
        rng = np.random.default_rng(5)
        variants = [[], ["skipped: Review"], ["inserted: Pay", "skipped: Review"], ["skipped: Pay", "inserted: Pay"],
                    ["inserted: Zahlung"]]
        picks = rng.integers(0, len(variants), n)
        self.case_deviations = {f"c{i}": variants[v] for i, v in enumerate(picks)}
        self.case_rules = {f"c{i}": (["R1"] if i % 7 == 0 else []) + (["R2"] if i % 11 == 0 else [])
                           for i in range(0, n, 3)}
        self.case_rules["elsewhere"] = ["R1"]
        self.case_fitness = {f"c{i}": (0.8 if i % 13 == 0 else 1.0) for i in range(n)}


@pytest.mark.parametrize("make", [_Report, _SharedReport])
def test_a_report_s_deviation_index_equals_the_loop_over_its_cases(make) -> None:
    report = make()
    index = DeviationIndex(report)

    def plain(names: set[str] | None, concerning: set[str]) -> pd.Series:
        out = {}
        for case, labels in report.case_deviations.items():
            broken = report.case_rules.get(case, [])
            if names is None:
                bad = bool(labels) or bool(broken) or report.case_fitness.get(case, 1.0) < 1.0
            else:
                bad = any(lab.split(": ", 1)[1] in names for lab in labels) or bool(concerning & set(broken))
            out[str(case)] = 1.0 if bad else 0.0
        return pd.Series(out, dtype=np.float64)

    for names, concerning in ((None, set()), ({"Review"}, set()), ({"Pay", "Zahlung"}, {"R1"}), ({"X"}, {"R9"}),
                              ({"Pay"}, {"R2"})):
        got, want = index.deviating(names, concerning), plain(names, concerning)
        pd.testing.assert_series_equal(got, want)
        assert got.index.dtype == want.index.dtype


@pytest.fixture(scope="module")
def finance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = Path(__file__).resolve().parents[1] / "sample_logs"
    store = tmp_path_factory.mktemp("fast") / "store"
    flowmine.Store(store).ingest("finance", [root / "finance_claims.csv"],
                                 mapping=root / "finance_claims.mapping.toml")
    return store


def _same_factors(a: list[_units.Factor], b: list[_units.Factor]) -> None:
    assert [(f.name, f.kind, f.edges) for f in a] == [(f.name, f.kind, f.edges) for f in b]
    for f, g in zip(a, b, strict=True):
        assert f.labels.tolist() == g.labels.tolist(), f.name
        for h in (f, g):  # codes from the labels' source equal the labels factorized
            codes, names = pd.factorize(h.labels)
            assert h.codes()[0].tolist() == codes.tolist() and h.codes()[1].tolist() == names.tolist(), h.name


def test_prepared_units_equal_the_units_computed_plainly(finance: Path) -> None:
    log = stored(finance, "finance")
    forget()
    prep = prepared(log)
    assert prepared(log) is prep  # remembered per version
    inst = instances(log)
    pd.testing.assert_frame_equal(prep.inst, inst)
    step = "GM approval"
    which = inst["activity"] == step
    plain = _units.step_units(inst, log, which, "sojourn_s", measure="sojourn", tz="UTC", bins=4)
    fast = _units.step_units(prep.inst, log, prep.rows(step), "sojourn_s", measure="sojourn", tz="UTC", bins=4,
                             prep=prep)
    assert np.array_equal(plain.values, fast.values) and plain.cases.tolist() == fast.cases.tolist()
    _same_factors(plain.factors, fast.factors)
    values = (inst[which].groupby("case")["repetition"].max() >= 2).astype(np.float64)
    plain = _units.per_case_units(inst, log, values, tz="UTC", bins=4, binary=True, variant=True, step=step)
    fast = _units.per_case_units(prep.inst, log, values, tz="UTC", bins=4, binary=True, variant=True, step=step,
                                 prep=prep)
    _same_factors(plain.factors, fast.factors)


def test_results_on_a_remembered_log_equal_those_on_a_fresh_one(finance: Path) -> None:
    log = stored(finance, "finance")
    forget()
    first = explain(log, step="GM approval", n_boot=200).to_dict(all_factors=True)
    again = explain(log, step="GM approval", n_boot=200).to_dict(all_factors=True)  # the prepared log reused
    fresh = _explain.explain_with(
        log, Prepared(instances(log)), step="GM approval", edge=None, measure=None, min_cases=30, alpha=0.05,
        n_boot=200, confidence=0.95, bins=4, seed=0, timezone=None, interactions=True, definition=None,
        report=None, decompose=True).to_dict(all_factors=True)
    assert first == again == fresh and first["tested"] > 0
    card = step_card(log, "GM approval").to_dict()
    forget()
    assert step_card(log, "GM approval").to_dict() == card


def test_ranks_of_sorted_values_equal_scipy_s_and_give_the_rank_test_s_p_values() -> None:
    from scipy import stats

    rng = _rng()
    values = rng.integers(0, 40, 500).astype(np.float64)  # many ties
    order = np.argsort(values, kind="stable")
    ranks, ties = _stats.sorted_ranks(values[order])
    assert np.array_equal(ranks, stats.rankdata(values)[order])
    _, counts = np.unique(values, return_counts=True)
    assert ties == float(np.sum(counts.astype(np.float64) ** 3 - counts))
    masks = rng.random((6, values.size)) < 0.3
    sums = np.array([ranks[np.flatnonzero(m[order])].sum() for m in masks])
    p = _stats.rank_p(sums, masks.sum(axis=1), values.size, ties)
    assert np.array_equal(p, _stats.rank_test(values, masks))
    for m, pm in zip(masks, p, strict=True):
        assert pm == pytest.approx(stats.mannwhitneyu(values[m], values[~m], method="asymptotic").pvalue)


def test_a_group_s_own_units_give_the_candidates_and_comparison_of_the_group_within_all_units() -> None:
    rng = _rng()
    n = 2000
    cases = np.array([f"c{i}" for i in rng.integers(0, 900, n)], dtype=object)
    factors = [_units.Factor("team", "case attribute", np.array(rng.choice(list("ABCD"), n), dtype=object)),
               _units.Factor("size", "case attribute", np.array(rng.choice(list("xyz"), n), dtype=object))]
    units = _units.Units(rng.lognormal(3, 1, n) * np.where(factors[1].labels == "x", 2.0, 1.0), cases, factors,
                         "s", False)
    within = factors[0].labels == "A"
    opts = {"alpha": 0.05, "min_cases": 20, "n_boot": 200, "confidence": 0.95, "intervals": "findings"}
    keys, masks = _explain._candidates(units, 20, within=within, skip="team")
    plain = _explain._compare(units, keys, masks, within, rng=np.random.default_rng(3), **opts)
    inside = _explain._within(units, within)
    ikeys, imasks = _explain._candidates(inside, 20, skip="team")
    fast = _explain._compare(inside, ikeys, imasks, np.ones(inside.values.size, dtype=bool),
                             rng=np.random.default_rng(3), **opts)
    assert ikeys == keys and np.array_equal(imasks, masks[:, within]) and len(keys) == 3
    pd.testing.assert_frame_equal(fast, plain)
    assert plain["finding"].any()


def test_shares_counted_on_codes_equal_value_counts_with_ties_empty_texts_and_missing_values() -> None:
    from flowmine.explain._card import coded_shares, shares

    rng = _rng()
    pool = np.array(["", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"], dtype=object)
    for size, top in ((0, 5), (7, 3), (400, 5), (3000, 8)):
        values = pool[rng.integers(0, pool.size, size)].astype(object)
        values[rng.random(size) < 0.1] = None
        series = pd.Series(values, dtype=object)
        codes, names = pd.factorize(series)
        assert coded_shares(np.asarray(codes, dtype=np.int64), np.asarray(names, dtype=object), top) == \
            shares(series, top)
    tied = pd.Series(["b", "a", "b", "a", "c"], dtype=object)  # a tie: the first seen first, as value_counts
    codes, names = pd.factorize(tied)
    assert [s["value"] for s in coded_shares(np.asarray(codes), np.asarray(names, dtype=object), 5)] == \
        [s["value"] for s in shares(tied, 5)] == ["b", "a", "c"]


def test_text_columns_coded_once_give_the_factors_of_their_texts() -> None:
    rng = _rng()
    texts = np.array(["", "x", "y", "z"], dtype=object)[rng.integers(0, 4, 500)]
    texts[rng.random(500) < 0.2] = None
    inst = pd.DataFrame({"resource": pd.array(texts, dtype="string[pyarrow]"),
                         "role": pd.array(np.full(500, None), dtype="string[pyarrow]")})
    prep = Prepared(inst)
    rows = np.sort(rng.choice(500, 200, replace=False))
    plain = _units._column("org:resource", "resource", inst["resource"].iloc[rows].reset_index(drop=True), 4)
    fast = _units.coded_factor("org:resource", "resource", prep.coded("resource"), rows)
    assert plain is not None and fast is not None
    assert plain.labels.tolist() == fast.labels.tolist()
    assert [c.tolist() for c in plain.codes()] == [c.tolist() for c in fast.codes()]
    assert _units.coded_factor("org:role", "role", prep.coded("role"), rows) is None  # no role known
    assert prep.coded("role") is not None and Prepared(pd.DataFrame({"resource": [1, 2]})).coded("resource") is None
    sizes = _units.same_key_sizes(inst["resource"].to_numpy(dtype=object)[rows], rows // 7)
    assert sizes.tolist() == _units.same_key_sizes(prep.coded("resource")[0][rows], rows // 7, coded=True).tolist()


def test_cases_counted_from_integer_codes_equal_the_counts_from_the_texts() -> None:
    rng = _rng()
    ids = rng.integers(0, 300, 1200)
    texts = np.array([f"c{i}" for i in ids], dtype=object)
    masks = rng.random((40, ids.size)) < 0.4
    from_texts, from_codes = _explain._Cases(texts), _explain._Cases(texts, ids.astype(np.int64))
    assert from_codes.unique == from_texts.unique
    assert from_codes.counts(masks).tolist() == from_texts.counts(masks).tolist()
    units = _units.Units(np.zeros(ids.size), texts, [], "s", False, case_codes=ids.astype(np.int64))
    assert _explain._n_cases(units) == int(pd.unique(texts).size)
    assert _explain._Cases(np.zeros(0, dtype=object), np.zeros(0, dtype=np.int64)).unique


def test_places_of_an_index_are_remembered_and_none_for_an_unknown_label() -> None:
    prep = Prepared(pd.DataFrame({"activity": ["a"]}))
    index, asked = pd.Index(["x", "y", "z"]), pd.Index(["z", "x"])
    found = prep.places(index, asked)
    assert found is not None and found.tolist() == [2, 0] and prep.places(index, asked) is found
    assert prep.places(index, pd.Index(["x", "w"])) is None


def test_card_parts_from_codes_equal_the_parts_from_texts(finance: Path) -> None:
    from flowmine.explain import _card
    from flowmine.explain._waiting import waiting_parts

    log = stored(finance, "finance")
    prep = prepared(log)
    inst = prep.inst
    step = "GM approval"
    rows = np.flatnonzero(prep.rows(step))
    codes = prep.case_codes()
    before, after = np.maximum(rows - 1, 0), np.minimum(rows + 1, len(inst) - 1)
    has_prev = (rows > 0) & (codes[before] == codes[rows])
    has_next = (rows + 1 < len(inst)) & (codes[after] == codes[rows])
    res = inst["resource"].astype(object)
    here = res.iloc[rows].reset_index(drop=True)
    prev = res.iloc[before].reset_index(drop=True).where(has_prev)
    nxt = res.iloc[after].reset_index(drop=True).where(has_next)
    got = _card._handovers(prep, rows, before, after, has_prev, has_next, 5)
    assert got == (_card.shares((prev + " → " + here).dropna(), 5), _card.shares((here + " → " + nxt).dropna(), 5))
    assert got[0] and got[1]
    which = prep.rows(step)
    plain_frame, plain = waiting_parts(inst, which, None, prep.busy())
    fast_frame, fast = waiting_parts(inst, which, None, prep.busy(), prep.coded("resource"))
    assert fast == plain and plain["instances"] > 0
    pd.testing.assert_frame_equal(fast_frame, plain_frame.reset_index(drop=True))
    attrs = prep.attributes(log)[0]
    positions = prep.case_positions(log)[rows]
    cases = inst["case"].to_numpy(dtype=object)[rows]
    assert _card._case_attributes(attrs, cases, 5, positions, prep.case_table_codes(log)) == \
        _card._case_attributes(attrs, cases, 5, positions)


def test_the_case_columns_are_made_once_per_version_and_are_those_of_any_filter_of_it(finance: Path) -> None:
    """The case attribute table a stored log's units read is its whole version's, whatever the filter: its
    columns and codes are made once per version, and a filter's card is the card made from its own."""
    from flowmine import _remember
    from flowmine.analytics import CaseFilter

    log = stored(finance, "finance")
    days = 86400 * 5
    slow, quick = log.where(CaseFilter(duration_s=(days, None))), log.where(CaseFilter(duration_s=(None, days)))
    forget()
    _remember._READ.clear()
    assert prepared(slow).case_columns(slow) is prepared(quick).case_columns(quick)
    assert prepared(slow).case_table_codes(slow) is prepared(quick).case_table_codes(quick)
    shared = step_card(quick, "GM approval").to_dict()  # on the columns the other filter's log made
    forget()
    _remember._READ.clear()
    assert step_card(quick, "GM approval").to_dict() == shared
    assert shared["cases"] < step_card(log, "GM approval").to_dict()["cases"]  # the filter keeps fewer cases
