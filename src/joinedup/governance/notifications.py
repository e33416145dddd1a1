"""Governance notifications: messages for the holders of a role at an organisation, such
as a break-glass alert for the data owners of the organisation whose records were opened."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from joinedup.errors import Forbidden, NotFound
from joinedup.governance.lookups import (
    EngineOrSession,
    organisation_by_code,
    session_scope,
    user_by_username,
)
from joinedup.store.schema.governance import GovernanceNotification, UserRole


@dataclass(frozen=True)
class NotificationView:
    id: int
    organisation: str
    role: str
    kind: str
    subject: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None
    break_glass_id: int | None


def list_notifications(
    store: EngineOrSession, organisation_code: str, *, unread_only: bool = False
) -> list[NotificationView]:
    """An organisation's notifications, newest first."""
    with session_scope(store) as session:
        org = organisation_by_code(session, organisation_code)
        stmt = (
            select(GovernanceNotification)
            .where(GovernanceNotification.organisation_id == org.id)
            .order_by(GovernanceNotification.created_at.desc(), GovernanceNotification.id.desc())
        )
        if unread_only:
            stmt = stmt.where(GovernanceNotification.read_at.is_(None))
        return [
            NotificationView(
                n.id,
                org.code,
                n.role,
                n.kind,
                n.subject,
                n.body,
                n.created_at,
                n.read_at,
                n.break_glass_id,
            )
            for n in session.scalars(stmt)
        ]


def mark_read(store: EngineOrSession, notification_id: int, *, actor: str) -> None:
    """Mark a notification read by a holder of the role it is addressed to."""
    with session_scope(store) as session:
        row = session.get(GovernanceNotification, notification_id)
        if row is None:
            raise NotFound(f"No notification {notification_id}.")
        user = user_by_username(session, actor)
        holds = session.scalars(
            select(UserRole.id).where(
                UserRole.user_id == user.id,
                UserRole.organisation_id == row.organisation_id,
                UserRole.role == row.role,
            )
        ).first()
        if not holds:
            raise Forbidden(f"This notification is for the {row.role} of another organisation.")
        if row.read_at is None:
            row.read_at = dt.datetime.now(dt.UTC)
            row.read_by_user_id = user.id
