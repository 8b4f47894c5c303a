"""Each connection is set up for its database (booking/database.py)."""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from booking import database
from booking.extensions import db


def test_every_connection_is_set_up_for_its_database(app):
    if db.engine.dialect.name == "postgresql":
        # JIT compiling cost 90 ms of the free-room search's 110 (its estimate passes the threshold).
        assert db.session.scalar(text("SHOW jit")) == "off"
        # Instants come back as UTC, not in the server's default zone, so none needs converting.
        assert db.session.scalar(text("SHOW TimeZone")) == "UTC"
        assert db.session.scalar(text("SELECT now()")).tzinfo is timezone.utc
    else:
        assert db.session.scalar(text("PRAGMA journal_mode")) == "wal"
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
        assert db.session.scalar(text("PRAGMA busy_timeout")) == 30000


def test_an_instant_reads_back_as_the_same_utc_instant_whatever_zone_it_was_written_in(app, create_facility):
    """UTCDateTime: stored as UTC, read back aware and in UTC on both databases (on PostgreSQL
    without a conversion: the session's zone is UTC)."""
    from booking.facilities.models import Closure
    facility = create_facility()
    helsinki = datetime(2030, 3, 31, 3, 30, tzinfo=timezone(timedelta(hours=3)))  # the DST morning
    db.session.add(Closure(facility=facility, start_dt=helsinki, end_dt=helsinki + timedelta(hours=1), reason="x"))
    db.session.commit()
    db.session.expire_all()
    closure = db.session.scalar(select(Closure))
    assert closure.start_dt == helsinki and closure.start_dt.tzinfo is timezone.utc
    assert closure.start_dt.hour == 0


def _sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def test_threads_of_one_process_take_turns_at_the_sqlite_write_lock(app):
    """Eight threads write at once: on SQLite each waits for its turn in the process (not in
    SQLite's sleeping busy handler); on PostgreSQL they write side by side. No write is lost."""
    engine = db.engine  # the threads have no app context
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE turn_test (n INTEGER)")
    inside, most = [0], [0]
    guard = threading.Lock()

    def writer(n):
        for _ in range(5):
            with engine.begin() as connection:  # outside a request: a write transaction
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                connection.exec_driver_sql(f"INSERT INTO turn_test VALUES ({n})")
                time.sleep(0.002)
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.begin() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM turn_test").scalar() == 40
        connection.exec_driver_sql("DROP TABLE turn_test")
    assert most[0] == 1 if _sqlite() else most[0] > 1  # SQLite: one write transaction at a time


def test_a_connection_given_back_mid_transaction_gives_up_its_turn(app):
    engine = db.engine  # the threads have no app context
    connection = engine.connect()
    connection.begin()
    connection.exec_driver_sql("SELECT 1")
    connection.invalidate()  # lost mid-transaction, never committed
    assert engine.pool.checkedout() == 0
    done = []

    def next_writer():
        with engine.begin() as other:
            done.append(other.exec_driver_sql("SELECT 1").scalar())
    worker = threading.Thread(target=next_writer)
    worker.start()
    worker.join(timeout=5)
    assert done == [1], "the next writer waited for a turn nobody held"


def test_a_writer_that_waits_too_long_is_told_the_database_is_locked(app, monkeypatch):
    """SQLite has one writer at a time; PostgreSQL has no such turn (row locks decide)."""
    engine = db.engine  # the threads have no app context
    monkeypatch.setattr(database, "WRITE_WAIT_SECONDS", 0.2)
    with engine.begin():
        failure = []

        def second():
            try:
                with engine.begin():
                    pass
            except OperationalError as exc:
                failure.append(str(exc))
        worker = threading.Thread(target=second)
        worker.start()
        worker.join(timeout=10)
    if _sqlite():
        assert failure and "database is locked" in failure[0]
    else:
        assert failure == []


def test_the_turn_is_given_back_when_a_transaction_ends_not_when_its_connection_does(app, monkeypatch):
    """Two units of work one after the other on one connection (a request's token use, then
    its booking): the second does not wait for the first's turn."""
    monkeypatch.setattr(database, "WRITE_WAIT_SECONDS", 0.5)
    with db.engine.connect() as connection:
        for _ in range(3):
            with connection.begin():
                connection.exec_driver_sql("SELECT 1")
            with connection.begin() as transaction:
                connection.exec_driver_sql("SELECT 1")
                transaction.rollback()


_HOLDER = """
import sys
from booking.database import WriteTurn
turn = WriteTurn(sys.argv[1])
assert turn.acquire(5)
print("held", flush=True)
sys.stdin.readline()
turn.release()
print("released", flush=True)
sys.stdin.readline()
"""


def _holder(tmp_path):
    """Another process that holds the turn until told (a line on its input)."""
    child = subprocess.Popen([sys.executable, "-c", _HOLDER, str(tmp_path / "city.sqlite")], text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=Path(__file__).parent.parent)
    assert child.stdout.readline().strip() == "held"
    return child


def test_processes_take_turns_at_the_sqlite_write_lock_on_a_file_beside_the_database(tmp_path):
    """Gunicorn's workers are processes: each waits for its turn on `<database>-writers` and is
    given it the moment the other's ends, not after a sleep in SQLite's busy handler."""
    turn = database.WriteTurn(str(tmp_path / "city.sqlite"))
    child = _holder(tmp_path)
    try:
        assert (tmp_path / "city.sqlite-writers").exists()
        assert not turn.acquire(0.1), "two processes had the turn at once"
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "released"
        assert turn.acquire(5)
        turn.release()
    finally:
        child.kill()
        child.wait()


def test_a_process_that_dies_with_the_turn_gives_it_up(tmp_path):
    turn = database.WriteTurn(str(tmp_path / "city.sqlite"))
    child = _holder(tmp_path)
    child.kill()
    child.wait()
    assert turn.acquire(5)
    turn.release()


def test_an_in_memory_database_needs_no_file_to_take_turns():
    turn = database.WriteTurn(":memory:")
    assert turn.path is None
    assert turn.acquire(1)
    assert not turn.acquire(0.05)  # one writer at a time in the process
    turn.release()


def test_a_turn_closes_its_file_when_it_goes_away(tmp_path):
    """Each app's engine has a turn (a test run builds thousands): none may keep a file open."""
    def open_files():
        return len(os.listdir("/proc/self/fd"))

    before = open_files()
    for _ in range(50):
        turn = database.WriteTurn(str(tmp_path / "city.sqlite"))
        assert turn.acquire(1)
        turn.release()
    del turn
    gc.collect()
    assert open_files() <= before + 1
