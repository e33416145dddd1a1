"""Settings of the web UI, read from `JOINEDUP_WEB_*` environment variables.

The session secret signs the session cookie. When none is configured, one is made once and
kept in a file under the store's `var_dir` (readable by its owner only), so sessions survive
a restart and every uvicorn worker of one installation signs with the same key.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_FILE_NAME = "web-session-secret"  # noqa: S105 (a file name)


class WebSettings(BaseSettings):
    """Everything the web UI reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="JOINEDUP_WEB_", env_file=None, extra="ignore")

    secret_key: str | None = Field(
        default=None,
        description="Key that signs session cookies; default: one kept in var_dir.",
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="Mark the session cookie Secure: 'auto' does so when the request is https.",
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, description="Sign a user out after this many minutes without a request."
    )
    session_max_hours: int = Field(
        default=12, ge=1, description="Sign a user out this many hours after they signed in."
    )
    sign_in_attempts: str = Field(
        default="10/15minute",
        description="Failed sign-ins allowed per username and client address (moving window).",
    )


def resolve_secret(settings: WebSettings, var_dir: Path) -> str:
    """The configured secret, or the one kept in `var_dir` (made on first use)."""
    if settings.secret_key:
        return settings.secret_key
    path = var_dir / SECRET_FILE_NAME
    try:
        existing = path.read_text().strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # O_EXCL: when two workers start at once, the second reads what the first wrote.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(100):
            written = path.read_text().strip()
            if written:
                return written
            time.sleep(0.01)
        raise
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
