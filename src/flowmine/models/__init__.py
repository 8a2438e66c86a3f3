"""Process models as files and pictures: BPMN 2.0 and PNML reading, BPMN writing with a diagram, layout.

The one place that knows model formats, used by discovery (a discovered model written as BPMN or SVG,
a process map laid out) and by the reference processes and conformance alike (the shipped
``models/*.bpmn`` are written from hand-made grid layouts; a reference model is read into a Petri
net, refusing the BPMN elements pm4py would convert wrongly):

* :class:`Node`, :class:`Layout`, :func:`to_bpmn`, :func:`to_svg`, :func:`route`: a model drawn on a
  grid, written as BPMN 2.0 with diagram interchange or as SVG;
* :func:`bpmn_layout`, :func:`layered_layout`, :func:`curve`: positions for a model or a graph
  without a diagram, and the curved edges between them;
* :class:`ReferenceModel`, :func:`read_reference`: a ``.bpmn`` or ``.pnml`` file as an accepting
  Petri net (``UNSUPPORTED``: the BPMN elements refused, and why).

It sits just above the core modules: it imports none of the other packages.

Examples
--------
>>> from flowmine.models import Layout, Node, to_bpmn
>>> flow = Layout("P", "Tiny", (Node("S", "start", "", 0, 0), Node("A", "task", "Approve", 1, 0),
...                            Node("E", "end", "", 2, 0)), (("S", "A"), ("A", "E")))
>>> to_bpmn(flow).count("<bpmn:sequenceFlow ")
2
>>> sorted(layered_layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")]).items())
[('a', (0.0, 0.0)), ('b', (1.0, 0.0)), ('c', (2.0, 0.0))]
"""

from flowmine.models._bpmn import Layout, Node, route, to_bpmn, to_svg
from flowmine.models._layout import bpmn_layout, curve, layered_layout
from flowmine.models._read import UNSUPPORTED, ReferenceModel, read_reference

__all__ = [
    "UNSUPPORTED",
    "Layout",
    "Node",
    "ReferenceModel",
    "bpmn_layout",
    "curve",
    "layered_layout",
    "read_reference",
    "route",
    "to_bpmn",
    "to_svg",
]
