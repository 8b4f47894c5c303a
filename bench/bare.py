"""The write ceiling: a bare Flask endpoint that INSERTs one row and commits, nothing else.

Not part of the app. The benchmark serves it with the same gunicorn configuration and the
same database as the app, so "bookings per second" can be read against what the machine
can write at all:

    DATABASE_URL=... gunicorn -c gunicorn.conf.py 'bench.bare:create_bare_app()' 
"""
from __future__ import annotations

from datetime import datetime, timezone

from pathlib import Path

from flask import Flask, jsonify, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, event, insert

from booking.config import database_url

metadata = MetaData()
bare_insert = Table("bench_bare_insert", metadata, Column("id", Integer, primary_key=True),
                    Column("facility_id", Integer), Column("start_dt", DateTime(timezone=True)),
                    Column("end_dt", DateTime(timezone=True)), Column("title", String(200)))


def make_engine(url: str):
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":  # as the app does: WAL, and the write lock at BEGIN
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            dbapi_connection.isolation_level = None
            for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
                dbapi_connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def _on_begin(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    return engine


def create_bare_app() -> Flask:
    app = Flask(__name__)
    engine = make_engine(database_url(Path("instance").resolve()))

    @app.post("/insert")
    def insert_one():
        body = request.get_json()
        start = datetime.fromisoformat(body["start"]).astimezone(timezone.utc)
        end = datetime.fromisoformat(body["end"]).astimezone(timezone.utc)
        with engine.begin() as connection:
            new_id = connection.execute(insert(bare_insert).values(
                facility_id=body["facility_id"], start_dt=start, end_dt=end, title=body["title"])).inserted_primary_key[0]
        response = jsonify({"id": new_id})
        response.status_code = 201
        return response

    return app

