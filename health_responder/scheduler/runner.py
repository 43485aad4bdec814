"""The runner: the claim that makes each check run once per tick, leases, advisory locks, keep-alive.

Any number of schedulers may run (one per host, a stray second one, a CLI ``run-once``): the
database decides who runs a check.

- **Ticks** fall on a fixed grid, ``floor(now / interval) * interval`` seconds since the epoch, so
  every scheduler computes the same tick for the same moment.
- **The claim** is the ``job_run`` row itself, inserted and committed in its own transaction before
  any work: ``(name, scheduled_for)`` is unique, so a second scheduler that arrives for the same tick
  hits the constraint and skips the tick.
- **No overlap**: on PostgreSQL the runner holds a session advisory lock keyed by the job name on a
  connection of its own for the whole run (the server drops it when the process dies, so a killed
  run never blocks the next one, and a ``running`` row found while holding the lock is abandoned at
  once). On SQLite the run holds a lease (``lease_until``, ``JOB_LEASE_SECONDS``: a minute) that a
  keep-alive thread of the runner renews every third of it for as long as the check runs, whatever the
  check is doing (a long statement, an SMTP server that does not answer); a run still ``running``
  past its lease is marked ``abandoned`` and the next tick proceeds, so a killed runner's claim lapses
  within a minute. Claim and lease check happen in one ``BEGIN IMMEDIATE`` transaction, so two SQLite
  schedulers serialize on them.
- A tick that finds the job busy is skipped, not queued: overruns never overlap and missed ticks
  coalesce into the next one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.db import utcnow
from health_responder.errors import SOURCE_LANGUAGE, Conflict
from health_responder.extensions import db
from health_responder.scheduler.models import JobRun, RunOutcome
from health_responder.scheduler.registry import get_job, schedules, tick

log = logging.getLogger(__name__)

#: The keep-alive of each live run of this process, by run id.
_keepers: dict[int, _LeaseKeeper] = {}
#: Set when the process is asked to stop (SIGTERM/SIGINT); long jobs look at it between requests.
_stopping = threading.Event()


def stopping() -> bool:
    """True once the process has been asked to stop: a long job ends its current request and returns."""
    return _stopping.is_set()


class JobBusy(Conflict):
    """Another run of the same check is still working (advisory lock held, or a live lease)."""


class TickTaken(Conflict):
    """A run for this check and tick exists already: another scheduler claimed it."""


def _runner_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for the job's advisory lock."""
    return int.from_bytes(hashlib.blake2b(f"job:{name}".encode(), digest_size=8).digest(), "big", signed=True)


def _lease_seconds() -> int:
    return int(current_app.config["JOB_LEASE_SECONDS"])


class _AdvisoryLock:
    """A PostgreSQL session advisory lock held on a dedicated connection for the whole run."""

    def __init__(self, name: str) -> None:
        self.key = _lock_key(name)
        self.connection: sa.Connection | None = None

    def acquire(self) -> bool:
        self.connection = db.engine.connect()
        got = self.connection.scalar(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key})
        # Leave no transaction open on the lock's connection: it would hold back VACUUM for the whole run.
        self.connection.commit()
        if not got:
            self.connection.close()
            self.connection = None
        return bool(got)

    def release(self) -> None:
        if self.connection is None:
            return
        try:
            self.connection.scalar(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self.connection.commit()
        except Exception:
            # Never hand a connection that may still hold the lock back to the pool.
            self.connection.invalidate()
            raise
        finally:
            self.connection.close()
            self.connection = None


def _claim(
    name: str,
    *,
    scheduled_for: datetime,
    trigger: str,
    dry_run: bool,
    requested_by: int | None,
    lock_held: bool,
) -> JobRun:
    """Insert the run row (the claim) in its own committed transaction, after retiring dead runs."""
    now = utcnow()
    try:
        with db.write_session() as session:
            dead = JobRun.outcome == RunOutcome.RUNNING
            if not lock_held:  # SQLite: only a run past its lease is dead
                dead = sa.and_(dead, sa.or_(JobRun.lease_until.is_(None), JobRun.lease_until < now))
            abandoned = session.execute(
                sa.update(JobRun)
                .where(JobRun.name == name, dead)
                .values(
                    outcome=RunOutcome.ABANDONED,
                    finished_at=now,
                    error="The runner stopped without finishing (killed or lost); its work was per request, "
                    "so nothing is half-applied.",
                )
            ).rowcount
            if abandoned:
                log.warning("marked %d run(s) of %s abandoned", abandoned, name)
            if not lock_held:
                busy = session.scalar(
                    select(JobRun.id)
                    .where(JobRun.name == name, JobRun.outcome == RunOutcome.RUNNING)
                    .limit(1)
                )
                if busy is not None:
                    raise JobBusy(
                        _l("The check %(name)s is already running (run %(run)s).", name=name, run=busy)
                    )
            run = JobRun(
                name=name,
                scheduled_for=scheduled_for,
                trigger=trigger,
                dry_run=dry_run,
                started_at=now,
                lease_until=now + timedelta(seconds=_lease_seconds()),
                outcome=RunOutcome.RUNNING,
                runner=_runner_label(),
                requested_by_id=requested_by,
            )
            session.add(run)
            session.flush()
            session.expunge(run)
    except sa.exc.IntegrityError as error:
        raise TickTaken(
            _l(
                "The tick %(tick)s of %(name)s was claimed by another scheduler.",
                tick=scheduled_for.isoformat(),
                name=name,
            )
        ) from error
    return run


def _renew(run_id: int) -> bool:
    """Push the run's lease a full lease ahead; False when the run is no longer ``running`` (taken for dead)."""
    now = utcnow()
    with db.write_session() as session:
        return (
            session.execute(
                sa.update(JobRun)
                .where(JobRun.id == run_id, JobRun.outcome == RunOutcome.RUNNING)
                .values(lease_until=now + timedelta(seconds=_lease_seconds()))
            ).rowcount
            == 1
        )


class _LeaseKeeper(threading.Thread):
    """The runner's keep-alive: renews one run's lease every third of the lease while the check runs.

    A thread, not calls from the check, so that a check stuck in one long step (a statement, a network
    call) keeps its lease, and a killed process stops renewing it at once. A renewal that fails (the
    database busy) is tried again at the next beat; one that finds the run no longer ``running``
    (another runner took it for dead) marks the run lost, and ``keep_alive`` then stops the check.
    """

    def __init__(self, app: Flask, run_id: int, every: float) -> None:
        super().__init__(name=f"lease-keeper-{run_id}", daemon=True)
        self.app, self.run_id, self.every = app, run_id, every
        self.lost = False
        self._done = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            try:
                while not self._done.wait(self.every):
                    try:
                        if not _renew(self.run_id):
                            self.lost = True
                            return
                    except Exception:  # noqa: BLE001 - try again at the next beat; the lease has slack
                        log.warning("could not renew the lease of run %s", self.run_id, exc_info=True)
            finally:
                db.session.remove()

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=self.every + 5)


def keep_alive(run: JobRun) -> None:
    """Between units of work: raise JobBusy when the run has lost its lease (another runner declared it
    abandoned), so that a run taken for dead stops instead of racing its successor. The lease itself is
    renewed by the runner's keep-alive thread.
    """
    keeper = _keepers.get(run.id)
    if keeper is not None and keeper.lost:
        raise JobBusy(_l("Run %(run)s of %(name)s lost its lease; stopping.", run=run.id, name=run.name))


def _finish(run: JobRun, outcome: str, counts: dict | None, error: str | None) -> JobRun:
    now = utcnow()
    with db.write_session() as session:
        session.execute(
            sa.update(JobRun)
            .where(JobRun.id == run.id, JobRun.outcome == RunOutcome.RUNNING)
            .values(outcome=outcome, finished_at=now, counts=counts, error=error)
        )
        finished = session.get(JobRun, run.id)
        session.expunge(finished)
    return finished


def _jsonable(counts: object) -> dict:
    """Counts as stored: JSON-safe (dates become ISO strings)."""
    return json.loads(json.dumps(counts if isinstance(counts, dict) else {"result": counts}, default=str))


def run_job(
    name: str,
    *,
    scheduled_for: datetime,
    trigger: str,
    dry_run: bool = False,
    requested_by: int | None = None,
) -> JobRun:
    """Claim the tick and run the check once; returns the finished run.

    Raises TickTaken when another scheduler has this tick, JobBusy while another run of the check is
    working, NotFound for an unknown name. The check's own failure is recorded (outcome ``failed``, the
    error's message only; the traceback goes to the log) and the run returned.
    """
    entry = get_job(name)
    lock = _AdvisoryLock(name) if db.dialect == "postgresql" else None
    if lock is not None and not lock.acquire():
        raise JobBusy(_l("The check %(name)s is already running.", name=name))
    run: JobRun | None = None
    try:
        run = _claim(
            name,
            scheduled_for=scheduled_for,
            trigger=trigger,
            dry_run=dry_run,
            requested_by=requested_by,
            lock_held=lock is not None,
        )
        keeper = _keepers[run.id] = _LeaseKeeper(
            current_app._get_current_object(), run.id, every=_lease_seconds() / 3
        )
        keeper.start()
        log.info(
            "job %s run %s started (tick %s, %s%s)",
            name,
            run.id,
            scheduled_for.isoformat(),
            trigger,
            ", dry run" if dry_run else "",
        )
        try:
            counts = entry.fn(run=run, now=utcnow(), dry_run=dry_run)
        except Exception as error:  # noqa: BLE001 - any failure of the check is recorded, not raised
            db.session.remove()
            log.exception("job %s run %s failed", name, run.id)
            with force_locale(
                SOURCE_LANGUAGE
            ):  # stored: English, whoever pressed "run now" in which language
                message = f"{error.__class__.__name__}: {error}".splitlines()[0][:1000]
            return _finish(run, RunOutcome.FAILED, None, message)
        finished = _finish(run, RunOutcome.SUCCEEDED, _jsonable(counts), None)
        log.info(
            "job %s run %s succeeded: %s",
            name,
            run.id,
            {k: v for k, v in (finished.counts or {}).items() if not isinstance(v, (list, dict))},
        )
        return finished
    finally:
        if run is not None and (keeper := _keepers.pop(run.id, None)) is not None:
            keeper.stop()
        if lock is not None:
            lock.release()


def run_scheduled(app: Flask, name: str, interval: int) -> None:
    """APScheduler's entry point: run ``name`` for the current tick, or skip if it is taken or busy."""
    with app.app_context():
        scheduled_for = tick(utcnow(), interval)
        try:
            run_job(name, scheduled_for=scheduled_for, trigger="schedule")
        except (TickTaken, JobBusy) as skipped:
            log.info("skip %s tick %s: %s", name, scheduled_for.isoformat(), skipped.message)
        except Exception:  # noqa: BLE001 - a database hiccup must not kill the scheduler thread
            log.exception("job %s tick %s could not start", name, scheduled_for.isoformat())
        finally:
            db.session.remove()


def last_runs() -> dict[str, JobRun]:
    """The latest run of each check."""
    latest = select(JobRun.name, sa.func.max(JobRun.id).label("id")).group_by(JobRun.name).subquery()
    rows = db.session.scalars(select(JobRun).join(latest, latest.c.id == JobRun.id)).all()
    return {row.name: row for row in rows}


def build_scheduler(app: Flask, blocking: bool = False):
    """An APScheduler 3 scheduler with one IntervalTrigger per scheduled check, aligned to the grid."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    with app.app_context():
        plan = schedules()
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(executors={"default": ThreadPoolExecutor(max_workers=max(1, len(plan)))}, timezone=UTC)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)  # start on the epoch: fire times fall on the grid
    for name, interval in plan.items():
        scheduler.add_job(
            run_scheduled,
            IntervalTrigger(seconds=interval, start_date=epoch, timezone=UTC),
            args=[app, name, interval],
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, interval // 2),
            replace_existing=True,
        )
    return scheduler
