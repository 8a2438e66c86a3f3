"""Read the hand-made grid layout of a reference model (``<process>/layout.toml``).

Columns run left to right; the main path is on row 0, rework loops go to row 1 below it, the
parallel receipt of goods and invoice in procurement uses rows -1 and 1, and optional after-sales
steps in sales step down to rows 1 and 2. Task names are the process's activities and their
Chinese labels its ``[activities]`` ``zh``, both from the same definition (``process.toml``); tasks
get the ids ``Task_1``, ``Task_2``, ... in the order they are listed, and a flow names a task or the
id of an event or gateway.
"""

from __future__ import annotations

from pathlib import Path

from flowmine._toml import read_toml
from flowmine.models import Layout, Node
from flowmine.processes._config import ProcessConfig

LAYOUT = "layout.toml"


def read_layout(cfg: ProcessConfig) -> Layout:
    """The layout of ``cfg``'s reference model from ``layout.toml`` beside its ``process.toml``."""
    path: Path = cfg.path.parent / LAYOUT
    data = read_toml(path, "no layout: the model of this process is not drawn by flowmine")
    nodes: list[Node] = []
    tasks: dict[str, str] = {}
    for raw in data.get("nodes", []):
        kind, name = raw["kind"], raw["name"]
        if kind == "task":
            ident = f"Task_{len(tasks) + 1}"
            tasks[name] = ident
            zh = str(cfg.activities.get(name, {}).get("zh", ""))
            nodes.append(Node(ident, kind, name, raw["col"], raw["row"], zh))
        else:
            nodes.append(Node(raw["id"], kind, name, raw["col"], raw["row"]))
    ids = {n.id for n in nodes}
    flows = tuple((s if s in ids else tasks[s], t if t in ids else tasks[t]) for s, t in data.get("flows", []))
    return Layout(data["process_id"], data["name"], tuple(nodes), flows)
