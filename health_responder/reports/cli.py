"""`flask reports dispatch REF` and `flask reports summary --from --to`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlmodel import select

from health_responder.extensions import db

reports_cli = AppGroup("reports", help="Generate and register PDF documents.")


@reports_cli.command("dispatch")
@click.argument("references", nargs=-1, required=True)
@click.option("--pick-list", is_flag=True, help="Also the pick list.")
def dispatch(references: tuple[str, ...], pick_list: bool) -> None:
    """Build (or reuse) the dispatch report of each DSP-… reference."""
    from health_responder.dispatch.models import Dispatch
    from health_responder.documents.services import path_of
    from health_responder.reports import services

    with db.write_session():
        found = {
            d.reference: d
            for d in db.session.scalars(select(Dispatch).where(Dispatch.reference.in_(references)))
        }
        missing = [r for r in references if r not in found]
        if missing:
            raise click.ClickException(f"No dispatch {', '.join(missing)}.")
        with click.progressbar(references, label="Dispatch reports", show_pos=True) as bar:
            done = []
            for reference in bar:
                document, _ = services.dispatch_report(dispatch=found[reference])
                done.append((reference, document))
                if pick_list:
                    services.pick_list(dispatch=found[reference])
    for reference, document in done:
        click.echo(f"{reference}: {path_of(document)} (code {document.verification_code})")


@reports_cli.command("summary")
@click.option("--from", "period_from", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--to", "period_to", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Also copy the PDF here.")
def summary(period_from, period_to, output: Path | None) -> None:
    """Build (or reuse) the dispatch summary of a period."""
    from health_responder.documents.services import path_of
    from health_responder.errors import DomainError, plain
    from health_responder.reports import services

    start, end = date.fromordinal(period_from.toordinal()), date.fromordinal(period_to.toordinal())
    try:
        with db.write_session():
            document, content = services.dispatch_summary(period_from=start, period_to=end)
    except DomainError as error:
        raise click.ClickException(f"{error.message} {plain(error.errors) or ''}".strip()) from error
    if output:
        output.write_bytes(content)
    click.echo(f"{path_of(document)} (code {document.verification_code})")


def register(app: Flask) -> None:
    """Add the `reports` group to `flask`."""
    app.cli.add_command(reports_cli)
