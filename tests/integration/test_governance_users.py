"""Users, roles per organisation, passwords (argon2) and API tokens (hashed, expiring,
revocable), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from governance_world import add_org, build_world
from sqlalchemy import select

from joinedup.errors import Conflict, Forbidden, InvalidInput, NotFound
from joinedup.governance import auth, tokens, users
from joinedup.store.schema.governance import ApiToken, AuditLogEntry, User
from joinedup.store.uow import UnitOfWork

PASSWORD = "correct horse battery staple"


def test_a_user_holds_roles_per_organisation(engine) -> None:
    build_world(engine)
    users.grant_role(engine, "teacher", "CSC", "analyst")
    with UnitOfWork(engine) as uow:
        at_school = auth.principal_for(uow.session, "teacher", "SCH")
        at_csc = auth.principal_for(uow.session, "teacher", "CSC")
        with pytest.raises(InvalidInput, match="2 organisations"):
            auth.principal_for(uow.session, "teacher", None)
        with pytest.raises(Forbidden, match="no role at NHS"):
            auth.principal_for(uow.session, "teacher", "NHS")
    assert at_school.roles == frozenset({"practitioner"})
    assert at_csc.roles == frozenset({"analyst"})
    (summary,) = [u for u in users.list_users(engine) if u.username == "teacher"]
    assert summary.roles == ("analyst@CSC", "practitioner@SCH")
    with pytest.raises(Conflict):
        users.grant_role(engine, "teacher", "CSC", "analyst")
    with pytest.raises(InvalidInput, match="Unknown role"):
        users.grant_role(engine, "teacher", "CSC", "overlord")
    users.revoke_role(engine, "teacher", "CSC", "analyst")
    with pytest.raises(NotFound):
        users.revoke_role(engine, "teacher", "CSC", "analyst")


def test_only_admins_manage_users(engine) -> None:
    build_world(engine)
    with pytest.raises(Forbidden):
        users.grant_role(engine, "teacher", "SCH", "data_owner", actor="teacher")
    users.create_user(engine, "schooladmin", "School Admin")
    users.grant_role(engine, "schooladmin", "SCH", "org_admin")
    # An org admin manages their own organisation only.
    users.grant_role(engine, "teacher", "SCH", "data_owner", actor="schooladmin")
    with pytest.raises(Forbidden):
        users.grant_role(engine, "teacher", "NHS", "analyst", actor="schooladmin")
    users.grant_role(engine, "teacher", "NHS", "analyst", actor="admin")
    with UnitOfWork(engine) as uow:
        actors = uow.session.scalars(
            select(AuditLogEntry.actor).where(AuditLogEntry.action == "user.role.grant")
        ).all()
    assert "schooladmin" in actors and "admin" in actors


def test_passwords_are_argon2_hashed_and_checked(engine) -> None:
    users.create_user(engine, "ann", "Ann", password=PASSWORD)
    with UnitOfWork(engine) as uow:
        stored = uow.session.scalars(select(User.password_hash)).one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert auth.authenticate_password(engine, "ann", PASSWORD).username == "ann"
    for name, word in [("ann", "wrong password here"), ("bob", PASSWORD)]:
        with pytest.raises(Forbidden, match="Wrong username or password"):
            auth.authenticate_password(engine, name, word)
    with pytest.raises(InvalidInput, match="12 characters"):
        users.set_password(engine, "ann", "short")
    users.deactivate_user(engine, "ann")
    with pytest.raises(Forbidden):
        auth.authenticate_password(engine, "ann", PASSWORD)


def test_tokens_are_shown_once_stored_hashed_and_authenticate(engine) -> None:
    build_world(engine)
    issued = tokens.create_token(engine, "nurse", "NHS", "ward system", days=30)
    assert issued.secret.startswith(auth.TOKEN_PREFIX) and len(issued.secret) > 40
    with UnitOfWork(engine) as uow:
        row = uow.session.get_one(ApiToken, issued.id)
        assert row.token_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
        assert issued.secret not in {row.token_hash, row.prefix, row.name}
    principal = auth.authenticate_token(engine, issued.secret)
    assert (principal.username, principal.organisation_code) == ("nurse", "NHS")
    assert principal.roles == frozenset({"practitioner"})
    (listed,) = tokens.list_tokens(engine, "nurse")
    assert listed.status == "active" and listed.last_used_at is not None
    for bad in ["", "jdu_nope", issued.secret + "x", "Bearer " + issued.secret]:
        with pytest.raises(Forbidden):
            auth.authenticate_token(engine, bad)


def test_revoked_and_expired_tokens_fail(engine) -> None:
    build_world(engine)
    revoked = tokens.create_token(engine, "nurse", "NHS", "old")
    tokens.revoke_token(engine, revoked.id, actor="nurse")  # anyone may revoke their own
    with pytest.raises(Forbidden, match="revoked"):
        auth.authenticate_token(engine, revoked.secret)
    expired = tokens.create_token(engine, "nurse", "NHS", "short", days=1)
    with UnitOfWork(engine) as uow:
        uow.session.get_one(ApiToken, expired.id).expires_at = dt.datetime.now(
            dt.UTC
        ) - dt.timedelta(seconds=1)
        uow.commit()
    with pytest.raises(Forbidden, match="expired"):
        auth.authenticate_token(engine, expired.secret)
    assert {t.status for t in tokens.list_tokens(engine)} == {"revoked", "expired"}


def test_a_token_stops_working_when_its_user_loses_the_role_or_is_deactivated(engine) -> None:
    build_world(engine)
    first = tokens.create_token(engine, "nurse", "NHS", "a")
    users.revoke_role(engine, "nurse", "NHS", "practitioner")
    with pytest.raises(Forbidden):
        auth.authenticate_token(engine, first.secret)
    second = tokens.create_token(engine, "analyst", "NHS", "b")
    assert users.deactivate_user(engine, "analyst") == 1
    with pytest.raises(Forbidden):
        auth.authenticate_token(engine, second.secret)


def test_tokens_need_a_role_at_their_organisation(engine) -> None:
    build_world(engine)
    with pytest.raises(Forbidden, match="no role at CSC"):
        tokens.create_token(engine, "nurse", "CSC", "x")
    with pytest.raises(InvalidInput):
        tokens.create_token(engine, "nurse", "NHS", "x", days=1000)


def test_memberships_for_the_web_layer(engine) -> None:
    world = build_world(engine)
    with UnitOfWork(engine) as uow:
        add_org(uow.session, "EXTRA")
        uow.commit()
    users.grant_role(engine, "csc_owner", "CSC", "org_admin")
    user_id = auth.authenticate_token(
        engine, tokens.create_token(engine, "csc_owner", "CSC", "t").secret
    ).user_id
    found = auth.user_memberships(engine, user_id)
    assert found is not None
    user, rows = found
    assert user.username == "csc_owner"
    assert [(r.role, r.organisation_code) for r in rows] == [
        ("data_owner", "CSC"),
        ("org_admin", "CSC"),
    ]
    one = auth.principal_for_user(engine, user_id, world.orgs["CSC"], "org_admin")
    assert one.roles == frozenset({"org_admin"})
    both = auth.principal_for_user(engine, user_id, world.orgs["CSC"])
    assert both.roles == frozenset({"data_owner", "org_admin"})
    with pytest.raises(Forbidden):
        auth.principal_for_user(engine, user_id, world.orgs["NHS"])


def test_a_remembered_principal_is_forgotten_when_its_token_or_roles_change(engine) -> None:
    build_world(engine)
    auth.forget_token_principals()
    issued = tokens.create_token(engine, "nurse", "NHS", "ward system")
    assert auth.recent_token_principal(engine, issued.secret) is None  # none remembered yet
    principal = auth.authenticate_token(engine, issued.secret, remember_seconds=60)
    assert auth.recent_token_principal(engine, issued.secret) == principal
    assert auth.recent_token_principal(engine, issued.secret + "x") is None
    # Without remember_seconds (the default) nothing is remembered.
    other = tokens.create_token(engine, "analyst", "NHS", "b")
    auth.authenticate_token(engine, other.secret)
    assert auth.recent_token_principal(engine, other.secret) is None
    # The services that take rights away forget every remembered principal.
    tokens.revoke_token(engine, issued.id, actor="nurse")
    assert auth.recent_token_principal(engine, issued.secret) is None
    again = tokens.create_token(engine, "nurse", "NHS", "c")
    auth.authenticate_token(engine, again.secret, remember_seconds=60)
    users.revoke_role(engine, "nurse", "NHS", "practitioner")
    assert auth.recent_token_principal(engine, again.secret) is None


def test_a_remembered_principal_lapses_after_its_seconds(engine, monkeypatch) -> None:
    build_world(engine)
    issued = tokens.create_token(engine, "nurse", "NHS", "ward system")
    clock = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    auth.authenticate_token(engine, issued.secret, remember_seconds=1.0)
    clock[0] += 0.9
    assert auth.recent_token_principal(engine, issued.secret) is not None
    # Changed behind this process's back (as another worker would): seen once it lapses.
    with UnitOfWork(engine) as uow:
        uow.session.get_one(ApiToken, issued.id).revoked_at = dt.datetime.now(dt.UTC)
        uow.commit()
    clock[0] += 0.2
    assert auth.recent_token_principal(engine, issued.secret) is None
    with pytest.raises(Forbidden, match="revoked"):
        auth.authenticate_token(engine, issued.secret, remember_seconds=1.0)


def test_a_look_up_overtaken_by_a_revocation_is_not_remembered(engine, monkeypatch) -> None:
    build_world(engine)
    issued = tokens.create_token(engine, "nurse", "NHS", "ward system")
    real_hash = auth.token_hash

    def revoke_during_the_look_up(secret: str) -> str:
        # The look-up has begun; another thread revokes the token before it remembers.
        auth.forget_token_principals()
        return real_hash(secret)

    monkeypatch.setattr(auth, "token_hash", revoke_during_the_look_up)
    auth.authenticate_token(engine, issued.secret, remember_seconds=60)
    monkeypatch.setattr(auth, "token_hash", real_hash)
    assert auth.recent_token_principal(engine, issued.secret) is None
