"""The declared-parameter validator (flowmine._params): each constraint kind, the decorator, and the
public functions that declare their options, each refusing with the exact one-line message."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import flowmine
from flowmine._params import (
    Duration,
    InstanceOf,
    Interval,
    Options,
    check_call,
    check_params,
    declared,
    options_of,
    validate_params,
)
from flowmine.errors import AnalyticsError, FlowmineError, OptionError

SRC = Path(flowmine.__file__).parent


def _refusal(declaration: dict, value: object, error: type[OptionError] = OptionError) -> str:
    with pytest.raises(error) as err:
        check_params("f", declaration, {"x": value}, error)
    assert err.value.parameter == "x" and err.value.function == "f"
    return str(err.value)


def test_interval_of_ints_closed() -> None:
    port = {"x": [Interval(int, 1, 65535)]}
    for ok in (1, 8050, 65535, np.int64(8050)):
        check_params("f", port, {"x": ok})
    assert _refusal(port, 0) == "The 'x' parameter of f must be an int in the range [1, 65535]. Got 0 instead."
    assert _refusal(port, 65536) == "The 'x' parameter of f must be an int in the range [1, 65535]. Got 65536 instead."
    assert _refusal(port, True) == "The 'x' parameter of f must be an int in the range [1, 65535]. Got True instead."
    assert _refusal(port, 80.0) == "The 'x' parameter of f must be an int in the range [1, 65535]. Got 80.0 instead."
    assert _refusal(port, "80") == "The 'x' parameter of f must be an int in the range [1, 65535]. Got '80' instead."


def test_interval_of_floats_open_and_none() -> None:
    seconds = {"x": [Interval(float, 0, None, closed="neither"), None]}
    for ok in (None, 0.5, 10, np.float32(2.5)):
        check_params("f", seconds, {"x": ok})
    for bad, shown in ((0, "0"), (-1.0, "-1.0"), (float("nan"), "nan"), ("1", "'1'")):
        assert _refusal(seconds, bad) == (
            f"The 'x' parameter of f must be a float in the range (0, inf) or None. Got {shown} instead.")
    share = {"x": [Interval(float, 0, 1)]}
    assert _refusal(share, 1.5) == "The 'x' parameter of f must be a float in the range [0, 1]. Got 1.5 instead."
    half_open = {"x": [Interval(float, 0, 1, closed="left")]}
    assert _refusal(half_open, 1) == "The 'x' parameter of f must be a float in the range [0, 1). Got 1 instead."
    assert _refusal({"x": [Interval(int, None, 0)]}, 1) == (
        "The 'x' parameter of f must be an int in the range (-inf, 0]. Got 1 instead.")


def test_options_keep_the_declared_order() -> None:
    by = {"x": [Options(("day", "week", "month")), None]}
    check_params("f", by, {"x": "week"})
    check_params("f", by, {"x": None})
    assert _refusal(by, "year") == (
        "The 'x' parameter of f must be one of {'day', 'week', 'month'} or None. Got 'year' instead.")
    assert _refusal({"x": [Options(("a",))]}, ["a"]) == (
        "The 'x' parameter of f must be one of {'a'}. Got ['a'] instead.")


def test_duration() -> None:
    limit = {"x": [Duration()]}
    for ok in (timedelta(hours=1), pd.Timedelta("2D"), 0, 3600.5, "30d", "3wd", "48h", " 1.5d "):
        check_params("f", limit, {"x": ok})
    expected = "a duration (a timedelta, seconds >= 0, or text like '30d', '3wd', '48h')"
    for bad, shown in (("30 days", "'30 days'"), (-1, "-1"), (timedelta(days=-1), "datetime.timedelta(days=-1)"),
                       (True, "True"), ("", "''")):
        assert _refusal(limit, bad) == f"The 'x' parameter of f must be {expected}. Got {shown} instead."


def test_types_and_instance_of() -> None:
    assert _refusal({"x": [str]}, 8050) == "The 'x' parameter of f must be an instance of str. Got 8050 instead."
    assert _refusal({"x": [InstanceOf(int)]}, False) == (
        "The 'x' parameter of f must be an instance of int. Got False instead.")
    assert _refusal({"x": [InstanceOf(int, float)]}, "1") == (
        "The 'x' parameter of f must be an instance of {'int', 'float'}. Got '1' instead.")
    assert _refusal({"x": [Interval(int, 1, None), Options(("all",)), None]}, 0) == (
        "The 'x' parameter of f must be an int in the range [1, inf), one of {'all'} or None. Got 0 instead.")


def test_a_long_value_is_shown_on_one_line() -> None:
    frame = pd.DataFrame({"a": range(50)})
    message = _refusal({"x": [str]}, frame)
    assert "\n" not in message and message.endswith("... instead.") and len(message) < 200


def test_the_error_class_is_the_declarer_s() -> None:
    with pytest.raises(AnalyticsError, match=r"^The 'x' parameter of f must be one of \{'a'\}\. Got 'b' instead\.$"):
        check_params("f", {"x": [Options("a")]}, {"x": "b"}, AnalyticsError)
    check_params("f", {"x": [Options("a")]}, {"y": "anything"})  # undeclared parameters are not checked


def test_validate_params_checks_positional_keyword_and_default_calls() -> None:
    @validate_params({"n": [Interval(int, 1, None)], "how": [Options(("a", "b"))]})
    def f(log: object, n: int = 1, how: str = "a") -> tuple[int, str]:
        """Doc."""
        return n, how

    assert f(None) == (1, "a") and f(None, 2, how="b") == (2, "b")
    with pytest.raises(OptionError, match=r"^The 'n' parameter of f must be an int in the range \[1, inf\)\. Got 0"):
        f(None, 0)
    with pytest.raises(OptionError, match=r"^The 'how' parameter of f must be one of \{'a', 'b'\}\. Got 'c'"):
        f(None, how="c")
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):  # Python's own, as unwrapped
        f(None, colour="red")
    assert f.__doc__ == "Doc." and f.__name__ == "f"
    assert options_of(f, "how") == ("a", "b") and set(declared(f)) == {"n", "how"}
    with pytest.raises(OptionError, match="'how' parameter of f"):
        check_call(f, how="z")
    check_call(f, how="b", n=3)
    check_call(lambda **kw: None, how="z")  # nothing declared, nothing to check


def test_a_wrong_declaration_fails_when_it_is_made() -> None:
    with pytest.raises(TypeError, match=r"declares parameters it does not take: \['m'\]"):
        @validate_params({"m": [int]})
        def g(n: int) -> None: ...
    with pytest.raises(TypeError, match="unknown constraint 'int'"):
        validate_params({"n": ["int"]})  # type: ignore[list-item]
    with pytest.raises(TypeError, match="kind must be int or float"):
        Interval(str, 0, 1)


# --- the public functions that declare their options ---------------------------------------------
def test_public_functions_refuse_an_option_before_any_work(tmp_path: Path) -> None:
    from flowmine.analytics import bottlenecks, profile, slowest_cases
    from flowmine.conformance import check
    from flowmine.dashboard import serve
    from flowmine.discovery import discover_model
    from flowmine.monitor import monitor
    from flowmine.report import build_report
    from flowmine.simulate import simulate

    nowhere = tmp_path / "no-store"  # never opened: the option is refused first
    cases = [
        (lambda: serve(nowhere, port=0), OptionError,
         "The 'port' parameter of serve must be an int in the range [1, 65535]. Got 0 instead."),
        (lambda: serve(nowhere, host=None), OptionError,
         "The 'host' parameter of serve must be an instance of str. Got None instead."),
        (lambda: check(nowhere, "p", method="x"), OptionError,
         "The 'method' parameter of check must be one of {'alignments', 'token-replay'}. Got 'x' instead."),
        (lambda: check(nowhere, "p", max_seconds=-1.0), OptionError,
         "The 'max_seconds' parameter of check must be a float in the range (0, inf) or None. Got -1.0 instead."),
        (lambda: check(nowhere, "p", engine="rust"), OptionError,
         "The 'engine' parameter of check must be one of {'r4pm', 'pm4py'}. Got 'rust' instead."),
        (lambda: monitor(nowhere, baseline=0), OptionError,
         "The 'baseline' parameter of monitor must be an int in the range [1, inf). Got 0 instead."),
        (lambda: build_report(nowhere, "p", lang="fr"), OptionError,
         "The 'lang' parameter of build_report must be one of {'en', 'zh'}. Got 'fr' instead."),
        (lambda: profile(pd.DataFrame(), top=-1), AnalyticsError,
         "The 'top' parameter of profile must be an int in the range [0, inf). Got -1 instead."),
        (lambda: profile(pd.DataFrame(), by="year"), AnalyticsError,
         "The 'by' parameter of profile must be one of {'day', 'week', 'month'} or None. Got 'year' instead."),
        (lambda: profile(pd.DataFrame(), n_boot=-5), AnalyticsError,
         "The 'n_boot' parameter of profile must be an int in the range [0, inf). Got -5 instead."),
        (lambda: bottlenecks(pd.DataFrame(), confidence=1.0), AnalyticsError,
         "The 'confidence' parameter of bottlenecks must be a float in the range (0, 1). Got 1.0 instead."),
        (lambda: slowest_cases(pd.DataFrame(), "A", n=-1), AnalyticsError,
         "The 'n' parameter of slowest_cases must be an int in the range [0, inf). Got -1 instead."),
        (lambda: discover_model(None, "alpha"), OptionError,  # type: ignore[arg-type]
         "The 'algorithm' parameter of discover_model must be one of {'inductive', 'heuristics', 'dfg'}. "
         "Got 'alpha' instead."),
        (lambda: discover_model(None, noise=1.5), OptionError,  # type: ignore[arg-type]
         "The 'noise' parameter of discover_model must be a float in the range [0, 1]. Got 1.5 instead."),
        (lambda: simulate("finance", 0), OptionError,
         "The 'cases' parameter of simulate must be an int in the range [1, inf). Got 0 instead."),
    ]
    for call, error, message in cases:
        with pytest.raises(error) as err:
            call()
        assert str(err.value) == message
        assert isinstance(err.value, ValueError) and isinstance(err.value, FlowmineError)
    assert not nowhere.exists()


def test_simulate_refuses_a_rate_for_a_deviation_the_process_cannot_plant() -> None:
    from flowmine.simulate import simulate

    with pytest.raises(OptionError) as err:
        simulate("sales", 20, rates={"four_eyes": 0.5, "skip": 0.1})
    assert str(err.value) == ("The 'rates' option of simulate names deviation kinds sales cannot plant: "
                              "['four_eyes']; it plants ['skip', 'swap', 'insert', 'late']")
    with pytest.raises(OptionError, match=r"^unknown process 'hr': the 'process' parameter of simulate must be"):
        simulate("hr", 10)


def test_the_map_sliders_are_shares() -> None:
    from flowmine.discovery import process_map

    with pytest.raises(OptionError) as err:
        process_map(pd.DataFrame(), activities=2)
    assert str(err.value) == (
        "The 'activities' parameter of process_map must be a float in the range [0, 1]. Got 2 instead.")


def test_a_missing_column_is_a_key_error_and_a_value_error() -> None:
    from flowmine.errors import MissingColumnError
    from flowmine.processes import Rule, check_rules

    absent = Rule("r1", "absence", "No X", "无X", {"activity": "X"})
    with pytest.raises(MissingColumnError) as err:
        check_rules(pd.DataFrame({"x": [1]}), [absent])
    assert isinstance(err.value, KeyError) and isinstance(err.value, ValueError)
    assert str(err.value) == "the events need the columns 'case:concept:name', 'concept:name' and 'time:timestamp'"


# --- plain builtin raises only for programming errors ---------------------------------------------
_PLAIN = re.compile(r"\braise (ValueError|KeyError|TypeError)\b")


def plain_raises_without_reason(source: str) -> list[int]:
    """Line numbers of a ``raise ValueError|KeyError|TypeError`` that carries no ``# reason`` comment."""
    return [n for n, line in enumerate(source.splitlines(), 1) if _PLAIN.search(line) and "  # " not in line]


def test_the_raise_scan_finds_a_planted_plain_raise() -> None:
    planted = ('def f(x):\n    if x:\n        raise ValueError(f"bad {x}")\n'
               '    raise KeyError(x)  # a programming error: every x is listed\n')
    assert plain_raises_without_reason(planted) == [3]


def test_no_plain_builtin_error_is_raised_for_a_user_mistake() -> None:
    """A plain ValueError/KeyError/TypeError stays only as a programming-error guard, with its reason."""
    found = {str(p.relative_to(SRC)): lines for p in sorted(SRC.rglob("*.py"))
             if (lines := plain_raises_without_reason(p.read_text(encoding="utf-8")))}
    assert found == {}
