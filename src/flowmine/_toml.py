"""Reading a TOML file the user wrote: one :class:`~flowmine.errors.InputError` line for every way it can fail."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from flowmine.errors import InputError


def read_toml(path: str | os.PathLike[str], missing: str) -> dict[str, Any]:
    """The document in ``path``. A missing file raises ``InputError(path, missing)``; a file that cannot be
    read (a folder, no permission), is not UTF-8 or not valid TOML raises one line saying which."""
    p = Path(path)
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(str(p), missing) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(p), f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise InputError(str(p), f"cannot be read ({exc.strerror or exc})") from None
