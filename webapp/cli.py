"""CLI commands: deploy a process version, fire timers (cron), users and tokens, demo data."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from workflows.clock import clock
from workflows.engine import ProcessDefinitionError

from .auth import issue_token
from .delivery import deliver_due
from .diagram_messages import describe_definition_error
from .extensions import db
from .idempotency import forget_expired
from .models import Company, Role, User
from .operations.process import deploy_files, repository_files
from .operations.task_notices import send_digests
from .operations.timers import due_instance_ids, fire_timers


def init_app(app: Flask) -> None:
    for command in (deploy, tick, create_user, set_password, token, seed_demo):
        app.cli.add_command(command)


@click.command("deploy")
@with_appcontext
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def deploy(files: tuple[Path, ...]) -> None:
    """Deploy BPMN/DMN files (default: workflows/bpmn and workflows/dmn) as a new process version.

    Running cases keep their version; new cases take the newest.
    """
    sources = {p.name: p.read_text(encoding="utf-8") for p in files} if files else repository_files()
    try:
        version, created = deploy_files(sources, None)
    except ProcessDefinitionError as exc:
        db.session.rollback()
        raise click.ClickException(f"{describe_definition_error(exc)}\n({exc})") from exc
    db.session.commit()
    click.echo(f"{'deployed' if created else 'unchanged'}: {version.process_id} v{version.version}")


@click.command("tick")
@with_appcontext
def tick() -> None:
    """Fire due timers, queue the daily task digests, deliver due emails, forget old idempotency keys (run from
    cron, e.g. every minute).

    Safe to run on several hosts at once: each instance and each email is claimed before it is worked on."""
    fired = 0
    for instance_id in due_instance_ids():
        fired += fire_timers(instance_id)
        db.session.commit()  # one instance per transaction: a refused step does not hold back the others
    forget_expired()
    db.session.commit()
    digests = send_digests()  # once per user and day, whichever tick comes first
    db.session.commit()
    delivered = deliver_due()
    click.echo(
        f"{clock.now().isoformat()} timers fired for {fired} case(s); {delivered.sent} email(s) sent"
        + (f", {delivered.failed} failed (retried later)" if delivered.failed else "")
        + (f"; {digests} task digest(s) queued" if digests else "")
    )


@click.command("create-user")
@with_appcontext
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "display_name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email")
@click.option("--countries", default="", help="experts: comma-separated country codes, e.g. CN,TH")
@click.option("--lead", is_flag=True, help="staff lead (may reassign tasks)")
@click.option("--company", "company_name", help="applicants: the company's name as registered")
def create_user(username: str, role: str, display_name: str, password: str, email: str | None, countries: str,
                lead: bool, company_name: str | None) -> None:  # fmt: skip
    user = User(username=username, role=role, display_name=display_name, email=email, countries_csv=countries)
    user.is_lead = lead
    if company_name:
        company = db.session.scalar(select(Company).where(Company.name == company_name))
        if company is None:
            raise click.ClickException(f"no such company: {company_name}")
        user.company_id = company.id
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {username} ({role})")


@click.command("set-password")
@with_appcontext
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def set_password(username: str, password: str) -> None:
    """Set a user's password; every session of that user ends (API tokens are kept: `token` replaces one)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no such user: {username}")
    user.set_password(password)
    db.session.commit()
    click.echo(f"password set for {username}; their sessions have ended")


@click.command("token")
@with_appcontext
@click.argument("username")
def token(username: str) -> None:
    """Issue a new API token for a user (the old one stops working)."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"no such user: {username}")
    value = issue_token(user)
    db.session.commit()
    click.echo(value)


@click.command("seed-demo")
@with_appcontext
@click.option("--at", "at", default="2025-09-01T10:00:00+09:00", help="the demo date (inside FY2025's window)")
def seed_demo(at: str) -> None:
    """Create demo users (one per role) and demo cases; prints the accounts. Safe to run twice."""
    from .demo import seed

    for line in seed(datetime.fromisoformat(at)):
        click.echo(line)
