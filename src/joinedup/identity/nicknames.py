"""Loads the nickname table shipped as package data (identity/data/nicknames.csv)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from joinedup.domain.nicknames import NicknameTable, parse_nickname_table


@lru_cache(maxsize=1)
def nickname_table() -> NicknameTable:
    """The packaged given-name equivalence table (parsed once per process)."""
    text = resources.files("joinedup.identity").joinpath("data/nicknames.csv").read_text("utf-8")
    return parse_nickname_table(text.splitlines())
