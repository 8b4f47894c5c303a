"""`flask backup`: a consistent copy of a live SQLite database while the app writes, and a
restore from it that finds the same data."""
from __future__ import annotations

import shutil
import threading

import pytest
from sqlalchemy import func, select

from booking import backup, create_app
from booking.accounts.models import Department
from booking.extensions import db


def _app(path):
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "TESTING": True, "SECRET_KEY": "test"})


def test_a_backup_taken_while_the_app_writes_is_consistent_and_restores(tmp_path):
    live = _app(tmp_path / "live.sqlite")
    with live.app_context():
        db.create_all()
        db.session.add(Department(name="Before the backup"))
        db.session.commit()
    stop, started, written = threading.Event(), threading.Event(), []

    def writer():  # one department per transaction, in order, until the backup is done
        with live.app_context():
            n = 0
            while not stop.is_set() or n < 50:
                db.session.add(Department(name=f"Department {n:05d}"))
                db.session.commit()
                n += 1
                started.set()
            written.append(n)
            db.session.remove()

    thread = threading.Thread(target=writer)
    thread.start()
    started.wait(10)
    result = live.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.sqlite")])
    stop.set()
    thread.join(30)
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output

    # Restore: the copy is a database the app opens; it holds a prefix of what was written.
    shutil.copy(tmp_path / "copy.sqlite", tmp_path / "restored.sqlite")
    restored = _app(tmp_path / "restored.sqlite")
    with restored.app_context():
        names = list(db.session.scalars(select(Department.name).order_by(Department.id)))
        db.engine.dispose()
    assert names[0] == "Before the backup"
    copied = names[1:]
    assert copied == [f"Department {n:05d}" for n in range(len(copied))]   # no gap, nothing half-written
    assert 0 < len(copied) <= written[0]
    with live.app_context():
        assert db.session.scalar(select(func.count(Department.id))) == written[0] + 1
        db.engine.dispose()


def test_a_backup_never_overwrites_and_postgresql_is_sent_to_pg_dump(tmp_path):
    live = _app(tmp_path / "live.sqlite")
    with live.app_context():
        db.create_all()
        db.engine.dispose()
    (tmp_path / "taken.sqlite").write_text("an earlier backup")
    result = live.test_cli_runner().invoke(args=["backup", str(tmp_path / "taken.sqlite")])
    assert result.exit_code != 0 and "exists already" in result.output
    assert (tmp_path / "taken.sqlite").read_text() == "an earlier backup"
    assert backup.sqlite_path("postgresql+psycopg://u@127.0.0.1/db") is None
    assert backup.sqlite_path("sqlite://") is None
    with pytest.raises(backup.BackupError, match="no database"):
        backup.backup_sqlite(tmp_path / "missing.sqlite", tmp_path / "x.sqlite")
