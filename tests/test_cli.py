"""The command line: `flask --app app …` commands, their options, errors and exit codes."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from booking.accounts.models import ActorType, Department, MembershipRole, Organisation, Role, User
from booking.extensions import db

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a-good-passw0rd"


def _flask(*args, env=None, **kwargs):
    """Run the real `flask --app app` in a fresh process, as a person would."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "SECRET_KEY": "cli-test", **(env or {})},
                          **kwargs)


def _user(email) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


COMMANDS = [["init-db"], ["seed-demo"], ["create-user"], ["create-token"], ["jobs"], ["jobs", "run"], ["scheduler"]]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(runner, command):
    result = runner.invoke(args=[*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_create_user_help_lists_every_option(runner):
    output = runner.invoke(args=["create-user", "--help"]).output
    for option in ("--password", "--role", "--department", "--organisation", "--actor-type", "--name"):
        assert option in output
    assert "admin" in output and "facility_manager" in output and "citizen_group" in output


def test_the_real_flask_command_lists_the_commands():
    result = _flask("--help")
    assert result.returncode == 0, result.stderr
    for name in ("init-db", "seed-demo", "create-user", "create-token", "jobs", "scheduler"):
        assert name in result.stdout


def test_create_a_member_with_a_new_organisation(runner):
    result = runner.invoke(args=["create-user", "Owner@Example.com", "--password", PASSWORD, "--name", "Olga Owner",
                                 "--organisation", "Olga Oy", "--actor-type", "startup"])
    assert result.exit_code == 0, result.output
    assert "Created member owner@example.com" in result.output
    user = _user("owner@example.com")
    assert (user.name, user.role) == ("Olga Owner", Role.member)
    assert user.check_password(PASSWORD)
    assert user.current_organisation.name == "Olga Oy"
    assert user.current_organisation.actor_type == ActorType.startup
    assert user.memberships[0].role == MembershipRole.owner


def test_create_a_member_of_an_existing_organisation(runner, create_organisation):
    organisation = create_organisation("Existing Oy", ActorType.research)
    result = runner.invoke(args=["create-user", "second@example.com", "--password", PASSWORD,
                                 "--organisation", "Existing Oy"])
    assert result.exit_code == 0, result.output
    assert _user("second@example.com").current_organisation_id == organisation.id
    assert _count(Organisation) == 1


def test_create_a_facility_manager_of_two_departments(runner, create_department):
    create_department("Parks")
    result = runner.invoke(args=["create-user", "boss@example.com", "--password", PASSWORD, "--role",
                                 "facility_manager", "--department", "Parks", "--department", "Harbour"])
    assert result.exit_code == 0, result.output
    user = _user("boss@example.com")
    assert user.role == Role.facility_manager
    assert sorted(d.name for d in user.departments) == ["Harbour", "Parks"]
    assert _count(Department) == 2
    assert user.name == "boss"  # from the address when --name is not given


def test_create_an_admin(runner):
    result = runner.invoke(args=["create-user", "root@example.com", "--password", PASSWORD, "--role", "admin"])
    assert result.exit_code == 0, result.output
    assert _user("root@example.com").role == Role.admin


@pytest.mark.parametrize("args,message", [
    (["--role", "boss"], "Invalid value for '--role'"),
    (["--organisation", "X Oy", "--actor-type", "pirate"], "Invalid value for '--actor-type'"),
    (["--organisation", "New Oy"], "organisation 'New Oy' does not exist; give --actor-type to create it"),
    (["--actor-type", "sme"], "--actor-type needs --organisation"),
    (["--role", "facility_manager"], "a facility_manager needs at least one --department"),
    (["--department", "Parks"], "--department is for staff"),
])
def test_bad_options_fail_with_a_clear_message(runner, args, message):
    result = runner.invoke(args=["create-user", "new@example.com", "--password", PASSWORD, *args])
    assert result.exit_code == 2
    assert message in result.output
    assert _count(User) == 0 and _count(Organisation) == 0 and _count(Department) == 0


def test_a_weak_password_or_bad_address_is_refused(runner):
    result = runner.invoke(args=["create-user", "new@example.com", "--password", "short"])
    assert result.exit_code == 2 and "use at least 10 characters" in result.output
    result = runner.invoke(args=["create-user", "not-an-address", "--password", PASSWORD])
    assert result.exit_code == 2 and "EMAIL" in result.output
    result = runner.invoke(args=["create-user", "--password", PASSWORD])
    assert result.exit_code == 2 and "Missing argument 'EMAIL'" in result.output
    assert _count(User) == 0


def test_a_duplicate_email_fails_and_writes_nothing(runner, create_user):
    create_user("taken@example.com")
    users, organisations = _count(User), _count(Organisation)
    result = runner.invoke(args=["create-user", "TAKEN@example.com", "--password", PASSWORD,
                                 "--organisation", "Brand New Oy", "--actor-type", "sme"])
    assert result.exit_code == 1
    assert "An account with this e-mail address already exists." in result.output
    assert (_count(User), _count(Organisation)) == (users, organisations)


def test_create_token_prints_a_working_token_as_its_last_line(runner, client, member):
    result = runner.invoke(args=["create-token", member.email.upper(), "--name", "Nightly export"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert token.startswith("ifs_")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).get_json()["email"] == member.email

    [listed] = client.get("/api/v1/tokens", headers=headers).get_json()["items"]
    assert listed["scopes"] == "read book"          # all a member's tokens may do
    # Revoking through the API needs an admin-scope token; the profile page revokes it.
    assert client.delete(f"/api/v1/tokens/{listed['id']}", headers=headers).status_code == 403


def test_create_token_for_an_unknown_user_fails(runner):
    result = runner.invoke(args=["create-token", "nobody@example.com"])
    assert result.exit_code == 1
    assert "no user with e-mail nobody@example.com" in result.output


def test_jobs_lists_the_jobs(runner):
    result = runner.invoke(args=["jobs"])
    assert result.exit_code == 0
    assert "send-outbox" in result.output and "every" in result.output


def test_jobs_run_runs_one_job(runner):
    result = runner.invoke(args=["jobs", "run", "send-outbox"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "send-outbox: 0"


def test_jobs_run_refuses_an_unknown_job(runner):
    result = runner.invoke(args=["jobs", "run", "make-coffee"])
    assert result.exit_code == 1
    assert "unknown job 'make-coffee'" in result.output and "send-outbox" in result.output


@pytest.mark.skipif(not (ROOT / "migrations" / "env.py").exists(), reason="the Alembic migrations are not there yet")
def test_init_db_builds_the_schema_in_a_fresh_sqlite_file(tmp_path):
    database = tmp_path / "fresh.sqlite"
    result = _flask("init-db", env={"DATABASE_URL": f"sqlite:///{database}"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Database ready" in result.stdout
    tables = set(sa.inspect(sa.create_engine(f"sqlite:///{database}")).get_table_names())
    assert {"user", "organisation", "membership", "department", "api_token", "audit_event", "outbox_message",
            "login_failure"} <= tables

    # and the same settings serve every other command
    result = _flask("create-user", "cli@example.com", "--password", PASSWORD, "--role", "admin",
                    env={"DATABASE_URL": f"sqlite:///{database}"})
    assert result.returncode == 0, result.stdout + result.stderr
    result = _flask("create-token", "cli@example.com", env={"DATABASE_URL": f"sqlite:///{database}"})
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1].startswith("ifs_")


# --- import-facilities: read and check first, then one unit of work --------------------------

FACILITY_CSV = "name,department,category,capacity\nRiverside Hall,Culture and Leisure,venue,80\n"


def test_import_facilities_checks_before_its_unit_of_work_and_writes_inside_it(runner, create_department,
                                                                               tmp_path, in_unit_of_work):
    from booking.facilities import importing

    steps = in_unit_of_work(importing, "check_facilities", "apply_import")
    create_department("Culture and Leisure")
    path = tmp_path / "facilities.csv"
    path.write_text(FACILITY_CSV, encoding="utf-8")
    result = runner.invoke(args=["import-facilities", str(path)])
    assert result.exit_code == 0, result.output
    assert steps == [("check_facilities", False), ("apply_import", True)]
    steps.clear()
    assert runner.invoke(args=["import-facilities", str(path), "--check"]).exit_code == 0
    assert steps == [("check_facilities", False)]  # checking writes nothing, so it needs no unit of work


def test_import_facilities_refuses_an_oversized_file_with_a_message(runner, create_department, tmp_path):
    create_department("Culture and Leisure")
    path = tmp_path / "big.csv"
    path.write_text("name,department,category\n" + "Room,Culture and Leisure,lab\n" * 100_000, encoding="utf-8")
    result = runner.invoke(args=["import-facilities", str(path)])
    assert result.exit_code == 1
    assert "line 1: The file has more than 5000 rows; split it into smaller files." in result.output
    path.write_text("name,department,category\n" + f"Room,Culture and Leisure,{'x' * 200_000}\n", encoding="utf-8")
    result = runner.invoke(args=["import-facilities", str(path)])
    assert result.exit_code == 1 and "line 2: This line cannot be read" in result.output
