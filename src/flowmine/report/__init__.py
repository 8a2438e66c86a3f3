"""The managers' report: one self-contained, offline HTML file per process (English or Chinese).

KPIs against targets with their control charts, top bottlenecks, conformance and deviation impact,
cost and quality per step, and the improvement initiatives with their before/after evaluation. Every
figure comes from the public API (the numbers of ``flowmine perf``, ``check``, ``monitor`` and
``initiative``); plotly.js is inlined from the installed plotly package, so nothing is fetched.
``LANGS``: the report's languages.

Examples
--------
>>> from flowmine.report import write_report
>>> import os
>>> path = write_report(STORE, "finance", os.path.join(TMP, "finance.html"), lang="zh")  # TMP: a folder
"""

from flowmine.report._build import LANGS, build_report, report_data, write_report

__all__ = ["LANGS", "build_report", "report_data", "write_report"]
