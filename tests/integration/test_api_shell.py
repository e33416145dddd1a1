"""The API's common behaviour: problem documents, request ids, rate limits, OpenAPI."""

from __future__ import annotations

from fastapi.testclient import TestClient

from joinedup.api import create_app
from joinedup.config import Settings


def _client(engine, **settings) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(engine, Settings(**settings)))


def test_health_reports_the_store(engine) -> None:
    with _client(engine) as client:
        response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["backend"] == engine.dialect.name
    assert body["schema_revision"] == "0001"


def test_request_id_is_echoed_or_made(engine) -> None:
    with _client(engine) as client:
        given = client.get("/api/v1/health", headers={"X-Request-ID": "abc-123"})
        made = client.get("/api/v1/health", headers={"X-Request-ID": "bad id <script>"})
    assert given.headers["X-Request-ID"] == "abc-123"
    assert made.headers["X-Request-ID"] != "bad id <script>"
    assert len(made.headers["X-Request-ID"]) == 32


def test_unknown_route_is_a_problem_document(engine) -> None:
    with _client(engine) as client:
        response = client.get("/api/v1/no-such-thing", headers={"X-Request-ID": "r1"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and body["title"] == "Not found"
    assert body["instance"] == "/api/v1/no-such-thing"
    assert body["request_id"] == "r1"


def test_rate_limit_per_token_answers_429_with_retry_after(engine) -> None:
    with _client(engine, api_rate_limit="3/minute") as client:
        codes = [
            client.get("/api/v1/health", headers={"Authorization": "Bearer aaa"}).status_code
            for _ in range(4)
        ]
        other = client.get("/api/v1/health", headers={"Authorization": "Bearer bbb"})
        limited = client.get("/api/v1/health", headers={"Authorization": "Bearer aaa"})
    assert codes == [200, 200, 200, 429]
    assert other.status_code == 200  # the limit is per token
    assert limited.headers["content-type"].startswith("application/problem+json")
    assert int(limited.headers["Retry-After"]) >= 1


def test_openapi_declares_problem_responses(engine) -> None:
    with _client(engine) as client:
        spec = client.get("/openapi.json").json()
    assert "/api/v1/health" in spec["paths"]
    assert "Problem" in spec["components"]["schemas"]


def test_openapi_errors_are_problem_documents_and_fhir_errors_outcomes(engine) -> None:
    with _client(engine) as client:
        spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    continue
                media = (
                    "application/fhir+json"
                    if path.startswith("/fhir")
                    else ("application/problem+json")
                )
                assert list(response.get("content", {})) == [media], (method, path, status)
                assert "$ref" in response["content"][media]["schema"], (method, path, status)
            secured = bool(operation.get("security"))
            public = path in {"/api/v1/health", "/fhir/metadata"}
            assert secured != public, f"{method} {path} security"


def test_openapi_enums_are_the_domains_vocabularies() -> None:
    from typing import get_args

    from joinedup.api import models
    from joinedup.domain import policy
    from joinedup.domain.levels import AGGREGATION_LABELS, DETAIL_LABELS

    assert get_args(models.Purpose) == policy.PURPOSES
    assert get_args(models.Role) == policy.ROLES
    assert get_args(models.LegalBasis) == policy.LEGAL_BASES
    assert get_args(models.DetailLabel) == DETAIL_LABELS
    assert get_args(models.AggregationLabel) == AGGREGATION_LABELS


def test_a_revoked_token_is_refused_at_once_by_the_worker_that_revoked_it(engine) -> None:
    from governance_world import build_world

    from joinedup.governance import tokens

    build_world(engine)
    issued = tokens.create_token(engine, "nurse", "NHS", "ward system")
    bearer = {"Authorization": f"Bearer {issued.secret}"}
    with _client(engine, api_token_cache_seconds=60) as client:
        first = client.get("/api/v1/organisations", headers=bearer)
        assert first.status_code == 200  # checked, and remembered for 60 s
        assert client.get("/api/v1/organisations", headers=bearer).status_code == 200
        tokens.revoke_token(engine, issued.id, actor="nurse")
        refused = client.get("/api/v1/organisations", headers=bearer)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]


def test_a_served_app_keeps_its_start_up_out_of_the_collectors_passes(engine) -> None:
    """`served=True` (uvicorn's workers, the demo) freezes what start-up made; an app built
    for a test does not, so its garbage is still collected."""
    import gc

    before = gc.get_freeze_count()  # (the online matcher freezes its index in tests too)
    try:
        with TestClient(create_app(engine, Settings(), served=True)) as client:
            assert client.get("/api/v1/health").status_code == 200
            assert gc.get_freeze_count() > before + 10_000
    finally:
        gc.unfreeze()
    with _client(engine) as client:
        assert client.get("/api/v1/health").status_code == 200
    assert gc.get_freeze_count() == 0
