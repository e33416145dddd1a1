"""The API's route thread pool is sized by the `api_threads` setting (JOINEDUP_API_THREADS)."""

from __future__ import annotations

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from joinedup.api.app import create_app
from joinedup.config import Settings


def _pool_size_seen_by_a_request(app_settings: Settings, engine) -> int:  # type: ignore[no-untyped-def]
    app = create_app(engine, app_settings)
    seen: list[float] = []

    @app.get("/_test/pool")
    async def pool() -> dict[str, str]:  # on the event loop whose pool runs the sync routes
        seen.append(anyio.to_thread.current_default_thread_limiter().total_tokens)
        return {}

    with TestClient(app) as client:
        assert client.get("/_test/pool").status_code == 200
    return int(seen[0])


def test_api_threads_setting_sizes_the_route_thread_pool(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert _pool_size_seen_by_a_request(Settings(api_threads=3), engine) == 3
    monkeypatch.setenv("JOINEDUP_API_THREADS", "5")
    assert _pool_size_seen_by_a_request(Settings(), engine) == 5


def test_api_threads_must_be_positive() -> None:
    with pytest.raises(ValidationError):
        Settings(api_threads=0)
