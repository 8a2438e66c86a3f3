"""Every TOML file a user writes (layouts, initiatives, rules files) fails with one InputError line."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowmine._toml import read_toml
from flowmine.errors import InputError
from flowmine.monitor import load_initiative


def test_a_good_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[x]\nk = "v"\n', encoding="utf-8")
    assert read_toml(tmp_path / "a.toml", "missing") == {"x": {"k": "v"}}


@pytest.mark.parametrize(("make", "said"), [
    (lambda p: None, "no such thing"),
    (lambda p: p.mkdir(), "cannot be read (Is a directory)"),
    (lambda p: p.write_bytes(b"k = '\xff'\n"), "not valid TOML"),
    (lambda p: p.write_text("k = = 1\n", encoding="utf-8"), "not valid TOML"),
])
def test_each_failure_is_one_line_naming_the_file(tmp_path: Path, make, said: str) -> None:
    path = tmp_path / "f.toml"
    make(path)
    with pytest.raises(InputError) as raised:
        read_toml(path, "no such thing")
    assert str(path) in str(raised.value) and said in str(raised.value)
    assert "\n" not in str(raised.value)


def test_an_initiative_that_is_a_folder_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "ini.toml").mkdir()
    with pytest.raises(InputError, match=r"ini\.toml.*cannot be read"):
        load_initiative(tmp_path / "ini.toml")
