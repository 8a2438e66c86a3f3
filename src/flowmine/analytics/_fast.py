"""Fast path placeholder (replaced by the numba single pass)."""

from __future__ import annotations


def available() -> bool:
    return False


def profile_fast(*args: object, **kwargs: object) -> dict[str, object]:
    raise NotImplementedError
