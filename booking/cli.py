"""Command line: `flask --app app <command>`. Every command reads the same settings as the app."""
from __future__ import annotations

import click
from flask import current_app
from flask_migrate import upgrade

from booking import jobs as job_registry
from booking import seed
from booking.accounts import services as accounts
from booking.accounts.models import ActorType, MembershipRole, Role
from booking.errors import DomainError
from booking.extensions import db


def init_app(app) -> None:
    for command in (init_db, seed_demo, create_user, create_token, jobs, scheduler):
        app.cli.add_command(command)


@click.command("init-db")
def init_db():
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade()
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("seed-demo")
def seed_demo():
    """Load the demo city from assets/demo/ (safe to run again)."""
    seed.load_all(echo=click.echo)
    click.echo("Demo data loaded. Demo accounts are listed in the README.")


@click.command("create-user")
@click.argument("email")
@click.option("--password", required=True, help="At least 10 characters.")
@click.option("--name", default=None, help="Display name (default: the part of EMAIL before @).")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.member.value, show_default=True)
@click.option("--department", "departments", multiple=True,
              help="Department a facility manager manages (repeatable; created if missing).")
@click.option("--organisation", default=None, help="Organisation the user belongs to (created if missing).")
@click.option("--actor-type", type=click.Choice([t.value for t in ActorType]), default=None,
              help="Actor type of a new --organisation.")
def create_user(email, password, name, role, departments, organisation, actor_type):
    """Create a user; with --organisation, also their membership."""
    role = Role(role)
    if role == Role.facility_manager and not departments:
        raise click.UsageError("a facility_manager needs at least one --department")
    if actor_type and not organisation:
        raise click.UsageError("--actor-type needs --organisation")
    try:
        org = None
        if organisation:
            org = accounts.get_or_create_organisation(organisation, ActorType(actor_type or "sme"))
        user = accounts.create_user(
            email, name or email.split("@")[0], password, role=role,
            departments=[accounts.get_or_create_department(d) for d in departments],
            organisation=org, membership_role=MembershipRole.owner)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException("; ".join(exc.all_reasons())) from exc
    click.echo(f"Created {user.role.value} {user.email} (id {user.id})")


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="CLI token", show_default=True, help="A label for the token.")
def create_token(email, name):
    """Create an API token for EMAIL and print it as the last line."""
    user = accounts.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    click.echo(f"Token for {user.email} (shown once; use as 'Authorization: Bearer <token>'):")
    click.echo(accounts.create_api_token(user, name))


@click.group("jobs", invoke_without_command=True)
@click.pass_context
def jobs(ctx):
    """List the scheduled jobs; `jobs run NAME` runs one now."""
    if ctx.invoked_subcommand is None:
        for spec in job_registry.JOBS.values():
            click.echo(f"{spec.name:<28} every {spec.seconds:>5}s  {spec.description}")


@jobs.command("run")
@click.argument("name")
def run_job(name):
    """Run one job now."""
    if name not in job_registry.JOBS:
        raise click.ClickException(f"unknown job {name!r}; known: {', '.join(job_registry.JOBS)}")
    result = job_registry.run(name)
    click.echo(f"{name}: {result}")


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every job once and exit.")
def scheduler(once):
    """Run the job process (one per deployment; on PostgreSQL extra ones exit)."""
    job_registry.run_scheduler(current_app._get_current_object(), once=once)
