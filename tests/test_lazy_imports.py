"""Importing flowmine and starting one command load only what that command needs.

``import flowmine`` resolves its public names on first use (PEP 562), and the CLI imports only the
invoked command's module, so ``flowmine ingest`` does not pay for numba, pm4py or Dash at start-up.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import flowmine
import flowmine.cli as cli

HEAVY = ("numba", "pm4py", "dash", "plotly", "flowmine.analytics", "flowmine.conformance", "flowmine.discovery")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_import_flowmine_loads_no_heavy_package() -> None:
    loaded = _loaded_after("import flowmine")
    assert not [m for m in HEAVY if m in loaded]


def test_ingest_command_start_loads_no_heavy_package() -> None:
    loaded = _loaded_after("import sys\nsys.argv = ['flowmine', 'ingest', '--help']\n"
                           "import flowmine.cli as c\nc._register()")
    assert "flowmine.cli._ingest" in loaded
    assert "flowmine.cli._dashboard" not in loaded
    assert not [m for m in HEAVY if m in loaded]


@pytest.mark.parametrize("name", sorted(flowmine._LAZY))
def test_every_lazy_name_resolves_to_its_module_object(name: str) -> None:
    module, attr = flowmine._LAZY[name]
    value = getattr(flowmine, name)
    assert value is getattr(__import__(module, fromlist=[attr]), attr)


def test_lazy_names_are_the_public_names() -> None:
    assert set(flowmine._LAZY) == set(flowmine.__all__) - {"__version__"}
    assert set(flowmine.__all__) <= set(dir(flowmine))
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        _ = flowmine.not_a_name  # type: ignore[attr-defined]


def test_command_map_lists_every_registered_command() -> None:
    cli._register([])  # no command named: every module
    group = cli.typer.main.get_group(cli.app)
    assert set(group.commands) == set(cli.COMMANDS)
    for name, module in cli.COMMANDS.items():
        assert f"flowmine.cli.{module}" in sys.modules, name


def test_help_for_one_command_and_unknown_commands_still_work() -> None:
    from tests.conftest import run_cli

    one = run_cli("verify", "--help")
    assert one.returncode == 0 and "--store" in one.stdout
    unknown = run_cli("no-such-command")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr
