"""Command line: `flask --app app <command>`. Every command reads the same settings as the app.

Commands are `@with_appcontext` (or in an AppGroup), so they also run from
`app.test_cli_runner()` without a context pushed by the caller.
"""
from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from flask_babel import force_locale
from flask_migrate import upgrade

from booking import jobs as job_registry
from booking import scheduler as job_scheduler
from booking import seed
from booking.accounts import services as accounts
from booking.accounts.models import ActorType, MembershipRole, Role
from booking.accounts.rules import MIN_PASSWORD_LENGTH, is_strong_password
from booking.database import utcnow
from booking.errors import DomainError
from booking.extensions import db
from booking.unit_of_work import unit_of_work


def init_app(app) -> None:
    for command in (init_db, seed_demo, create_user, create_token, jobs, scheduler, import_facilities,
                    export_facilities, stats, backup):
        app.cli.add_command(command)


@click.command("init-db")
@with_appcontext
def init_db():
    """Create or upgrade the database schema (Alembic migrations)."""
    directory = current_app.extensions["migrate"].directory
    if not os.path.exists(os.path.join(directory, "env.py")):
        raise click.ClickException(f"no migrations in {os.path.abspath(directory)}")
    upgrade()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("seed-demo")
@with_appcontext
def seed_demo():
    """Load the demo city from assets/demo/ (safe to run again)."""
    seed.load_all(echo=click.echo)
    click.echo("Demo data loaded. Demo accounts are listed in the README.")


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--password", required=True, help="At least 10 characters, not only letters or only digits.")
@click.option("--name", default=None, help="Display name (default: the part of EMAIL before @).")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.member.value, show_default=True)
@click.option("--department", "departments", multiple=True,
              help="Department a facility manager manages (repeatable; created if missing).")
@click.option("--organisation", default=None, help="Organisation the user belongs to (created if missing).")
@click.option("--actor-type", type=click.Choice([t.value for t in ActorType]), default=None,
              help="Actor type of the --organisation, needed when it does not exist yet.")
def create_user(email, password, name, role, departments, organisation, actor_type):
    """Create a user; with --organisation, also their membership (as owner)."""
    role = Role(role)
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from None
    if not is_strong_password(password):
        raise click.BadParameter(f"use at least {MIN_PASSWORD_LENGTH} characters, not only letters or only digits",
                                 param_hint="--password")
    if role == Role.facility_manager and not departments:
        raise click.UsageError("a facility_manager needs at least one --department")
    if role == Role.member and departments:
        raise click.UsageError("--department is for staff (facility_manager or admin), not for a member")
    if actor_type and not organisation:
        raise click.UsageError("--actor-type needs --organisation")
    # The command answers no browser: its messages are in the default language.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            with unit_of_work():
                org = _organisation(organisation, actor_type) if organisation else None
                user = accounts.create_user(
                    email, name or email.split("@")[0], password, role=role,
                    departments=[accounts.get_or_create_department(d) for d in departments],
                    organisation=org, membership_role=MembershipRole.owner)
        except DomainError as exc:
            raise click.ClickException("; ".join(exc.all_reasons())) from None
    click.echo(f"Created {user.role.value} {user.email} (id {user.id})")


def _organisation(name: str, actor_type: str | None):
    existing = accounts.get_organisation_by_name(name)
    if existing is not None:
        return existing
    if actor_type is None:
        raise click.UsageError(f"organisation {name!r} does not exist; give --actor-type to create it")
    return accounts.create_organisation(name, ActorType(actor_type))


@click.command("create-token")
@with_appcontext
@click.argument("email")
@click.option("--name", default="CLI token", show_default=True, help="A label for the token.")
def create_token(email, name):
    """Create an API token for EMAIL and print it as the last line."""
    user = accounts.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    if not user.active:
        raise click.ClickException(f"{user.email} is deactivated; a token would not work")
    with unit_of_work():
        token = accounts.create_api_token(user, name)
    click.echo(f"Token for {user.email} (shown once; use as 'Authorization: Bearer <token>'):")
    click.echo(token)


@click.group("jobs", cls=AppGroup, invoke_without_command=True)
@click.pass_context
def jobs(ctx):
    """List the jobs with their last run, outcome and next run; `jobs run NAME` runs one now."""
    if ctx.invoked_subcommand is not None:
        return
    now = utcnow()
    tz = current_app.config["DEFAULT_TIMEZONE"]
    lease = job_scheduler.current_lease(now)
    click.echo(f"Leading scheduler: {lease.holder}, lease until {_when(lease.expires_dt, tz)}" if lease
               else "Leading scheduler: none (start one with `flask --app app scheduler`)")
    states = job_scheduler.job_states()
    click.echo(f"{'job':<28} {'schedule':<22} {'last run':<26} {'outcome':<8} next run")
    for spec in job_registry.JOBS.values():
        state = states.get(spec.name)
        last = _when(state.last_start_dt, tz) if state and state.last_start_dt else "never"
        outcome = state.last_outcome.value if state and state.last_outcome else "-"
        upcoming = job_scheduler.next_run(spec, state, now)
        click.echo(f"{spec.name:<28} {spec.schedule:<22} {last:<26} {outcome:<8} "
                   f"{_when(upcoming, tz) if upcoming else 'when a scheduler starts'}")
        if state and state.last_outcome == job_scheduler.Outcome.failed and state.last_error:
            click.echo(f"{'':<28} error: {state.last_error.splitlines()[0][:200]}")
        click.echo(f"{'':<28} {spec.description}")


def _when(value, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S %z")


@jobs.command("run")
@click.argument("name")
def run_job(name):
    """Run one job now (whether or not a scheduler leads: every job is idempotent)."""
    if name not in job_registry.JOBS:
        raise click.ClickException(f"unknown job {name!r}; known: {', '.join(job_registry.JOBS)}")
    try:
        result = job_scheduler.run_recorded(name, job_scheduler.new_holder("cli"))
    except Exception as exc:  # noqa: BLE001 - recorded as failed; say why and exit non-zero
        raise click.ClickException(f"{name} failed: {type(exc).__name__}: {exc}") from exc
    click.echo(f"{name}: {result}")


@click.command("scheduler")
@with_appcontext
@click.option("--once", is_flag=True, help="Run every job once and exit.")
def scheduler(once):
    """Run the job process. Several may run: one leads (a lease row in the database), the others
    stand by and take over when it stops."""
    if not current_app.config["SCHEDULER_ENABLED"]:
        raise click.ClickException("SCHEDULER_ENABLED is off on this host")
    app = current_app._get_current_object()
    if once:
        for name, outcome in job_scheduler.run_once(app).items():
            click.echo(f"{name}: {outcome}")
        return
    job_scheduler.run_forever(app)


@click.command("import-facilities")
@with_appcontext
@click.argument("file", type=click.File("rb"))
@click.option("--check", is_flag=True, help="Only check the file; import nothing.")
def import_facilities(file, check):
    """Create or update facilities from a CSV FILE ('-' for standard input).

    The format is described in booking/facilities/importing.py and on the upload page.
    Every row is checked first; if any is wrong, each bad row is listed with its line
    number and nothing is imported (exit status 1).
    """
    from booking.facilities import importing

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        # Read and check every row first (only reads); then write them all in one unit of work.
        plan = importing.check_facilities(file.read(importing.MAX_CSV_BYTES + 1), check_only=check)
        report = plan.report
        if report.ok and not check:
            try:
                with unit_of_work():
                    report = importing.apply_import(plan)
            except importing.ImportFailed as exc:
                report = exc.report
        if not report.ok:
            for error in report.errors:
                name = f" ({error.name})" if error.name else ""
                click.echo(f"line {error.line}{name}: {'; '.join(error.reasons)}", err=True)
            raise click.ClickException(report.summary())
        click.echo(report.summary())


@click.command("export-facilities")
@with_appcontext
@click.option("--output", "-o", type=click.File("w", encoding="utf-8", lazy=False), default="-",
              help="The CSV file to write (default: standard output).")
@click.option("--department", "departments", multiple=True, help="Only this department (repeatable).")
def export_facilities(output, departments):
    """Write facilities as CSV in the format import-facilities reads."""
    from booking.accounts.models import Department
    from booking.facilities import importing

    ids = None
    if departments:
        stmt = db.select(Department).where(Department.name.in_(departments))
        found = {d.name: d.id for d in db.session.scalars(stmt)}
        missing = [name for name in departments if name not in found]
        if missing:
            raise click.BadParameter(f"no department called {', '.join(missing)}", param_hint="--department")
        ids = set(found.values())
    count = importing.export_facilities(output, department_ids=ids)
    click.echo(f"Exported {count} facilities.", err=True)


@click.group("stats", cls=AppGroup)
def stats():
    """Utilisation statistics: the daily rollups."""


@stats.command("rebuild")
def rebuild_stats():
    """Recompute every facility's daily rollups from the reservations, hours and prices."""
    from booking.stats import rollups
    from booking.unit_of_work import unit_of_work

    with unit_of_work():
        written = rollups.rebuild()
    click.echo(f"Rebuilt {written} facility days.")


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False), required=False)
@with_appcontext
def backup(target):
    """Copy the live SQLite database to TARGET (default: instance/backups/<time>.sqlite) while
    the app keeps running; PostgreSQL: use pg_dump (see the README)."""
    from datetime import datetime

    from booking import backup as backups

    source = backups.sqlite_path(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if source is None:
        raise click.ClickException("The database is not an SQLite file: back PostgreSQL up with pg_dump "
                                   "(README: Backup and restore).")
    target = target or os.path.join(current_app.instance_path, "backups",
                                    f"infrashare-{datetime.now():%Y%m%d-%H%M%S}.sqlite")
    try:
        made = backups.backup_sqlite(source, Path(target))
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Backed up {made.tables} tables ({made.bytes:,} bytes) to {made.path}; integrity check ok.")
