"""The Splink (DuckDB) adapter: training, batch scoring and charts, nothing else.

Everything Splink-specific sits here so the rest of the identity service works on plain
DuckDB tables and settings dictionaries. Splink 5 API: tables are registered with
`DuckDBAPI.register`, training lives on `linker.training`, scoring on `linker.inference`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import duckdb

from joinedup.domain import comparisons as cmp

logging.getLogger("splink").setLevel(logging.WARNING)


@dataclass
class TrainingOptions:
    """Knobs of a training run (defaults suit 10k-3M records on a small machine)."""

    u_max_pairs: float = 5e6
    em_max_pairs: float = 2e6
    seed: int = 42
    deterministic_recall: float = cmp.DETERMINISTIC_RECALL


def _linker(con: duckdb.DuckDBPyConnection, table: str, settings: dict[str, Any]) -> Any:
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    sdf = db_api.register(table)
    return Linker(sdf, settings, log_level=None)


def train(
    con: duckdb.DuckDBPyConnection,
    table: str,
    options: TrainingOptions,
    timings: dict[str, float] | None = None,
) -> tuple[dict[str, Any], str]:
    """Train joinedup's model on `table`; return (trained settings, HTML report).
    Seconds per step go into `timings` when given."""
    import time

    spent = timings if timings is not None else {}
    t0 = time.monotonic()

    def lap(name: str) -> None:
        nonlocal t0
        now = time.monotonic()
        spent[name] = round(now - t0, 2)
        t0 = now

    linker = _linker(con, table, cmp.splink_settings())
    linker.training.estimate_probability_two_random_records_match(
        list(cmp.DETERMINISTIC_RULES), recall=options.deterministic_recall
    )
    lap("prior")
    linker.training.estimate_u_using_random_sampling(
        max_pairs=options.u_max_pairs, seed=options.seed
    )
    lap("u")
    for i, rule in enumerate(cmp.EM_BLOCKING_RULES, start=1):
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=options.em_max_pairs
        )
        lap(f"em{i}")
    settings = cmp.apply_m_floor(linker.misc.save_model_to_json())
    # Reload so the report's charts show the parameters actually stored.
    report = report_html(_linker(con, table, settings), settings)
    lap("report")
    return settings, report


def report_html(linker: Any, settings: dict[str, Any]) -> str:
    """A self-contained HTML report: parameters table and Splink's charts, scripts inlined
    (Splink's `to_html(inline=True)` bundles vega, so it works offline)."""
    import html

    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<title>joinedup linkage model</title></head><body>",
        "<h1>joinedup linkage model</h1>",
        f"<p>Prior (probability two random records match): "
        f"{settings.get('probability_two_random_records_match', 0):.3g}</p>",
        "<h2>Parameters</h2><table border='1' cellspacing='0' cellpadding='3'>",
        "<tr><th>comparison</th><th>level</th><th>m</th><th>u</th><th>weight</th></tr>",
    ]
    import math

    for comp in settings["comparisons"]:
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weight = math.log2(m / u) if m and u else float("nan")
            parts.append(
                f"<tr><td>{html.escape(comp['output_column_name'])}</td>"
                f"<td>{html.escape(level.get('label_for_charts', ''))}</td>"
                f"<td>{m if m is not None else '-'}</td><td>{u if u is not None else '-'}</td>"
                f"<td>{weight:.2f}</td></tr>"
            )
    parts.append("</table>")
    for title, chart in (
        ("Match weights", linker.visualisations.match_weights_chart()),
        ("m and u parameters", linker.visualisations.m_u_parameters_chart()),
    ):
        chart_doc = chart.to_html(inline=True)
        parts.append(f"<h2>{title}</h2>")
        parts.append(
            "<iframe style='width:100%;height:900px;border:0' srcdoc=\""
            + html.escape(chart_doc, quote=True)
            + '"></iframe>'
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def predict(
    con: duckdb.DuckDBPyConnection,
    table: str,
    settings: dict[str, Any],
    threshold: float,
    out_table: str = "predictions",
) -> Any:
    """Score every blocked pair at or above `threshold` into `out_table` (id_l < id_r,
    match_weight, match_probability, and mw_<comparison>: each comparison's contribution to
    the match weight, term-frequency adjustment included). Returns the linker, for scoring
    further pairs with the same model."""
    # Per-comparison weights (mw_*) are kept: review items explain themselves with them.
    linker = _linker(con, table, {**settings, "retain_intermediate_calculation_columns": True})
    df = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
    _keep_scores(con, df, settings, out_table)
    return linker


def _level_weights(settings: dict[str, Any]) -> dict[str, list[float]]:
    """log2(m/u) of each non-null level, in order, per comparison (else level last)."""
    out: dict[str, list[float]] = {}
    for comp in settings["comparisons"]:
        weights = []
        for level in comp["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            weights.append(math.log2(m / u) if m and u else 0.0)
        out[comp["output_column_name"]] = weights
    return out


def auto_ok_sql(settings: dict[str, Any]) -> str:
    """SQL over a predictions row: the pair may be linked automatically
    (`comparisons.auto_link_allowed`, evaluated on the per-comparison level weights)."""
    weights = _level_weights(settings)
    ident = " OR ".join(f"mw_{name} > 0" for name in cmp.IDENTIFIER_COMPARISONS)
    hard = " OR ".join(
        f"abs(mw_{name} - ({weights[name][-1]!r})) < 1e-9" for name in cmp.HARD_DISAGREEMENTS
    )
    return f"(({ident}) OR NOT ({hard}))"


def _mw_sql(comparison: cmp.Comparison) -> str:
    """mw_<name>: the level's own weight (identifies the level); tf_<name>: the
    term-frequency adjustment added to it (0 for comparisons without one)."""
    tf = "0"
    if any(level.tf_column for level in comparison.levels):
        tf = f"coalesce(mw_tf_adj_{comparison.name}, 0)"
    return (
        f"mw_{comparison.name}::DOUBLE AS mw_{comparison.name}, "
        f"({tf})::DOUBLE AS tf_{comparison.name}"
    )


def score_within_clusters(
    con: duckdb.DuckDBPyConnection,
    linker: Any,
    settings: dict[str, Any],
    clusters_table: str,
    out_table: str,
) -> None:
    """Score every pair of records sharing a cluster_id in `clusters_table` (columns
    cluster_id, unique_id), whether or not blocking paired them."""
    sdf = linker._db_api.register(clusters_table)
    # Splink keeps this helper private; it is the one that scores all within-cluster pairs.
    df = linker.inference._score_missing_cluster_edges(sdf)
    _keep_scores(con, df, settings, out_table)


def _keep_scores(
    con: duckdb.DuckDBPyConnection, df: Any, settings: dict[str, Any], out_table: str
) -> None:
    """Copy Splink's scored pairs into `out_table` in joinedup's shape, then drop Splink's."""
    con.execute(
        f"CREATE OR REPLACE TABLE {out_table} AS SELECT *, {auto_ok_sql(settings)} AS auto_ok "
        "FROM (SELECT least(unique_id_l, unique_id_r) AS id_l, "
        "greatest(unique_id_l, unique_id_r) AS id_r, match_weight, match_probability, "
        + ", ".join(_mw_sql(c) for c in cmp.COMPARISONS)
        + f" FROM {df.physical_name})"
    )
    df.drop_table_from_database_and_remove_from_cache()
