"""The Alembic migrations build exactly the schema the models describe, on both databases.

The rest of the suite builds its schema from the models for speed; this test is what keeps
`flask --app app init-db` (which runs the migrations) honest.
"""
from __future__ import annotations

import json
import os
import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.engine import make_url

from booking import create_app
from booking.extensions import db


@pytest.fixture
def fresh_database_url(tmp_path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"infrashare_migrate_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, db.metadata)


def test_migrations_match_models_and_downgrade_cleanly(fresh_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diffs = _differences(connection)
        assert diffs == [], f"models and migrations differ: {diffs}"
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_init_db_command_builds_the_schema(fresh_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url, "TESTING": True})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert {"user", "organisation", "facility"} <= set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()


def test_migrated_database_refuses_overlapping_reservations(fresh_database_url):
    """The guarantee against double booking is part of the migrated schema, not only of create_all."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                found = connection.exec_driver_sql(
                    "SELECT count(*) FROM pg_constraint WHERE conname = 'reservation_no_overlap' AND contype = 'x'"
                ).scalar()
                assert found == 1
            else:
                triggers = {row[0] for row in connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
                assert {"reservation_no_overlap_insert", "reservation_no_overlap_update"} <= triggers
        db.engine.dispose()


def test_0018_gives_tariffs_challenges_and_templates_their_translations(fresh_database_url):
    """Rows written before 0018 read as having no translations; downgrading drops the columns again."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url, "TESTING": True})
    with app.app_context():
        upgrade(revision="0017")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO department (id, name, description, decision_days) "
                                 "VALUES (1, 'Parks', '', 3)"))
            conn.execute(sa.text(
                "INSERT INTO challenge (id, department_id, title, need, offer, period_start_date, period_end_date, "
                "deadline_dt, criteria, contact_email, created_dt) VALUES (1, 1, 'Clean air', 'Measure.', '', "
                "'2031-04-01', '2031-06-30', '2031-03-01 14:00:00+00:00', '[]', '', '2031-01-01 10:00:00+00:00')"))
            conn.execute(sa.text(
                "INSERT INTO agreement_template (id, name, version, body, clauses, created_dt) "
                "VALUES (1, 'Pilot agreement', 1, 'Text', '{}', '2031-01-01 10:00:00+00:00')"))
        upgrade(revision="0018")
        with db.engine.connect() as conn:
            found = [conn.execute(sa.text(f"SELECT translations FROM {table}")).scalar_one()
                     for table in ("challenge", "agreement_template")]
        assert [value if isinstance(value, dict) else json.loads(value) for value in found] == [{}, {}]
        assert "translations" in {c["name"] for c in sa.inspect(db.engine).get_columns("tariff")}
        downgrade(revision="0017")
        for table in ("tariff", "challenge", "agreement_template"):
            assert "translations" not in {c["name"] for c in sa.inspect(db.engine).get_columns(table)}
        db.engine.dispose()
