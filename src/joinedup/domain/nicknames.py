"""The given-name equivalence table: nicknames and variant spellings (William ~ Bill ~ Liam).

The table itself ships as package data (`joinedup/identity/data/nicknames.csv`, rows of
`formal,nickname`); this module only parses it and answers questions about it, so it stays
pure. Equivalence is deliberately *not* transitive: Al ~ Alexander and Alexander ~ Sandy,
yet Albert (another "Al") is not equivalent to Sandra (another "Sandy"). Two names are
equivalent when their sets of formal names intersect.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


def _key(name: str) -> str:
    return "".join(ch for ch in name.upper() if "A" <= ch <= "Z")


@dataclass(frozen=True)
class NicknameTable:
    """Formal names by (normalised) name: a formal name maps to itself plus nothing else."""

    formal_names: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Blocking key per name: the smallest name in its connected group of the nickname
    # graph. Chaining is harmless here (it only makes blocks a little larger).
    group_keys: Mapping[str, str] = field(default_factory=dict)

    def formals(self, name: str) -> frozenset[str]:
        """The formal names `name` may stand for, always including `name` itself."""
        key = _key(name)
        return self.formal_names.get(key, frozenset()) | {key}

    def key(self, name: str) -> str:
        """A blocking key shared by every equivalent name: Bill, Will, Liam and William
        get the same key; a name outside the table is its own key."""
        normalised = _key(name)
        return self.group_keys.get(normalised, normalised)

    def equivalent(self, a: str, b: str) -> bool:
        """True when `a` and `b` share a formal name (or are the same name)."""
        return bool(self.formals(a) & self.formals(b))

    def __len__(self) -> int:
        return len(self.formal_names)


def parse_nickname_table(lines: Iterable[str]) -> NicknameTable:
    """Parse `formal,nickname` rows (comment lines start with '#', one header row)."""
    formal_names: dict[str, set[str]] = {}
    header_seen = False
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not header_seen:
            header_seen = True
            if line.lower().replace(" ", "") == "formal,nickname":
                continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise ValueError(f"not a formal,nickname row: {raw!r}")
        formal, nick = _key(parts[0]), _key(parts[1])
        formal_names.setdefault(nick, set()).add(formal)
        # A formal name is its own formal name, so Alexander ~ Al via {ALEXANDER}.
        formal_names.setdefault(formal, set()).add(formal)
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for nick, formals in formal_names.items():
        for formal in formals:
            a, b = find(nick), find(formal)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return NicknameTable(
        {k: frozenset(v) for k, v in formal_names.items()},
        {name: find(name) for name in formal_names},
    )
