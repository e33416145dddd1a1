"""Navigation by role shows only the pages that exist, and marks the current one."""

from __future__ import annotations

from fastapi import APIRouter

from joinedup.web.navigation import NAV_BY_ROLE, navigation_for, role_label


def _router_with(*names: str) -> APIRouter:
    router = APIRouter()
    for name in names:
        router.add_api_route(f"/{name.replace('_', '-')}", lambda: None, name=name)
    return router


def test_only_built_pages_of_the_role_are_listed() -> None:
    router = _router_with("uploads", "audit", "search")
    items = navigation_for("data_owner", router, "/")
    assert [i["text"] for i in items] == ["Uploads", "Audit"]
    assert navigation_for("practitioner", router, "/")[0]["href"] == "/search"
    assert navigation_for("analyst", router, "/") == []
    assert navigation_for(None, router, "/") == []


def test_current_page_and_its_subpages_are_marked() -> None:
    router = _router_with("uploads", "audit")
    on_list = {i["text"]: i for i in navigation_for("data_owner", router, "/uploads")}
    assert on_list["Uploads"]["current"] and on_list["Uploads"]["active"]
    assert not on_list["Audit"]["active"]
    below = {i["text"]: i for i in navigation_for("data_owner", router, "/uploads/42")}
    assert below["Uploads"]["active"] and not below["Uploads"]["current"]


def test_every_role_in_the_navigation_has_a_label() -> None:
    assert role_label("data_owner") == "Data owner"
    assert role_label("linkage_officer") == "Linkage officer"
    assert role_label("some_new_role") == "Some new role"
    for role in NAV_BY_ROLE:
        assert role_label(role) != role
