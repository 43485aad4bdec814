"""The scheduler: ticks on a grid, one run per tick however many schedulers, leases and advisory locks.

The multi-process tests start real ``flask scheduler run`` processes against the test's database
(a file: SQLite, or the PostgreSQL test database) with a one-second schedule, stop them with SIGTERM,
and count the job runs they left.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import select

from health_responder import create_app, scheduler
from health_responder.db import utcnow
from health_responder.extensions import db
from health_responder.scheduler import runner
from health_responder.scheduler.models import JobRun

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).with_name("flask"))


def subprocess_env(database_url: str, tmp_path: Path, **settings) -> dict:
    """Environment for a ``flask`` subprocess on the test's database, with FLASK_* settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLASK_")}
    env.update(
        {
            "FLASK_APP": "wsgi",
            "DATABASE_URL": database_url,
            "REPORTS_DIR": str(tmp_path / "reports"),
            "FLASK_SECRET_KEY": "test-secret",
            "FLASK_LOG_JSON": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update({f"FLASK_{key}": json.dumps(value) for key, value in settings.items()})
    return env


def _runs(app, name: str | None = None) -> list[JobRun]:
    with app.app_context(), db.read_session() as session:
        statement = select(JobRun).order_by(JobRun.scheduled_for, JobRun.id)
        if name:
            statement = statement.where(JobRun.name == name)
        rows = session.scalars(statement).all()
        session.expunge_all()
    return rows


def test_ticks_fall_on_a_fixed_grid():
    moment = datetime(2026, 12, 1, 10, 7, 31, 500, tzinfo=UTC)
    assert scheduler.tick(moment, 300) == datetime(2026, 12, 1, 10, 5, tzinfo=UTC)
    assert scheduler.tick(moment, 3600) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert scheduler.next_tick(moment, 60) == datetime(2026, 12, 1, 10, 8, tzinfo=UTC)
    assert scheduler.tick(moment, 1) == datetime(2026, 12, 1, 10, 7, 31, tzinfo=UTC)


def test_create_app_never_starts_a_scheduler(app):
    create_app(
        {
            "TESTING": True,
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SECRET_KEY": "x",
            "REPORTS_DIR": app.config["REPORTS_DIR"],
        }
    )
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]


@pytest.mark.both_databases
def test_a_tick_is_claimed_once(app):
    tick = scheduler.tick(utcnow(), 60)
    with app.app_context():
        first = scheduler.run_job("low_stock", scheduled_for=tick, trigger="schedule")
        with pytest.raises(scheduler.TickTaken):
            scheduler.run_job("low_stock", scheduled_for=tick, trigger="schedule")
    assert first.outcome == "succeeded" and [r.id for r in _runs(app)] == [first.id]


def _insert_running(app, *, lease_until: datetime) -> int:
    with app.app_context(), db.write_session() as session:
        run = JobRun(
            name="low_stock",
            scheduled_for=utcnow() - timedelta(minutes=5),
            trigger="schedule",
            lease_until=lease_until,
            outcome="running",
            runner="elsewhere:1",
        )
        session.add(run)
        session.flush()
        return run.id


def test_sqlite_a_live_lease_makes_the_next_tick_skip_and_an_expired_one_is_abandoned(app, login_as):
    coordinator = login_as("coordinator")
    stuck = _insert_running(app, lease_until=utcnow() + timedelta(minutes=5))
    with app.app_context(), pytest.raises(scheduler.JobBusy):
        scheduler.run_job("low_stock", scheduled_for=scheduler.tick(utcnow(), 60), trigger="schedule")
    busy = coordinator.post("/api/v1/jobs/low_stock/run", json={})
    assert busy.status_code == 409 and "already running" in busy.json["message"]

    with app.app_context(), db.write_session() as session:
        session.execute(
            sa.update(JobRun).where(JobRun.id == stuck).values(lease_until=utcnow() - timedelta(seconds=1))
        )
    with app.app_context():
        fresh = scheduler.run_job("low_stock", scheduled_for=scheduler.tick(utcnow(), 60), trigger="schedule")

    outcomes = {r.id: r.outcome for r in _runs(app)}
    assert outcomes == {stuck: "abandoned", fresh.id: "succeeded"}


@pytest.mark.both_databases
def test_postgresql_advisory_lock_keeps_runs_from_overlapping(app, backend):
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite uses the lease (test above)")
    stuck = _insert_running(app, lease_until=utcnow() + timedelta(minutes=5))
    with app.app_context():
        other_runner = sa.create_engine(app.config["DATABASE_URL"], poolclass=sa.pool.NullPool)
        holder = other_runner.connect()
        holder.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": runner._lock_key("low_stock")})
        holder.commit()
        try:
            with pytest.raises(scheduler.JobBusy):
                scheduler.run_job("low_stock", scheduled_for=scheduler.tick(utcnow(), 60), trigger="schedule")
        finally:
            holder.close()  # like a killed runner: the server drops the lock with the connection
            other_runner.dispose()
        fresh = scheduler.run_job("low_stock", scheduled_for=scheduler.tick(utcnow(), 60), trigger="schedule")
    # The lock was free, so the old "running" row belonged to a dead runner: abandoned at once.
    assert {r.id: r.outcome for r in _runs(app)} == {stuck: "abandoned", fresh.id: "succeeded"}


def test_cli_list_shows_each_check_its_interval_and_last_run(app, runner):
    with app.app_context():
        scheduler.run_job("near_expiry", scheduled_for=utcnow(), trigger="cli")
    result = runner.invoke(args=["scheduler", "list"])
    assert result.exit_code == 0, result.output
    lines = {
        line.split()[0]: line for line in result.output.splitlines() if line and not line.startswith(" ")
    }
    assert "300s" in lines["auto_allocate"] and "never" in lines["auto_allocate"]
    assert "succeeded" in lines["near_expiry"] and "60s" in lines["send_notifications"]


def test_cli_run_once_runs_a_check_and_rejects_an_unknown_one(app, runner):
    result = runner.invoke(args=["scheduler", "run-once", "overdue_requests"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["outcome"] == "succeeded"
    assert [r.trigger for r in _runs(app)] == ["cli"]
    unknown = runner.invoke(args=["scheduler", "run-once", "nope"])
    assert unknown.exit_code != 0 and "No check named 'nope'" in unknown.output


def _start_schedulers(count: int, env: dict, tmp_path: Path) -> list[tuple[subprocess.Popen, Path]]:
    started = []
    for index in range(count):
        log = tmp_path / f"scheduler-{index}.log"
        with log.open("w") as stderr:
            process = subprocess.Popen(
                [FLASK, "scheduler", "run"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        started.append((process, log))
    return started


def _wait_started(started, timeout: float = 120) -> float:
    """Until every scheduler logged its start (each is a whole flask process: seconds on a loaded machine)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all("Scheduler started" in log.read_text() for _p, log in started):
            return time.time()
        for process, log in started:
            assert process.poll() is None, log.read_text()[-2000:]
        time.sleep(0.1)
    raise AssertionError(
        "schedulers did not start: " + " | ".join(log.read_text()[-500:] for _p, log in started)
    )


def _stop(started) -> None:
    for process, _log in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process, log in started:
        try:
            assert process.wait(timeout=60) == 0, log.read_text()[-2000:]
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def _wait_for_ticks(app, name: str, *, after: float, count: int, timeout: float) -> None:
    """Until ``count`` runs of ``name`` scheduled after ``after`` have finished (or ``timeout`` seconds)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        done = [
            r for r in _runs(app, name) if r.scheduled_for.timestamp() >= after and r.outcome != "running"
        ]
        if len(done) >= count:
            return
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.both_databases
def test_several_scheduler_processes_run_each_tick_exactly_once(app, database_url, backend, tmp_path):
    count, ticks = (4, 10) if backend == "postgresql" else (2, 10)
    env = subprocess_env(database_url, tmp_path, JOB_SCHEDULES={"overdue_requests": 1}, JOB_LEASE_SECONDS=30)
    started = _start_schedulers(count, env, tmp_path)
    try:
        all_up = _wait_started(started)
        _wait_for_ticks(app, "overdue_requests", after=all_up + 1, count=ticks, timeout=ticks + 30)
        stopped_at = time.time()
    finally:
        _stop(started)

    runs = _runs(app, "overdue_requests")
    stamps = [r.scheduled_for.timestamp() for r in runs]
    assert len(stamps) == len(set(stamps)), "a tick ran twice"
    assert all(r.outcome == "succeeded" and r.trigger == "schedule" for r in runs)
    # Every tick while all schedulers were up ran, once: a contiguous run of one-second ticks.
    window = [s for s in stamps if all_up + 1 <= s <= stopped_at - 1]
    assert len(window) >= ticks - 1
    assert window == [window[0] + i for i in range(len(window))], f"missed ticks: {window}"
    assert len({r.runner for r in runs}) >= 1


class SilentSmtpServer:
    """A TCP server on 127.0.0.1 that accepts connections and never says a word (a hung mail relay)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connected = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _address = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.connected.set()

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.mark.slow
@pytest.mark.both_databases
def test_a_killed_runner_stuck_in_its_check_loses_its_claim_within_the_lease(
    app, database_url, backend, tmp_path
):
    """The lease is renewed by the runner while its check is stuck (a mail relay that never answers), and
    a runner killed with SIGKILL stops renewing it: its run is abandoned and the check runs again within
    one lease (at once on PostgreSQL, whose advisory lock dies with the connection)."""
    from health_responder.notifications import services as notifications

    assert app.config["JOB_LEASE_SECONDS"] == 60  # the default: a dead runner's claim lapses within a minute
    lease = 3
    with app.app_context(), db.write_session():
        from health_responder.auth import services as auth

        user = auth.create_user(email="keeper@example.org", password="x" * 12, role="coordinator", name="K")
        notifications.notify(users=[user], key="lease:1", subject="Lease", body="Stuck.", link="/")
    relay = SilentSmtpServer()
    env = subprocess_env(
        database_url,
        tmp_path,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=relay.port,
        MAIL_TIMEOUT=600,
        JOB_LEASE_SECONDS=lease,
    )
    log = tmp_path / "run-once.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [FLASK, "scheduler", "run-once", "send_notifications"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        assert relay.connected.wait(60), log.read_text()[-2000:]
        time.sleep(2.5 * lease)  # stuck in the relay for well over a lease
        [stuck] = _runs(app, "send_notifications")
        assert stuck.outcome == "running" and stuck.runner.endswith(f":{process.pid}")
        assert stuck.lease_until > utcnow(), "the lease lapsed while the runner was alive"
        assert stuck.lease_until <= utcnow() + timedelta(seconds=lease)

        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        killed_at, busy = time.monotonic(), 0
        with app.app_context():
            while True:
                try:
                    fresh = scheduler.run_job("send_notifications", scheduled_for=utcnow(), trigger="cli")
                    break
                except scheduler.JobBusy:
                    busy += 1
                    assert time.monotonic() - killed_at < lease + 2, "the dead runner's claim did not lapse"
                    time.sleep(0.1)
        waited = time.monotonic() - killed_at
    finally:
        if process.poll() is None:
            process.kill()
        relay.close()

    assert fresh.outcome == "succeeded"
    assert {r.id: r.outcome for r in _runs(app)} == {stuck.id: "abandoned", fresh.id: "succeeded"}
    if backend == "sqlite":
        assert busy > 0 and waited <= lease + 1  # the lease, renewed to the end, had to run out first
    else:
        assert waited < 2  # the advisory lock went with the killed process's connection
