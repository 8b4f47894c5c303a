"""Bulk inserts for the generator: COPY on PostgreSQL, executemany on SQLite.

Rows are dicts keyed by column name; values are Python values (aware datetimes, times,
enums' string values, lists for JSON columns). On SQLite they go through SQLAlchemy's bind
processing, so they are stored exactly as the app stores them (times as 'HH:MM:SS.ffffff').
"""
from __future__ import annotations

import json
from datetime import timezone

from sqlalchemy import JSON, Table, text

from booking.extensions import db

BATCH = 20_000


def insert_rows(table: Table, rows: list[dict]) -> None:
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, table, rows)
    else:
        for first in range(0, len(rows), BATCH):
            connection.execute(table.insert(), rows[first:first + BATCH])


def _copy(connection, table: Table, rows: list[dict]) -> None:
    columns = list(rows[0])
    is_json = {name for name in columns if isinstance(table.c[name].type, JSON)}
    raw = connection.connection.dbapi_connection
    quoted = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c in is_json else row[c] for c in columns])


def next_ids(table: Table, count: int) -> range:
    """Ids for `count` new rows (the generator sets ids itself so rows can refer to each other)."""
    start = (db.session.execute(text(f'SELECT max(id) FROM "{table.name}"')).scalar() or 0) + 1
    return range(start, start + count)


def reset_sequences(tables: list[Table]) -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past them."""
    if db.session.connection().dialect.name != "postgresql":
        return
    for table in tables:
        db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                                f"coalesce((SELECT max(id) FROM \"{table.name}\"), 0) + 1, false)"))


def utc(value):
    return value.astimezone(timezone.utc)
