"""Process definitions: one folder per process, found in package data or a configured directory.

A fifth process is added here from one folder written into tmp (no file of the repository
touched): its model, configuration, rule, KPI targets and labels drive ``check``, ``perf`` and the
dashboard's overview on a hand-made log of three cases whose numbers are computed by hand below.
"""

from __future__ import annotations

import fnmatch
import json
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from flowmine.errors import InputError
from flowmine.processes import (
    ENV,
    Problem,
    configured,
    definition_folders,
    list_processes,
    load_process,
    packaged_folder,
    reference_net,
    search_path,
)
from flowmine.processes.models import bpmn_text
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "flowmine"
SHIPPED = ["finance", "procurement", "production", "sales"]

TOY = """\
[process]
name = "permits"
label_en = "Building permits"
label_zh = "建筑许可"
reference_model = "model.bpmn"
currency = "EUR"

[calendar]
weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri"]
hours = ["09:00", "17:00"]
timezone = "UTC"

[activities]
"Apply" = { zh = "申请", role = "citizen" }
"Check" = { zh = "审查", role = "clerk" }
"Decide" = { zh = "决定", role = "head" }

[roles]
citizen = { en = "Citizen", zh = "市民" }
clerk = { en = "Clerk", zh = "办事员" }
head = { en = "Head of office", zh = "主任" }

[[rule]]
id = "check_before_decision"
kind = "precedence"
label_en = "A permit is decided only after its check"
label_zh = "审查后方可决定"
before = ["Check"]
after = "Decide"
severity = "high"

[[kpi]]
id = "median_throughput_time"
label_en = "Median throughput time"
label_zh = "通过时间中位数"
metric = "throughput_time"
statistic = "median"
target = "1d"
direction = "lower"
period = "month"

[[kpi]]
id = "fitness"
label_en = "Fitness to the reference model"
label_zh = "与参考模型的拟合度"
metric = "fitness"
target = 0.95
direction = "higher"
period = "month"
"""

LAYOUT = """\
process_id = "Process_permits"
name = "Building permits 建筑许可"
nodes = [
    { id = "Start", kind = "start", name = "Application", col = 0, row = 0 },
    { kind = "task", name = "Apply", col = 1, row = 0 },
    { kind = "task", name = "Check", col = 2, row = 0 },
    { kind = "task", name = "Decide", col = 3, row = 0 },
    { id = "End", kind = "end", name = "Decided", col = 4, row = 0 },
]
flows = [["Start", "Apply"], ["Apply", "Check"], ["Check", "Decide"], ["Decide", "End"]]
"""

#: c1 follows the model; c2 skips Check (one model move, breaks the rule); c3 checks twice (one log move).
LOG = """\
case,activity,start,end,resource,cost
c1,Apply,2025-03-03 09:00,2025-03-03 09:30,ann,10
c1,Check,2025-03-03 10:00,2025-03-03 11:00,bob,20
c1,Decide,2025-03-04 09:00,2025-03-04 09:30,dan,30
c2,Apply,2025-03-04 09:00,2025-03-04 09:30,cy,10
c2,Decide,2025-03-04 12:00,2025-03-04 12:30,dan,30
c3,Apply,2025-03-05 09:00,2025-03-05 09:30,ed,10
c3,Check,2025-03-05 10:00,2025-03-05 11:00,bob,20
c3,Check,2025-03-05 13:00,2025-03-05 14:00,bob,20
c3,Decide,2025-03-07 09:00,2025-03-07 10:00,dan,30
"""

MAPPING = """\
[columns]
case = "case"
activity = "activity"
start_timestamp = "start"
timestamp = "end"
resource = "resource"
cost = "cost"

[values]
currency = "EUR"

[timestamps]
format = "%Y-%m-%d %H:%M"
timezone = "UTC"
"""


def write_toy(root: Path) -> Path:
    """The fifth process as a user writes it: one folder with process.toml and layout.toml; its
    model.bpmn is drawn from the layout (``python -m flowmine.processes.models`` does the same)."""
    folder = root / "permits"
    folder.mkdir(parents=True)
    (folder / "process.toml").write_text(TOY, encoding="utf-8")
    (folder / "layout.toml").write_text(LAYOUT, encoding="utf-8")
    (folder / "model.bpmn").write_text(bpmn_text("permits"), encoding="utf-8")
    return folder


@pytest.fixture
def toy_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "processes"
    monkeypatch.setenv(ENV, str(root))
    write_toy(root)
    return root


@pytest.fixture
def toy_store(toy_dir: Path, tmp_path: Path):
    from flowmine.store import Store

    (tmp_path / "permits.csv").write_text(LOG, encoding="utf-8")
    (tmp_path / "permits.mapping.toml").write_text(MAPPING, encoding="utf-8")
    st = Store(tmp_path / "store")
    st.ingest("permits", [str(tmp_path / "permits.csv")], mapping=tmp_path / "permits.mapping.toml")
    return st


# --- where definitions are found -----------------------------------------------------------------
def test_packaged_definitions_are_the_four_shipped_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert packaged_folder() == PACKAGE / "processes" / "definitions"
    assert search_path() == [packaged_folder()]
    assert definition_folders() == {name: packaged_folder() / name for name in SHIPPED}
    assert list_processes() == SHIPPED
    found = configured()
    assert sorted(found.processes) == SHIPPED and found.problems == ()
    assert configured("finance") is found.get("finance")
    assert configured("../definitions/finance") is None and configured("hr") is None


def test_every_definition_file_is_package_data() -> None:
    """Every file of the packaged definitions matches a [tool.setuptools.package-data] pattern, so a
    wheel ships it."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["flowmine"]
    files = [p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "processes" / "definitions").rglob("*")
             if p.is_file()]
    assert len(files) == 4 * 4  # process.toml, model.bpmn, layout.toml and one initiative each
    assert [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns)] == []


def test_definitions_load_from_an_installed_copy_without_the_repository(tmp_path: Path) -> None:
    """What a wheel installs (the modules and the package data, nothing of the checkout around
    them) reads every definition, draws its model, lists its initiatives and runs the simulator."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"]["flowmine"]
    site = tmp_path / "site-packages"
    for path in PACKAGE.rglob("*"):
        rel = path.relative_to(PACKAGE).as_posix()
        if path.is_file() and "__pycache__" not in rel and (
                rel.endswith(".py") or any(fnmatch.fnmatch(rel, pat) for pat in patterns)):
            (site / "flowmine" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, site / "flowmine" / rel)
    script = textwrap.dedent("""
        import flowmine, json
        from flowmine.processes import configured, reference_net
        from flowmine.processes.models import bpmn_text
        from flowmine.monitor import load_initiatives
        from flowmine.simulate import simulate
        found = configured()
        print(json.dumps({
            "file": flowmine.__file__,
            "processes": sorted(found.processes),
            "problems": [p.line for p in found.problems],
            "transitions": len([t for t in reference_net("finance")[0].transitions if t.label]),
            "drawn": bpmn_text("finance") == found.get("finance").reference_model.read_text(encoding="utf-8"),
            "initiatives": [i.id for i in load_initiatives()],
            "simulated": len(simulate("finance", 3, seed=1).events) > 0,
        }))
    """)
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out == {
        "file": str(site / "flowmine" / "__init__.py"),
        "processes": SHIPPED,
        "problems": [],
        "transitions": 6,
        "drawn": True,
        "initiatives": ["finance_deputy_gm", "procurement_monday_round", "production_second_inspector",
                        "sales_deputy_director"],
        "simulated": True,
    }


# --- the simulator reads the definitions, never the reverse -----------------------------------------
@pytest.mark.parametrize("name", SHIPPED)
def test_the_simulator_takes_names_labels_and_roles_from_the_definition(name: str) -> None:
    from flowmine.simulate import PROCESSES

    cfg, proc = load_process(name), PROCESSES[name]
    assert list(proc.activities) == list(cfg.activities)
    assert {a: (x.zh, x.role) for a, x in proc.activities.items()} == {
        a: (spec["zh"], spec["role"]) for a, spec in cfg.activities.items()}
    assert {r: x.zh for r, x in proc.roles.items()} == {r: spec["zh"] for r, spec in cfg.roles.items()}
    assert (proc.label_en, proc.label_zh, proc.model_activities) == (
        cfg.label_en, cfg.label_zh, tuple(cfg.model_activities))


def test_the_definitions_import_no_simulator() -> None:
    script = "import sys, flowmine.processes, flowmine.processes.models; " \
             "print(sorted(m for m in sys.modules if m.startswith('flowmine.simulate')))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# --- problems are reported, never swallowed ----------------------------------------------------------
def test_configured_returns_every_problem_beside_the_valid_processes(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "processes"
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(ENV, f"{root}:{missing}")
    write_toy(root)
    (root / "hr").mkdir()
    (root / "hr" / "process.toml").write_text(
        '[process]\nname = "personnel"\nlabel_en = "HR"\nreference_model = "model.bpmn"\n'
        '[activities]\n"Hire" = "招聘"\n'
        '[[rule]]\nid = "r"\nkind = "absence"\nlabel_en = "x"\nlabel_zh = "x"\nactivity = "Fire"\n'
        '[[kpi]]\nid = "k"\nlabel_en = "k"\nlabel_zh = "k"\nmetric = "fitness"\ntarget = 1\n'
        'direction = "higher"\nperiod = "fortnight"\n', encoding="utf-8")
    (root / "broken").mkdir()
    (root / "broken" / "process.toml").write_text("[process\n", encoding="utf-8")
    (root / "notes").mkdir()
    found = configured()
    assert list(found.processes) == ["finance", "permits", "procurement", "production", "sales"]
    hr = str(root / "hr" / "process.toml")
    broken = found.problems_of("broken")
    assert len(broken) == 1 and broken[0].entry == "(file)" and broken[0].expected == "valid TOML in UTF-8"
    assert found.problems == (
        Problem(str(missing), ENV, "a directory of process folders", "no such directory"),
        broken[0],
        Problem(hr, "[process]", "'label_zh' must be given", "nothing"),
        Problem(hr, "[process]", "'name' must be the folder's name 'hr'", "'personnel'"),
        Problem(hr, "[activities] 'Hire'", "a table with a 'zh' label", "'招聘'"),
        Problem(hr, "[[rule]] #1", "every activity it names must be one of [activities]",
                "unknown activities ['Fire']"),
        Problem(hr, "[[kpi]] #1", "'period' must be one of ['day', 'week', 'month', 'quarter', 'year']",
                "'fortnight'"),
        Problem(hr, "[process]", "'reference_model' must name a file beside it", "'model.bpmn', which does not exist"),
        Problem(str(root / "notes"), "(folder)", "a process folder with a process.toml", "none"),
    )
    assert found.get("hr") is None and configured("hr") is None
    assert found.problems[2].line == f"{hr}: [process]: 'label_zh' must be given, got nothing"
    with pytest.raises(InputError) as caught:
        load_process("hr")
    assert str(caught.value) == hr + ": " + "; ".join(str(p) for p in found.problems_of("hr"))


def test_a_configured_directory_overrides_a_packaged_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "processes"
    shutil.copytree(packaged_folder() / "finance", root / "finance")
    text = (root / "finance" / "process.toml").read_text(encoding="utf-8")
    (root / "finance" / "process.toml").write_text(text.replace('label_zh = "财务"', 'label_zh = "报销"'),
                                                   encoding="utf-8")
    monkeypatch.setenv(ENV, str(root))
    assert definition_folders()["finance"] == root / "finance"
    assert load_process("finance").label_zh == "报销" and configured("finance").label_zh == "报销"
    assert load_process("finance", folder=packaged_folder()).label_zh == "财务"
    assert load_process(root / "finance").path == root / "finance" / "process.toml"  # a folder given as a path


def test_check_names_every_problem_of_a_broken_definition(toy_store, toy_dir: Path) -> None:
    text = TOY.replace('before = ["Check"]', 'before = ["Inspect"]').replace('period = "month"\n\n', 'period = "x"\n\n')
    (toy_dir / "permits" / "process.toml").write_text(text, encoding="utf-8")
    done = run_cli("check", "--store", str(toy_store.path), "--process", "permits", "--json", "-")
    assert done.returncode == 2
    path = toy_dir / "permits" / "process.toml"
    assert done.stderr.strip().splitlines() == [
        f"error: {path}: [[rule]] #1: every activity it names must be one of [activities], got unknown activities "
        "['Inspect']; [[kpi]] #1: 'period' must be one of ['day', 'week', 'month', 'quarter', 'year'], got 'x'"]


# --- a fifth process from one folder ----------------------------------------------------------------
def test_a_fifth_process_from_one_folder_checks_profiles_and_shows(toy_store, toy_dir: Path) -> None:
    from flowmine.conformance import check
    from flowmine.dashboard._i18n import duration, percent
    from flowmine.dashboard._state import Filters
    from flowmine.dashboard.pages import overview

    cfg = load_process("permits")
    assert cfg.path == toy_dir / "permits" / "process.toml" and cfg.label("Decide", "zh") == "决定"
    assert sorted(t.label for t in reference_net(cfg)[0].transitions if t.label) == ["Apply", "Check", "Decide"]

    # check: alignments (pm4py's fitness: 1 - moves / (trace length + shortest model path of 3 steps))
    report = check(toy_store, "permits")
    assert report.cases == 3
    assert report.fitness == pytest.approx(1 - (0 + 1 + 1) / ((3 + 3) + (2 + 3) + (4 + 3)))
    assert report.rule_violation_rate == pytest.approx(1 / 3)

    # perf: throughput c1 24.5 h, c2 3.5 h, c3 49 h; waiting before Decide 22 + 2.5 + 43 h, before Check 3 h
    done = run_cli("perf", "--store", str(toy_store.path), "--process", "permits", "--json", "-")
    assert done.returncode == 0, done.stderr
    profile = json.loads(done.stdout)
    assert (profile["cases"], profile["events"], profile["variants"]) == (3, 9, 3)
    assert profile["throughput_time_s"]["median"] == 24.5 * 3600
    assert profile["bottlenecks"][0]["name"] == "Decide"

    # the dashboard's overview: the same numbers, the definition's targets and labels
    page = overview.layout(toy_store, Filters(process="permits"))
    assert _text(page, "ov-cases") == "3"
    assert _text(page, "ov-tt-median") == duration(24.5 * 3600, "en")
    assert _text(page, "ov-cost") == "60.00 EUR"  # (60 + 40 + 80) / 3
    assert _text(page, "ov-violations") == percent(1 / 3)
    assert _text(page, "ov-fitness") == f"{1 - 2 / 18:.3f}"
    hints = _hints(page)
    assert [h for h in hints if h.startswith("target")] == [f"target ≤ {duration(86400, 'en')}", "target ≥ 0.95"]
    zh = overview.layout(toy_store, Filters(process="permits", lang="zh"))
    assert _text(zh, "ov-bottleneck") == "决定"


def _text(component, cid):
    if getattr(component, "id", None) == cid:
        return component.children
    kids = getattr(component, "children", None)
    for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
        found = _text(kid, cid)
        if found is not None:
            return found
    return None


def _hints(component) -> list[str]:
    out = [component.children] if getattr(component, "className", None) == "fm-card-hint" else []
    kids = getattr(component, "children", None)
    for kid in kids if isinstance(kids, list) else [kids] if kids is not None and not isinstance(kids, str) else []:
        out += _hints(kid)
    return out


# --- the faces show the problems and go on with the valid processes ---------------------------------
def _broken_hr(root: Path) -> Path:
    (root / "hr").mkdir()
    path = root / "hr" / "process.toml"
    path.write_text('[process]\nname = "hr"\nlabel_en = "HR"\nlabel_zh = "人事"\nreference_model = "none.bpmn"\n',
                    encoding="utf-8")
    return path


def test_flowmine_processes_lists_definitions_and_every_problem(toy_dir: Path) -> None:
    hr = _broken_hr(toy_dir)
    done = run_cli("processes")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == ["finance", "permits", "procurement", "production", "sales"]
    assert lines[1] == f"permits         Building permits / 建筑许可  ({toy_dir / 'permits' / 'process.toml'})"
    assert lines[-1] == (f"problem: {hr}: [process]: 'reference_model' must name a file beside it, "
                         "got 'none.bpmn', which does not exist")
    data = json.loads(run_cli("processes", "--json").stdout)
    assert data["search_path"] == [str(toy_dir), str(packaged_folder())]
    assert data["problems"] == [{"file": str(hr), "entry": "[process]",
                                 "expected": "'reference_model' must name a file beside it",
                                 "got": "'none.bpmn', which does not exist"}]


def test_dashboard_starts_with_the_valid_processes_and_shows_the_problem(toy_store, toy_dir: Path) -> None:
    from flowmine.dashboard import create_app

    hr = _broken_hr(toy_dir)
    app = create_app(toy_store.path)
    key = next(k for k in app.callback_map if "shell-notice.children" in k)
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
               for part in key.strip(".").split("...")]
    body = {"output": key, "outputs": outputs, "changedPropIds": ["url.pathname"],
            "state": [{"id": "shell-shown", "property": "data", "value": None}],
            "inputs": [{"id": "url", "property": "pathname", "value": "/"},
                       {"id": "url", "property": "search", "value": "?process=permits"}]}
    reply = app.server.test_client().post("/_dash-update-component", json=body)
    assert reply.status_code == 200, reply.data[:500]
    response = reply.get_json()["response"]
    notice = response["shell-notice"]["children"]
    assert [n["props"]["children"] for n in notice] == [
        f"A process definition cannot be used: {hr}: [process]: 'reference_model' must name a file beside it, "
        "got 'none.bpmn', which does not exist"]
    assert response["flt-process"]["value"] == "permits"
    assert "ov-cases" in json.dumps(response["page"])


def test_a_separate_rules_file_reports_every_problem_in_the_same_words(tmp_path: Path) -> None:
    from flowmine.conformance import read_rules

    path = tmp_path / "rules.toml"
    path.write_text('[[rule]]\nid = "a"\nkind = "precedence"\nlabel_en = "x"\nlabel_zh = "x"\nbefore = ["A"]\n'
                    'after = "B"\n[[rule]]\nid = "b"\nkind = "time_limit"\nlabel_en = "x"\nlabel_zh = "x"\n'
                    'from = "A"\nto = "A"\nmax = "soon"\n', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_rules(path, {"A": {}})
    assert str(caught.value) == (
        f"{path}: [[rule]] #1: every activity it names must be one of [activities], got unknown activities ['B']; "
        "[[rule]] #2: 'max' must be a duration like '30d', '3wd' or '48h', got 'soon'")
