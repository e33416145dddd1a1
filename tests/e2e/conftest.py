"""Browser test fixtures: a live joinedup server and one headless Chromium per session.

The server runs in a thread (uvicorn) on a free loopback port, on a SQLite store of its own.
Chromium is Debian's (`make browser` installs it) driven by Playwright's sync API through
`executable_path`; Playwright's own browser downloads are never used. Tests write
screenshots to tests/e2e/screenshots/ (ignored by git) and run axe-core, injected from
node_modules, failing on serious or critical violations.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import Engine

from joinedup.api import create_app
from joinedup.config import Settings
from joinedup.store import create_store_engine, ensure_schema
from joinedup.web.assets import missing_assets

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 375, "height": 812}


@dataclass
class LiveServer:
    url: str
    engine: Engine
    var_dir: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(var_dir: Path, seed: Any = None) -> Iterator[LiveServer]:
    """joinedup (API and web) on a fresh SQLite store in `var_dir`, served on 127.0.0.1;
    `seed(engine)` fills the store first."""
    missing = missing_assets()
    if missing:
        pytest.fail(f"web assets not built ({', '.join(missing)}): run `make web-assets`")
    engine = create_store_engine(f"sqlite:///{var_dir / 'store.db'}")
    ensure_schema(engine)
    if seed is not None:
        seed(engine)
    app = create_app(engine, Settings(var_dir=var_dir))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the live server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", engine=engine, var_dir=var_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """joinedup (API and web) on a fresh SQLite store, served on 127.0.0.1."""
    with serve(tmp_path_factory.mktemp("web-store")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session (Debian's, not a Playwright download)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class PageProblems:
    """Console errors and uncaught exceptions seen by a page (a CSP violation is one)."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        # A form sent back with its errors answers 422, by design; Chromium logs that.
        self.expected: list[str] = ["the server responded with a status of 422"]

    def allow(self, fragment: str) -> None:
        """Expect an error containing `fragment` (a page answering 403 on purpose, say)."""
        self.expected.append(fragment)

    def unexpected(self) -> list[str]:
        return [m for m in self.messages if not any(f in m for f in self.expected)]


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


def _new_page(browser: Any, url: str, page_problems: PageProblems) -> Iterator[Any]:
    context = browser.new_context(base_url=url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.on(
        "console",
        lambda msg: (
            page_problems.messages.append(f"console {msg.type}: {msg.text}")
            if msg.type == "error"
            else None
        ),
    )
    pg.on("pageerror", lambda exc: page_problems.messages.append(f"page error: {exc}"))
    yield pg
    context.close()
    problems = page_problems.unexpected()
    assert not problems, "the browser reported errors:\n" + "\n".join(problems)


@pytest.fixture
def page(browser: Any, live_server: LiveServer, page_problems: PageProblems) -> Iterator[Any]:
    """A fresh browser context (no cookies) with its base URL at the live server."""
    yield from _new_page(browser, live_server.url, page_problems)


def screenshot(page: Any, name: str) -> list[Path]:
    """Full-page screenshots of the current page at desktop and mobile widths."""
    SCREENSHOTS.mkdir(exist_ok=True)
    paths = []
    for label, size in (("desktop", DESKTOP), ("mobile", MOBILE)):
        page.set_viewport_size(size)
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    page.set_viewport_size(DESKTOP)
    return paths


def axe_violations(page: Any, impacts: tuple[str, ...] = ("serious", "critical")) -> list[str]:
    """Run axe-core on the current page; describe each violation of the given impacts.

    axe is evaluated through the DevTools protocol, which the page's Content-Security-Policy
    does not govern, so the policy under test stays as strict as in production.
    """
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make web-assets`")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in result["violations"]:
        if violation.get("impact") in impacts:
            targets = [json.dumps(node["target"]) for node in violation["nodes"][:5]]
            found.append(
                f"{violation['impact']}: {violation['id']} ({violation['help']}) at "
                + ", ".join(targets)
            )
    return found


def _check_page(page: Any, name: str) -> None:
    """Screenshot the page at both widths and fail on serious or critical axe violations,
    at each width (the mobile layout hides and reflows things)."""
    screenshot(page, name)
    for size in (DESKTOP, MOBILE):
        page.set_viewport_size(size)
        violations = axe_violations(page)
        assert not violations, f"accessibility violations on {name} at {size['width']}px:\n" + (
            "\n".join(violations)
        )
    page.set_viewport_size(DESKTOP)


PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class WebUserSpec:
    username: str
    display_name: str
    memberships: tuple[tuple[str, str], ...]  # (role, organisation code)


WEB_USERS = {
    "practitioner": WebUserSpec("pat.practitioner", "Pat Singh", (("practitioner", "SCH1"),)),
    "data_owner": WebUserSpec("dee.owner", "Dee Okafor", (("data_owner", "CSC"),)),
    "linkage_officer": WebUserSpec("lin.officer", "Lin Murphy", (("linkage_officer", "HUB"),)),
    "two_roles": WebUserSpec(
        "sam.two", "Sam Taylor", (("data_owner", "CSC"), ("practitioner", "SCH1"))
    ),
}
ORGANISATIONS = {
    "CSC": "Northshire Children's Services",
    "SCH1": "Riverside Primary School",
    "HUB": "Northshire Partnership Hub",
}


def _add_organisations(engine: Engine) -> None:
    # Test data set-up: organisations are written straight to the store until the
    # partnership service offers a function to register them.
    from joinedup.store.schema.core import Organisation
    from joinedup.store.uow import transaction

    with transaction(engine) as session:
        for code, name in ORGANISATIONS.items():
            session.add(Organisation(code=code, name=name, kind="test"))


@pytest.fixture(scope="session")
def web_users(live_server: LiveServer) -> dict[str, WebUserSpec]:
    """One user per role (and one holding two roles), all with the password PASSWORD."""
    from joinedup.governance.users import create_user, grant_role

    _add_organisations(live_server.engine)
    for spec in WEB_USERS.values():
        create_user(live_server.engine, spec.username, spec.display_name, password=PASSWORD)
        for role, org in spec.memberships:
            grant_role(live_server.engine, spec.username, org, role)
    return WEB_USERS


def sign_in_as(page: Any, username: str, password: str = PASSWORD, next_path: str = "/") -> None:
    page.goto(f"/sign-in?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.fixture
def password() -> str:
    """The password of every test user."""
    return PASSWORD


@pytest.fixture(name="sign_in_as")
def sign_in_as_fixture() -> Any:
    """`sign_in_as(page, username, password=PASSWORD, next_path="/")`."""
    return sign_in_as


@pytest.fixture
def sign_in(web_users: dict[str, WebUserSpec], page: Any) -> Any:
    """`sign_in("data_owner")` signs the page in as that role's test user."""

    def do(who: str) -> WebUserSpec:
        spec = web_users[who]
        sign_in_as(page, spec.username)
        return spec

    return do


@pytest.fixture
def check_page() -> Any:
    """`check_page(page, name)`: screenshots at both widths, then axe at both widths."""
    return _check_page


@pytest.fixture
def axe() -> Any:
    """`axe(page)`: the page's serious and critical axe-core violations, described."""
    return axe_violations


@pytest.fixture
def take_screenshot() -> Any:
    return screenshot


# The journeys run on a second server holding the partnership of tests/partnership_seed.py
# (Amy Example known to CSC, SCH, NHS and HSG; a user per role), with passwords set and the
# fixed linkage model of tests/linkage_fixtures.py (so search works).
@dataclass
class PartnershipServer(LiveServer):
    world: Any = None


def _seed_partnership(engine: Engine) -> Any:
    from joinedup.governance.users import set_password
    from linkage_fixtures import install_model
    from partnership_seed import USERS, build_partnership

    world = build_partnership(engine)
    install_model(engine)  # the online matcher behind search scores with it
    for username in USERS:
        set_password(engine, username, PASSWORD, actor=username)
    return world


@pytest.fixture(scope="session")
def partnership_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PartnershipServer]:
    """joinedup on a store seeded with the test partnership (session-scoped: journeys that
    change it use data of their own, so the order of tests does not matter)."""
    seeded: dict[str, Any] = {}
    with serve(
        tmp_path_factory.mktemp("web-partnership"),
        lambda engine: seeded.update(world=_seed_partnership(engine)),
    ) as server:
        yield PartnershipServer(server.url, server.engine, server.var_dir, seeded["world"])


@pytest.fixture
def ppage(
    browser: Any, partnership_server: PartnershipServer, page_problems: PageProblems
) -> Iterator[Any]:
    """A fresh browser context on the partnership server."""
    yield from _new_page(browser, partnership_server.url, page_problems)


@pytest.fixture
def sign_in_partner(ppage: Any) -> Any:
    """`sign_in_partner("teacher")`: sign `ppage` in as a partnership user."""

    def do(username: str) -> None:
        sign_in_as(ppage, username)

    return do


def _seed_linkage(engine: Engine) -> None:
    """Sixty households' records across four partners, linked by the batch run with a review
    band wide enough to fill the queue; a linkage officer to work it."""
    from joinedup.governance.users import create_user, grant_role
    from joinedup.identity.batch_link import run_link
    from joinedup.identity.clustering import Thresholds
    from linkage_fixtures import install_model, make_people, write_partnership

    write_partnership(engine, make_people(60, seed=21), seed=22, error_rate=0.3)
    install_model(engine)
    run_link(engine, thresholds=Thresholds(upper=0.99, lower=0.70, guard=0.05))
    create_user(engine, "linker", "Lee Linker", password=PASSWORD)
    grant_role(engine, "linker", "CSC", "linkage_officer")


@pytest.fixture(scope="session")
def linkage_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """joinedup on a linked store with open review items."""
    with serve(tmp_path_factory.mktemp("web-linkage"), _seed_linkage) as server:
        yield server


@pytest.fixture
def lpage(browser: Any, linkage_server: LiveServer, page_problems: PageProblems) -> Iterator[Any]:
    """A fresh browser context on the linkage server, signed in as the linkage officer."""
    for pg in _new_page(browser, linkage_server.url, page_problems):
        sign_in_as(pg, "linker")
        yield pg
