"""A consistent copy of the live SQLite database, taken while the app keeps writing.

SQLite's online backup API copies the database as one read transaction: in WAL mode writers
go on meanwhile, and the copy is the database as it was when the copy began (never half a
booking). The copy is then checked with `PRAGMA integrity_check`. PostgreSQL has its own tool
for this (`pg_dump`; see the README's Backup and restore).
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The copy could not be made or is not sound (the message says why)."""


@dataclass
class Backup:
    path: Path
    bytes: int
    tables: int


def sqlite_path(database_uri: str) -> Path | None:
    """The database file of an SQLite URI; None for another database or an in-memory one."""
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def backup_sqlite(source: Path, target: Path) -> Backup:
    """Copy the database at `source` to `target` (a new file) and check the copy."""
    if not source.exists():
        raise BackupError(f"There is no database at {source}.")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(target)
    try:
        origin.backup(copy)     # all pages in one step: one consistent read of the database
        copy.execute("PRAGMA journal_mode=DELETE")   # one self-contained file
        [(verdict,)] = copy.execute("PRAGMA integrity_check").fetchall()
        tables = copy.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        copy.close()
        origin.close()
    if verdict != "ok":
        target.unlink(missing_ok=True)
        raise BackupError(f"The copy failed its integrity check: {verdict}")
    return Backup(target, target.stat().st_size, tables)
