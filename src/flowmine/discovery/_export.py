"""Write discovered models as BPMN with a real diagram layout, PNML, SVG or PNG.

pm4py's BPMN export leaves the diagram coordinates at zero or absurd (pm4py issues #244, #348,
#352, #371), so the model is laid out by :func:`flowmine.models.bpmn_layout` on the grid the
shipped reference models are drawn on, and written by :mod:`flowmine.models` (BPMN with diagram,
SVG from the same layout: no graphviz needed); PNG needs graphviz's ``dot`` binary (Debian
package ``graphviz``).
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from flowmine.discovery._mine import DiscoveredModel
from flowmine.errors import FlowmineError
from flowmine.models import bpmn_layout, to_bpmn, to_svg

FORMATS = (".bpmn", ".pnml", ".svg", ".png")


def write_model(model: DiscoveredModel, path: str | Path, name: str = "Discovered process") -> Path:
    """Write ``model`` as ``.bpmn`` (with layout), ``.pnml``, ``.svg`` or ``.png`` (by the extension).

    Examples
    --------
    >>> from flowmine.discovery import discover_model, collect_variants, write_model
    >>> from pathlib import Path
    >>> model = discover_model(collect_variants(STORE, "finance"))
    >>> write_model(model, Path(TMP) / "finance.bpmn").suffix  # TMP: a folder
    '.bpmn'
    """
    import pm4py

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in FORMATS:
        raise FlowmineError(f"{p}: unknown model format {suffix or '(none)'!r}; use one of {', '.join(FORMATS)}")
    if suffix == ".pnml":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm4py.write_pnml(model.net, model.im, model.fm, str(p))
        return p
    if suffix == ".png":
        if shutil.which("dot") is None:
            raise FlowmineError(f"{p}: PNG needs graphviz's 'dot' program (Debian/Ubuntu: apt-get install graphviz); "
                                "write .svg instead")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm4py.save_vis_bpmn(model.bpmn(), str(p))
        return p
    layout = bpmn_layout(model.bpmn(), name)
    p.write_text(to_bpmn(layout) if suffix == ".bpmn" else to_svg(layout), encoding="utf-8")
    return p
