"""The allocation checks. auto_allocate: the queue served in batches, each batch planned and reserved in
one transaction. near_expiry: lots expiring soon, with the open requests anywhere they could serve
first (rules.py's facts, the same the coordinator's redistribution from the alert uses), and lots
already expired.

Killed at any moment, an auto_allocate run leaves every request either fully handled (its batch
committed) or untouched (its batch rolled back), and the next run carries on from what the database
says, without duplicates.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.allocation import bulk, notices, queries, rules
from health_responder.allocation.planner import PlannedAllocation, Queue, load_queue, plan_request
from health_responder.audit.actor import Actor
from health_responder.checks import services as alerts
from health_responder.extensions import db
from health_responder.reference.models import Item
from health_responder.scheduler.models import JobRun, RunOutcome
from health_responder.scheduler.registry import job
from health_responder.scheduler.runner import keep_alive, stopping
from health_responder.stock.models import LotStatus, StockLot

#: Planned allocations a dry run returns at most (the counts are always complete).
DRY_RUN_PLAN_LIMIT = 1000


@dataclass
class _Tally:
    requests_seen: int = 0
    requests_served: int = 0
    requests_complete: int = 0
    requests_skipped: int = 0
    lines_seen: int = 0
    lines_allocated: int = 0
    lines_short: int = 0
    allocations: int = 0
    units: int = 0
    conflicts: int = 0
    lost_races: int = 0
    transactions: int = 0
    notifications: int = 0
    stopped_early: bool = False
    planned: list[dict] = field(default_factory=list)
    seconds_last_batch: float = 0.0

    def counts(self, dry_run: bool) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k not in ("planned", "seconds_last_batch")}
        if dry_run:
            out["planned"] = self.planned[:DRY_RUN_PLAN_LIMIT]
            out["planned_truncated"] = len(self.planned) > DRY_RUN_PLAN_LIMIT
        return out


def _count(tally: _Tally, needs: dict[int, int], made: list[PlannedAllocation]) -> None:
    """Count one handled request from what it got."""
    got: dict[int, int] = defaultdict(int)
    for allocation in made:
        got[allocation.line_id] += allocation.quantity
    tally.lines_seen += len(needs)
    tally.lines_allocated += sum(1 for line_id in needs if got[line_id] > 0)
    short = sum(1 for line_id, needed in needs.items() if got[line_id] < needed)
    tally.lines_short += short
    tally.allocations += len(made)
    tally.units += sum(a.quantity for a in made)
    tally.requests_served += bool(made)
    tally.requests_complete += bool(made) and not short


def _allocate_batch(batch: list[tuple], queue: Queue, *, actor: Actor, dry_run: bool, tally: _Tally) -> None:
    """Plan a batch of requests (their lines as they are now, locked) and reserve it, in the caller's transaction."""
    items = {item_id for _request, item_ids in batch for item_id in item_ids}
    snapshot = bulk.allocation_snapshot(request_ids=[row[0] for row in batch], lock=not dry_run)
    plans, needs = [], {}
    for request_id, item_ids in batch:
        request = snapshot.requests.get(request_id)
        if request is None or request[3] not in rules.SERVED_STATUSES:
            tally.requests_skipped += 1
            tally.lines_seen += len(item_ids)
            continue
        plan, needs[request_id] = plan_request(request, snapshot.lines.get(request_id, []), queue)
        plans.append(plan)
    if dry_run:
        _tally_plans(plans, needs, tally)
    else:
        outcome = bulk.reserve_lines_bulk(plans=plans, actor=actor, snapshot=snapshot)
        _tally_outcome(outcome, plans, needs, items, queue, tally)
    for item_id in items:
        queue.recount(item_id)


def _tally_plans(plans: list, needs: dict, tally: _Tally) -> None:
    """A dry run: what would be reserved, counted as if it had been."""
    for plan in plans:
        for a in plan.allocations:
            tally.planned.append(
                {
                    "request_id": plan.request_id,
                    "line_id": a.line_id,
                    "lot_id": a.lot_id,
                    "provider_id": a.provider_id,
                    "quantity": a.quantity,
                    "rationale": a.rationale,
                }
            )
        _count(tally, needs[plan.request_id], plan.allocations)


def _tally_outcome(outcome, plans: list, needs: dict, items: set[int], queue: Queue, tally: _Tally) -> None:
    """Count what was reserved; give the queue back the units of requests undone, empty the lots of races lost."""
    made: dict[int, list[PlannedAllocation]] = defaultdict(list)
    for _ident, request_id, allocation in outcome.made:
        made[request_id].append(allocation)
    undone = set(outcome.undone)
    lots = (
        {lot.id: lot for item_id in items for lot in queue.lots.get(item_id, [])}
        if undone or outcome.lost
        else {}
    )
    for plan in plans:
        if plan.request_id in undone:
            # Someone changed the request or its lines meanwhile: it is untouched; the next run serves it again.
            tally.conflicts += 1
            for a in plan.allocations:
                if a.lot_id in lots:
                    lots[a.lot_id].left += a.quantity
            continue
        _count(tally, needs[plan.request_id], made[plan.request_id])
    for _request_id, allocation in outcome.lost:  # a race lost: the lot is taken as empty until the next run
        tally.lost_races += 1
        if allocation.lot_id in lots:
            lots[allocation.lot_id].left = 0


def _runs_to_announce(run: JobRun) -> list[int]:
    """This run, and the earlier runs since the last one that finished, which died before telling the providers."""
    last_finished = (
        select(sa.func.coalesce(sa.func.max(JobRun.id), 0))
        .where(
            JobRun.name == run.name,
            JobRun.dry_run.is_(False),
            JobRun.outcome == RunOutcome.SUCCEEDED,
            JobRun.id < run.id,
        )
        .scalar_subquery()
    )
    unfinished = db.session.scalars(
        select(JobRun.id)
        .where(
            JobRun.name == run.name,
            JobRun.dry_run.is_(False),
            JobRun.id < run.id,
            JobRun.id > last_finished,
            JobRun.outcome.in_([RunOutcome.ABANDONED, RunOutcome.FAILED]),
        )
        .order_by(JobRun.id)
    ).all()
    return [*unfinished, run.id]


def _batch_limits() -> tuple[int, float]:
    config = current_app.config
    return (
        max(1, int(config.get("AUTO_ALLOCATE_BATCH_REQUESTS", 500))),
        float(config.get("AUTO_ALLOCATE_BATCH_SECONDS", 0.5)),
    )


_ASYNC_COMMIT = sa.text("SET LOCAL synchronous_commit = off")


def _run_batch(
    batch: list[tuple], queue: Queue, *, run: JobRun, actor: Actor, dry_run: bool, tally: _Tally
) -> bool:
    """One batch in its own transaction; False when the process is stopping (the batch is then not started)."""
    if stopping():
        tally.stopped_early = True
        return False
    if not dry_run:
        keep_alive(run)
    started = time.monotonic()
    with db.read_session() if dry_run else db.write_session():
        if not dry_run and db.dialect == "postgresql":
            # A batch's commit does not wait for its WAL to reach the disk (2-3 ms a batch here): a crash
            # of the server may then lose the last batches, whole (each stays atomic), which is what a
            # killed run leaves anyway: their requests are served again by the next run. Nothing is
            # reported before a commit that does wait: the run's last transaction (its notifications)
            # and the runner's finish flush every batch before them.
            db.session.execute(_ASYNC_COMMIT)
        _allocate_batch(batch, queue, actor=actor, dry_run=dry_run, tally=tally)
    tally.transactions += 1
    tally.seconds_last_batch = time.monotonic() - started
    return True


def _serve_queue(queue: Queue, *, run: JobRun, dry_run: bool, tally: _Tally) -> None:
    """Take the requests in serving order, in batches of those with something usable left.

    One pass over the queue's lines (grouped by request, in serving order): a request joins the batch
    when one of its items has a lot expiring on or after its needed-by; the others are passed over
    without a transaction.
    """
    actor = Actor.job("auto_allocate", run.id)
    batch_size, batch_seconds = _batch_limits()
    latest, never = queue.latest, queue.stored(date.min)
    batch: list[tuple[int, list[int]]] = []
    current, items, usable = None, [], False
    for request_id, needed_by, item_id in itertools.chain(queue.lines, ((None, None, None),)):
        if request_id == current and request_id is not None:
            items.append(item_id)
            usable = usable or latest.get(item_id, never) >= needed_by
            continue
        if current is not None:  # the previous request is complete
            tally.requests_seen += 1
            if usable:
                batch.append((current, items))
            else:  # nothing usable left for any of its items
                tally.lines_seen += len(items)
                tally.lines_short += len(items)
            if len(batch) >= batch_size:
                if not _run_batch(batch, queue, run=run, actor=actor, dry_run=dry_run, tally=tally):
                    return
                if tally.seconds_last_batch > batch_seconds:
                    batch_size = max(1, batch_size // 2)
                batch = []
        if request_id is None:  # the end
            break
        current, items = request_id, [item_id]
        usable = latest.get(item_id, never) >= needed_by
    if batch:
        _run_batch(batch, queue, run=run, actor=actor, dry_run=dry_run, tally=tally)


#: Runs (of any thread of this process) that have the cyclic garbage collector paused, and its state before
_paused = {"runs": 0, "was_enabled": True}
_paused_lock = threading.Lock()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the run works; what it left behind is collected afterwards.

    The run allocates a hundred thousand row tuples in its read and thousands of objects a batch, none of
    them in a cycle that outlives the run, yet those allocations set off the collector's passes, and
    now and then a full pass over the whole heap (the application included): 0.1-0.2 s at 100k lines,
    a third of the run, in about half the runs. Freezing the heap instead (gc.freeze) kept the passes
    cheap during the run but left the full pass owed to whatever ran next in the process. Paused, the
    collector finds the same heap after the run as before it, plus the run's few survivors, and its
    first young pass takes the run's cyclic garbage (its sessions and transactions: kilobytes a batch).
    Counted, so that runs in several scheduler threads at once resume the collector only when the last
    one ends.
    """
    with _paused_lock:
        if _paused["runs"] == 0:
            _paused["was_enabled"] = gc.isenabled()
            gc.disable()
        _paused["runs"] += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused["runs"] -= 1
            if _paused["runs"] == 0 and _paused["was_enabled"]:
                gc.enable()


@job("auto_allocate")
def auto_allocate(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Allocate approved requests to usable stock: priority, needed-by, submission; FEFO; the city's network first.

    One read gives the queue (every open line, in serving order) and the free stock; the plan is made
    in memory from it. Requests are taken in serving order, in batches of at most
    AUTO_ALLOCATE_BATCH_REQUESTS that have something usable left (halved while a batch takes longer
    than AUTO_ALLOCATE_BATCH_SECONDS). Each batch is one transaction: it locks its requests and re-reads
    their open lines, plans them, and reserves them with bulk.reserve_lines_bulk,
    a few statements for the whole batch; a lot someone took meanwhile is skipped, a request someone
    changed meanwhile is left untouched. A kill leaves every request either fully handled (its batch
    committed) or untouched (its batch rolled back), and the next run carries on from the database
    without duplicates. At the end each provider hears once what this run (and any earlier run that
    died before saying so) reserved of its stock.
    """
    tally = _Tally()
    with _collector_paused():
        with db.read_session():
            queue = load_queue()
        with db.deferred_checkpoints():
            _serve_queue(queue, run=run, dry_run=dry_run, tally=tally)
        del queue  # freed by reference counting
        if not dry_run:
            with db.write_session():
                for run_id in _runs_to_announce(run):
                    tally.notifications += notices.notify_providers_of_run(job_run_id=run_id)
                    tally.notifications += notices.notify_cities_of_run(job_run_id=run_id)
    if dry_run:
        with db.read_session():
            _name_planned(tally.planned[:DRY_RUN_PLAN_LIMIT])
    return tally.counts(dry_run)


def _name_planned(planned: list[dict]) -> None:
    """Give each planned allocation the words a person reads: the request's reference, the item's code,
    the lot's code and the provider's name (the ids stay, for scripts).
    """
    from health_responder.health_requests.models import AssistanceRequest, RequestLine
    from health_responder.providers.models import Provider

    def pairs(statement) -> dict:
        return dict(db.session.execute(statement).all()) if planned else {}

    requests = pairs(
        select(AssistanceRequest.id, AssistanceRequest.reference).where(
            AssistanceRequest.id.in_({p["request_id"] for p in planned})
        )
    )
    items = pairs(
        select(RequestLine.id, Item.code)
        .join(Item, Item.id == RequestLine.item_id)
        .where(RequestLine.id.in_({p["line_id"] for p in planned}))
    )
    lots = pairs(
        select(StockLot.id, StockLot.lot_code).where(StockLot.id.in_({p["lot_id"] for p in planned}))
    )
    providers = pairs(
        select(Provider.id, Provider.name).where(Provider.id.in_({p["provider_id"] for p in planned}))
    )
    for entry in planned:
        entry["request"] = requests.get(entry["request_id"], "")
        entry["item"] = items.get(entry["line_id"], "")
        entry["lot"] = lots.get(entry["lot_id"], "")
        entry["provider"] = providers.get(entry["provider_id"], "")


# --- near_expiry ----------------------------------------------------------------------------------

#: Requests a near-expiry alert names at most (its message counts them all).
ALERT_SUGGESTIONS = 5


@job("near_expiry")
def near_expiry(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Alert on available lots expiring within NEAR_EXPIRY_DAYS (with the open requests anywhere that could
    use them first), and on lots already expired that still hold stock.

    The alert goes to the lot's provider: it counts every line the lot could serve and names only the
    requests that provider may see (those it holds an allocation for). Coordinators see them all, and
    allocate in one click, on the alert's redistribution page.
    """
    today = now.astimezone(UTC).date()  # UTC decides "today" for every reader (db.utc_today)
    horizon = today + timedelta(days=int(current_app.config["NEAR_EXPIRY_DAYS"]))
    found = []
    with db.read_session():
        lots = db.session.scalars(
            select(StockLot)
            .where(
                StockLot.status == LotStatus.AVAILABLE,
                StockLot.on_hand > StockLot.reserved,
                StockLot.expires_on.is_not(None),
                StockLot.expires_on >= today,
                StockLot.expires_on <= horizon,
            )
            .order_by(StockLot.expires_on, StockLot.id)
        ).all()
        codes = dict(db.session.execute(select(Item.id, Item.code)).all())
        for lot in lots:
            days = (lot.expires_on - today).days
            serve = queries.lines_lot_can_serve(lot=lot, provider_id=lot.provider_id, limit=ALERT_SUGGESTIONS)
            suggestions = [
                {
                    "request_id": c["request_id"],
                    "reference": c["reference"],
                    "city_id": c["city_id"],
                    "city": c["city"],
                    "priority": c["priority"],
                    "needed_by": c["needed_by"].isoformat(),
                    "line_id": c["line_id"],
                    "still_needed": c["still_needed"],
                }
                for c in serve["candidates"]
            ]
            wanting = serve["total"]
            if suggestions:
                hint = _l(
                    " %(n)s open request line(s) could use it first, e.g. %(reference)s.",
                    n=wanting,
                    reference=suggestions[0]["reference"],
                )
            elif wanting:
                hint = _l(
                    " %(n)s open request line(s) could use it first: the coordinators can allocate it.",
                    n=wanting,
                )
            else:
                hint = _l(" No open request for this item can use it before then.")
            found.append(
                {
                    "dedup_key": f"near_expiry:lot={lot.id}",
                    "message": _l(
                        "Lot %(lot)s (%(item)s) expires %(date)s (in %(days)s days) with %(available)s "
                        "available.%(hint)s",
                        lot=lot.lot_code,
                        item=codes.get(lot.item_id),
                        date=lot.expires_on.isoformat(),
                        days=days,
                        available=lot.available,
                        hint=hint,
                    ),
                    "severity": "critical" if days <= 7 else "warning",
                    "details": {
                        "lot_id": lot.id,
                        "item_id": lot.item_id,
                        "expires_on": lot.expires_on.isoformat(),
                        "available": lot.available,
                        "days_left": days,
                        "could_serve": wanting,
                        "suggested_requests": suggestions,
                    },
                    "subject": ("stock_lot", lot.id),
                    "provider_id": lot.provider_id,
                    # The lot's own card (the alerts table offers who could use it first).
                    "link": f"/stock/lots/{lot.id}",
                }
            )
        # Lots past their date that still hold stock: nobody can allocate them, someone must write them off.
        expired = db.session.scalars(
            select(StockLot)
            .where(
                StockLot.status != LotStatus.RECALLED,
                StockLot.on_hand > 0,
                StockLot.expires_on.is_not(None),
                StockLot.expires_on < today,
            )
            .order_by(StockLot.expires_on, StockLot.id)
        ).all()
        for lot in expired:
            found.append(
                {
                    "dedup_key": f"expired:lot={lot.id}",
                    "message": _l(
                        "Lot %(lot)s (%(item)s) expired on %(date)s and still holds %(on_hand)s on hand "
                        "(%(reserved)s reserved): write it off with an 'expired' adjustment.",
                        lot=lot.lot_code,
                        item=codes.get(lot.item_id),
                        date=lot.expires_on.isoformat(),
                        on_hand=lot.on_hand,
                        reserved=lot.reserved,
                    ),
                    "severity": "critical",
                    "details": {
                        "lot_id": lot.id,
                        "item_id": lot.item_id,
                        "expires_on": lot.expires_on.isoformat(),
                        "on_hand": lot.on_hand,
                        "reserved": lot.reserved,
                        "expired": True,
                    },
                    "subject": ("stock_lot", lot.id),
                    "provider_id": lot.provider_id,
                    "link": f"/stock/lots/{lot.id}",
                }
            )
    return alerts.sync_alerts(kind="near_expiry", found=found, run=run, dry_run=dry_run)
