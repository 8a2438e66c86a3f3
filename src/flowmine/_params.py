"""Declared parameter constraints: the one place a public function's user options are checked.

A public function declares, once, what each of its options may be (scikit-learn's declared parameter
constraints are the model), and the declaration is the truth every face reads: the API refuses a value
outside it with one line, the CLI passes its options through unchanged and derives its ``--help``
choices from it (:func:`options_of`), so no face checks an option a second time.

A declaration maps a parameter name to a list of accepted kinds; a value is valid when one of them
accepts it. A kind is a :class:`Constraint` (:class:`Interval`, :class:`Options`, :class:`Duration`,
:class:`InstanceOf`), a type (an instance of it is accepted) or ``None`` (``None`` is accepted)::

    @validate_params({"port": [Interval(int, 1, 65535)], "host": [str]})
    def serve(store, host="127.0.0.1", port=8050): ...

    serve("s", port=0)  # OptionError: The 'port' parameter of serve must be an int in the range
                        # [1, 65535]. Got 0 instead.

A refusal is an :class:`~flowmine.errors.OptionError` (a ``ValueError``) that names the parameter and
the function, so a face can say which of its own options it was. A package whose callers catch a more
specific error passes it (``error=AnalyticsError``).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from flowmine.errors import OptionError

F = TypeVar("F", bound=Callable[..., Any])

#: The attribute under which :func:`validate_params` leaves a function's declaration.
DECLARATION = "__flowmine_params__"


class Constraint:
    """One kind of accepted value: ``accepts(value)`` and a phrase for the message (``str``)."""

    def accepts(self, value: Any) -> bool:
        raise NotImplementedError  # an abstract method: every constraint below defines it

    def __str__(self) -> str:
        raise NotImplementedError  # an abstract method: every constraint below defines it


def _number(value: Any, kind: type) -> bool:
    """``value`` is a number of ``kind`` (an int, a numpy integer; for float any real); a bool is no number here."""
    if isinstance(value, bool):
        return False
    return isinstance(value, numbers.Integral if kind is int else numbers.Real)


def _shown(value: Any) -> str:
    """The value as the message shows it: its repr, on one line, at most 80 characters."""
    text = repr(value)
    if "\n" in text:  # a frame's or an array's repr: its lines joined
        text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."


def _end(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


class Interval(Constraint):
    """A number of ``kind`` (``int`` or ``float``; a float interval also takes an int) within
    ``[left, right]``; ``None`` for an open end, ``closed`` says which ends belong to it."""

    def __init__(self, kind: type, left: float | None, right: float | None, closed: str = "both") -> None:
        if kind not in (int, float):
            raise TypeError(f"Interval: kind must be int or float, got {kind!r}")  # a declaration bug, not a user's
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"Interval: closed must be both, left, right or neither, got {closed!r}")  # same
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def accepts(self, value: Any) -> bool:
        if not _number(value, self.kind) or (isinstance(value, float) and math.isnan(value)):
            return False
        left, right = self.left, self.right
        low_ok = left is None or (value >= left if self.closed in ("both", "left") else value > left)
        high_ok = right is None or (value <= right if self.closed in ("both", "right") else value < right)
        return bool(low_ok and high_ok)

    def __str__(self) -> str:
        name = "an int" if self.kind is int else "a float"
        lo = "-inf" if self.left is None else _end(self.left)
        hi = "inf" if self.right is None else _end(self.right)
        lb = "[" if self.closed in ("both", "left") and self.left is not None else "("
        rb = "]" if self.closed in ("both", "right") and self.right is not None else ")"
        return f"{name} in the range {lb}{lo}, {hi}{rb}"


class Options(Constraint):
    """One of the listed values (kept in the declared order, which the message and ``--help`` show)."""

    def __init__(self, values: Iterable[Any]) -> None:
        self.values = tuple(values)

    def accepts(self, value: Any) -> bool:
        try:
            return value in self.values
        except TypeError:  # an unhashable or oddly comparing value is simply not one of them
            return False

    def __str__(self) -> str:
        return "one of {" + ", ".join(repr(v) for v in self.values) + "}"


#: A duration as configurations write it: amount and unit (``d`` days, ``wd`` working days, ``h`` hours).
DURATION_TEXT = re.compile(r"^(\d+(?:\.\d+)?)(wd|d|h)$")


class Duration(Constraint):
    """A duration of at least zero: a ``timedelta`` (``pandas.Timedelta`` is one), seconds as a
    number, or text such as ``'30d'``, ``'3wd'`` (working days) or ``'48h'`` (the configurations' form)."""

    def accepts(self, value: Any) -> bool:
        if isinstance(value, timedelta):
            return value >= timedelta(0)
        if isinstance(value, str):
            return bool(DURATION_TEXT.match(value.strip()))
        return _number(value, float) and not math.isnan(value) and value >= 0

    def __str__(self) -> str:
        return "a duration (a timedelta, seconds >= 0, or text like '30d', '3wd', '48h')"


class InstanceOf(Constraint):
    """An instance of one of ``types`` (a bool is not an ``int`` here)."""

    def __init__(self, *types: type) -> None:
        self.types = types

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) and bool not in self.types:
            return False
        return isinstance(value, self.types)

    def __str__(self) -> str:
        names = [t.__name__ for t in self.types]
        return "an instance of " + (names[0] if len(names) == 1 else "{" + ", ".join(repr(n) for n in names) + "}")


Kind = Constraint | type | None


def _constraint(kind: Kind) -> Constraint | None:
    if kind is None or isinstance(kind, Constraint):
        return kind
    if isinstance(kind, type):
        return InstanceOf(kind)
    raise TypeError(f"unknown constraint {kind!r}")  # a declaration bug, not a user's


def _phrase(kinds: Sequence[Constraint | None]) -> str:
    words = [str(k) for k in kinds if k is not None] + (["None"] if None in kinds else [])
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def check_params(function: str, declaration: Mapping[str, Sequence[Kind]], values: Mapping[str, Any],
                 error: type[OptionError] = OptionError) -> None:
    """Raise ``error`` (one line) for the first of ``values`` that no declared kind accepts.

    Parameters not in ``declaration`` are not checked.

    Examples
    --------
    >>> check_params("profile", {"top": [Interval(int, 1, None)]}, {"top": 0})
    Traceback (most recent call last):
    ...
    flowmine.errors.OptionError: The 'top' parameter of profile must be an int in the range [1, inf). Got 0 instead.
    """
    for name, value in values.items():
        if name not in declaration:
            continue
        kinds = [_constraint(k) for k in declaration[name]]
        if any(value is None if k is None else k.accepts(value) for k in kinds):
            continue
        raise error(f"The {name!r} parameter of {function} must be {_phrase(kinds)}. Got {_shown(value)} instead.",
                    parameter=name, function=function)


def validate_params(declaration: Mapping[str, Sequence[Kind]], error: type[OptionError] = OptionError,
                    name: str | None = None) -> Callable[[F], F]:
    """Decorate a public function so every call checks its declared parameters first.

    The declaration stays on the function (:func:`declared`, :func:`options_of`), so a face reads
    the same truth; ``name`` is the function's name in messages (default: its ``__name__``).
    """
    for kinds in declaration.values():
        for kind in kinds:
            _constraint(kind)  # an unknown kind fails at import, not at the first call

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        missing = set(declaration) - set(signature.parameters)
        if missing:
            raise TypeError(f"{func.__name__} declares parameters it does not take: {sorted(missing)}")  # a bug
        shown = name or func.__name__

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)  # a wrong call raises Python's own TypeError, as unwrapped
            check_params(shown, declaration, bound.arguments, error)
            return func(*args, **kwargs)

        setattr(wrapper, DECLARATION, (shown, dict(declaration), error))
        return wrapper  # type: ignore[return-value]

    return decorate


def declared(func: Callable[..., Any]) -> Mapping[str, Sequence[Kind]]:
    """The declaration :func:`validate_params` left on ``func``."""
    return getattr(func, DECLARATION)[1]


def check_call(func: Callable[..., Any], **values: Any) -> None:
    """Check ``values`` against ``func``'s declaration without calling it (a face that must answer
    before the call starts, such as the CLI before a server blocks). A function that declares nothing
    (a test's stand-in) has nothing to check here; the call itself still checks what it declares."""
    found = getattr(func, DECLARATION, None)
    if found is not None:
        shown, declaration, error = found
        check_params(shown, declaration, values, error)


def options_of(func: Callable[..., Any], parameter: str) -> tuple[Any, ...]:
    """The values an :class:`Options` declaration of ``func``'s ``parameter`` allows (for ``--help``)."""
    return next(k.values for k in declared(func)[parameter] if isinstance(k, Options))


__all__ = [
    "DURATION_TEXT",
    "Constraint",
    "Duration",
    "InstanceOf",
    "Interval",
    "Kind",
    "Options",
    "check_call",
    "check_params",
    "declared",
    "options_of",
    "validate_params",
]
