"""Shared fixtures: tiny hand-made sources written into tmp_path, and the CLI run as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_log(name: str) -> Path:
    """A real public log from ../shared/data, or skip with the reason (a user's clone lacks it)."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real log {name!r} not found in ../shared/data (only on the team's machines)")
    return path


@pytest.fixture
def write(tmp_path: Path):
    """Write text (UTF-8 unless encoding is given) or bytes to tmp_path/name and return the path."""

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        p = tmp_path / name
        p.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return p

    return _write


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m flowmine ARGS`` in a fresh process, exactly as a script would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "flowmine", *args], capture_output=True, text=True,
                          timeout=timeout, env=full_env)


#: Test files that take minutes, mostly waiting on another process (the Spark contract's JVM): collected
#: first, so that with ``pytest -n 2 --dist loadfile`` (``make test``) one worker starts on them while the
#: other runs the rest, instead of the suite ending with one worker alone on them.
_LONG_FILES = ("test_spark_contract.py",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name not in _LONG_FILES)  # stable: the rest keep their order
