"""E-mails written by the delivery job instead of inside the request that queued them.

A booking queues its e-mail in its own transaction (so the e-mail exists exactly when the
booking does), but writing the text, the HTML and the calendar file is a tenth of the
booking's time. A message queued with `later=True` is stored as a recipe: the template, the
language, and its context with every database object kept as its id. The delivery job
(booking/notifications/jobs.py) writes it shortly afterwards, outside any request, from the
objects as they stand then (a reservation changed in between is described as it is now; the
subject, the recipients and which e-mail it is were decided by the event).

A context that holds anything the recipe cannot keep (a lazy string, an enum …) is written
at once, as before, so `later` is only ever a saving.

Files sent with a written-later message (the reservation's .ics) are recipes too: the
domain that makes them registers a maker by name (`attachment_maker`), as calendars do, so
this module never imports the domains above it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, Callable

from sqlalchemy import inspect, select

from booking.extensions import db

# name -> maker(arguments, locale) -> (filename, content type, content)
AttachmentMaker = Callable[[dict, str], tuple[str, str, bytes]]
_makers: dict[str, AttachmentMaker] = {}


class CannotKeep(Exception):
    """A context value a recipe cannot keep: the message is written at once instead."""


class Gone(Exception):
    """An object the recipe names no longer exists: the message cannot be written."""


def attachment_maker(name: str):
    def register(maker: AttachmentMaker) -> AttachmentMaker:
        _makers[name] = maker
        return maker
    return register


def make_attachment(name: str, arguments: dict, locale: str) -> tuple[str, str, bytes]:
    return _makers[name](decode(arguments), locale)


# --- the context as JSON -----------------------------------------------------------------------

@cache
def _models() -> dict[str, type]:
    return {mapper.class_.__name__: mapper.class_ for mapper in db.Model.registry.mappers}


def _model(name: str):
    if name not in _models():
        raise Gone(f"no model {name}")
    return _models()[name]


def _object_ref(value) -> dict | None:
    state = inspect(value, raiseerr=False)
    if state is None or not getattr(state, "mapper", None):
        return None
    if state.identity is None or len(state.identity) != 1:
        raise CannotKeep(type(value).__name__)
    return {"$obj": type(value).__name__, "id": state.identity[0]}


def encode(value: Any) -> Any:
    """`value` as JSON, database objects as references (CannotKeep if it holds anything else)."""
    if value is None or type(value) in (bool, int, float, str):  # not an enum that is also an int or str
        return value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$seconds": value.total_seconds()}
    if isinstance(value, (list, tuple)):
        refs = [_object_ref(item) for item in value] if value else []
        if refs and all(refs) and len({r["$obj"] for r in refs}) == 1:
            return {"$objs": refs[0]["$obj"], "ids": [r["id"] for r in refs]}
        return [encode(item) for item in value]
    if isinstance(value, dict) and all(type(key) is str and not key.startswith("$") for key in value):
        return {key: encode(item) for key, item in value.items()}
    ref = _object_ref(value)
    if ref is None:
        raise CannotKeep(type(value).__name__)
    return ref


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$seconds" in value:
        return timedelta(seconds=value["$seconds"])
    if "$obj" in value:
        found = db.session.get(_model(value["$obj"]), value["id"])
        if found is None:
            raise Gone(f"{value['$obj']} {value['id']} no longer exists")
        return found
    if "$objs" in value:
        model = _model(value["$objs"])
        key = inspect(model).primary_key[0]
        found = {inspect(row).identity[0]: row for row in db.session.scalars(select(model).where(key.in_(value["ids"])))}
        missing = [i for i in value["ids"] if i not in found]
        if missing:
            raise Gone(f"{value['$objs']} {missing[0]} no longer exists")
        return [found[i] for i in value["ids"]]
    return {key: decode(item) for key, item in value.items()}
