"""CLI commands of the governance capability (see docs/cli.md and docs/governance.md).

`joinedup user|token|agreement|consent|breakglass|notifications|audit|pseudo|policy ...`.
`--as USER` names the person acting; commands that need a particular role (approving an
agreement, breaking glass, reviewing) require it. Without `--as`, administrative commands
act as the operator of the server (audited as `system`).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from joinedup.cli.common import console, print_json, state
from joinedup.errors import Conflict, InvalidInput

if TYPE_CHECKING:
    from joinedup.governance.agreements import AgreementChange

AS_HELP = "Username of the person acting (recorded in the audit log)."


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option} takes a date as YYYY-MM-DD, not {value!r}.") from None


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


# ---------------------------------------------------------------- users
user_app = typer.Typer(help="Users and the roles they hold at organisations.", no_args_is_help=True)


@user_app.command("add", help="Create a user (no roles yet).")
def user_add(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Sign-in name: lower-case letters, digits, . _ -"),
    name: str = typer.Option(..., "--name", help="The person's full name."),
    email: str | None = typer.Option(None, "--email", help="Contact e-mail address."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read a web sign-in password from standard input."
    ),
    actor: str | None = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.users import create_user

    password = _read_password(True) if password_stdin else None
    create_user(state(ctx).engine(), username, name, email=email, password=password, actor=actor)
    console.print(f"User [bold]{username}[/] created. Grant roles with `joinedup user grant`.")


@user_app.command("list", help="List users and the roles they hold.")
def user_list(
    ctx: typer.Context,
    org: str | None = typer.Option(None, "--org", help="Only users holding a role here."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.governance.users import list_users

    users = list_users(state(ctx).engine(), org)
    if as_json:
        print_json([u.__dict__ for u in users])
        return
    table = Table("Username", "Name", "Roles", "Password", "Active")
    for u in users:
        table.add_row(
            u.username,
            u.display_name,
            ", ".join(u.roles),
            "set" if u.has_password else "",
            "yes" if u.active else "no",
        )
    console.print(table)


@user_app.command("grant", help="Give a user a role at an organisation.")
def user_grant(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="The user to grant a role to."),
    org: str = typer.Option(..., "--org", help="Code of the organisation the role is held at."),
    role: str = typer.Option(
        ...,
        "--role",
        help="practitioner, data_owner, linkage_officer, analyst, org_admin or partnership_admin.",
    ),
    actor: str | None = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.users import grant_role

    grant_role(state(ctx).engine(), username, org, role, actor=actor)
    console.print(f"{username} is now {role} at {org}.")


@user_app.command("revoke", help="Take a role at an organisation from a user.")
def user_revoke(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="The user to take a role from."),
    org: str = typer.Option(..., "--org", help="Code of the organisation the role is held at."),
    role: str = typer.Option(..., "--role", help="The role to take away."),
    actor: str | None = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.users import revoke_role

    revoke_role(state(ctx).engine(), username, org, role, actor=actor)
    console.print(f"{username} is no longer {role} at {org}.")


@user_app.command(
    "set-password", help="Set a user's web sign-in password (stored as an argon2 hash)."
)
def user_set_password(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="The user whose web sign-in password to set."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input, not a prompt."
    ),
    actor: str | None = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.users import set_password

    set_password(state(ctx).engine(), username, _read_password(password_stdin), actor=actor)
    console.print(f"Password set for {username}.")


@user_app.command("deactivate", help="Stop a user signing in and revoke their API tokens.")
def user_deactivate(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="The user who may no longer sign in."),
    actor: str | None = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.users import deactivate_user

    revoked = deactivate_user(state(ctx).engine(), username, actor=actor)
    console.print(f"{username} deactivated; {revoked} API token(s) revoked.")


# ---------------------------------------------------------------- tokens
token_app = typer.Typer(
    help="API tokens: shown once, stored hashed, expiring, revocable.", no_args_is_help=True
)


@token_app.command(
    "create", help="Create an API token for a user at an organisation; the secret is shown once."
)
def token_create(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="The user the token acts for."),
    org: str = typer.Option(..., "--org", help="Code of the organisation the token acts for."),
    name: str = typer.Option(
        ..., "--name", help="What the token is for (e.g. the system using it)."
    ),
    days: int = typer.Option(90, "--days", help="Days until the token expires (1-366)."),
    actor: str | None = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.tokens import create_token

    issued = create_token(state(ctx).engine(), username, org, name, days=days, actor=actor)
    console.print(
        f"Token {issued.id} for {username} at {org}, expires {_when(issued.expires_at)} UTC.\n"
        "Copy it now: it is not stored and will not be shown again."
    )
    # Printed alone on stdout's last line so scripts can capture it.
    typer.echo(issued.secret)


@token_app.command("list", help="List API tokens (never their secrets).")
def token_list(
    ctx: typer.Context,
    user: str | None = typer.Option(None, "--user", help="Only this user's tokens."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.governance.tokens import list_tokens

    tokens = list_tokens(state(ctx).engine(), user)
    if as_json:
        print_json([{**t.__dict__, "status": t.status} for t in tokens])
        return
    table = Table("Id", "User", "Org", "Name", "Starts with", "Expires", "Last used", "Status")
    for t in tokens:
        table.add_row(
            str(t.id),
            t.username,
            t.organisation,
            t.name,
            t.prefix + "…",
            _when(t.expires_at),
            _when(t.last_used_at),
            t.status,
        )
    console.print(table)


@token_app.command("revoke", help="Revoke an API token at once.")
def token_revoke(
    ctx: typer.Context,
    token_id: int = typer.Argument(..., help="Id of the token (from `joinedup token list`)."),
    actor: str | None = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.tokens import revoke_token

    revoke_token(state(ctx).engine(), token_id, actor=actor)
    console.print(f"Token {token_id} revoked.")


# ---------------------------------------------------------------- agreements
agreement_app = typer.Typer(
    help="Data-sharing agreements: draft, approve, suspend, end; every change is a version.",
    no_args_is_help=True,
)


def _change(
    title: str | None,
    dataset: list[str] | None,
    recipient_org: list[str] | None,
    recipient_role: list[str] | None,
    purpose: list[str] | None,
    max_detail: str | None,
    finest_aggregation: str | None,
    legal_basis: str | None,
    valid_from: str | None,
    valid_to: str | None,
    note: str | None,
    *,
    creating: bool,
) -> AgreementChange:
    from joinedup.governance.agreements import AgreementChange

    def many(values: list[str] | None) -> tuple[str, ...] | None:
        if values:
            return tuple(values)
        return () if creating else None

    return AgreementChange(
        title=title,
        datasets=many(dataset),
        recipient_organisations=many(recipient_org),
        recipient_roles=many(recipient_role),
        purposes=many(purpose),
        max_detail=max_detail,
        finest_aggregation=finest_aggregation,
        legal_basis=legal_basis,
        valid_from=_date(valid_from, "--valid-from") or (dt.date.today() if creating else None),
        valid_to=_date(valid_to, "--valid-to"),
        change_note=note,
    )


_DATASET_HELP = "Code of a provider dataset shared (repeat for several)."
_RORG_HELP = "Code of a recipient organisation (repeat for several)."
_RROLE_HELP = "A role whose holders, at any organisation, receive (repeat for several)."
_PURPOSE_HELP = (
    "A purpose: safeguarding, care_coordination, employment_support, education_support, "
    "housing_support, service_planning or research (repeat for several)."
)
_DETAIL_HELP = "Highest detail shared: known_to, rag, coded or full."
_AGG_HELP = "Finest aggregation shared: person, household, street, postcode, ward or district."
_BASIS_HELP = "Legal basis: consent, public_task, legal_obligation or vital_interests."


@agreement_app.command("create", help="Draft a new data-sharing agreement (version 1).")
def agreement_create(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Short unique code for the agreement, e.g. DSA-SAFE."),
    provider: str = typer.Option(..., "--provider", help="Code of the organisation sharing."),
    title: str = typer.Option(..., "--title", help="Title of the agreement."),
    dataset: list[str] = typer.Option(..., "--dataset", help=_DATASET_HELP),
    recipient_org: list[str] | None = typer.Option(None, "--recipient-org", help=_RORG_HELP),
    recipient_role: list[str] | None = typer.Option(None, "--recipient-role", help=_RROLE_HELP),
    purpose: list[str] = typer.Option(..., "--purpose", help=_PURPOSE_HELP),
    max_detail: str = typer.Option(..., "--max-detail", help=_DETAIL_HELP),
    finest_aggregation: str = typer.Option("person", "--finest-aggregation", help=_AGG_HELP),
    legal_basis: str = typer.Option(..., "--legal-basis", help=_BASIS_HELP),
    valid_from: str | None = typer.Option(
        None, "--valid-from", help="First day in force, YYYY-MM-DD (default: today)."
    ),
    valid_to: str | None = typer.Option(
        None, "--valid-to", help="Last day in force, YYYY-MM-DD (default: open-ended)."
    ),
    actor: str = typer.Option(..., "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.agreements import create_agreement

    change = _change(
        title, dataset, recipient_org, recipient_role, purpose, max_detail,
        finest_aggregation, legal_basis, valid_from, valid_to, None, creating=True,
    )  # fmt: skip
    create_agreement(state(ctx).engine(), code, provider, change, actor=actor)
    console.print(
        f"Agreement {code} drafted (version 1). A data owner of {provider} approves it with "
        f"`joinedup agreement approve {code} --as USER`."
    )


@agreement_app.command(
    "revise", help="Draft a new version of an agreement from its latest version."
)
def agreement_revise(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The agreement to change."),
    note: str = typer.Option(..., "--note", help="What changes and why (kept with the version)."),
    title: str | None = typer.Option(None, "--title", help="New title."),
    dataset: list[str] | None = typer.Option(
        None, "--dataset", help="Replace the datasets: " + _DATASET_HELP
    ),
    recipient_org: list[str] | None = typer.Option(
        None, "--recipient-org", help="Replace the recipient organisations: " + _RORG_HELP
    ),
    recipient_role: list[str] | None = typer.Option(
        None, "--recipient-role", help="Replace the recipient roles: " + _RROLE_HELP
    ),
    purpose: list[str] | None = typer.Option(
        None, "--purpose", help="Replace the purposes: " + _PURPOSE_HELP
    ),
    max_detail: str | None = typer.Option(None, "--max-detail", help=_DETAIL_HELP),
    finest_aggregation: str | None = typer.Option(None, "--finest-aggregation", help=_AGG_HELP),
    legal_basis: str | None = typer.Option(None, "--legal-basis", help=_BASIS_HELP),
    valid_from: str | None = typer.Option(None, "--valid-from", help="New first day, YYYY-MM-DD."),
    valid_to: str | None = typer.Option(None, "--valid-to", help="New last day, YYYY-MM-DD."),
    actor: str = typer.Option(..., "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.agreements import revise_agreement

    change = _change(
        title, dataset, recipient_org, recipient_role, purpose, max_detail,
        finest_aggregation, legal_basis, valid_from, valid_to, note, creating=False,
    )  # fmt: skip
    number = revise_agreement(state(ctx).engine(), code, change, actor=actor)
    console.print(
        f"Agreement {code} version {number} drafted; the version in force stays until it is approved."
    )


@agreement_app.command(
    "approve", help="Put an agreement's latest draft in force (the provider's data owner only)."
)
def agreement_approve(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The agreement whose latest draft to put in force."),
    actor: str = typer.Option(..., "--as", help="A data owner of the provider organisation."),
) -> None:
    from joinedup.governance.agreements import approve_agreement

    number = approve_agreement(state(ctx).engine(), code, actor=actor)
    console.print(f"Agreement {code} version {number} is active.")


@agreement_app.command(
    "suspend", help="Suspend the version in force: sharing under it stops at once."
)
def agreement_suspend(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The agreement to suspend (sharing stops at once)."),
    reason: str = typer.Option(..., "--reason", help="Why it is suspended."),
    actor: str = typer.Option(..., "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.agreements import suspend_agreement

    suspend_agreement(state(ctx).engine(), code, actor=actor, reason=reason)
    console.print(f"Agreement {code} suspended.")


@agreement_app.command(
    "resume", help="Put a suspended agreement back in force (the provider's data owner only)."
)
def agreement_resume(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The suspended agreement to put back in force."),
    reason: str | None = typer.Option(None, "--reason", help="Why it resumes."),
    actor: str = typer.Option(..., "--as", help="A data owner of the provider organisation."),
) -> None:
    from joinedup.governance.agreements import resume_agreement

    resume_agreement(state(ctx).engine(), code, actor=actor, reason=reason)
    console.print(f"Agreement {code} is active again.")


@agreement_app.command("end", help="End an agreement for good.")
def agreement_end(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The agreement to end for good."),
    reason: str = typer.Option(..., "--reason", help="Why it ends."),
    actor: str = typer.Option(..., "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.agreements import end_agreement

    end_agreement(state(ctx).engine(), code, actor=actor, reason=reason)
    console.print(f"Agreement {code} ended.")


def _agreement_json(v: object) -> dict[str, object]:
    return dict(v.__dict__)


@agreement_app.command("list", help="List agreements with the terms of their current version.")
def agreement_list(
    ctx: typer.Context,
    provider: str | None = typer.Option(
        None, "--provider", help="Only this provider's agreements."
    ),
    status: str | None = typer.Option(None, "--status", help="Only agreements in this status."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.governance.agreements import list_agreements

    views = list_agreements(state(ctx).engine(), provider_code=provider, status=status)
    if as_json:
        print_json([_agreement_json(v) for v in views])
        return
    table = Table(
        "Code",
        "v",
        "Status",
        "Provider",
        "Datasets",
        "Recipients",
        "Purposes",
        "Detail",
        "Aggregation",
        "Basis",
        "Valid",
    )
    for v in views:
        table.add_row(
            v.code,
            str(v.version),
            v.status,
            v.provider,
            ", ".join(v.datasets),
            ", ".join([*v.recipient_organisations, *(f"any {r}" for r in v.recipient_roles)]),
            ", ".join(v.purposes),
            v.max_detail,
            v.finest_aggregation,
            v.legal_basis,
            f"{v.valid_from} – {v.valid_to or 'open'}",
        )
    console.print(table)


@agreement_app.command(
    "show", help="Show every version of an agreement, with who drafted and approved it."
)
def agreement_show(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The agreement whose versions to show."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.governance.agreements import agreement_history

    versions = agreement_history(state(ctx).engine(), code)
    if as_json:
        print_json([_agreement_json(v) for v in versions])
        return
    for v in versions:
        console.print(f"[bold]{v.code} version {v.version}[/] — {v.status}: {v.title}")
        console.print(f"  provider {v.provider}; datasets {', '.join(v.datasets)}")
        recipients = [*v.recipient_organisations, *(f"any {r}" for r in v.recipient_roles)]
        console.print(f"  recipients {', '.join(recipients)}; purposes {', '.join(v.purposes)}")
        console.print(
            f"  up to {v.max_detail}, {v.finest_aggregation} or coarser; basis {v.legal_basis}; "
            f"valid {v.valid_from} – {v.valid_to or 'open'}"
        )
        console.print(
            f"  drafted {_when(v.created_at)} by {v.created_by or 'system'}"
            + (f"; approved {_when(v.approved_at)} by {v.approved_by}" if v.approved_at else "")
            + (f"; note: {v.change_note}" if v.change_note else "")
            + (f"; {v.status_reason}" if v.status_reason else "")
        )


# ---------------------------------------------------------------- consent
consent_app = typer.Typer(help="The consent register: permits and refusals.", no_args_is_help=True)


@consent_app.command(
    "record", help="Record a person's permit or refusal (for a recipient and purpose, or any)."
)
def consent_record(
    ctx: typer.Context,
    person_number: str | None = typer.Argument(
        None, help="The person's number (or name one record with --record)."
    ),
    decision: str = typer.Option(..., "--decision", help="permit or deny."),
    record: str | None = typer.Option(
        None, "--record", help="Only this record, as ORG/DATASET/LOCAL_ID."
    ),
    recipient: str | None = typer.Option(
        None, "--recipient", help="Code of the recipient organisation (default: any)."
    ),
    purpose: str | None = typer.Option(None, "--purpose", help="The purpose (default: any)."),
    evidence: str | None = typer.Option(
        None, "--evidence", help="Where the consent or refusal is evidenced (form, letter, note)."
    ),
    valid_from: str | None = typer.Option(None, "--valid-from", help="From this day, YYYY-MM-DD."),
    valid_to: str | None = typer.Option(None, "--valid-to", help="Until this day, YYYY-MM-DD."),
    actor: str = typer.Option(..., "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.consent import RecordRef, record_consent

    consent_id = record_consent(
        state(ctx).engine(),
        decision,
        actor=actor,
        person_number=person_number,
        record=RecordRef.parse(record) if record else None,
        recipient=recipient,
        purpose=purpose,
        evidence=evidence,
        valid_from=_date(valid_from, "--valid-from"),
        valid_to=_date(valid_to, "--valid-to"),
    )
    console.print(f"Consent entry {consent_id} recorded ({decision}).")


@consent_app.command(
    "withdraw", help="Withdraw a consent entry (it stays on the register, marked withdrawn)."
)
def consent_withdraw(
    ctx: typer.Context,
    consent_id: int = typer.Argument(..., help="Id of the entry (from `joinedup consent list`)."),
    reason: str = typer.Option(..., "--reason", help="Why it is withdrawn."),
    actor: str = typer.Option(..., "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.consent import withdraw_consent

    withdraw_consent(state(ctx).engine(), consent_id, actor=actor, reason=reason)
    console.print(f"Consent entry {consent_id} withdrawn.")


@consent_app.command(
    "list", help="List a person's consent register, including entries on their records."
)
def consent_list(
    ctx: typer.Context,
    person_number: str = typer.Argument(..., help="The person's number."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.governance.consent import list_consents

    views = list_consents(state(ctx).engine(), person_number)
    if as_json:
        print_json([{**v.__dict__, "status": v.status} for v in views])
        return
    table = Table(
        "Id", "Decision", "Subject", "Recipient", "Purpose", "Valid", "Recorded", "Status"
    )
    for v in views:
        table.add_row(
            str(v.id),
            v.decision,
            v.subject,
            v.recipient,
            v.purpose,
            f"{v.valid_from or ''} – {v.valid_to or ''}",
            f"{_when(v.recorded_at)} by {v.recorded_by}",
            v.status,
        )
    console.print(table)


# ---------------------------------------------------------------- break-glass
breakglass_app = typer.Typer(
    help="Emergency access for safeguarding: time-limited, flagged, notified, reviewed.",
    no_args_is_help=True,
)


@breakglass_app.command(
    "request", help="Break glass: time-limited access to one person for safeguarding."
)
def breakglass_request(
    ctx: typer.Context,
    person_number: str = typer.Argument(..., help="The person at risk."),
    actor: str = typer.Option(..., "--as", help="The practitioner breaking glass."),
    org: str | None = typer.Option(
        None,
        "--org",
        help="Organisation the practitioner acts for (if they hold roles at several).",
    ),
    justification: str = typer.Option(
        ..., "--justification", help="The risk, and why the agreements do not give enough."
    ),
    hours: int = typer.Option(4, "--hours", help="How long the grant lasts (1-24)."),
    detail: str = typer.Option(
        "full", "--detail", help="Detail needed: known_to, rag, coded or full."
    ),
) -> None:
    from joinedup.governance.auth import principal_for
    from joinedup.governance.breakglass import request_break_glass
    from joinedup.store.uow import UnitOfWork

    engine = state(ctx).engine()
    with UnitOfWork(engine) as uow:
        principal = principal_for(uow.session, actor, org)
    grant_id = request_break_glass(
        engine, principal, person_number, justification, detail=detail, hours=hours
    )
    console.print(
        f"Break-glass grant {grant_id}: {detail} detail on {person_number} for {hours} hour(s). "
        "The data owners concerned have been notified; the grant will be reviewed."
    )


@breakglass_app.command("list", help="List break-glass grants; --pending gives the review list.")
def breakglass_list(
    ctx: typer.Context,
    pending: bool = typer.Option(False, "--pending", help="Only grants not yet reviewed."),
    org: str | None = typer.Option(
        None, "--org", help="Only grants that notified this organisation."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.governance.breakglass import list_break_glass

    views = list_break_glass(state(ctx).engine(), pending_only=pending, organisation_code=org)
    if as_json:
        print_json([v.__dict__ for v in views])
        return
    table = Table(
        "Id", "Who", "Person", "Detail", "Granted", "Expires", "Notified", "Review", "Justification"
    )
    for v in views:
        table.add_row(
            str(v.id),
            f"{v.user}@{v.organisation}",
            v.person_number,
            v.detail,
            _when(v.granted_at),
            _when(v.expires_at),
            ", ".join(v.notified),
            f"{v.review_outcome} by {v.reviewed_by}" if v.reviewed_at else "pending",
            v.justification,
        )
    console.print(table)


@breakglass_app.command("review", help="Record whether a break-glass grant was appropriate.")
def breakglass_review(
    ctx: typer.Context,
    grant_id: int = typer.Argument(..., help="Id of the grant (from `joinedup breakglass list`)."),
    outcome: str = typer.Option(..., "--outcome", help="appropriate or inappropriate."),
    note: str = typer.Option(..., "--note", help="What the review found."),
    actor: str = typer.Option(..., "--as", help="A data owner of a notified organisation."),
) -> None:
    from joinedup.governance.breakglass import review_break_glass

    review_break_glass(state(ctx).engine(), grant_id, actor=actor, outcome=outcome, note=note)
    console.print(f"Break-glass grant {grant_id} reviewed: {outcome}.")


# ---------------------------------------------------------------- notifications
notifications_app = typer.Typer(
    help="Governance notifications for an organisation's data owners.", no_args_is_help=True
)


@notifications_app.command("list", help="List an organisation's governance notifications.")
def notifications_list(
    ctx: typer.Context,
    org: str = typer.Option(..., "--org", help="Code of the organisation."),
    unread: bool = typer.Option(False, "--unread", help="Only notifications not yet read."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.governance.notifications import list_notifications

    views = list_notifications(state(ctx).engine(), org, unread_only=unread)
    if as_json:
        print_json([v.__dict__ for v in views])
        return
    for v in views:
        flag = "" if v.read_at else "[bold]new[/] "
        console.print(f"{flag}#{v.id} {_when(v.created_at)} to {v.role}: {v.subject}\n  {v.body}")


@notifications_app.command("read", help="Mark a notification read.")
def notifications_read(
    ctx: typer.Context,
    notification_id: int = typer.Argument(..., help="Id of the notification."),
    actor: str = typer.Option(..., "--as", help="A holder of the role it is addressed to."),
) -> None:
    from joinedup.governance.notifications import mark_read

    mark_read(state(ctx).engine(), notification_id, actor=actor)
    console.print(f"Notification {notification_id} marked read.")


# ---------------------------------------------------------------- audit
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command(
    "verify",
    help="Check the audit log's hash chain; exits with code 5 if an entry was edited, inserted or deleted.",
)
def audit_verify(
    ctx: typer.Context,
    anchor: list[str] | None = typer.Option(
        None,
        "--anchor",
        help="SEQ:HASH written down earlier (from `joinedup audit head`); repeat for several.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.domain.audit_chain import ChainPoint
    from joinedup.governance.audit import verify

    try:
        anchors = [ChainPoint.parse(a) for a in anchor or []]
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    report = verify(state(ctx).engine(), anchors)
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "head": str(report.last) if report.last else None,
                "problems": [p.__dict__ for p in report.problems],
            }
        )
    else:
        for p in report.problems:
            console.print(f"[red]{p.kind}[/]: {p.message}")
    if not report.ok:
        raise Conflict(f"The audit log has been tampered with: {len(report.problems)} problem(s).")
    if not as_json:
        console.print(
            f"Audit log intact: {report.entries:,} entries"
            + (f", head {report.last}" if report.last else "")
            + "."
        )


@audit_app.command(
    "head", help="Print the audit log's head as SEQ:HASH, to keep outside the store as an anchor."
)
def audit_head(ctx: typer.Context) -> None:
    from joinedup.governance.audit import head

    point = head(state(ctx).engine())
    typer.echo(str(point) if point else "0:" + "0" * 64)


@audit_app.command(
    "report", help="Subject report: who looked at a person, when, why and under which agreement."
)
def audit_report(
    ctx: typer.Context,
    person_number: str = typer.Argument(..., help="The person the report is about."),
    actor: str | None = typer.Option(None, "--as", help="The data owner asking (audited)."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.governance.reports import subject_report

    report = subject_report(state(ctx).engine(), person_number, actor=actor)
    if as_json:
        print_json(
            {
                "person_number": report.person_number,
                "person_numbers": report.person_numbers,
                "entries": [e.__dict__ for e in report.entries],
            }
        )
        return
    table = Table(
        "When", "Who", "Org", "Roles", "Purpose", "What", "Decision", "Agreements", "Break-glass",
        title=f"Who looked at person {report.person_number}",
    )  # fmt: skip
    for e in report.entries:
        table.add_row(
            _when(e.at),
            e.actor,
            e.organisation or "",
            ", ".join(e.roles),
            e.purpose or "",
            e.action,
            e.decision or "",
            ", ".join(e.agreements),
            "yes" if e.break_glass else "",
        )
    console.print(table)


# ---------------------------------------------------------------- pseudonymisation
pseudo_app = typer.Typer(
    help="Keyed pseudonyms of person numbers per analysis project.", no_args_is_help=True
)


@pseudo_app.command(
    "create", help="Create an analysis project with a new secret pseudonymisation key."
)
def pseudo_create(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Short code of the analysis project."),
    name: str = typer.Option(..., "--name", help="What the project is."),
    actor: str | None = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.pseudonymise import create_project

    create_project(state(ctx).engine(), code, name, actor=actor)
    console.print(f"Analysis project {code} created with a new secret key.")


@pseudo_app.command("list", help="List analysis projects (never their keys).")
def pseudo_list(ctx: typer.Context) -> None:
    from joinedup.governance.pseudonymise import list_projects

    table = Table("Code", "Name", "Created", "Retired")
    for p in list_projects(state(ctx).engine()):
        table.add_row(p.code, p.name, _when(p.created_at), _when(p.retired_at))
    console.print(table)


@pseudo_app.command("apply", help="Print the project's pseudonym for each person number.")
def pseudo_apply(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The analysis project."),
    person_numbers: list[str] = typer.Argument(..., help="Person numbers to pseudonymise."),
) -> None:
    from joinedup.governance.pseudonymise import load_project, pseudonym

    project = load_project(state(ctx).engine(), code)
    for number in person_numbers:
        typer.echo(f"{number}\t{pseudonym(project, number)}")


@pseudo_app.command("retire", help="Retire an analysis project's key.")
def pseudo_retire(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="The analysis project whose key to retire."),
    actor: str | None = typer.Option(None, "--as", help=AS_HELP),
) -> None:
    from joinedup.governance.pseudonymise import retire_project

    retire_project(state(ctx).engine(), code, actor=actor)
    console.print(f"Analysis project {code} retired.")


# ---------------------------------------------------------------- policy
policy_app = typer.Typer(help="The policy decision point.", no_args_is_help=True)


@policy_app.command(
    "check", help="Decide (and audit) what a user may see of a person, dataset by dataset."
)
def policy_check(
    ctx: typer.Context,
    person_number: str = typer.Argument(..., help="The person the request is about."),
    actor: str = typer.Option(..., "--as", help="The user asking."),
    org: str | None = typer.Option(None, "--org", help="Organisation the user acts for."),
    purpose: str = typer.Option(..., "--purpose", help=_PURPOSE_HELP),
    kind: str = typer.Option(
        "person_view", "--kind", help="person_view, aggregate, export or event."
    ),
    detail: str = typer.Option("full", "--detail", help="Detail asked for."),
    aggregation: str = typer.Option("person", "--aggregation", help="Aggregation asked for."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable JSON."),
) -> None:
    from joinedup.governance.auth import principal_for
    from joinedup.governance.lookups import person_by_number
    from joinedup.governance.pdp import decide_for_person
    from joinedup.store.schema.core import Dataset, Organisation
    from joinedup.store.uow import UnitOfWork

    try:
        from joinedup.domain.levels import Aggregation, Detail

        level = Detail.parse(detail)
        agg = Aggregation.parse(aggregation)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    with UnitOfWork(state(ctx).engine()) as uow:
        s = uow.session
        principal = principal_for(s, actor, org)
        person = person_by_number(s, person_number)
        result = decide_for_person(
            s, principal, purpose, person.id, kind=kind, detail=level, aggregation=agg
        )
        names = {
            d.dataset.dataset_id: f"{s.get_one(Organisation, d.dataset.organisation_id).code}/"
            f"{s.get_one(Dataset, d.dataset.dataset_id).code}"
            for d in result.decisions
        }
        uow.commit()
    if as_json:
        print_json(
            {
                "person_number": result.person_number,
                "summary": result.summary,
                "audit_seq": result.audit_seq,
                "decisions": [
                    {
                        "dataset": names[d.dataset.dataset_id],
                        "allowed": d.allowed,
                        "detail": d.detail.label,
                        "aggregation": d.aggregation.label if d.aggregation is not None else None,
                        "break_glass": d.break_glass,
                        "reasons": list(d.reasons),
                    }
                    for d in result.decisions
                ],
            }
        )
        return
    table = Table(
        "Dataset",
        "Allowed",
        "Detail",
        "Aggregation",
        "Reasons",
        title=f"{actor} → person {result.person_number} ({purpose})",
    )
    for d in result.decisions:
        table.add_row(
            names[d.dataset.dataset_id],
            ("yes" if d.allowed else "no") + (" (break-glass)" if d.break_glass else ""),
            d.detail.label,
            d.aggregation.label if d.aggregation is not None else "",
            "; ".join(d.reasons),
        )
    console.print(table)
    console.print(f"Audit entry {result.audit_seq}.")


def register(app: typer.Typer) -> None:
    """Add this capability's commands to the root app."""
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.add_typer(agreement_app, name="agreement")
    app.add_typer(consent_app, name="consent")
    app.add_typer(breakglass_app, name="breakglass")
    app.add_typer(notifications_app, name="notifications")
    app.add_typer(audit_app, name="audit")
    app.add_typer(pseudo_app, name="pseudo")
    app.add_typer(policy_app, name="policy")
