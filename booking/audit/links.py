"""Where an audited object can be seen: each domain registers its objects' page (an endpoint
and the name of its id parameter), so the audit log links every object it can without the
audit domain knowing the domains above it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for


@dataclass(frozen=True)
class ObjectPage:
    label: Any          # the kind of object in words (a lazy string)
    endpoint: str | None
    param: str | None


_PAGES: dict[str, ObjectPage] = {}


def register(object_type: str, label, endpoint: str | None = None, param: str | None = None) -> None:
    """`object_type` is the model's class name, as audit events store it."""
    _PAGES[object_type] = ObjectPage(label, endpoint, param)


def describe(object_type: str, object_id: int | None) -> tuple[str, str | None]:
    """The object in words ("Reservation #12") and the address of its page (None: no page)."""
    page = _PAGES.get(object_type)
    name = str(page.label) if page else object_type
    if object_id is None:
        return name, None
    url = url_for(page.endpoint, **{page.param: object_id}) if page and page.endpoint else None
    return f"{name} #{object_id}", url
