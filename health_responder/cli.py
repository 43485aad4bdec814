"""Command-line tools: they wrap the same services the routes call, and commit once."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlmodel import select

from health_responder.extensions import db

db_cli = AppGroup("db", help="Database migrations (Alembic).")
users_cli = AppGroup("users", help="Users and tokens.")
seed_cli = AppGroup("seed", help="Demo and reference data.")


def alembic_config():
    """Alembic's configuration for this app's database and the migrations/ folder."""
    from alembic.config import Config

    from health_responder.config import ROOT

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", current_app.config["DATABASE_URL"].replace("%", "%%"))
    return config


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: head)."""
    from alembic import command

    command.upgrade(alembic_config(), revision)
    click.echo(f"Database at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (default: one step)."""
    from alembic import command

    command.downgrade(alembic_config(), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration does.")
@click.option("--autogenerate/--empty", default=True, help="Compare the models with the database.")
def db_revision(message: str, autogenerate: bool) -> None:
    """Create a new migration file in migrations/versions."""
    from alembic import command

    command.revision(alembic_config(), message=message, autogenerate=autogenerate)


@db_cli.command("current")
def db_current() -> None:
    """Show the revision the database is at."""
    from alembic import command

    command.current(alembic_config(), verbose=False)


def _tenant_ids(city: str | None, provider: str | None) -> tuple[int | None, int | None]:
    from health_responder.providers.models import Provider
    from health_responder.reference.models import City

    city_id = provider_id = None
    if city:
        city_id = db.session.scalar(select(City.id).where(City.name == city))
        if city_id is None:
            raise click.BadParameter(f"no city named {city!r}", param_hint="--city")
    if provider:
        provider_id = db.session.scalar(select(Provider.id).where(Provider.name == provider))
        if provider_id is None:
            raise click.BadParameter(f"no provider named {provider!r}", param_hint="--provider")
    return city_id, provider_id


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["city", "provider", "coordinator", "admin"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", default="", help="Display name.")
@click.option("--city", default=None, help="City name, for a city user.")
@click.option("--provider", default=None, help="Provider name, for a provider user.")
def users_create(
    email: str, role: str, password: str, name: str, city: str | None, provider: str | None
) -> None:
    """Create a user."""
    from health_responder.auth import services
    from health_responder.errors import DomainError

    with db.write_session():
        city_id, provider_id = _tenant_ids(city, provider)
        try:
            user = services.create_user(
                email=email, password=password, role=role, name=name, city_id=city_id, provider_id=provider_id
            )
        except DomainError as error:
            details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in error.errors.items())
            raise click.ClickException(f"{error.message} {details}".strip()) from error
        click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="cli", help="A name to recognise the token by.")
def users_token(email: str, name: str) -> None:
    """Print a new API token for EMAIL."""
    from health_responder.auth import services
    from health_responder.auth.models import User

    with db.write_session():
        user = db.session.scalar(select(User).where(User.email == services.normalise_email(email)))
        if user is None or not user.active:
            raise click.ClickException(f"No active user {email}.")
        _row, token = services.issue_token(user=user, name=name)
    click.echo(token)


@seed_cli.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when users exist already (first start only).")
@click.option(
    "--size",
    type=click.Choice(["small", "large"]),
    default="small",
    show_default=True,
    help="small: a year of about a hundred requests; large: ten times as many (benchmarks, charts).",
)
def seed_demo(if_empty: bool, size: str) -> None:
    """Load the demo world: networks, cities, providers, catalogue, stock, a year of requests, training,
    materials, publications, a fortnight of checks and alerts, and one login per role.
    """
    from health_responder import seed

    started, cpu = time.perf_counter(), time.process_time()
    logins = seed.build_demo(size=size, if_empty=if_empty)
    if logins is None:
        click.echo("Demo data already loaded; skipping.")
        return
    # CPU time too: on a shared machine the wall clock also counts the time spent waiting for a core.
    click.echo(
        f"Demo data ({size}) loaded in {time.perf_counter() - started:.1f} s "
        f"({time.process_time() - cpu:.1f} s of CPU)."
    )
    click.echo("Log in at http://127.0.0.1:5000/login with:")
    for role, email, password in logins:
        click.echo(f"  {role:<12} {email:<32} {password}")


def register_cli(app: Flask) -> None:
    """Add the command groups to ``flask``."""
    from health_responder import features

    for group in (db_cli, users_cli, seed_cli):
        app.cli.add_command(group)
    for module in features.present(features.CLI):
        module.register(app)
