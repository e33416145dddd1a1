"""Compile a mapping and the core format's validation rules into one DuckDB query.

Ingest runs this query over each Arrow batch of source rows (`src`, text columns `c0`,
`c1`, ... and the row ordinal `_row`), so mapping, validation, normalisation, the record as
received (JSON) and its content hash are computed column-wise in C++, not row by row in
Python. The rules mirror the pure-Python reference in `joinedup.domain.mapping` and
`joinedup.domain.validation`; `tests/unit/test_transform_agreement.py` checks that both
give the same results on generated rows.

Output columns: `_row`, `local_id`, `_hash` (of the record as received), `_received` (the
values as received that differ from the stored fields, else NULL); the typed store columns
(`db_columns`, with `quality_flags`); per mapped field `q:<f>` (its problem code), and for
`identifier:SCHEME` fields `t:<f>` (the typed value).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from joinedup.domain.core_format import (
    CoreFormat,
    FieldSpec,
    Kind,
    identifier_scheme,
    spec_for,
)
from joinedup.domain.identifiers import (
    NI_BAD_PREFIXES,
    UPN_ALPHABET,
    UPN_LA_NUMBERS,
)
from joinedup.domain.mapping_spec import FieldRule, MappingSpec
from joinedup.domain.validation import add_years

WS = "(' ' || chr(9) || chr(10) || chr(13))"
WHITESPACE = " \t\r\n"
POSTCODE_IN_TEXT = r"\b([A-Za-z]{1,2}[0-9][A-Za-z0-9]?) ?([0-9][A-Za-z]{2})\b"
POSTCODE_FULL = (
    r"GIR0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]([0-9ABEHMNPRV-Y])?|[0-9][A-HJKPS-UW])"
    r"[0-9][ABD-HJLNP-UW-Z]{2}"
)
NI_FULL = r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]"
EMAIL_FULL = r"[^@ \t\r\n]+@[^@ \t\r\n]+\.[^@ \t\r\n]+"
ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([ T]00:00:00)?"

# Store columns that hold JSON documents.
JSON_COLUMNS = {"reason_codes", "outcome_codes", "identifiers", "attributes"}


def lit(value: str) -> str:
    """A SQL string literal (standard SQL: only the quote is special)."""
    return "'" + value.replace("'", "''") + "'"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _clean(expr: str, strip: bool = True) -> str:
    """A source column as a rule reads it. `Transform.prepare` has already trimmed every
    column `cN` (blank -> NULL) with pyarrow, much faster than SQL; `wN` is the untrimmed
    value, for rules with `strip: false`."""
    if strip:
        return expr
    return f"CASE WHEN {expr} IS NULL THEN NULL ELSE w{expr[1:]} END"


def _split_items(expr: str, sep: str) -> str:
    return (
        f"list_filter(list_transform(string_split({expr}, {lit(sep)}), "
        f"lambda i: trim(i, {WS})), lambda i: i <> '')"
    )


def _lookup(expr: str, rule: FieldRule) -> str:
    table = dict(rule.lookup)
    if not table:
        return expr
    whens = " ".join(f"WHEN {expr} = {lit(k)} THEN {lit(v)}" for k, v in table.items())
    default = lit(rule.lookup_default) if rule.lookup_default is not None else expr
    return f"(CASE WHEN {expr} IS NULL THEN NULL {whens} ELSE {default} END)"


def _split_name(v: str, part: str) -> str:
    rest_tokens = (
        f"list_filter(string_split_regex(substr({v}, strpos({v}, ',') + 1), "
        f"'[ \\t\\r\\n,]+'), lambda t: t <> '')"
    )
    tokens = f"list_filter(string_split_regex({v}, '[ \\t\\r\\n]+'), lambda t: t <> '')"
    if part == "family":
        with_comma = f"NULLIF(trim(split_part({v}, ',', 1), {WS}), '')"
        without = f"{tokens}[-1]"
    elif part == "given":
        with_comma = f"{rest_tokens}[1]"
        without = f"CASE WHEN len({tokens}) > 1 THEN {tokens}[1] END"
    else:
        with_comma = f"NULLIF(array_to_string({rest_tokens}[2:], ' '), '')"
        without = f"NULLIF(array_to_string({tokens}[2:len({tokens}) - 1], ' '), '')"
    return f"(CASE WHEN strpos({v}, ',') > 0 THEN {with_comma} ELSE {without} END)"


def _extract(v: str, what: str) -> str:
    if what == "postcode":
        return f"regexp_extract_all({v}, {lit(POSTCODE_IN_TEXT)})[-1]"
    parts = (
        f"list_filter(list_transform(string_split(regexp_replace({v}, "
        f"{lit(POSTCODE_IN_TEXT)}, '', 'g'), ','), lambda p: trim(p, {WS})), lambda p: p <> '')"
    )
    index = int(what[-1])
    if index < 4:
        return f"{parts}[{index}]"
    return f"NULLIF(array_to_string({parts}[4:], ', '), '')"


def received_expr(rule: FieldRule, column_sql: dict[str, str]) -> str:
    """The received value of a rule: VARCHAR, or VARCHAR[] for list fields."""
    if rule.constant is not None:
        value = lit(rule.constant) if rule.constant else "NULL::VARCHAR"
    elif rule.column is not None:
        col = column_sql.get(rule.column)
        value = _clean(col, rule.strip) if col else "NULL::VARCHAR"
    else:
        parts = [_clean(column_sql[c], rule.strip) for c in rule.columns if c in column_sql]
        value = (
            f"NULLIF(concat_ws({lit(rule.separator)}, {', '.join(parts)}), '')"
            if parts
            else "NULL::VARCHAR"
        )
    if rule.split_name is not None:
        value = _split_name(value, rule.split_name)
    elif rule.extract is not None:
        value = _extract(value, rule.extract)
    if rule.split is not None:
        items = _split_items(value, rule.split)
        if rule.lookup:
            items = f"list_transform({items}, lambda j: {_lookup('j', rule)})"
        # NULL for a NULL value (the list functions propagate it) or no items; nullif
        # evaluates the list once, a CASE would build it twice.
        return f"nullif({items}, []::VARCHAR[])"
    return _lookup(value, rule)


@dataclass(frozen=True)
class Checks:
    """SQL for one field: the normalised candidate and the problem code (NULL if valid).

    `problem` refers to the candidate's column as `{n}` wherever it needs the normalised
    value: that column is computed once, a layer before, whereas an expression repeated
    inside a CASE is evaluated again at each use (DuckDB does not share subexpressions
    across CASE branches; repeating the NHS number's normalisation in its check digit cost
    more than the rest of its validation)."""

    typed: str
    problem: str
    is_date: bool = False
    is_list: bool = False
    # A value over the received one computed once, a layer before the candidate (`{p}` in
    # `typed` and `problem`), and one over the candidate, a layer after it (`{a}` in
    # `problem`).
    pre: str | None = None
    aux: str | None = None
    # The stored text when the value is valid (over `{n}` and the received `{r}`), where it
    # is not the candidate itself: a date's, for instance.
    stored: str | None = None


def _checksum(n: str, modulus: int) -> str:
    """Ten digits weighted 10, 9, ..., 1, summed, modulo `modulus`. `n` is the ten-digit
    value as one integer (integer arithmetic is about twice as fast as ten substrings),
    computed once in a layer of its own: written out here it would be cast ten times."""
    terms = " + ".join(f"{11 - i} * (({n} // {10 ** (10 - i)}) % 10)" for i in range(1, 11))
    return f"(({terms}) % {modulus})"


def field_checks(spec: FieldSpec, r: str, as_of: dt.date, date_formats: Sequence[str]) -> Checks:
    """Validation of the received value `r` of one field, as SQL."""
    k = spec.kind
    if k in (Kind.NAME, Kind.TEXT, Kind.NOTE, Kind.IDENTIFIER, Kind.LOCAL_ID):
        # The regex runs only on the few values that need it (cheap substring tests first).
        text = (
            r
            if k in (Kind.NOTE, Kind.LOCAL_ID)
            else (
                f"(CASE WHEN strpos({r}, '  ') > 0 OR strpos({r}, chr(9)) > 0 "
                f"OR strpos({r}, chr(10)) > 0 OR strpos({r}, chr(13)) > 0 "
                f"THEN regexp_replace({r}, '[ \\t\\r\\n]+', ' ', 'g') ELSE {r} END)"
            )
        )
        if k is Kind.LOCAL_ID:
            return Checks(r, "NULL::VARCHAR")
        too_long = (
            f"WHEN length({{n}}) > {spec.max_length} THEN 'too_long' " if spec.max_length else ""
        )
        problem = (
            f"CASE WHEN {r} IS NULL THEN NULL WHEN strpos({r}, chr(65533)) > 0 "
            f"THEN 'undecodable' {too_long}END"
        )
        return Checks(text, problem)
    if k is Kind.DATE:
        if date_formats:
            fmts = "[" + ", ".join(lit(f) for f in date_formats) + "]"
            parsed = f"CAST(try_strptime({r}, {fmts}) AS DATE)"
        else:
            parsed = (
                f"(CASE WHEN regexp_full_match({r}, {lit(ISO_DATE)}) "
                f"THEN TRY_CAST(substr({r}, 1, 10) AS DATE) END)"
            )
        rng = spec.date_range
        parsed_sql = parsed
        parsed = "{n}"
        conds = [f"WHEN {parsed} IS NULL THEN 'invalid_date'"]
        if rng is not None:
            latest = add_years(as_of, rng.max_years_after)
            code = "future_date" if rng.max_years_after == 0 else "out_of_range"
            conds.append(f"WHEN {parsed} > DATE '{latest.isoformat()}' THEN '{code}'")
            if rng.min_years_before is not None:
                oldest = add_years(as_of, -rng.min_years_before)
                conds.append(f"WHEN {parsed} < DATE '{oldest.isoformat()}' THEN 'too_old'")
            if rng.earliest_year is not None:
                conds.append(
                    f"WHEN {parsed} < DATE '{rng.earliest_year:04d}-01-01' THEN 'out_of_range'"
                )
        problem = f"CASE WHEN {r} IS NULL THEN NULL {' '.join(conds)} END"
        # A valid ISO date is stored as its first ten characters, which is what formatting
        # the parsed date gives back (the pattern requires every digit), without the work.
        stored = None if date_formats else "substr({r}, 1, 10)"
        return Checks(parsed_sql, problem, is_date=True, stored=stored)
    if k is Kind.CODE:
        # The regex only for the few values holding a space or a hyphen.
        norm = (
            f"(CASE WHEN strpos({r}, ' ') > 0 OR strpos({r}, '-') > 0 "
            f"THEN regexp_replace(lower({r}), '[ -]+', '_', 'g') ELSE lower({r}) END)"
        )
        codes = ", ".join(lit(c) for c in spec.codes)
        problem = (
            f"CASE WHEN {r} IS NULL THEN NULL WHEN {{n}} IN ({codes}) THEN NULL "
            "ELSE 'not_in_code_list' END"
        )
        return Checks(norm, problem)
    if k is Kind.CODES:
        good = f"list_filter({r}, lambda c: regexp_full_match(c, '[A-Za-z0-9_-]{{1,32}}'))"
        problem = (
            f"CASE WHEN {r} IS NULL THEN NULL WHEN len({{p}}) <> len({r}) THEN 'invalid_code' END"
        )
        return Checks("CASE WHEN len({p}) > 0 THEN {p} END", problem, is_list=True, pre=good)
    if k is Kind.POSTCODE:
        # Without blanks, upper case: the form the pattern checks (the candidate without its
        # one space), computed once.
        bare = (
            f"upper(CASE WHEN strpos({r}, ' ') > 0 OR strpos({r}, chr(9)) > 0 "
            f"THEN replace(replace({r}, ' ', ''), chr(9), '') ELSE {r} END)"
        )
        typed = "substr({p}, 1, length({p}) - 3) || ' ' || right({p}, 3)"
        problem = (
            f"CASE WHEN {r} IS NULL THEN NULL "
            f"WHEN NOT regexp_full_match({{p}}, {lit(POSTCODE_FULL)}) "
            "THEN 'invalid_format' END"
        )
        return Checks(typed, problem, pre=bare)
    if k is Kind.UPRN:
        problem = (
            f"CASE WHEN {r} IS NULL THEN NULL WHEN NOT regexp_full_match({r}, '[0-9]{{1,12}}') "
            "THEN 'invalid_format' END"
        )
        return Checks(f"CAST(TRY_CAST({r} AS BIGINT) AS VARCHAR)", problem)
    if k is Kind.NHS_NUMBER:
        s = (
            f"(CASE WHEN strpos({r}, ' ') > 0 OR strpos({r}, '-') > 0 "
            f"THEN replace(replace({r}, ' ', ''), '-', '') ELSE {r} END)"
        )
        problem = (
            f"CASE WHEN {r} IS NULL THEN NULL WHEN NOT regexp_full_match({{n}}, '[0-9]{{10}}') "
            f"THEN 'invalid_format' WHEN {_checksum('{a}', 11)} <> 0 "
            "THEN 'invalid_check_digit' END"
        )
        return Checks(s, problem, aux="TRY_CAST({n} AS BIGINT)")
    if k is Kind.ULN:
        s = f"(CASE WHEN strpos({r}, ' ') > 0 THEN replace({r}, ' ', '') ELSE {r} END)"
        problem = (
            f"CASE WHEN {r} IS NULL THEN NULL "
            f"WHEN NOT regexp_full_match({{n}}, '[1-9][0-9]{{9}}') "
            f"THEN 'invalid_format' WHEN {_checksum('{a}', 11)} <> 10 "
            "THEN 'invalid_check_digit' END"
        )
        return Checks(s, problem, aux="TRY_CAST({n} AS BIGINT)")
    if k is Kind.UPN:
        s = f"upper(replace({r}, ' ', ''))"
        alpha = lit(UPN_ALPHABET)
        la = ", ".join(str(n) for n in sorted(UPN_LA_NUMBERS))
        check = (
            f"substr({alpha}, CAST(list_sum(list_transform(range(2, 14), lambda i: i * "
            f"(strpos({alpha}, substr({{n}}, i, 1)) - 1))) % 23 AS BIGINT) + 1, 1)"
        )
        problem = (
            f"CASE WHEN {r} IS NULL THEN NULL "
            f"WHEN length({{n}}) <> 13 THEN 'invalid_format' "
            f"WHEN NOT regexp_full_match(substr({{n}}, 2, 11), '[0-9]+') "
            f"OR strpos({alpha}, right({{n}}, 1)) = 0 THEN 'invalid_format' "
            f"WHEN TRY_CAST(substr({{n}}, 2, 3) AS INTEGER) NOT IN ({la}) THEN 'unknown_la_number' "
            f"WHEN {check} <> substr({{n}}, 1, 1) THEN 'invalid_check_digit' END"
        )
        return Checks(s, problem)
    if k is Kind.NI_NUMBER:
        s = f"upper(replace(replace({r}, ' ', ''), chr(9), ''))"
        bad = ", ".join(lit(p) for p in sorted(NI_BAD_PREFIXES))
        problem = (
            f"CASE WHEN {r} IS NULL THEN NULL WHEN NOT regexp_full_match({{n}}, {lit(NI_FULL)}) "
            f"OR substr({{n}}, 1, 2) IN ({bad}) THEN 'invalid_format' END"
        )
        return Checks(s, problem)
    if k is Kind.EMAIL:
        s = f"lower({r})"
        problem = (
            f"CASE WHEN {r} IS NULL THEN NULL WHEN NOT regexp_full_match({{n}}, {lit(EMAIL_FULL)}) "
            "THEN 'invalid_format' END"
        )
        return Checks(s, problem)
    if k is Kind.PHONE:
        s0 = f"regexp_replace({r}, '[ ()\\t.\\-]', '', 'g')"
        s = (
            f"(CASE WHEN starts_with({s0}, '+44') THEN '0' || substr({s0}, 4) "
            f"WHEN starts_with({s0}, '0044') THEN '0' || substr({s0}, 5) ELSE {s0} END)"
        )
        problem = (
            f"CASE WHEN {r} IS NULL THEN NULL WHEN NOT regexp_full_match({{n}}, '0[0-9]{{9,10}}') "
            "THEN 'invalid_format' END"
        )
        return Checks(s, problem)
    raise ValueError(f"no SQL checks for kind {k}")  # pragma: no cover


# When a value goes into a version's `received`: when it is not what is stored. (A test
# sets this to `true` to build a store that keeps every record whole, for comparison.)
RECEIVED_WHEN = "{r} IS DISTINCT FROM {stored}"


def _json_object(entries: list[tuple[str, str]], present: Sequence[str] = ()) -> str:
    """A JSON object of the non-null entries (key, SQL expression of JSON), NULL when empty.

    Each entry is `',"key":' || value`, NULL when the value is (`||` propagates NULL), and
    `concat` skips NULLs; the leading comma is cut off. Same text as a CASE per entry under
    `concat_ws`, ~15% less work. `present` (SQL conditions, one of which holds whenever
    some entry is non-null) lets a row whose entries are all NULL, the usual row of quality
    flags and values as received, skip building the object: DuckDB evaluates a CASE's
    branch only for the rows that take it."""
    if not entries:
        return "NULL::VARCHAR"
    parts = ", ".join(
        f"{lit(',' + json.dumps(key, ensure_ascii=False) + ':')} || {expr}" for key, expr in entries
    )
    built = f"NULLIF('{{' || substr(concat({parts}), 2) || '}}', '{{}}')"
    if not present:
        return built
    return f"CASE WHEN {' OR '.join(present)} THEN {built} END"


def _refs(sql: str, target: str) -> str:
    """`sql` of a field's `Checks` with its placeholders (`{r}` received, `{p}` before the
    candidate, `{n}` candidate, `{a}` after it) naming that field's columns."""
    for k in "rpna":
        sql = sql.replace("{" + k + "}", ident(f"{k}:{target}"))
    return sql


@dataclass
class Transform:
    """The compiled query for one mapping, one set of source columns and one ingest day."""

    spec: MappingSpec
    columns: list[str]
    fmt: CoreFormat
    as_of: dt.date
    db_columns: list[str] = field(default_factory=list)
    dq_fields: list[str] = field(default_factory=list)
    _cache: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        targets = [r.target for r in self.spec.rules]
        self.dq_fields = [t for t in targets if t != "local_id"]
        core = [t for t in targets if t != "local_id" and identifier_scheme(t) is None]
        self.db_columns = [f.name for f in self.fmt.fields if f.name in core]
        if any(identifier_scheme(t) for t in targets):
            self.db_columns.append("identifiers")
        self.db_columns += ["attributes", "quality_flags"]

    @property
    def needs_raw(self) -> bool:
        return any(not r.strip for r in self.spec.rules)

    def prepare(self, batch: pa.RecordBatch, first_row: int) -> pa.Table:
        """The batch as the query reads it: `cN` trimmed with blanks as NULL, `wN` as
        received (only when a rule keeps blanks), and `_row`, the row's ordinal in the file."""
        arrays: list[pa.Array] = []
        names: list[str] = []
        for i in range(batch.num_columns):
            col = batch.column(i)
            trimmed = pc.utf8_trim(col, characters=WHITESPACE)
            arrays.append(pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed))
            names.append(f"c{i}")
        if self.needs_raw:
            arrays += [batch.column(i) for i in range(batch.num_columns)]
            names += [f"w{i}" for i in range(batch.num_columns)]
        arrays.append(pa.array(range(first_row, first_row + batch.num_rows), pa.int64()))
        names.append("_row")
        return pa.Table.from_arrays(arrays, names=names)

    def sql(self, width: int) -> str:
        """The query over `src` for a batch holding the first `width` source columns."""
        if width not in self._cache:
            self._cache[width] = self._build(width)
        return self._cache[width]

    def _build(self, width: int) -> str:
        column_sql = {name: f"c{i}" for i, name in enumerate(self.columns[:width])}
        rules = self.spec.rules
        recv = [f"{received_expr(r, column_sql)} AS {ident('r:' + r.target)}" for r in rules]
        used = self.spec.source_columns
        attrs = _json_object(
            [
                (name, f"to_json({_clean(col)})")
                for name, col in column_sql.items()
                if name not in used
            ]
        )
        layer1 = f"SELECT _row, {', '.join(recv)}, {attrs} AS _attributes FROM src"

        checks: dict[str, Checks] = {}
        pres, candidates, auxes, problems = [], [], [], []
        for rule in rules:
            spec = spec_for(self.fmt, rule.target)
            c = field_checks(spec, ident("r:" + rule.target), self.as_of, rule.date_format)
            checks[rule.target] = c
            t = rule.target
            if c.pre is not None:
                pres.append(f"{c.pre} AS {ident('p:' + t)}")
            candidates.append(f"{_refs(c.typed, t)} AS {ident('n:' + t)}")
            if c.aux is not None:
                auxes.append(f"{_refs(c.aux, t)} AS {ident('a:' + t)}")
            problems.append(f"{_refs(c.problem, t)} AS {ident('q0:' + t)}")
        # Each layer only adds columns; DuckDB computes each once and passes it on.
        layer1b = "SELECT *" + "".join(", " + p for p in pres) + " FROM layer1"
        layer2 = f"SELECT *, {', '.join(candidates)} FROM layer1b"
        layer2b = "SELECT *" + "".join(", " + a for a in auxes) + " FROM layer2"
        layer3 = f"SELECT *, {', '.join(problems)} FROM layer2b"

        final_q: dict[str, str] = {t: ident("q0:" + t) for t in checks}
        if "start_date" in checks and "end_date" in checks:
            s, e = ident("n:start_date"), ident("n:end_date")
            q0 = ident("q0:end_date")
            final_q["end_date"] = (
                f"(CASE WHEN {q0} IS NULL AND {ident('q0:start_date')} IS NULL "
                f"AND {e} IS NOT NULL AND {s} IS NOT NULL AND {e} < {s} "
                f"THEN 'end_before_start' ELSE {q0} END)"
            )
        layer4 = (
            "SELECT *, "
            + ", ".join(f"{sql} AS {ident('q:' + t)}" for t, sql in final_q.items())
            + " FROM layer3"
        )
        final_q = {t: ident("q:" + t) for t in final_q}
        # Layer 5 computes each field's stored value once (`v:<f>`); the outputs below refer
        # to it by name, where repeating its expression would evaluate it again.
        typed: dict[str, str] = {}
        stored_sql = []
        for target, c in checks.items():
            if target == "local_id":
                continue
            q = final_q[target]
            n = ident("n:" + target)
            if c.is_list:
                value = f"CASE WHEN {n} IS NOT NULL THEN to_json({n}) END"
            elif c.stored is not None:
                value = f"CASE WHEN {q} IS NULL THEN {_refs(c.stored, target)} END"
            elif c.is_date:
                value = f"CASE WHEN {q} IS NULL THEN strftime({n}, '%Y-%m-%d') END"
            else:
                value = f"CASE WHEN {q} IS NULL THEN {n} END"
            stored_sql.append(f"{value} AS {ident('v:' + target)}")
            typed[target] = ident("v:" + target)
        layer5 = "SELECT *" + "".join(", " + v for v in stored_sql) + " FROM layer4"
        outs = ["_row", f"{ident('r:local_id')} AS local_id"]
        for col in self.db_columns:
            if col in typed:
                outs.append(f"{typed[col]} AS {ident(col)}")
        if "identifiers" in self.db_columns:
            schemes = [t for t in checks if identifier_scheme(t) is not None]
            entries = [(str(identifier_scheme(t)), f"to_json({typed[t]})") for t in schemes]
            outs.append(
                f"{_json_object(entries, [f'{typed[t]} IS NOT NULL' for t in schemes])} "
                "AS identifiers"
            )
        outs.append("_attributes AS attributes")
        flagged = [t for t in checks if t != "local_id"]
        flag_entries = [(t, f"to_json({final_q[t]})") for t in flagged]
        flag_any = [f"{final_q[t]} IS NOT NULL" for t in flagged]
        outs.append(f"{_json_object(flag_entries, flag_any)} AS quality_flags")
        outs.append(f"{_content_hash(self.fmt, rules, checks)} AS _hash")
        # Where the record as received differs from its stored fields (an invalid value, one
        # in another format, an untidy postcode): those values as received, a JSON object.
        # Its version stores only this (`joinedup.records.versions`); usually it is NULL.
        received, differs = [], []
        for target, c in checks.items():
            if target == "local_id":
                continue
            r = ident("r:" + target)
            stored = ident("n:" + target) if c.is_list else typed[target]
            differ = RECEIVED_WHEN.format(r=r, stored=stored)
            differs.append(f"({differ})")
            received.append((target, f"CASE WHEN {differ} THEN coalesce(to_json({r}), 'null') END"))
        outs.append(f"{_json_object(received, differs)} AS _received")
        for target in self.dq_fields:
            # The problem code; "present" is counted from the typed value and this, and
            # examples are read from `_received` (few rows), so no more columns are needed.
            outs.append(f"{final_q[target]} AS {ident('q:' + target)}")
            if identifier_scheme(target) is not None:
                outs.append(f"{typed[target]} AS {ident('t:' + target)}")
        # Layered so that each expression is written once; DuckDB inlines the layers (measured
        # faster than materialising them).
        final = (
            f"WITH layer1 AS ({layer1}), layer1b AS ({layer1b}), layer2 AS ({layer2}), "
            f"layer2b AS ({layer2b}), layer3 AS ({layer3}), "
            f"layer4 AS ({layer4}), layer5 AS ({layer5}), "
            f"layer6 AS (SELECT {', '.join(outs)} FROM layer5) "
            "SELECT * FROM layer6"
        )
        return final


def _content_hash(fmt: CoreFormat, rules: Sequence[FieldRule], checks: dict[str, Checks]) -> str:
    """The content hash of the record as received: each non-null value with its field's name,
    in core-format order (reordering a mapping file changes no hash; mapping a column that
    is always empty neither), separated by ASCII control characters that cleaned text does
    not hold. Not JSON: `to_json` of every value of every row was half the cost of this whole
    query, and the record itself is no longer stored.

    The text is that of `concat_ws(chr(30), name || chr(29) || value, ...)`, built by one
    `concat` whose separators and names are constants (chosen per row by a CASE on the value)
    rather than a new string per field and row: the local id, first and present in every
    row that is loaded, anchors it (a row without one is quarantined, its hash unused)."""
    order = {name: i for i, name in enumerate(fmt.names)}
    ordered = sorted(rules, key=lambda r: (order.get(r.target, len(order)), r.target))
    values = [
        (
            r.target,
            f"array_to_string({ident('r:' + r.target)}, chr(31))"
            if checks[r.target].is_list
            else ident("r:" + r.target),
        )
        for r in ordered
    ] + [("attributes", "_attributes")]
    if values[0][0] != "local_id":  # pragma: no cover - every mapping maps the local id
        raise ValueError("the content hash is anchored on the local id")
    parts = [lit("local_id" + chr(29)), values[0][1]]
    for name, value in values[1:]:
        parts += [f"CASE WHEN {value} IS NOT NULL THEN {lit(chr(30) + name + chr(29))} END", value]
    return f"md5(concat({', '.join(parts)}))"
