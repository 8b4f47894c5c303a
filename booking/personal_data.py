"""A person's data, gathered from every domain for "download my data" (GDPR art. 15 and 20).

Each domain registers the part it holds, at import time, like panels; the accounts domain
(which offers the download) never imports the domains above it.

    personal_data.register("reservations", lambda user: [...], order=30)
    personal_data.collect(user) -> {"exported_at": ..., "reservations": [...], ...}

When a person deletes their account, each domain's eraser removes or detaches what is theirs
(`register_eraser`); records the city must keep (invoices, statistics, signed agreements)
stay, no longer pointing at a person.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from enum import Enum
from typing import Any, Callable

_parts: dict[str, tuple[int, Callable[[Any], Any]]] = {}
_erasers: dict[str, Callable[[Any], None]] = {}


def register(name: str, part: Callable[[Any], Any], order: int = 50) -> None:
    _parts[name] = (order, part)


def plain(value):
    """JSON-ready: instants in UTC ISO 8601, dates ISO, enums by value, containers walked."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    return value


def collect(user) -> dict:
    data = {"exported_at": plain(datetime.now(timezone.utc))}
    for name, (_order, part) in sorted(_parts.items(), key=lambda item: item[1][0]):
        data[name] = plain(part(user))
    return data


def register_eraser(name: str, eraser: Callable[[Any], None]) -> None:
    _erasers[name] = eraser


def erase(user) -> None:
    """Every domain forgets the person (in the caller's unit of work)."""
    for eraser in _erasers.values():
        eraser(user)
