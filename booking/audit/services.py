"""The one helper every service calls when it changes an audited object."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import insert, select
from werkzeug.local import LocalProxy

from booking.audit.models import AuditEvent
from booking.database import utcnow
from booking.extensions import db


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj, fields) -> dict:
    """A JSON-ready dict of the named attributes, for `before=` and `after=`."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def _unproxied(obj):
    # `current_user` is a proxy: its type name would be "LocalProxy", not "User".
    return obj._get_current_object() if isinstance(obj, LocalProxy) else obj


def record(action: str, obj=None, *, before=None, after=None, actor=None,
           object_type: str | None = None, object_id: int | None = None,
           department_id: int | None = None) -> None:
    """Write an audit event in the current transaction; the caller's commit keeps it.

    Events are only ever inserted: written at once as one row, without an ORM object for the
    session to track and flush (every booking writes one)."""
    obj, actor = _unproxied(obj), _unproxied(actor)
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()  # a new object needs its id before we can point at it
    db.session.connection().execute(_INSERT, {
        "created_dt": utcnow(),
        "action": action,
        "object_type": object_type or (type(obj).__name__ if obj is not None else "system"),
        "object_id": object_id if object_id is not None else getattr(obj, "id", None),
        "before": _plain(before),
        "after": _plain(after),
        "actor_id": getattr(actor, "id", None),
        "actor_label": getattr(actor, "email", None) or "system",
        "department_id": department_id if department_id is not None else getattr(obj, "department_id", None),
    })


_INSERT = insert(AuditEvent.__table__)


def events_for(obj, limit: int = 50) -> list[AuditEvent]:
    obj = _unproxied(obj)
    stmt = (select(AuditEvent)
            .where(AuditEvent.object_type == type(obj).__name__, AuditEvent.object_id == obj.id)
            .order_by(AuditEvent.created_dt.desc(), AuditEvent.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))
