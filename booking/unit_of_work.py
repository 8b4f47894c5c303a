"""The boundary's transaction: one unit of work per request, command or job.

Services add and flush; they never commit or roll back. A view, an API route, a CLI
command or a job wraps the use cases it runs in `unit_of_work()`, which commits once on
success and rolls back everything on any exception, so use cases compose: a quote, its
price snapshot and the reservation are saved together or not at all.

On SQLite the unit of work is where the write lock is taken (BEGIN IMMEDIATE): reads
before it (loading objects, checking permissions) run in a plain read transaction, which
is ended first, so slow work done before the unit of work never blocks another writer.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from flask import has_request_context

from sqlalchemy import event
from sqlalchemy.orm import Session

from booking.database import writing
from booking.extensions import db


class WriteOutsideUnitOfWork(RuntimeError):
    """A programming error: a request changed the database outside a unit of work."""


@contextmanager
def unit_of_work():
    """Commit what the block writes, or roll all of it back. Nested units join the outer one."""
    if writing.get():
        yield db.session
        return
    session = db.session()  # the request's Session, not the scoped proxy
    if has_request_context() and not _own.get() and (session.new or session.dirty or session.deleted):
        raise WriteOutsideUnitOfWork("a request changed objects before its unit of work began")
    if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
        # End the read transaction: the next BEGIN takes the write lock. What it read stays
        # loaded, as on PostgreSQL, where the same transaction goes on (no reloading it all).
        expire, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire
    token = writing.set(True)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        writing.reset(token)


def transactional(fn):
    """Run the whole function as one unit of work (CLI commands, jobs)."""
    @wraps(fn)
    def wrapper(*args, **kwargs):
        with unit_of_work():
            return fn(*args, **kwargs)
    return wrapper


# Every boundary runs its unit of work: a request that writes outside one fails.
GUARD = True
_own: ContextVar[bool] = ContextVar("own_boundary", default=False)


@contextmanager
def own_boundary():
    """Code that pushes a request context without serving a request (a test driving a live
    server from its own thread) commits for itself; the guard is for requests the app serves."""
    token = _own.set(True)
    try:
        yield
    finally:
        _own.reset(token)


@event.listens_for(Session, "before_flush")
def _refuse_writes_outside(session, _context, _instances):
    """A request that writes outside a unit of work is a missed boundary: fail loudly."""
    if GUARD and has_request_context() and not writing.get() and not _own.get():
        raise WriteOutsideUnitOfWork("a request wrote outside `with unit_of_work():`")
