"""``flowmine check``: conformance of a stored process to its reference model, and its business rules."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from tqdm import tqdm

from flowmine.cli import app, fail, log_variants
from flowmine.cli._filters import Filters, filter_options
from flowmine.vocabulary import percent

if TYPE_CHECKING:
    from flowmine.conformance import ConformanceReport

#: Escaping edges printed (the JSON has all of them).
TOP_ESCAPING = 5


@app.command()
@filter_options
def check(
    store: Annotated[Path, typer.Option(help="Store directory.")],
    process: Annotated[str, typer.Option(help="Process name.")],
    json_out: Annotated[Path, typer.Option("--json", help="Write the result as JSON to this file ('-': stdout).")],
    reference: Annotated[Path | None, typer.Option(help="Reference model (.bpmn or .pnml); "
                                                        "default: the process configuration's.")] = None,
    definition: Annotated[str | None, typer.Option(help="Check against this process definition instead of the "
                                                   "process's own (e.g. an SAP extract stored as sales_sap, "
                                                   "checked as sales).", show_default=False)] = None,
    rules: Annotated[Path | None, typer.Option(help="TOML file of \\[\\[rule]] tables; default: the configuration's.")]
    = None,
    method: Annotated[str, typer.Option(help="alignments or token-replay.")] = "alignments",
    engine: Annotated[str, typer.Option(help="Alignment engine: r4pm (Rust) or pm4py.")] = "r4pm",
    precision: Annotated[bool, typer.Option(help="Compute ETConformance precision.")] = True,
    extra: Annotated[bool, typer.Option("--extra", help="Also compute generalization and simplicity.")] = False,
    max_seconds: Annotated[float, typer.Option(help="Per-variant alignment time budget in seconds "
                                                     "(0: none); a variant that runs out makes the result "
                                                     "not exact.")] = 10.0,
    variants_engine: Annotated[str, typer.Option(help="Where the log's variants are computed: duckdb or spark "
                                                      "(pip install 'flowmine-pm[spark]'; see docs/SPARK.md).")]
    = "duckdb",
    spark_master: Annotated[str | None, typer.Option(help="With --variants-engine spark: local[2] (default), "
                                                     "spark://host:7077, yarn, or sc://host:15002.")] = None,
    silent: Annotated[str | None, typer.Option(help="Model tasks the log never records, comma-separated "
                                               "(e.g. \"Start,End\"): checked as silent (invisible) steps.",
                                               show_default=False)] = None,
    label_map: Annotated[Path | None, typer.Option(help="Rename model labels to log activities: a TOML file with a "
                                                   "\\[labels] table (\"Model label\" = \"log activity\") or a CSV "
                                                   "with the header model_label,log_activity.",
                                                   show_default=False)] = None,
    *,
    filters: Filters,
) -> None:
    """Check fitness, precision, deviations per step and business rules. / 合规性检查。"""
    from flowmine.conformance import check as run_check
    from flowmine.conformance import read_label_map
    from flowmine.store import Store

    quiet = [lab.strip() for lab in (silent or "").split(",") if lab.strip()]
    renames = read_label_map(label_map) if label_map is not None else None  # a bad file: one line, before the work

    st = Store(store, create=False)
    flt = None
    if not filters.is_empty():
        if not filters.events.is_empty():
            fail("check takes case filters only (it checks whole cases against the model): drop "
                 "--keep-activities, --drop-activities, --trim and --lifecycle")
        if variants_engine == "spark":
            fail("--variants-engine spark checks every case: give the filters with --variants-engine duckdb")
        flt = filters.checked(st, process, definition)  # unknown names, no case kept: one line, before the work
    given = (log_variants("check", "variants_engine", st, process, variants_engine, spark_master)
             if variants_engine != "duckdb" else None)
    with _progress(process) as phase:
        report = run_check(st, process, reference=reference, rules=rules, method=method,
                           engine=engine, with_precision=precision, extra=extra,
                           max_seconds=None if max_seconds == 0 else max_seconds, variants_of_log=given,
                           definition=definition, filters=flt, progress=phase, silent=quiet, label_map=renames)
    data = report.to_dict()
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if str(json_out) == "-":
        typer.echo(text)
    else:
        json_out.write_text(text + "\n", encoding="utf-8")
    err = str(json_out) == "-"
    lab = report.labels
    if report.silent or report.label_map:
        typer.echo(f"model labels checked as silent: {', '.join(report.silent) or 'none'}; "
                   f"renamed by the label map: {len(report.label_map)}", err=err)
    if lab.unmatched_log:
        typer.echo(f"log activities not in the model (always log moves): {', '.join(lab.unmatched_log)}", err=err)
    if lab.unmatched_model:
        typer.echo(f"model activities never in the log (always model moves): {', '.join(lab.unmatched_model)}",
                   err=err)
    prec = "n/a" if report.precision is None else f"{report.precision:.4f}"
    typer.echo(f"{process}: {report.cases:,} cases, {report.variants:,} variants; fitness {report.fitness:.4f} "
               f"({report.method}), fitting cases {percent(report.fitting_cases_share)}, precision {prec}", err=err)
    _precision_lines(report, err)
    if report.generalization is not None and report.simplicity is not None:
        typer.echo(f"generalization {report.generalization:.4f}, simplicity {report.simplicity:.4f}", err=err)
    if not report.exact:
        fb = report.fallback
        typer.echo(f"NOT EXACT: {fb['variants']} variants ({fb['cases']:,} cases) ran out of their alignment budget",
                   err=err)
    broken = report.rules[report.rules.violating_cases > 0]
    for row in broken.to_dict("records"):
        typer.echo(f"rule {row['rule']}: {row['violating_cases']:,} cases ({percent(row['rate'])})", err=err)
    if str(json_out) != "-":
        typer.echo(f"wrote {json_out}")


def _precision_lines(report: ConformanceReport, err: bool) -> None:
    """The precision's warning, if any, and its most frequent escaping edges as a short table."""
    basis = report.precision_prefixes or {}
    if report.precision_warning:
        typer.echo(f"warning: precision rests on no fitting prefix: none of the log's {basis.get('total', 0):,} "
                   "prefixes replays on the model (do the model's first steps occur in the log?), so only the "
                   "initial marking counts and the figure says nothing about the log", err=err)
    edges = report.escaping_edges
    if not len(edges):
        return
    typer.echo(f"escaping edges (the model allows it next, no case does it there): top {min(TOP_ESCAPING, len(edges))} "
               f"of {len(edges):,}", err=err)
    for row in edges.head(TOP_ESCAPING).to_dict("records"):
        step = "(start)" if row["step"] is None else row["step"]
        typer.echo(f"  after {step} -> {row['activity']}: {row['occurrences']:,} times in {row['cases']:,} cases "
                   f"({percent(row['rate'])} of {row['step_occurrences']:,})", err=err)


@contextmanager
def _progress(process: str) -> Iterator[Callable[[str], None]]:
    """A bar of the check's parts on standard error (only on a terminal: tqdm's ``disable=None``)."""
    from flowmine.conformance import CHECK_PHASES

    bar = tqdm(total=len(CHECK_PHASES), desc=f"check {process}", unit="part", file=sys.stderr, disable=None,
               leave=False)
    started = False

    def phase(name: str) -> None:
        nonlocal started
        if started:
            bar.update(1)
        started = True
        bar.set_postfix_str(name, refresh=True)

    try:
        yield phase
    finally:
        bar.close()
