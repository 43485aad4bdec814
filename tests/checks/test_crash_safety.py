"""auto_allocate killed with SIGKILL at random points, then run clean: nothing half-applied, nothing twice.

Each killed runner is a forked process running the real ``run_job`` on its own app and connections
(a fork skips the interpreter start-up, so five kills fit in a few seconds). The test waits until the
run has claimed its tick, lets it work for a random moment, and kills it. After every kill the
invariants must already hold; after a clean run the result must equal one uninterrupted run on a copy
of the same data (SQLite), and every killed run must be recorded as abandoned.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sqlite3
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from health_responder import create_app, scheduler
from health_responder.allocation.models import Allocation
from health_responder.db import utc_today, utcnow
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.scheduler.models import JobRun
from health_responder.stock.models import StockLot, StockMovement

REQUESTS, ITEMS, LOTS_PER_ITEM, KILLS = 4000, 8, 4, 5  # enough work that a kill lands mid-run
LEASE = 1


def _bulk_dataset(app) -> None:
    """Approved requests of two lines each over a few items; lots (with their ledger rows) cover about 80%."""
    rng = random.Random(4)
    today = utc_today()
    with app.app_context(), db.write_session() as session:
        conn = session.connection()
        conn.execute(
            sa.text(
                "INSERT INTO network (code, name, created_at) VALUES ('N1', 'One', :t), ('N2', 'Two', :t)"
            ),
            {"t": utcnow()},
        )
        conn.execute(
            sa.text(
                "INSERT INTO city (name, country, network_id, timezone, created_at) "
                "VALUES ('Crash City', 'KR', 1, 'UTC', :t), ('Other City', 'KE', 2, 'UTC', :t)"
            ),
            {"t": utcnow()},
        )
        for pid, name in ((1, "Near"), (2, "Far")):
            conn.execute(
                sa.text(
                    "INSERT INTO provider (id, name, country, kind, created_at) VALUES (:i, :n, 'KR', 'ngo', :t)"
                ),
                {"i": pid, "n": name, "t": utcnow()},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO stock_location (id, provider_id, name, country, active, created_at) "
                    "VALUES (:i, :i, :n, 'KR', true, :t)"
                ),
                {"i": pid, "n": f"{name} WH", "t": utcnow()},
            )
        conn.execute(sa.text("INSERT INTO provider_network (provider_id, network_id) VALUES (1, 1)"))
        for item in range(1, ITEMS + 1):
            conn.execute(
                sa.text(
                    "INSERT INTO item (id, code, name, category, unit, requires_cold_chain, active, created_at)"
                    " VALUES (:i, :c, :c, 'respiratory', 'each', false, true, :t)"
                ),
                {"i": item, "c": f"ITEM-{item}", "t": utcnow()},
            )
        lot_id = 0
        for item in range(1, ITEMS + 1):
            for _ in range(LOTS_PER_ITEM):
                lot_id += 1
                quantity = rng.randint(2000, 4500)
                expires = today + timedelta(days=rng.choice([20, 90, 200, 400])) if lot_id % 5 else None
                conn.execute(
                    sa.insert(StockLot.__table__).values(
                        id=lot_id,
                        provider_id=1 + lot_id % 2,
                        location_id=1 + lot_id % 2,
                        item_id=item,
                        lot_code=f"L-{lot_id}",
                        expires_on=expires,
                        status="available",
                        on_hand=quantity,
                        reserved=0,
                        created_at=utcnow(),
                    )
                )
                conn.execute(
                    sa.insert(StockMovement.__table__).values(
                        lot_id=lot_id,
                        kind="receipt",
                        delta_on_hand=quantity,
                        delta_reserved=0,
                        actor_label="test",
                        created_at=utcnow(),
                    )
                )
        requests, lines = [], []
        for rid in range(1, REQUESTS + 1):
            priority = rng.choice(["critical", "high", "normal", "low"])
            requests.append(
                {
                    "id": rid,
                    "reference": f"REQ-2026-{rid:06d}",
                    "city_id": 1 + rid % 2,
                    "status": "approved",
                    "priority": priority,
                    "priority_rank": ["critical", "high", "normal", "low"].index(priority),
                    "needed_by": today + timedelta(days=rng.randint(5, 120)),
                    "justification": "crash",
                    "submitted_at": utcnow(),
                    "created_at": utcnow(),
                }
            )
            for item in rng.sample(range(1, ITEMS + 1), 2):
                lines.append(
                    {
                        "request_id": rid,
                        "item_id": item,
                        "quantity": rng.randint(1, 12),
                        "quantity_allocated": 0,
                        "quantity_dispatched": 0,
                        "quantity_received": 0,
                        "quantity_rejected": 0,
                    }
                )
        conn.execute(sa.insert(AssistanceRequest.__table__), requests)
        conn.execute(sa.insert(RequestLine.__table__), lines)
        if conn.dialect.name == "postgresql":
            for table in (
                "network",
                "city",
                "provider",
                "stock_location",
                "item",
                "stock_lot",
                "assistance_request",
            ):
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )


def _runner(database_url: str, reports: str) -> None:
    """A forked scheduler process: its own app, engine and connections; runs auto_allocate once."""
    child = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "DATABASE_URL": database_url,
            "REPORTS_DIR": reports,
            "JOB_LEASE_SECONDS": LEASE,
            "AUTO_ALLOCATE_BATCH_REQUESTS": 5,
            "LOG_JSON": False,
        }
    )
    with child.app_context():
        try:
            scheduler.run_job("auto_allocate", scheduled_for=utcnow(), trigger="cli")
        except scheduler.JobBusy:
            os._exit(3)
    os._exit(0)


def _invariants(app) -> dict:
    with app.app_context(), db.read_session() as session:
        live = (
            select(Allocation.line_id, sa.func.sum(Allocation.quantity).label("q"))
            .where(Allocation.status.in_(["reserved", "dispatched"]))
            .group_by(Allocation.line_id)
            .subquery()
        )
        half = session.scalar(
            select(sa.func.count())
            .select_from(RequestLine)
            .outerjoin(live, live.c.line_id == RequestLine.id)
            .where(sa.func.coalesce(live.c.q, 0) != RequestLine.quantity_allocated)
        )
        pairs = (
            select(Allocation.line_id, Allocation.lot_id)
            .group_by(Allocation.line_id, Allocation.lot_id)
            .having(sa.func.count() > 1)
            .subquery()
        )
        duplicates = session.scalar(select(sa.func.count()).select_from(pairs))
        from health_responder.stock.services import ledger_mismatches

        return {"half_handled": half, "duplicates": duplicates, "ledger_mismatches": ledger_mismatches()}


def _allocations(app) -> list[tuple]:
    with app.app_context(), db.read_session() as session:
        return sorted(
            session.execute(
                select(Allocation.line_id, Allocation.lot_id, Allocation.quantity, Allocation.rationale)
            ).all()
        )


def _running_run(app, seen: set[int]) -> int | None:
    with app.app_context(), db.read_session() as session:
        return session.scalar(
            select(JobRun.id).where(
                JobRun.name == "auto_allocate", JobRun.outcome == "running", JobRun.id.not_in(seen or {0})
            )
        )


def _wait_for_lease_to_lapse(app) -> None:
    with app.app_context(), db.read_session() as session:
        lease = session.scalar(select(sa.func.max(JobRun.lease_until)).where(JobRun.outcome == "running"))
    if lease is not None:
        time.sleep(max(0.0, (lease - utcnow()).total_seconds()) + 0.05)


@pytest.mark.slow
@pytest.mark.both_databases
def test_auto_allocate_killed_at_random_points_leaves_nothing_half_done(
    app, database_url, backend, tmp_path, rng
):
    _bulk_dataset(app)
    reference = None
    if backend == "sqlite":  # the same data, to be allocated by one uninterrupted run at the end
        reference = tmp_path / "reference.sqlite"
        with (
            sqlite3.connect(database_url.removeprefix("sqlite:///")) as source,
            sqlite3.connect(reference) as copy,
        ):
            source.backup(copy)
    fork = multiprocessing.get_context("fork")
    kills, seen, finished_first = 0, set(), set()
    deadline = time.time() + 20
    while kills < KILLS and time.time() < deadline:
        process = fork.Process(target=_runner, args=(database_url, str(tmp_path)))
        process.start()
        run_id = None
        while run_id is None and process.is_alive():
            run_id = _running_run(app, seen)
            time.sleep(0.02)
        if run_id is None:  # busy (lock not yet dropped) or already finished: try again
            process.join()
            continue
        seen.add(run_id)
        time.sleep(rng.uniform(0.05, 0.4))
        process.kill()
        process.join()
        kills += 1
        with app.app_context(), db.read_session() as session:
            if session.scalar(select(JobRun.outcome).where(JobRun.id == run_id)) == "succeeded":
                finished_first.add(run_id)  # the run beat the kill on a fast machine: not a mid-run kill
        assert _invariants(app) == {"half_handled": 0, "duplicates": 0, "ledger_mismatches": []}
        if backend == "sqlite":
            _wait_for_lease_to_lapse(app)
    assert kills == KILLS

    _wait_for_lease_to_lapse(app)
    with app.app_context():
        app.config["JOB_LEASE_SECONDS"] = 60
        clean = scheduler.run_job("auto_allocate", scheduled_for=utcnow(), trigger="cli")
        again = scheduler.run_job("auto_allocate", scheduled_for=utcnow(), trigger="cli")

    assert clean.outcome == "succeeded" and again.counts["allocations"] == 0
    assert _invariants(app) == {"half_handled": 0, "duplicates": 0, "ledger_mismatches": []}
    with app.app_context(), db.read_session() as session:
        outcomes = dict(session.execute(select(JobRun.id, JobRun.outcome).where(JobRun.id.in_(seen))).all())
    assert sorted(outcomes) == sorted(seen)
    assert {outcomes[r] for r in seen - finished_first} == {"abandoned"}
    assert {outcomes[r] for r in finished_first} <= {"succeeded"}
    assert len(seen - finished_first) >= 3, "too few kills landed while a run was working"
    allocated = _allocations(app)
    assert allocated
    if reference is not None:
        uninterrupted = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "x",
                "DATABASE_URL": f"sqlite:///{reference}",
                "REPORTS_DIR": str(tmp_path),
                "LOG_JSON": False,
            }
        )
        with uninterrupted.app_context():
            scheduler.run_job("auto_allocate", scheduled_for=utcnow(), trigger="cli")
        assert _allocations(uninterrupted) == allocated
        with uninterrupted.app_context():
            db.engine.dispose()
