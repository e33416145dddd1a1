"""Linkage benchmark: joinedup's model against a plain Splink baseline on synthetic data.

    uv run python benchmarks/linkage.py --persons 100000
    uv run python benchmarks/linkage.py --persons 1000000 --skip-baseline

Steps: generate the synthetic partnership (joinedup.synth), load its records into a fresh
store, then `joinedup link train` and `joinedup link run` as subprocesses (wall time and
peak RSS of each), `evaluate` against the truth, and in the same run a plain Splink
baseline on the same records: Splink's default comparison library (NameComparison,
DateOfBirthComparison, PostcodeComparison, ExactMatch), the same blocking and training
steps, and connected components at 0.9. Prints both.

Records are loaded by the ingest service (`joinedup.records.manifest.load_manifest`) when
it exists; otherwise the synthetic core records are inserted directly (the same values the
extracts carry, with invalid identifiers set to NULL as ingest does).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy import Engine, insert

from joinedup.domain.person_number import is_valid_person_number
from joinedup.identity.evaluation import pairwise_metrics, read_truth
from joinedup.identity.features import FEATURES_TABLE, build_features
from joinedup.identity.model import duckdb_connection
from joinedup.identity.record_source import read_linkage_records
from joinedup.store import create_store_engine, ensure_schema
from joinedup.store.schema.core import Dataset, Organisation
from joinedup.store.schema.records import IngestBatch


def _valid_identifier(scheme: str, value: str) -> bool:
    from stdnum.gb import nhs, upn

    if not value:
        return False
    if scheme == "nhs_number":
        return bool(nhs.is_valid(value))
    if scheme == "upn":
        return bool(upn.is_valid(value))
    if scheme == "uln":
        return is_valid_person_number(value)
    if scheme == "ni_number":
        v = value.replace(" ", "").upper()
        return len(v) == 9 and v[:2].isalpha() and v[2:8].isdigit() and v[8] in "ABCD"
    return True


def load_synth_directly(engine: Engine, persons: int, seed: int, truth_path: Path) -> int:
    """Build the synthetic partnership in memory and insert its core records."""
    from joinedup.synth.agencies import Context, all_agencies
    from joinedup.synth.corrupt import ErrorLog, apply_errors, make_records
    from joinedup.synth.generate import _assign_identifiers, _rng, _write_truth
    from joinedup.synth.geography import load_geography
    from joinedup.synth.names import load_name_pools
    from joinedup.synth.population import build_population
    from joinedup.synth.rates import ErrorRates

    rates = ErrorRates()
    geo, pools = load_geography(), load_name_pools()
    pop = build_population(persons, _rng(seed, "population"), geo, pools)
    agencies = all_agencies()
    selections = [a.select(pop, _rng(seed, f"select:{a.dataset}")) for a in agencies]
    _assign_identifiers(pop, agencies, selections, _rng(seed, "identifiers"))
    ctx = Context(pop=pop, geo=geo, pools=pools)
    now = dt.datetime.now(dt.UTC)
    truth_parts = []
    total = 0
    for agency, chosen in zip(agencies, selections, strict=True):
        rng = _rng(seed, f"extract:{agency.dataset}")
        rec = make_records(chosen, pop, geo, rates.duplicate, rng, agency.local_ids, ErrorLog())
        agency.hold_identifiers(rec, ctx, rng)
        apply_errors(rec, pop, geo, rates, rng, ErrorLog(), agency.key_identifier)
        truth_parts.append(
            (agency.organisation, agency.dataset, rec.local_id, pop.person_key[rec.person])
        )
        with engine.begin() as conn:
            org_id = conn.execute(
                insert(Organisation).values(
                    code=agency.organisation, name=agency.organisation_name, created_at=now
                )
            ).inserted_primary_key[0]
            ds_id = conn.execute(
                insert(Dataset).values(
                    organisation_id=org_id,
                    code=agency.dataset,
                    name=agency.dataset_name,
                    created_at=now,
                )
            ).inserted_primary_key[0]
            batch_id = conn.execute(
                insert(IngestBatch).values(
                    dataset_id=ds_id,
                    file_name=agency.file_name,
                    content_hash="0" * 64,
                    snapshot="full",
                    status="done",
                    started_at=now,
                )
            ).inserted_primary_key[0]
        n = len(rec)
        dob = [None if np.isnat(d) else d.astype("datetime64[D]").item() for d in rec.date_of_birth]

        def col(values: Any) -> list[Any]:
            return [v if isinstance(v, str) and v != "" else None for v in values.tolist()]

        ids = {}
        for scheme in ("nhs_number", "upn", "uln", "ni_number"):
            raw = rec.identifiers.get(scheme)
            vals = col(raw) if raw is not None else [None] * n
            ids[scheme] = [v if v and _valid_identifier(scheme, v) else None for v in vals]
        sex = col(rec.sex)
        table = pa.table(
            {
                "dataset_id": [ds_id] * n,
                "local_id": [str(x) for x in rec.local_id.tolist()],
                "status": ["active"] * n,
                "version": [1] * n,
                "content_hash": ["0" * 64] * n,
                "first_batch_id": [batch_id] * n,
                "last_batch_id": [batch_id] * n,
                "updated_at": [now.strftime("%Y-%m-%d %H:%M:%S.%f")] * n,
                "given_name": col(rec.given_name),
                "middle_names": col(rec.middle_names),
                "family_name": col(rec.family_name),
                "date_of_birth": [d.isoformat() if d else None for d in dob],
                "sex": sex,
                "address_line_1": col(rec.address_line_1),
                "postcode": col(rec.postcode),
                **ids,
            }
        )
        _bulk_source_records(engine, table)
        total += n
    _write_truth(truth_path, truth_parts)
    return total


def _bulk_source_records(engine: Engine, table: pa.Table) -> None:
    from joinedup.identity.bulk import bulk_insert

    cols = table.column_names
    rows = zip(*(table.column(c).to_pylist() for c in cols), strict=True)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            rows = (tuple(_pg(v, c) for v, c in zip(r, cols, strict=True)) for r in rows)
        bulk_insert(conn, "source_records", cols, rows)


def _pg(value: Any, col: str) -> Any:
    if col == "updated_at" and value:
        return value + "+00"
    return value


CPU_SECONDS: dict[str, float] = {}


def _clear_linkage(engine: Engine) -> int:
    """Forget every model, run, person and link; keep the records. Returns their count."""
    from sqlalchemy import text

    with engine.begin() as conn:
        for table in (
            "review_items",
            "match_constraints",
            "person_history",
            "person_links",
            "issued_person_numbers",
        ):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("UPDATE persons SET merged_into_id = NULL"))
        conn.execute(text("DELETE FROM persons"))
        conn.execute(text("DELETE FROM link_runs"))
        conn.execute(text("DELETE FROM linkage_models"))
        return int(conn.execute(text("SELECT count(*) FROM source_records")).scalar() or 0)


def _cli(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run `joinedup ARGS`; returns (seconds, peak RSS of the child in GiB, stdout).
    The child's CPU seconds go to CPU_SECONDS (a fairer figure on a shared machine)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = usage.ru_maxrss
    cpu_before = usage.ru_utime + usage.ru_stime
    t0 = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", "from joinedup.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - t0
    if proc.returncode:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"joinedup {' '.join(args)} failed")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss
    CPU_SECONDS[" ".join(args[:2])] = usage.ru_utime + usage.ru_stime - cpu_before
    # ru_maxrss of children is the largest child so far (KiB on Linux).
    return seconds, max(peak, before) / 1024**2, proc.stdout


def _json_from(out: str) -> dict[str, Any]:
    """The JSON object a `--json` command printed (anything a library printed before it is
    shown on stderr)."""
    start = out.find("{")
    if start > 0:
        sys.stderr.write(f"(text before the JSON: {out[:start]!r})\n")
    obj, _ = json.JSONDecoder().raw_decode(out[start:])
    return dict(obj)


def baseline(engine: Engine, truth_path: Path, threshold: float = 0.9) -> dict[str, Any]:
    """Plain Splink: default comparison library, same blocking, connected components."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    from joinedup.domain import comparisons as cmp

    t0 = time.monotonic()
    con = duckdb_connection()
    build_features(con, read_linkage_records(engine))
    con.execute(f"CREATE TABLE base AS SELECT * FROM {FEATURES_TABLE}")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("family_name"),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.PostcodeComparison("postcode"),
            cl.ExactMatch("sex"),
            cl.ExactMatch("nhs_number"),
            cl.ExactMatch("upn"),
            cl.ExactMatch("uln"),
            cl.ExactMatch("ni_number"),
        ],
        blocking_rules_to_generate_predictions=list(cmp.PREDICTION_BLOCKING_RULES),
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI(connection=con)
    linker = Linker(db_api.register("base"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        list(cmp.DETERMINISTIC_RULES), recall=cmp.DETERMINISTIC_RECALL
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("dob"), max_pairs=2e6
    )
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name"), max_pairs=2e6
    )
    preds = linker.inference.predict(threshold_match_probability=0.5, warning_mode="never")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(preds, threshold)
    con.execute(
        f"CREATE TABLE base_clusters AS SELECT unique_id, cluster_id FROM {clusters.physical_name}"
    )
    seconds = time.monotonic() - t0
    metrics = _metrics_for(con, engine, truth_path, "base_clusters")
    metrics["seconds"] = round(seconds, 1)
    con.close()
    return metrics


def _metrics_for(
    con: duckdb.DuckDBPyConnection, engine: Engine, truth_path: Path, clusters: str
) -> dict[str, Any]:
    from joinedup.identity.bulk import read_arrow

    schema = pa.schema(
        [
            ("id", pa.int64()),
            ("organisation", pa.string()),
            ("dataset", pa.string()),
            ("local_id", pa.string()),
        ]
    )
    with engine.connect() as conn:
        keys = read_arrow(
            conn,
            "SELECT s.id, o.code, d.code, s.local_id FROM source_records s "
            "JOIN datasets d ON d.id = s.dataset_id JOIN organisations o ON o.id = d.organisation_id",
            schema,
        )
    con.register("keys_arrow", keys)
    con.register("truth_arrow", read_truth(truth_path))
    con.execute(
        f"CREATE OR REPLACE TABLE judged AS SELECT c.cluster_id, t.person_key FROM {clusters} c "
        "JOIN keys_arrow k ON k.id = c.unique_id "
        "JOIN truth_arrow t USING (organisation, dataset, local_id)"
    )
    true_pairs, pred_pairs, tp = pairwise_metrics(con, "judged", "cluster_id", "person_key")
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
        "predicted_pairs": pred_pairs,
        "true_pairs": true_pairs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="store to use (default: a new SQLite file)")
    parser.add_argument("--workdir", type=Path, help="where to keep the store and truth")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the records already loaded in --workdir (models, persons and links are "
        "cleared), to time training and linking again",
    )
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="joinedup-linkage-"))
    workdir.mkdir(parents=True, exist_ok=True)
    if not args.reuse and not args.database_url:
        for leftover in workdir.glob("store.db*"):
            leftover.unlink()
    url = args.database_url or f"sqlite:///{workdir / 'store.db'}"
    engine = create_store_engine(url)
    ensure_schema(engine)
    truth = workdir / "truth.csv"
    t0 = time.monotonic()
    if args.reuse:
        n = _clear_linkage(engine)
    else:
        n = load_synth_directly(engine, args.persons, args.seed, truth)
    load_s = time.monotonic() - t0
    print(
        f"persons {args.persons:,}  records {n:,}  loaded in {load_s:.1f}s  ({url.split(':')[0]})"
    )

    env = {**os.environ, "JOINEDUP_DATABASE_URL": url}
    train_s, train_gib, train_out = _cli(["link", "train", "--json"], env)
    run_s, run_gib, out = _cli(["link", "run", "--json"], env)
    run = _json_from(out)
    print(
        f"joinedup link train {train_s:.1f}s (peak {train_gib:.2f} GiB); "
        f"link run {run_s:.1f}s (peak {run_gib:.2f} GiB); total {train_s + run_s:.1f}s"
    )
    print(f"train timings {_json_from(train_out)['timings']}")
    print(f"run timings {run['timings']}  pairs scored {run['pairs_scored']:,}")
    print(f"CPU seconds (user+sys) {CPU_SECONDS}  load average {os.getloadavg()}")
    from joinedup.identity.evaluation import evaluate

    ev = evaluate(engine, truth).as_dict()
    print(
        "joinedup  precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f} "
        "false-merge rate {false_merge_rate:.4f} persons {predicted_persons:,} "
        "(true {true_persons:,}) review items {review_items:,} "
        "({review_share_of_records:.2%} of records) recall with review "
        "{recall_with_review:.4f}".format(**ev)
    )
    if not args.skip_baseline:
        base = baseline(engine, truth)
        print(
            "baseline  precision {precision:.4f} recall {recall:.4f} F1 {f1:.4f} "
            "({seconds}s)".format(**base)
        )
        print(f"F1 gain over baseline {ev['f1'] - base['f1']:+.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
