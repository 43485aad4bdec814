"""``flask stock import`` and ``flask stock export``: CSV of lots, through the same services as the API."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from health_responder.errors import DomainError
from health_responder.extensions import db
from health_responder.stock import csvio, imports, queries

stock_cli = AppGroup("stock", help="Stock lots: CSV import and export.")


def _explain(error: DomainError) -> click.ClickException:
    details = "; ".join(f"{name}: {' '.join(map(str, messages))}" for name, messages in error.errors.items())
    return click.ClickException(f"{error.message} {details}".strip())


@stock_cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--provider", "provider_name", required=True, help="The exact name of the provider the lots belong to."
)
@click.option("--dry-run", is_flag=True, help="Check every row and write nothing.")
def import_lots(file, provider_name: str, dry_run: bool) -> None:
    """Import lots from a CSV FILE (item_code, location, lot_code, expires_on, quantity[, status, note]).

    Every row is checked first; a single bad row imports nothing, and every bad row is listed.
    """
    try:
        rows = csvio.read_lots(file.read())
        with db.read_session() if dry_run else db.write_session():
            provider = queries.provider_named(name=provider_name)
            if dry_run:
                report = imports.import_lots(provider=provider, rows=rows, by=None, dry_run=True)
            else:
                with click.progressbar(
                    length=len(rows), label=f"Importing {len(rows)} rows", file=sys.stderr
                ) as bar:
                    report = imports.import_lots(
                        provider=provider,
                        rows=rows,
                        by=None,
                        dry_run=False,
                        progress=bar.update,
                        actor_label="cli:stock import",
                    )
            if report.errors:
                for error in report.errors:
                    click.echo(f"line {error.line}, {error.field}: {error.message}", err=True)
                bad = len({error.line for error in report.errors})
                raise click.ClickException(f"{bad} of {report.rows} rows have errors; nothing was imported.")
    except DomainError as error:
        raise _explain(error) from error
    if dry_run:
        click.echo(f"Dry run: all {report.rows} rows are valid; nothing was written.")
    else:
        click.echo(f"Imported {report.created} lots for {provider.name}.")


@stock_cli.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True), default="-")
@click.option("--provider", "provider_name", default=None, help="Only this provider's lots (its exact name).")
def export_lots(file, provider_name: str | None) -> None:
    """Write every lot (or one provider's) as CSV to FILE (default: standard output)."""
    try:
        with db.read_session():
            args = {"provider_id": queries.provider_named(name=provider_name).id} if provider_name else {}
            for chunk in csvio.write_lots(queries.export_rows(user=None, args=args)):
                file.write(chunk)
    except DomainError as error:
        raise _explain(error) from error


def register(app: Flask) -> None:
    """Add the ``stock`` command group to ``flask``."""
    app.cli.add_command(stock_cli)
