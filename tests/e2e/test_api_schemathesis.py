"""Schemathesis against the live OpenAPI document of a real `joinedup serve` process: for
every operation, a bounded number of generated requests (as three requesters with different
roles) must never get a 5xx, and every response must match the document (status code,
content type, headers, body schema)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api_server import serve
from joinedup.store import create_store_engine
from linkage_fixtures import install_model
from partnership_seed import build_partnership

MAX_EXAMPLES = 10
# `positive_data_acceptance` is left out: some rules cannot be said in a schema (a person
# number's check digit, a cursor this API issued, a record that exists), so a schema-valid
# request may rightly get a 422 problem document. Every other check runs.
# Requesters with different roles reach different code paths behind the role checks.
REQUESTERS = ("csc_owner", "teacher", "admin")

pytestmark = pytest.mark.slow


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    """A seeded store and a server process on it, once per backend for the module."""
    if request.param == "sqlite":
        from joinedup.store import ensure_schema

        url = f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'store.db'}"
        engine = create_store_engine(url)
        ensure_schema(engine)
    else:
        url = request.getfixturevalue("pg_databases").create()
        engine = create_store_engine(url)
        from joinedup.store import ensure_schema

        ensure_schema(engine)
    world = build_partnership(engine)
    install_model(engine)  # so match, search, register and $match reach the online matcher
    engine.dispose()
    with serve(url, env={"JOINEDUP_API_RATE_LIMIT": "100000/minute"}) as base_url:
        yield base_url, world.tokens


def test_api_matches_its_openapi_document(live: tuple[str, dict[str, str]]) -> None:
    base_url, tokens = live
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        # Hypothesis drives the generation per operation; the pytest plugin is not used
        # (its lazy fixture loader does not run on this pytest).
        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            for who in REQUESTERS:
                response = case.call_and_validate(
                    headers={"Authorization": f"Bearer {tokens[who]}"},
                    excluded_checks=[positive_data_acceptance],
                )
                statuses[response.status_code] += 1

        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    assert operations >= 20, "the OpenAPI document lost its operations"
    assert not failures, "\n\n".join(failures)
    # The requests got past authentication and the role checks often enough to mean something.
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    assert ok >= 3 * operations, dict(statuses)
    print(f"{operations} operations, responses by status: {dict(sorted(statuses.items()))}")
