"""What each role sees in the service navigation, and how roles are named on the page.

Items name a route; an item whose route is not (yet) part of the app is left out, so a
journey appears in the navigation the moment its pages are added.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.routing import NoMatchFound, Router


@dataclass(frozen=True)
class NavItem:
    text: str
    route: str
    # One line on the role's home page saying what the page is for.
    description: str = ""


ROLE_LABELS: dict[str, str] = {
    "practitioner": "Practitioner",
    "data_owner": "Data owner",
    "linkage_officer": "Linkage officer",
    "analyst": "Analyst",
    "org_admin": "Organisation admin",
    "partnership_admin": "Partnership admin",
}

NAV_BY_ROLE: dict[str, tuple[NavItem, ...]] = {
    "practitioner": (
        NavItem("Search", "search", "Find a person and see which other services know them."),
    ),
    "data_owner": (
        NavItem("Uploads", "uploads", "Upload an extract and read its batch report."),
        NavItem("Data quality", "data_quality", "Completeness and validity of each field."),
        NavItem("Quarantine", "quarantine", "Rows that could not be loaded, and why."),
        NavItem("Challenges", "challenges", "Partners' challenges to your records."),
        NavItem("Agreements", "agreements", "Draft, approve and suspend data-sharing agreements."),
        NavItem("Consent", "consent", "Record and withdraw a person's consent or refusal."),
        NavItem("Audit", "audit", "Who looked at your records, when, and why."),
    ),
    "linkage_officer": (
        NavItem("Review queue", "review_queue", "Decide whether two records are one person."),
        NavItem("Persons", "persons", "Merge and split persons, and read their history."),
    ),
}


def role_label(role: str) -> str:
    return ROLE_LABELS.get(role, role.replace("_", " ").capitalize())


def navigation_for(role: str | None, router: Router, current_path: str) -> list[dict[str, object]]:
    """govukServiceNavigation items for `role`: built routes only, the current one marked."""
    items: list[dict[str, object]] = []
    for item in NAV_BY_ROLE.get(role or "", ()):
        try:
            href = str(router.url_path_for(item.route))
        except NoMatchFound:
            continue
        current = current_path == href
        active = current or current_path.startswith(href.rstrip("/") + "/")
        items.append(
            {
                "text": item.text,
                "href": href,
                "current": current,
                "active": active,
                "description": item.description,
            }
        )
    return items
