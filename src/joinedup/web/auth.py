"""Who is signed in: the web layer's view of a governance user and the roles they hold.

Passwords are checked by the governance service (argon2); this module only adapts what it
returns for the pages. A user may hold several roles, at one organisation or more: each
(role, organisation) pair is a `Membership`, and the session remembers which one is active.
The user is read afresh on every request, so a user disabled or a role withdrawn takes
effect at once, not when the session cookie runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine


@dataclass(frozen=True)
class Membership:
    """One role a user holds at one organisation."""

    role: str
    organisation_id: int
    organisation_code: str
    organisation_name: str

    @property
    def key(self) -> str:
        """How the session names it (no personal data in the cookie)."""
        return f"{self.role}@{self.organisation_id}"


@dataclass(frozen=True)
class WebUser:
    """A signed-in user, with the membership they are acting in (None until chosen)."""

    id: int
    username: str
    display_name: str
    memberships: tuple[Membership, ...]
    active: Membership | None
    # The governance service's principal for the active membership: pages pass it to
    # service functions, which check it at the policy decision point.
    principal: Any = None

    def membership(self, key: str | None) -> Membership | None:
        return next((m for m in self.memberships if m.key == key), None)


def authenticate(engine: Engine, username: str, password: str) -> int:
    """The id of the user with this username and password; raises `Forbidden` otherwise."""
    from joinedup.governance.auth import authenticate_password

    principal = authenticate_password(engine, username, password)
    return int(principal.user_id)


def load_user(engine: Engine, user_id: int, active_key: str | None) -> WebUser | None:
    """The user behind a session, or None when they no longer exist or may not sign in."""
    from joinedup.governance.auth import principal_for_user, user_memberships

    found = user_memberships(engine, user_id)
    if found is None:
        return None
    user, rows = found
    memberships = tuple(
        Membership(
            role=row.role,
            organisation_id=int(row.organisation_id),
            organisation_code=row.organisation_code,
            organisation_name=row.organisation_name,
        )
        for row in rows
    )
    active = next((m for m in memberships if m.key == active_key), None)
    if active is None and len(memberships) == 1:
        active = memberships[0]
    principal = (
        principal_for_user(engine, user_id, active.organisation_id, active.role) if active else None
    )
    return WebUser(
        id=int(user_id),
        username=user.username,
        display_name=user.display_name or user.username,
        memberships=memberships,
        active=active,
        principal=principal,
    )
