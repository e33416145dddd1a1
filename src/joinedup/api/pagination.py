"""Cursor pagination: opaque cursors that encode where the previous page ended."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from joinedup.errors import InvalidInput

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `cursor` for the next page."""

    items: list[T]
    next_cursor: str | None = Field(default=None, description="Cursor of the next page, if any.")


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("The cursor is not one this API issued.") from exc
    if not isinstance(value, dict):
        raise InvalidInput("The cursor is not one this API issued.")
    return value


def page_of(items: list[T], limit: int, key: str = "id") -> Page[T]:
    """Build a page from `limit + 1` fetched items: the extra one says there is more."""
    if len(items) <= limit:
        return Page[T](items=items)
    last = items[limit - 1]
    value = last[key] if isinstance(last, dict) else getattr(last, key)
    return Page[T](items=items[:limit], next_cursor=encode_cursor({key: value}))


def page_after(
    items: Sequence[T], limit: int, cursor: str | None, key: Callable[[T], str | int]
) -> Page[T]:
    """A page of `items` (keys unique) in ascending `key` order, after the cursor's key.

    For lists a service returns whole (agreements, a person's consents): the cursor names
    the last key seen, so a page stays right when items are added in between.
    """
    position = decode_cursor(cursor)
    after = position.get("k") if position else None
    if position is not None and not isinstance(after, str | int):
        raise InvalidInput("The cursor is not one this API issued.")
    ordered = sorted(items, key=key)  # Python's order, whatever the database's collation
    rest = [i for i in ordered if after is None or _gt(key(i), after)]
    if len(rest) <= limit:
        return Page[T](items=list(rest))
    return Page[T](items=list(rest[:limit]), next_cursor=encode_cursor({"k": key(rest[limit - 1])}))


def _gt(value: str | int, after: str | int) -> bool:
    if isinstance(value, int) and isinstance(after, int):
        return value > after
    return str(value) > str(after)
