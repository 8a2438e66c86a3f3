"""The sample logs bundled with flowmine, wherever it is installed.

Five simulated event logs of the reference processes (an Excel order table, a GBK-encoded Chinese CSV,
an XES.gz with start and complete events, a decimal-comma CSV and a deliberately dirty file) and one
SAP-shaped table export, each with its mapping and ground truth, ship inside the package
(``flowmine/samples/data/``, read through :mod:`importlib.resources`). In a checkout,
``sample_logs/`` links to the same folder.

* :func:`names`, :func:`catalogue`, :func:`get`: what is bundled, as :class:`Sample` records;
* :func:`path`, :func:`mapping`: a sample's file and mapping, to ingest;
* :func:`folder`: the folder with ``samples.toml`` (what ``flowmine demo`` reads).

It imports nothing of flowmine but the error tree, so every layer may use it.

Examples
--------
>>> import flowmine
>>> from flowmine import samples
>>> store = flowmine.Store(TMP + "/store")
>>> report = store.ingest("procurement", [samples.path("procurement")], mapping=samples.mapping("procurement"))
>>> report.totals()["events_loaded"]
45963
"""

from flowmine.samples._catalogue import INDEX, Sample, catalogue, folder, get, mapping, names, path

__all__ = ["INDEX", "Sample", "catalogue", "folder", "get", "mapping", "names", "path"]
