"""The declarative base, column types every domain shares, and per-dialect engine setup."""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import has_request_context
from sqlalchemy import DateTime, Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

try:
    import fcntl  # POSIX: processes take turns on a lock file (WriteTurn)
except ImportError:  # Windows: threads of one process only, other processes wait in SQLite
    fcntl = None

# Named constraints, so Alembic can drop and alter them the same way on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def str_enum(cls, length: int = 30) -> Enum:
    """A Python enum stored as its string values with a CHECK, identical on SQLite and PostgreSQL."""
    return Enum(cls, native_enum=False, length=length, create_constraint=True,
                values_callable=lambda e: [m.value for m in e])


# The largest value of an INTEGER column (PostgreSQL; ids in practice on SQLite too).
MAX_INT = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An instant: refuses naive datetimes, stores UTC, always returns an aware UTC datetime.

    SQLite keeps no offset, so without this a value read back would be naive there and
    aware on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: instants must carry a time zone")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None or value.tzinfo is timezone.utc:  # PostgreSQL's (configure_postgresql)
            return value
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# True inside a unit of work (booking.unit_of_work): the transaction will write.
writing: ContextVar[bool] = ContextVar("writing", default=False)


WRITE_WAIT_SECONDS = 30  # how long a write transaction waits for its turn on SQLite


class WriteTurn:
    """Whose turn it is to write to an SQLite database. The threads of a process queue on a
    lock; processes (gunicorn's workers, the job process) on an advisory lock of a file beside
    the database (`<file>-writers`, as SQLite keeps `-wal` and `-shm`), which a waiter asks for
    every TURN_POLL_SECONDS and which is let go if its process dies. A writer that takes no turn
    (another program) is still kept out by SQLite's own lock: the turn's holder then waits in
    SQLite's busy handler, as before."""

    def __init__(self, database: str | None):
        self.threads = threading.Lock()
        in_memory = not database or database == ":memory:" or database.startswith("file:")
        self.path = None if in_memory or fcntl is None else os.path.abspath(database) + "-writers"
        self.file, self.pid = None, None  # a file object: closed with the turn (a test builds many)

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        if not self.threads.acquire(timeout=timeout):
            return False
        if self.path is None:
            return True
        try:
            if self.pid != os.getpid():  # a forked worker opens its own (its own lock)
                descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self.file, self.pid = os.fdopen(descriptor, "r+b"), os.getpid()
            while True:
                try:
                    fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return True
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        self.threads.release()
                        return False
                    time.sleep(TURN_POLL_SECONDS)
        except BaseException:
            self.threads.release()
            raise

    def release(self) -> None:
        if self.path is not None and self.pid == os.getpid():
            fcntl.flock(self.file, fcntl.LOCK_UN)
        self.threads.release()


TURN_POLL_SECONDS = 0.0002  # SQLite's busy handler sleeps 1, 2, 5, 10 … ms between tries


def configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and serialised write transactions.

    pysqlite's own transaction handling is switched off so that we issue BEGIN ourselves.
    A unit of work takes the write lock at its BEGIN (IMMEDIATE), so a check-then-insert
    can never interleave with another writer; everything else in a request only reads
    (BEGIN, concurrent under WAL), so slow work before the unit of work (a download, a
    parse) holds no lock. Outside a request (tests, seeding) transactions write-lock at once.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={WRITE_WAIT_SECONDS * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # Writers take turns here (WriteTurn), given the write lock within 0.2 ms of its release,
    # rather than in SQLite's busy handler, which sleeps and polls (1, 2, 5 … 100 ms): under load
    # most of a booking's wait was that sleep, and a second worker process added nothing.
    turn = WriteTurn(engine.url.database)
    holder: list = [None]  # the DBAPI connection whose transaction has the turn

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        write = writing.get() or not has_request_context()
        if write:
            if not turn.acquire(WRITE_WAIT_SECONDS):
                raise OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))
            holder[0] = connection.connection.dbapi_connection
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
        except BaseException:
            _end_turn(connection.connection.dbapi_connection)
            raise

    def _end_turn(connection):
        dbapi_connection = getattr(connection, "dbapi_connection", connection)  # the pool's proxy, or itself
        if dbapi_connection is not None and holder[0] is dbapi_connection:
            holder[0] = None
            turn.release()

    # Given back once COMMIT or ROLLBACK has run (the engine's events fire before it), and by
    # a connection given back to the pool or lost mid-transaction.
    dialect = engine.dialect
    for name in ("do_commit", "do_rollback"):
        def finished(dbapi_connection, _end=getattr(dialect, name)):
            try:
                _end(dbapi_connection)
            finally:
                _end_turn(dbapi_connection)
        setattr(dialect, name, finished)
    for name in ("checkin", "invalidate", "close"):
        event.listen(engine.pool, name, lambda dbapi_connection, *_: _end_turn(dbapi_connection))


def configure_postgresql(engine: Engine) -> None:
    """Each connection's session:
    - No JIT compilation: the free-room search is one query whose estimated cost (its
      correlated subqueries) passes PostgreSQL's JIT threshold, and compiling it took 90 of its
      110 ms for a query that runs in 20. The app's queries are all short.
    - Time zone UTC, whatever the server's default: psycopg then reads every instant as a UTC
      datetime, which UTCDateTime keeps as it is (a server default of 'Etc/UTC' or a local
      zone cost a conversion per value: a fifth of a second per 400,000 read). No query of the
      app depends on the session's zone."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
            cursor.execute("SET TimeZone = 'UTC'")
        dbapi_connection.commit()


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        configure_postgresql(engine)
