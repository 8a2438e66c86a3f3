"""One error tree: every exception class is in ``flowmine.errors``, under ``FlowmineError``, drawn in its docstring."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import flowmine
from flowmine import errors

SRC = Path(flowmine.__file__).parent
_ERROR_BASE = re.compile(r"(Error|Exception|Warning|Exit|Interrupt)$")
_TREE_LINE = re.compile(r"^[ │├└─]*(?P<name>[A-Z][A-Za-z]+)\b.*\(exit (?P<code>\d)\)\s*$")


def exception_classes(source: str) -> list[str]:
    """Names of the classes in ``source`` that derive (by name) from an exception or warning class."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            names = [b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else ""
                     for b in node.bases]
            if any(_ERROR_BASE.search(n) for n in names):
                found.append(node.name)
    return found


def _tree() -> list[tuple[int, str, int]]:
    """(depth, class name, exit code) of every line of the tree drawn in ``errors.__doc__``."""
    rows = []
    for line in (errors.__doc__ or "").splitlines():
        line = line[4:]  # the literal block's indent
        match = _TREE_LINE.match(line)
        if match:
            rows.append((match.start("name") // 4, match.group("name"), int(match.group("code"))))
    return rows


def _classes() -> dict[str, type]:
    return {name: obj for name, obj in vars(errors).items()
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == errors.__name__}


def test_the_scan_finds_a_planted_exception_class() -> None:
    planted = ("import flowmine.errors as fe\n"
               "class Oops(ValueError):\n    pass\n"
               "def f():\n    class Inner(fe.FlowmineError):\n        pass\n"
               "class Plain(dict):\n    pass\n"
               "class Quiet(UserWarning):\n    pass\n")
    assert exception_classes(planted) == ["Oops", "Quiet", "Inner"]


def test_no_exception_class_is_defined_outside_errors_py() -> None:
    outside = {str(path.relative_to(SRC)): names for path in sorted(SRC.rglob("*.py"))
               if path.name != "errors.py" or path.parent != SRC
               if (names := exception_classes(path.read_text(encoding="utf-8")))}
    assert outside == {}
    assert exception_classes((SRC / "errors.py").read_text(encoding="utf-8")) == list(_classes())


def test_every_error_descends_from_the_root_and_is_drawn_with_its_parent_and_exit_code() -> None:
    classes = _classes()
    assert all(issubclass(cls, errors.FlowmineError) for cls in classes.values())
    tree = _tree()
    assert [name for _, name, _ in tree] == list(classes)  # each class once, in the module's order
    parents: list[str] = []
    for depth, name, code in tree:
        del parents[depth:]
        cls = classes[name]
        assert cls.exit_code == code, name
        if parents:
            assert cls.__bases__[0] is classes[parents[-1]], name
        else:
            assert cls is errors.FlowmineError
        parents.append(name)


def test_the_tree_reader_sees_a_wrong_parent() -> None:
    """The docstring check can fail: a line drawn one level too deep gets another parent."""
    deep = _TREE_LINE.match("│   │   └── StrictModeError   x (exit 1)")
    assert deep is not None and deep.group("name") == "StrictModeError" and deep.start("name") // 4 == 3
    root = _TREE_LINE.match("FlowmineError   root (exit 2)")
    assert root is not None and root.start("name") == 0
    assert _TREE_LINE.match("├── StrictModeError   --strict, no exit code") is None


@pytest.mark.parametrize(("cls", "builtin"), [
    (errors.OptionError, ValueError),
    (errors.AnalyticsError, ValueError),
    (errors.TooManyActivitiesError, ValueError),
    (errors.ArgumentError, TypeError),
    (errors.MissingColumnError, KeyError),
])
def test_option_errors_keep_the_builtin_base_callers_catch(cls: type[Exception], builtin: type[Exception]) -> None:
    with pytest.raises(builtin):
        raise cls("x")
    assert issubclass(cls, errors.OptionError) and issubclass(cls, errors.FlowmineError)


def test_a_missing_column_message_is_not_quoted_like_a_key_error() -> None:
    assert str(errors.MissingColumnError("the events need the column 'case:concept:name'")) == (
        "the events need the column 'case:concept:name'")


def test_the_moved_classes_are_the_same_objects_at_their_public_doors() -> None:
    from flowmine import analytics, engines

    assert analytics.AnalyticsError is errors.AnalyticsError
    assert engines.EngineUnavailableError is errors.EngineUnavailableError
    assert flowmine.AnalyticsError is errors.AnalyticsError
    assert flowmine.OptionError is errors.OptionError and "OptionError" in flowmine.__all__
