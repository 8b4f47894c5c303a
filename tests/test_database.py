"""Each connection is set up for its database (booking/database.py)."""
from __future__ import annotations

from sqlalchemy import text

from booking.extensions import db


def test_every_connection_is_set_up_for_its_database(app):
    if db.engine.dialect.name == "postgresql":
        # JIT compiling cost 90 ms of the free-room search's 110 (its estimate passes the threshold).
        assert db.session.scalar(text("SHOW jit")) == "off"
    else:
        assert db.session.scalar(text("PRAGMA journal_mode")) == "wal"
        assert db.session.scalar(text("PRAGMA foreign_keys")) == 1
        assert db.session.scalar(text("PRAGMA busy_timeout")) == 30000
