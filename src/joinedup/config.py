"""Settings, read from `JOINEDUP_*` environment variables (pydantic-settings).

The CLI's `--database-url` option overrides `JOINEDUP_DATABASE_URL` for one call.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything joinedup reads from its environment."""

    model_config = SettingsConfigDict(env_prefix="JOINEDUP_", env_file=None, extra="ignore")

    var_dir: Path = Field(
        default=Path("var"),
        description="Directory for the embedded store, model artefacts and reports.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the store; default is a SQLite file under var_dir.",
    )
    log_level: str = Field(default="WARNING", description="Python logging level name.")
    log_format: str = Field(default="console", description="'console' or 'json'.")
    api_rate_limit: str = Field(
        default="600/minute", description="Requests allowed per API token (moving window)."
    )
    api_token_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        description="Seconds an API worker remembers the user and roles behind a token it "
        "has checked, sparing the look-up on a busy client's next requests; a revoked token, "
        "a deactivated user or a changed role takes effect in the other workers within this "
        "time (at once in the one that made the change). 0: check every request.",
    )
    api_threads: int = Field(
        default=8,
        ge=1,
        description="Threads per API worker running routes (a view is half Python, half "
        "waiting on the database; more threads than a few only take turns on the GIL).",
    )
    fhir_identifier_base: str = Field(
        default="https://joinedup.invalid/Id",
        description="Base URI of the FHIR identifier systems joinedup names itself "
        "(`<base>/person-number`, `<base>/upn`, ...); set it to a URI the partnership owns.",
    )
    upper_threshold: float = Field(
        default=0.99, description="Match probability at or above which records link automatically."
    )
    lower_threshold: float = Field(
        default=0.70, description="Match probability below which records never link."
    )

    def resolved_database_url(self) -> str:
        """The database URL to use: the configured one, or the embedded SQLite file."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'joinedup.db').as_posix()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
