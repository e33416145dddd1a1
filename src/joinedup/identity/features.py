"""Builds the linkage feature table in DuckDB from the store's records (the batch path).

Each text feature is computed in Python by `joinedup.domain.match_features` over the
*distinct* values of its source column and joined back, so the batch and the online matcher
use one implementation. Cheap per-record parts (date parts, identifiers) are SQL that mirrors
the same module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb
import pyarrow as pa

from joinedup.domain import match_features as mf
from joinedup.domain.nicknames import NicknameTable
from joinedup.identity.nicknames import nickname_table

FEATURES_TABLE = "features"


def _lookup(
    con: duckdb.DuckDBPyConnection,
    column: str,
    name: str,
    compute: Callable[[str], dict[str, Any]],
    types: dict[str, pa.DataType],
) -> None:
    values = [
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT {column} FROM raw_records WHERE {column} IS NOT NULL"
        ).fetchall()
    ]
    out: dict[str, list[Any]] = {"raw": values}
    for key in types:
        out[key] = []
    for value in values:
        feats = compute(value)
        for key in types:
            out[key].append(feats[key])
    arrays = {"raw": pa.array(values, type=pa.string())}
    arrays.update({k: pa.array(out[k], type=t) for k, t in types.items()})
    con.register(f"{name}_arrow", pa.table(arrays))
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


def _ident_sql(col: str) -> str:
    return f"nullif(upper(regexp_replace(r.{col}, '\\s+', '', 'g')), '') AS {col}"


def build_features(
    con: duckdb.DuckDBPyConnection,
    records: pa.Table,
    nicknames: NicknameTable | None = None,
) -> int:
    """Create the `features` table in `con` from Arrow `records`; return its row count."""
    nick = nicknames or nickname_table()
    con.register("raw_records_arrow", records)
    con.execute("CREATE OR REPLACE TABLE raw_records AS SELECT * FROM raw_records_arrow")
    con.unregister("raw_records_arrow")
    text, lst = pa.string(), pa.list_(pa.string())
    _lookup(
        con,
        "given_name",
        "lk_given",
        lambda v: mf.given_features(v, nick),
        {"given_name": text, "given_formal": lst, "given_key": text, "given_ph": text},
    )
    _lookup(con, "middle_names", "lk_middle", mf.middle_features, {"middle_first": text})
    _lookup(
        con,
        "family_name",
        "lk_family",
        mf.family_features,
        {"family_name": text, "family_ph": text, "family_parts": lst},
    )
    _lookup(
        con,
        "previous_family_names",
        "lk_previous",
        lambda v: {"previous": mf.previous_names(v)},
        {"previous": lst},
    )
    _lookup(
        con,
        "postcode",
        "lk_postcode",
        mf.postcode_features,
        {"postcode": text, "postcode_sector": text, "postcode_district": text},
    )
    _lookup(
        con,
        "address_line_1",
        "lk_address",
        mf.address_features,
        {"address": text, "address_number": text},
    )
    con.execute(
        f"""
        CREATE OR REPLACE TABLE {FEATURES_TABLE} AS
        WITH base AS (
            SELECT r.*, try_cast(r.date_of_birth AS DATE) AS dob_date
            FROM raw_records r
        )
        SELECT
            r.id AS unique_id,
            g.given_name, g.given_formal, g.given_key, g.given_ph,
            m.middle_first,
            f.family_name, f.family_ph,
            list_sort(list_distinct(list_concat(
                coalesce(p.previous, []::VARCHAR[]), coalesce(f.family_parts, []::VARCHAR[])
            ))) AS family_all,
            CASE WHEN g.given_ph IS NOT NULL AND f.family_ph IS NOT NULL
                 THEN least(g.given_ph, f.family_ph) || '|' || greatest(g.given_ph, f.family_ph)
            END AS names_ph,
            r.dob_date AS dob,
            strftime(r.dob_date, '%Y%m%d') AS dob_str,
            year(r.dob_date)::BIGINT AS dob_y,
            month(r.dob_date)::BIGINT AS dob_m,
            day(r.dob_date)::BIGINT AS dob_d,
            CASE WHEN r.sex IN ('male', 'female') THEN r.sex END AS sex,
            pc.postcode, pc.postcode_sector, pc.postcode_district,
            a.address, a.address_number,
            {_ident_sql("nhs_number")},
            {_ident_sql("upn")},
            {_ident_sql("uln")},
            {_ident_sql("ni_number")}
        FROM base r
        LEFT JOIN lk_given g ON g.raw = r.given_name
        LEFT JOIN lk_middle m ON m.raw = r.middle_names
        LEFT JOIN lk_family f ON f.raw = r.family_name
        LEFT JOIN lk_previous p ON p.raw = r.previous_family_names
        LEFT JOIN lk_postcode pc ON pc.raw = r.postcode
        LEFT JOIN lk_address a ON a.raw = r.address_line_1
        ORDER BY r.id
        """
    )
    for name in ("lk_given", "lk_middle", "lk_family", "lk_previous", "lk_postcode", "lk_address"):
        con.execute(f"DROP TABLE {name}")
    rows = con.execute(f"SELECT count(*) FROM {FEATURES_TABLE}").fetchall()
    return int(rows[0][0])
