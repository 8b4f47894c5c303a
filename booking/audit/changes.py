"""An audit event's before and after as a list of field changes, for people to read: only what
changed (or was set), with instants and dates turned back from their stored ISO text into values
a page can show in local time. Pure: plain values in, plain values out."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_MISSING = object()
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Change:
    field: str
    before: Any = None      # None with `had_before` False: the field was not there before
    after: Any = None
    had_before: bool = True
    has_after: bool = True

    @property
    def label(self) -> str:
        """`checked_in_dt` → "Checked in", `price_cents` → "Price cents": the field in words."""
        words = re.sub(r"_(dt|id)$", "", self.field).replace("_", " ").strip()
        return words[:1].upper() + words[1:]


def value(stored: Any) -> Any:
    """A stored JSON value as a value again: ISO instants become aware datetimes, ISO dates dates."""
    if isinstance(stored, str):
        if _INSTANT.match(stored):
            parsed = datetime.fromisoformat(stored.replace("Z", "+00:00"))
            return parsed
        if _DATE.match(stored):
            return date.fromisoformat(stored)
    if isinstance(stored, list):
        return [value(v) for v in stored]
    return stored


def changes(before: dict | None, after: dict | None) -> list[Change]:
    """What the event changed, field by field, in the order the fields were recorded; fields
    whose value is the same before and after are left out."""
    before, after = before or {}, after or {}
    found = []
    for field in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(field, _MISSING), after.get(field, _MISSING)
        if old == new:
            continue
        found.append(Change(field, None if old is _MISSING else value(old), None if new is _MISSING else value(new),
                            had_before=old is not _MISSING, has_after=new is not _MISSING))
    return found
