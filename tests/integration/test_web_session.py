"""The web UI's sessions and CSRF protection, over HTTP against a real store.

Browser journeys are in tests/e2e/test_web_*.py; this checks what a browser test cannot
easily reach: expiry, cookie attributes over https, the secret kept across restarts.
"""

from __future__ import annotations

import stat
import time
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from joinedup.api import create_app
from joinedup.config import Settings
from joinedup.web.auth import WebUser
from joinedup.web.deps import require_role
from joinedup.web.routing import WebRoute
from joinedup.web.session import _SALT, COOKIE_NAME
from joinedup.web.settings import SECRET_FILE_NAME, WebSettings, resolve_secret
from joinedup.web.templating import render

# Module level: FastAPI resolves the (postponed) annotations of the test route here.
OwnerDep = Annotated[WebUser, Depends(require_role("data_owner"))]


def _client(engine, var_dir: Path, base_url: str = "http://testserver") -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(create_app(engine, Settings(var_dir=var_dir)), base_url=base_url)


def _csrf(client: TestClient) -> str:
    page = client.get("/sign-in")
    marker = 'name="csrf_token" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


def _cookie_header(response) -> str:  # type: ignore[no-untyped-def]
    return next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and COOKIE_NAME in v
    )


def test_session_cookie_is_httponly_lax_and_secure_over_https(engine, tmp_path: Path) -> None:
    with _client(engine, tmp_path) as plain:
        header = _cookie_header(plain.get("/sign-in")).lower()
    assert "httponly" in header and "samesite=lax" in header and "path=/" in header
    assert "secure" not in header
    assert "max-age=1800" in header  # the 30-minute idle timeout
    with _client(engine, tmp_path, "https://testserver") as https:
        assert "secure" in _cookie_header(https.get("/sign-in")).lower()


def test_post_without_csrf_token_is_forbidden(engine, tmp_path: Path) -> None:
    with _client(engine, tmp_path) as client:
        token = _csrf(client)
        bare = client.post("/sign-in", data={"username": "a", "password": "b"})
        assert bare.status_code == 403
        assert "Your request was not sent" in bare.text
        assert bare.headers["content-type"].startswith("text/html")
        with_token = client.post(
            "/sign-in", data={"username": "", "password": "", "csrf_token": token}
        )
        assert with_token.status_code == 422  # through to the form's own checks
        assert "Enter your username" in with_token.text
        by_header = client.post("/sign-in", data={}, headers={"X-CSRF-Token": token})
        assert by_header.status_code == 422
        cross_site = client.post(
            "/sign-in",
            data={"csrf_token": token},
            headers={"Origin": "https://elsewhere.example"},
        )
        assert cross_site.status_code == 403


def test_csrf_token_from_another_session_is_refused(engine, tmp_path: Path) -> None:
    with _client(engine, tmp_path) as alice, _client(engine, tmp_path) as mallory:
        _csrf(alice)
        stolen = _csrf(mallory)
        response = alice.post("/sign-in", data={"csrf_token": stolen})
    assert response.status_code == 403


class _SignedLongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 31 * 60


def test_idle_session_is_dropped_with_a_message(engine, tmp_path: Path) -> None:
    secret = resolve_secret(WebSettings(), tmp_path)
    stale = URLSafeTimedSerializer(secret, salt=_SALT, signer=_SignedLongAgo).dumps(
        {"uid": 1, "iat": int(time.time()) - 3600, "csrf": "t"}
    )
    with _client(engine, tmp_path) as client:
        client.cookies.set(COOKIE_NAME, stale)
        home = client.get("/", follow_redirects=False)
        assert home.status_code == 303 and home.headers["location"].startswith("/sign-in")
        page = client.get(home.headers["location"])
    assert "You were signed out because you had not used joinedup for 30 minutes" in page.text


def test_session_older_than_the_maximum_is_dropped(engine, tmp_path: Path) -> None:
    secret = resolve_secret(WebSettings(), tmp_path)
    old = URLSafeTimedSerializer(secret, salt=_SALT).dumps(
        {"uid": 1, "iat": int(time.time()) - 13 * 3600, "csrf": "t"}
    )
    with _client(engine, tmp_path) as client:
        client.cookies.set(COOKIE_NAME, old)
        page = client.get("/")
    assert "your session had lasted 12 hours" in page.text


def test_forged_cookie_is_ignored(engine, tmp_path: Path) -> None:
    forged = URLSafeTimedSerializer("not the secret", salt=_SALT).dumps({"uid": 1})
    with _client(engine, tmp_path) as client:
        client.cookies.set(COOKIE_NAME, forged)
        home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/sign-in"


def test_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    first = resolve_secret(WebSettings(), tmp_path)
    assert resolve_secret(WebSettings(), tmp_path) == first
    assert len(first) >= 40
    mode = stat.S_IMODE((tmp_path / SECRET_FILE_NAME).stat().st_mode)
    assert mode == 0o600
    assert resolve_secret(WebSettings(secret_key="configured"), tmp_path) == "configured"


@pytest.mark.parametrize("target", ["/", "/choose-role"])
def test_pages_need_a_signed_in_user(engine, tmp_path: Path, target: str) -> None:
    with _client(engine, tmp_path) as client:
        response = client.get(target, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")


PASSWORD = "a long enough password"


def _world(engine) -> None:  # type: ignore[no-untyped-def]
    from joinedup.governance.users import create_user, grant_role
    from joinedup.store.schema.core import Organisation
    from joinedup.store.uow import transaction

    # Organisations written straight to the store: only governance's users are under test.
    with transaction(engine) as session:
        session.add(Organisation(code="CSC", name="Children's Services"))
        session.add(Organisation(code="SCH", name="A School"))
    create_user(engine, "pat", "Pat Practitioner", password=PASSWORD)
    grant_role(engine, "pat", "SCH", "practitioner")
    create_user(engine, "dee", "Dee Owner", password=PASSWORD)
    grant_role(engine, "dee", "CSC", "data_owner")


def _app_with_owner_page(engine, var_dir: Path):  # type: ignore[no-untyped-def]
    app = create_app(engine, Settings(var_dir=var_dir))
    router = APIRouter(route_class=WebRoute)

    @router.get("/owners-only", name="owners_only")
    def owners_only(request: Request, user: OwnerDep):  # type: ignore[no-untyped-def]
        return render(request, "error.html", {"title": "Owners", "message": user.username})

    app.include_router(router)
    return app


def _sign_in(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": _csrf(client)},
        follow_redirects=False,
    )


def test_page_for_one_role_refuses_the_others(engine, tmp_path: Path) -> None:
    _world(engine)
    app = _app_with_owner_page(engine, tmp_path)
    with TestClient(app) as owner, TestClient(app) as practitioner:
        assert _sign_in(owner, "dee").status_code == 303
        assert owner.get("/owners-only").status_code == 200
        assert _sign_in(practitioner, "pat").status_code == 303
        refused = practitioner.get("/owners-only")
    assert refused.status_code == 403
    assert "This page is for a data owner. You are acting as a practitioner." in refused.text


def test_deactivated_user_is_signed_out_at_once(engine, tmp_path: Path) -> None:
    from joinedup.governance.users import deactivate_user

    _world(engine)
    with _client(engine, tmp_path) as client:
        assert _sign_in(client, "dee").headers["location"] == "/"
        assert "Dee Owner" in client.get("/").text
        deactivate_user(engine, "dee")
        home = client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/sign-in"


def test_sign_in_renews_the_csrf_token(engine, tmp_path: Path) -> None:
    _world(engine)
    with _client(engine, tmp_path) as client:
        before = _csrf(client)
        _sign_in(client, "dee")
        after = client.get("/choose-role").text
    assert before not in after


def test_failed_sign_ins_are_limited(engine, tmp_path: Path) -> None:
    from joinedup.web.settings import WebSettings

    _world(engine)
    app = create_app(engine, Settings(var_dir=tmp_path))
    app.state.web.settings = WebSettings(sign_in_attempts="2/15minute")
    with TestClient(app) as client:
        codes = [_sign_in(client, "pat", "wrong password!!").status_code for _ in range(2)]
        blocked = _sign_in(client, "pat")  # the right password, too late
        other = _sign_in(client, "dee")  # another username is not held up
    assert codes == [422, 422]
    assert blocked.status_code == 422 and "too many failed attempts" in blocked.text
    assert other.status_code == 303
