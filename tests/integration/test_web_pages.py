"""The journey pages over HTTP on SQLite and PostgreSQL: who may open which page, a data
owner seeing only their own organisation's data, and page URLs never resolving to an API
route of the same name. The journeys themselves are driven in a browser (tests/e2e)."""

from __future__ import annotations

import importlib
import io
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from joinedup.api import create_app
from joinedup.config import Settings
from joinedup.governance.users import set_password
from joinedup.records.ingest import ingest_file
from joinedup.web import PAGE_MODULES
from partnership_seed import build_partnership, extract_csv

PASSWORD = "correct horse battery staple"


def _signed_in(engine: Engine, var_dir: Path, username: str) -> TestClient:
    set_password(engine, username, PASSWORD, actor=username)
    client = TestClient(create_app(engine, Settings(var_dir=var_dir)))
    page = client.get("/sign-in").text
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    token = page[start : page.index('"', start)]
    done = client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    return client


def test_pages_are_only_for_their_roles(engine: Engine, tmp_path: Path) -> None:
    build_partnership(engine, people=False)
    with _signed_in(engine, tmp_path, "teacher") as practitioner:
        assert practitioner.get("/search").status_code == 200
        for path in ("/uploads", "/data-quality", "/agreements", "/audit", "/review"):
            refused = practitioner.get(path)
            assert refused.status_code == 403, path
            assert "You are acting as a practitioner" in refused.text
    with _signed_in(engine, tmp_path, "linker") as officer:
        assert officer.get("/review").status_code == 200
        assert officer.get("/linkage/persons").status_code == 200
        assert officer.get("/search").status_code == 403


def test_a_data_owner_sees_only_their_own_organisations_data(
    engine: Engine, tmp_path: Path
) -> None:
    build_partnership(engine, people=False)
    report = ingest_file(
        engine, "CSC", "cases", io.BytesIO(extract_csv("CSC").encode()), file_name="csc.csv"
    )
    assert report.rows_loaded == 2
    with _signed_in(engine, tmp_path, "csc_owner") as owner:
        batch = owner.get(f"/uploads/cases/batches/{report.batch_id}")
        assert batch.status_code == 200 and "2 of 2 rows loaded" in batch.text
        assert "cases" in owner.get("/data-quality").text
    with _signed_in(engine, tmp_path, "sch_owner") as other:
        # The same batch through another organisation's owner: SCH has no dataset "cases".
        assert other.get(f"/uploads/cases/batches/{report.batch_id}").status_code == 404
        quality = other.get("/data-quality?dataset=cases")
        assert quality.status_code == 200 and "No extract has been loaded yet" in quality.text
        assert "CSC-OTHER" not in other.get("/quarantine?dataset=cases").text


def test_page_urls_never_resolve_to_api_routes(engine: Engine, tmp_path: Path) -> None:
    app = create_app(engine, Settings(var_dir=tmp_path))
    pages = app.state.web.router
    # The API has routes named `search` and `break_glass` too.
    assert str(pages.url_path_for("search")) == "/search"
    assert str(pages.url_path_for("break_glass_form", number="1")) == "/persons/1/break-glass"
    assert str(app.url_path_for("search")).startswith("/api/")
    names = [
        route.name
        for module in PAGE_MODULES
        for route in importlib.import_module(f"joinedup.web.routes.{module}").router.routes
    ]
    assert len(names) == len(set(names)), "two page routes share a name"
