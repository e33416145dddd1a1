"""Comparisons: nicknames, features, and the SQL and Python forms of every level agreeing."""

from __future__ import annotations

import datetime as dt
import itertools

import duckdb
import pyarrow as pa
import pytest

from joinedup.domain import comparisons as cmp
from joinedup.domain.match_features import prepare_record
from joinedup.domain.nicknames import parse_nickname_table
from joinedup.identity.features import build_features
from joinedup.identity.nicknames import nickname_table
from joinedup.identity.record_source import SCHEMA

RECORDS = [
    dict(
        given_name="William",
        family_name="Smith",
        date_of_birth="2010-03-04",
        sex="male",
        postcode="L1 8JQ",
        address_line_1="12 High Street",
        nhs_number="9434765919",
    ),
    dict(
        given_name="Bill",
        family_name="Smith",
        date_of_birth="2010-04-03",
        sex="male",
        postcode="L1 8JQ",
        address_line_1="12 High St",
        nhs_number="9434765919",
    ),
    dict(
        given_name="Liam",
        family_name="Smyth",
        date_of_birth="2010-03-05",
        sex="unknown",
        postcode="L1 8JX",
        address_line_1="3 Mill Road",
    ),
    dict(
        given_name="Wiliam",
        middle_names="James Peter",
        family_name="Jones",
        previous_family_names="Smith; Brown",
        date_of_birth="2011-03-04",
        sex="male",
        postcode="L18 1AB",
        nhs_number="4010232137",
    ),
    dict(
        given_name="James",
        middle_names="William",
        family_name="Jones",
        date_of_birth="2010-03-04",
        sex="female",
        postcode="L2 1AB",
        upn="A123456789012",
    ),
    dict(given_name="Smith", family_name="William", date_of_birth="2010-03-04"),
    dict(
        given_name="Margaret",
        family_name="O'Brien",
        date_of_birth="1950-12-01",
        postcode="M1 1AA",
        address_line_1="Flat 2, 5 Park Avenue",
    ),
    dict(given_name="Peggy", family_name="OBrien", date_of_birth="1950-01-12", postcode="M1 1AB"),
    dict(given_name="Zoë", family_name="Brontë-Smith", date_of_birth=None),
    dict(given_name=None, family_name=None, date_of_birth="1999-09-09", ni_number="JA123456C"),
    dict(
        given_name="Mohammed",
        family_name="Khan",
        date_of_birth="2001-07-17",
        postcode="B1 1AA",
        ni_number="JA123456C",
    ),
    dict(
        given_name="Muhammad",
        family_name="Khan",
        date_of_birth="2001-07-17",
        postcode="B1 1AA",
        ni_number="JB654321A",
    ),
    dict(
        given_name="Yun",
        family_name="Sun-Gao",
        date_of_birth="2019-07-30",
        postcode="L1 8JQ",
        address_line_1="14 High Street",
    ),
    dict(
        given_name="Yyn",
        family_name="Gao",
        date_of_birth="2020-07-30",
        postcode="L1 8JQ",
        address_line_1="12 High Street",
    ),
    dict(given_name="Cook", family_name="Laruen", date_of_birth="2009-04-08"),
    dict(given_name="Lauren", family_name="Cook", date_of_birth="2009-04-08"),
]


def test_nicknames_are_equivalent_without_chaining() -> None:
    table = nickname_table()
    assert len(table) > 300
    assert table.equivalent("William", "Bill")
    assert table.equivalent("Bill", "Liam")  # both stand for William
    assert table.equivalent("Margaret", "peggy")
    assert table.equivalent("Elizabeth", "Beth")
    assert table.equivalent("Robert", "Bob")
    # "Al" stands for Albert and Alexander, "Sandy" for Alexander and Alexandra: neither
    # makes Albert a Sandra.
    assert table.equivalent("Al", "Sandy")
    assert not table.equivalent("Albert", "Sandra")
    assert not table.equivalent("William", "Robert")
    assert table.key("Bill") == table.key("William") == table.key("liam")
    assert table.key("Ellie") == table.key("Eleanor")  # Ellie is formal and a nickname
    assert table.key("Robert") != table.key("William")
    assert table.key("Zebedee") == "ZEBEDEE"


def test_nickname_parser_rejects_bad_rows() -> None:
    with pytest.raises(ValueError):
        parse_nickname_table(["formal,nickname", "Robert"])
    parsed = parse_nickname_table(["# comment", "formal,nickname", "Robert,Bob", ""])
    assert parsed.equivalent("bob", "ROBERT")


def _core(i: int, rec: dict[str, object]) -> dict[str, object]:
    return {"unique_id": i, **rec}


def _features_batch() -> tuple[duckdb.DuckDBPyConnection, list[dict[str, object]]]:
    rows = {f.name: [] for f in SCHEMA}
    for i, rec in enumerate(RECORDS, start=1):
        for f in SCHEMA:
            rows[f.name].append(i if f.name == "id" else rec.get(f.name))
    con = duckdb.connect()
    build_features(con, pa.table(rows, schema=SCHEMA))
    cols = [d[0] for d in con.execute("SELECT * FROM features LIMIT 0").description]
    batch = [
        dict(zip(cols, r, strict=True))
        for r in con.execute("SELECT * FROM features ORDER BY unique_id").fetchall()
    ]
    return con, batch


def test_batch_features_equal_the_python_features_of_each_record() -> None:
    _con, batch = _features_batch()
    nick = nickname_table()
    for i, (rec, got) in enumerate(zip(RECORDS, batch, strict=True), start=1):
        expected = prepare_record(_core(i, rec), nick)
        for key, value in expected.items():
            actual = got[key]
            if isinstance(value, list):
                assert sorted(actual or []) == sorted(value), (i, key)
            elif isinstance(value, dt.date):
                assert actual == value, (i, key)
            else:
                assert actual == value, (i, key, actual, value)


def test_every_level_sql_agrees_with_its_python_predicate() -> None:
    con, batch = _features_batch()
    names = [c for c in batch[0] if c != "unique_id"]
    select = ", ".join([f"l.{c} AS {c}_l" for c in names] + [f"r.{c} AS {c}_r" for c in names])
    con.execute(
        f"CREATE TABLE pairs AS SELECT l.unique_id AS id_l, r.unique_id AS id_r, {select} "
        "FROM features l JOIN features r ON l.unique_id < r.unique_id"
    )
    by_id = {f["unique_id"]: f for f in batch}
    checked = 0
    for comparison in cmp.COMPARISONS:
        for level in comparison.levels:
            if level.sql == "ELSE":
                continue
            sql_true = {
                (a, b)
                for a, b in con.execute(
                    f"SELECT id_l, id_r FROM pairs WHERE coalesce(({level.sql}), false)"
                ).fetchall()
            }
            for a, b in itertools.combinations(sorted(by_id), 2):
                py = level.py(by_id[a], by_id[b])
                assert py == ((a, b) in sql_true), (comparison.name, level.label, a, b)
                checked += 1
    assert checked > 500


def test_levels_found_for_known_pairs() -> None:
    nick = nickname_table()
    f = [prepare_record(_core(i, r), nick) for i, r in enumerate(RECORDS, start=1)]
    g = cmp.comparison_vector(f[0], f[1])  # William/Bill, d/m transposed, same address
    assert cmp.GIVEN_NAME.levels[len(cmp.GIVEN_NAME.levels) - 1 - g["given_name"]].label == (
        "nickname or variant"
    )
    dob = cmp.DATE_OF_BIRTH
    assert dob.levels[len(dob.levels) - 1 - g["date_of_birth"]].label == "day and month transposed"
    assert g["nhs_number"] == 1
    pc = cmp.POSTCODE_ADDRESS
    g2 = cmp.comparison_vector(f[0], f[2])
    assert pc.levels[len(pc.levels) - 1 - g2["postcode_address"]].label == "same sector"
    assert g2["sex"] == -1  # unknown compares as missing
    # Previous family name shared: Smith (current) vs Smith (previous of record 4).
    g3 = cmp.comparison_vector(f[0], f[3])
    fam = cmp.FAMILY_NAME
    assert fam.levels[len(fam.levels) - 1 - g3["family_name"]].label.startswith("a current")
    # Given and family names swapped.
    g4 = cmp.comparison_vector(f[0], f[5])
    assert cmp.GIVEN_NAME.levels[len(cmp.GIVEN_NAME.levels) - 1 - g4["given_name"]].label == (
        "given and family names swapped"
    )


def _label(comparison: cmp.Comparison, gamma: int) -> str:
    return comparison.levels[len(comparison.levels) - 1 - gamma].label


def test_typos_double_barrels_near_dates_and_neighbours() -> None:
    nick = nickname_table()
    f = [prepare_record(_core(i, r), nick) for i, r in enumerate(RECORDS, start=1)]
    yun, yyn, laruen, lauren = f[12], f[13], f[14], f[15]
    g = cmp.comparison_vector(yun, yyn)
    assert _label(cmp.GIVEN_NAME, g["given_name"]) == "one character different"
    assert _label(cmp.FAMILY_NAME, g["family_name"]) == "a current or previous name shared"
    assert _label(cmp.DATE_OF_BIRTH, g["date_of_birth"]) == "two of day, month and year agree"
    # 12 and 14 High Street: alike as strings, different houses.
    assert _label(cmp.POSTCODE_ADDRESS, g["postcode_address"]) == "same postcode"
    assert _label(cmp.POSTCODE_ADDRESS, cmp.comparison_vector(f[0], f[1])["postcode_address"]) == (
        "same address"
    )
    g2 = cmp.comparison_vector(laruen, lauren)
    assert _label(cmp.GIVEN_NAME, g2["given_name"]) == "given and family names swapped"
    assert laruen["names_ph"] == lauren["names_ph"]


def test_m_floor_keeps_disagreement_finite() -> None:
    settings = {"comparisons": [{"comparison_levels": [{"m_probability": 1e-13}, {}]}]}
    cmp.apply_m_floor(settings)
    assert settings["comparisons"][0]["comparison_levels"][0]["m_probability"] == cmp.M_FLOOR


def test_a_different_valid_identifier_blocks_nothing_but_counts_against() -> None:
    nick = nickname_table()
    f = [prepare_record(_core(i, r), nick) for i, r in enumerate(RECORDS, start=1)]
    g = cmp.comparison_vector(f[10], f[11])  # Mohammed/Muhammad Khan, different NI numbers
    assert g["ni_number"] == 0
    ident = cmp.COMPARISONS[-1]
    different = ident.levels[-1]
    assert different.m is not None and different.m < 0.05 and different.fix_m


def test_twins_and_fathers_and_sons_are_never_linked_automatically() -> None:
    twins = {"given_name": 0, "family_name": 1, "date_of_birth": 3, "postcode_address": 5}
    assert not cmp.auto_link_allowed(twins)
    father_son = {"given_name": 7, "family_name": 1, "date_of_birth": 0}
    assert not cmp.auto_link_allowed(father_son)
    assert cmp.auto_link_allowed({**twins, "nhs_number": 1})
    assert cmp.auto_link_allowed({"given_name": 5, "date_of_birth": -1})
