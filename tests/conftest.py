"""Fixtures every test uses: app, client, runner, login helpers and factories.

The database is SQLite (a file per test session) unless TEST_DATABASE_URL points at a
PostgreSQL server: then each session creates its own fresh database there and drops it
at the end. Each test starts from empty tables.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from jinja2 import BytecodeCache
from sqlalchemy.engine import make_url
from werkzeug.routing.rules import Rule

from booking import create_app
from booking.extensions import db

# Each domain's factories live in tests/fixtures/<domain>.py.
pytest_plugins = [f"tests.fixtures.{p.stem}" for p in sorted((Path(__file__).parent / "fixtures").glob("*.py"))
                  if p.stem != "__init__"]

IS_CI = os.environ.get("CI", "").lower() == "true"


class _CompiledTemplates(BytecodeCache):
    """Templates compiled once per test process, not once per test's app (a third of the time
    of the page tests went into compiling the same templates again). Jinja checks each entry
    against the template's source, so an edited template is compiled afresh."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if (code := self.compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


def _rules_compiled_once(compile):
    """Werkzeug parses each of the app's ~600 routes and compiles two URL builders for it
    (through Python's `ast` and `compile`): nearly all of building an app, which every test
    does. What it makes depends only on the rule, its defaults and the map's converters (the
    converters keep nothing of their map but a reference), so the test process does it once
    per rule and every app's rule takes a copy."""
    compiled = {}

    def once(rule):
        key = (rule.rule, rule.subdomain, rule.host, rule.merge_slashes, rule.map.host_matching,
               tuple(rule.map.converters.items()), tuple(sorted((k, repr(v)) for k, v in (rule.defaults or {}).items())))
        if (done := compiled.get(key)) is None:
            compile(rule)
            compiled[key] = (rule._parts, rule._trace, rule._converters, set(rule.arguments),
                             rule._build.__func__, rule._build_unknown.__func__)
            return
        parts, trace, converters, arguments, build, build_unknown = done
        rule._parts, rule._trace, rule._converters, rule.arguments = list(parts), list(trace), dict(converters), set(arguments)
        rule._build, rule._build_unknown = build.__get__(rule, None), build_unknown.__get__(rule, None)
    return once


Rule.compile = _rules_compiled_once(Rule.compile)


def _create_postgres_database(base_url: str) -> tuple[str, callable]:
    url = make_url(base_url).set(drivername="postgresql+psycopg")
    name = f"infrashare_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        # A throwaway database: a commit need not wait for the disk (a crash loses only tests).
        conn.exec_driver_sql(f'ALTER DATABASE "{name}" SET synchronous_commit = off')

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url, drop = _create_postgres_database(base)
        yield url
        for cleaner in _cleaners.values():
            cleaner.dispose()
        drop()
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Build the schema once per session, from the models (tests/test_migrations.py checks
    the Alembic migrations give the same schema)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True})
    with app.app_context():
        db.create_all()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        db.engine.dispose()
    return tables


_cleaners: dict[str, sa.Engine] = {}


def _empty_tables(tables: list[str]) -> None:
    """Delete every row (children first) and, on PostgreSQL, start the ids at 1 again. Only the
    tables a test wrote to are touched: on PostgreSQL a TRUNCATE of every table cost 0.2 s a test.
    There one connection of its own does it for the whole session, with its statements prepared
    once: planning the question "which tables hold rows?" anew took 15 ms a test."""
    if db.engine.dialect.name != "postgresql":
        for table in tables:
            db.session.execute(sa.text(f'DELETE FROM "{table}"'))
        db.session.commit()
        return
    url = db.engine.url.render_as_string(hide_password=False)
    if (cleaner := _cleaners.get(url)) is None:
        cleaner = _cleaners[url] = sa.create_engine(url, poolclass=sa.pool.StaticPool,
                                                    connect_args={"prepare_threshold": 0})
    written = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    with cleaner.begin() as conn:
        written = set(conn.scalars(sa.text(written)))
        conn.execute(sa.text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))
        for table in tables:
            if table in written:
                conn.execute(sa.text(f'DELETE FROM "{table}"'))


@pytest.fixture
def app_config(database_url, tmp_path):
    """Override to change settings for one module's tests."""
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": None,
        "MAIL_SERVER": "",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "MAP_TILE_URL": "",  # tests fetch nothing from outside this machine
    }


@pytest.fixture
def app(_schema, app_config):
    app = create_app(app_config)
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables(_schema)
        db.session.remove()
        db.engine.dispose()
    _forget_compiled_flushes()


def _forget_compiled_flushes():
    """Each mapper keeps the INSERTs and UPDATEs of its flushes compiled, per dialect, and every
    test's app has an engine and dialect of its own: without this a test process kept every
    test's statements (1.3 GB a worker by the end of the suite, the collector walking them all)."""
    for mapper in db.Model.registry.mappers:
        mapper._compiled_cache.clear()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def is_postgres(app):
    return db.engine.dialect.name == "postgresql"
