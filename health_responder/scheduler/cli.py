"""``flask scheduler``: run the scheduler, list the checks, run one now."""

from __future__ import annotations

import json
import logging
import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from health_responder.db import utcnow
from health_responder.errors import Conflict, NotFound
from health_responder.scheduler import runner
from health_responder.scheduler.models import RunOutcome
from health_responder.scheduler.registry import jobs, next_tick, schedules
from health_responder.scheduler.runner import build_scheduler, last_runs, run_job

log = logging.getLogger(__name__)

scheduler_cli = AppGroup(
    "scheduler", help="The scheduled checks: run the scheduler, list checks, run one now."
)


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the scheduler until SIGTERM or Ctrl-C (start as many as you like: each tick runs once)."""
    app = current_app._get_current_object()
    scheduler = build_scheduler(app)
    runner._stopping.clear()
    done = threading.Event()

    def _stop(signum, _frame):
        log.info("signal %s: finishing running checks, then stopping", signum)
        runner._stopping.set()
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    scheduler.start()
    click.echo(
        f"Scheduler started ({runner._runner_label()}): "
        + ", ".join(f"{job.id} every {job.trigger.interval_length:.0f}s" for job in scheduler.get_jobs()),
        err=True,
    )
    while not done.wait(1):
        pass
    scheduler.shutdown(wait=True)
    click.echo("Scheduler stopped.", err=True)


@scheduler_cli.command("list")
def scheduler_list() -> None:
    """Each check: interval, next tick, last run and its outcome."""
    now = utcnow()
    plan = schedules()
    latest = last_runs()
    click.echo(f"{'check':<20} {'every':>7}  {'next tick (UTC)':<20} last run")
    for name, entry in jobs().items():
        interval = plan.get(name)
        every = f"{interval}s" if interval else "manual"
        upcoming = next_tick(now, interval).strftime("%Y-%m-%d %H:%M:%S") if interval else "-"
        run = latest.get(name)
        last = (
            (
                f"#{run.id} {run.started_at:%Y-%m-%d %H:%M:%S} {run.outcome}"
                f"{' (dry run)' if run.dry_run else ''}"
            )
            if run
            else "never"
        )
        click.echo(f"{name:<20} {every:>7}  {upcoming:<20} {last}")
        click.echo(f"{'':<20} {entry.description}")


@scheduler_cli.command("run-once")
@click.argument("name")
@click.option("--dry-run", is_flag=True, help="Compute and show what the check would do; write nothing.")
def scheduler_run_once(name: str, dry_run: bool) -> None:
    """Run the check NAME now, whatever its schedule."""
    try:
        run = run_job(name, scheduled_for=utcnow(), trigger="cli", dry_run=dry_run)
    except (NotFound, Conflict) as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(
        json.dumps(
            {
                "id": run.id,
                "name": run.name,
                "outcome": run.outcome,
                "dry_run": run.dry_run,
                "counts": run.counts,
                "error": run.error,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    if run.outcome != RunOutcome.SUCCEEDED:
        raise SystemExit(1)


def register(app: Flask) -> None:
    """Add ``flask scheduler`` (the scheduler never starts inside create_app)."""
    app.cli.add_command(scheduler_cli)
