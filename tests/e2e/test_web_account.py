"""Browser journeys of the web foundation: sign in, choose a role, sign out, CSRF, layout."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_sign_in_page_is_accessible_and_unbranded(page: Any, check_page: Any) -> None:
    response = page.goto("/sign-in")
    assert response.status == 200
    expect(page).to_have_title("Sign in – joinedup")
    expect(page.locator(".jup-account__service")).to_have_text("joinedup")
    expect(page.locator(".govuk-phase-banner")).to_contain_text("Alpha")
    # No crown and no GDS Transport: no GOV.UK logo, and every element in a system font.
    assert page.locator("svg.govuk-header__logotype, .govuk-footer__crown").count() == 0
    fonts = page.evaluate(
        "() => [...new Set([...document.querySelectorAll('body *')]"
        ".map(e => getComputedStyle(e).fontFamily))]"
    )
    assert fonts and not any("GDS Transport" in f for f in fonts)
    check_page(page, "sign-in")


def test_skip_link_is_first_on_tab(page: Any) -> None:
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main-content"


def test_empty_sign_in_shows_the_error_summary(page: Any, check_page: Any) -> None:
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to it
    expect(page).to_have_title(re.compile(r"^Error: Sign in"))
    expect(summary.get_by_role("link", name="Enter your username")).to_have_attribute(
        "href", "#username"
    )
    expect(page.locator("#password-error")).to_contain_text("Enter your password")
    check_page(page, "sign-in-errors")
    summary.get_by_role("link", name="Enter your password").click()
    expect(page.locator("#password")).to_be_focused()


def test_wrong_password_is_refused_without_saying_which_part(
    page: Any, web_users: dict[str, Any], sign_in_as: Any, password: str
) -> None:
    sign_in_as(page, web_users["data_owner"].username, "not the password at all")
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The username or password is not right"
    )
    assert page.url.endswith("/sign-in")
    sign_in_as(page, "nobody.here", password)
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The username or password is not right"
    )
    assert page.context.cookies()[0]["name"] == "joinedup_session"
    # Still anonymous: the home page sends us back to sign in.
    page.goto("/")
    assert "/sign-in" in page.url


@pytest.mark.parametrize("role", ["practitioner", "data_owner", "linkage_officer"])
def test_sign_in_shows_name_role_and_organisation(
    page: Any, sign_in: Any, check_page: Any, role: str
) -> None:
    spec = sign_in(role)
    expect(page.get_by_test_id("user-name")).to_have_text(spec.display_name)
    role_text = {"practitioner": "Practitioner", "data_owner": "Data owner"}.get(
        role, "Linkage officer"
    )
    expect(page.get_by_test_id("user-role")).to_have_text(role_text)
    org = {
        "practitioner": "Riverside Primary School",
        "data_owner": "Northshire Children's Services",
    }
    expect(page.get_by_test_id("user-organisation")).to_have_text(
        org.get(role, "Northshire Partnership Hub")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("What do you want to do?")
    cookie = next(c for c in page.context.cookies() if c["name"] == "joinedup_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    check_page(page, f"home-{role.replace('_', '-')}")


def test_sign_in_returns_to_the_page_asked_for(
    page: Any, web_users: dict[str, Any], sign_in_as: Any
) -> None:
    page.goto("/accessibility")
    sign_in_as(page, web_users["practitioner"].username, next_path="/accessibility")
    assert page.url.endswith("/accessibility")
    # An address elsewhere is never followed.
    page.context.clear_cookies()
    sign_in_as(page, web_users["practitioner"].username, next_path="//evil.example/")
    assert page.url.rstrip("/").endswith(page.url.split("/")[2])


def test_sign_out_ends_the_session(page: Any, sign_in: Any) -> None:
    sign_in("data_owner")
    page.get_by_test_id("sign-out").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out")
    assert page.url.endswith("/sign-in")
    expect(page.get_by_test_id("user-name")).to_have_count(0)
    page.goto("/")
    assert "/sign-in" in page.url


def test_user_with_two_roles_chooses_one_and_can_change_it(
    page: Any, web_users: dict[str, Any], check_page: Any, sign_in_as: Any
) -> None:
    sign_in_as(page, web_users["two_roles"].username)
    assert "/choose-role" in page.url
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select the role you want to act in"
    )
    check_page(page, "choose-role")
    page.get_by_label("Practitioner at Riverside Primary School").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("user-role")).to_have_text("Practitioner")
    expect(page.get_by_test_id("user-organisation")).to_have_text("Riverside Primary School")
    page.get_by_role("link", name="Change role").click()
    expect(page.get_by_label("Practitioner at Riverside Primary School")).to_be_checked()
    page.get_by_label("Data owner at Northshire Children's Services").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_test_id("user-role")).to_have_text("Data owner")


def test_post_without_csrf_token_is_rejected(
    page: Any, sign_in: Any, page_problems: Any, check_page: Any
) -> None:
    sign_in("data_owner")
    page_problems.allow("403")
    # The page's own cookies, but no token: a forged cross-site form post looks like this.
    forged = page.request.post("/sign-out", form={"anything": "x"}, max_redirects=0)
    assert forged.status == 403
    assert "Your request was not sent" in forged.text()
    wrong = page.request.post("/sign-out", form={"csrf_token": "guess"}, max_redirects=0)
    assert wrong.status == 403
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    other_site = page.request.post(
        "/sign-out",
        form={"csrf_token": token},
        headers={"Origin": "https://evil.example"},
        max_redirects=0,
    )
    assert other_site.status == 403
    # None of them signed us out.
    page.reload()
    expect(page.get_by_test_id("user-name")).to_be_visible()
    # A form on the page with its token tampered with shows the explanation page.
    page.evaluate("() => document.querySelector('form input[name=csrf_token]').value = 'x'")
    page.get_by_test_id("sign-out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request was not sent")
    check_page(page, "csrf-rejected")
    # The header HTMX sends is accepted in place of the form field.
    page.goto("/")
    ok = page.request.post("/sign-out", headers={"X-CSRF-Token": token}, max_redirects=0)
    assert ok.status == 303


def test_pages_carry_a_strict_content_security_policy(page: Any) -> None:
    response = page.goto("/sign-in")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in csp and "unsafe-inline" not in csp
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    # GOV.UK Frontend's scripts ran under that policy (the `page` fixture fails on errors).
    expect(page.locator("body")).to_have_class(re.compile("govuk-frontend-supported"))
    expect(page.get_by_role("button", name="Show password")).to_be_visible()


def test_htmx_requests_carry_the_csrf_token(
    page: Any, web_users: dict[str, Any], sign_in_as: Any, page_problems: Any
) -> None:
    sign_in_as(page, web_users["two_roles"].username)
    page.get_by_label("Data owner at Northshire Children's Services").check()
    page.get_by_role("button", name="Continue").click()
    page.goto("/choose-role")
    key = page.locator("input[name=membership][value^=practitioner]").get_attribute("value")
    post = """(key) => new Promise(resolve => {
        document.body.addEventListener('htmx:afterRequest',
            e => resolve(e.detail.xhr.status), {once: true});
        htmx.ajax('POST', '/choose-role', {values: {membership: key}, swap: 'none'});
    })"""
    # Without the body's hx-headers, htmx sends no token and the post is refused.
    page_problems.allow("403")
    page.evaluate("() => document.body.removeAttribute('hx-headers')")
    assert page.evaluate(post, key) == 403
    # With them (as every page is served), the same request goes through.
    page.reload()
    assert page.evaluate(post, key) == 200  # the 303 was followed to the home page
    page.goto("/")
    expect(page.get_by_test_id("user-role")).to_have_text("Practitioner")


def test_accessibility_check_catches_a_real_violation(page: Any, axe: Any) -> None:
    # The check that guards every page must be able to fail: an unlabelled field and an
    # image without text are both caught.
    page.set_content(
        "<html lang=en><body><main><input type=text><img src=x.png></main></body></html>"
    )
    found = " ".join(axe(page))
    assert "label" in found and "image-alt" in found
