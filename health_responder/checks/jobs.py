"""The scheduled checks: auto-allocation and the watchers that raise alerts.

Each check is a small function registered with ``@job`` and called by ``scheduler.run_job`` with the
run it belongs to. Each does its work in short transactions that are safe to repeat: killed at any
moment, a check leaves every request (or alert) either fully handled or untouched, and the next run
carries on from what the database says, without duplicates.
"""

from __future__ import annotations

import gc
import importlib
import itertools
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlmodel import select

from health_responder.checks import services as alerts
from health_responder.checks.models import JobRun, RunOutcome
from health_responder.extensions import db
from health_responder.health_requests.models import (
    Allocation,
    AllocationStatus,
    AssistanceRequest,
    RequestLine,
    RequestStatus,
)
from health_responder.health_requests.services import (
    LotStock,
    PlannedAllocation,
    RequestPlan,
    allocation_snapshot,
    fefo_key,
    notify_providers_of_run,
    plan_line,
    reserve_lines_bulk,
)
from health_responder.providers.models import Provider, ProviderNetwork
from health_responder.reference.models import City, Item, Network
from health_responder.scheduler import job, keep_alive, stopping
from health_responder.stock.models import LotStatus, StockLot
from health_responder.stock.services import Actor

#: Requests auto-allocation serves (an allocated or dispatching request has nothing left to reserve
#: unless people changed it; they allocate by hand then).
ALLOCATING = (RequestStatus.APPROVED, RequestStatus.PARTIALLY_ALLOCATED)
#: Requests that are open and not yet dispatched: they can be overdue.
NOT_DISPATCHED = (
    RequestStatus.SUBMITTED,
    RequestStatus.APPROVED,
    RequestStatus.PARTIALLY_ALLOCATED,
    RequestStatus.ALLOCATED,
    RequestStatus.PARTIALLY_DISPATCHED,
)
#: Approved requests of which nothing has shipped yet: the dispatch service level runs for them.
NOTHING_SHIPPED = (RequestStatus.APPROVED, RequestStatus.PARTIALLY_ALLOCATED, RequestStatus.ALLOCATED)
#: Planned allocations a dry run returns at most (the counts are always complete).
DRY_RUN_PLAN_LIMIT = 1000


def _feature(module: str):
    """``health_responder.<module>`` when that feature is installed, else None."""
    name = f"health_responder.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and name.startswith(error.name):
            return None
        raise


# --- auto_allocate ---------------------------------------------------------------------------------


@dataclass
class _Queue:
    """What a run knows from its one read: the open lines in serving order and the free stock.

    The lots are the planner's running picture: it takes from ``left`` as it plans. Someone else may
    reserve or quarantine a lot meanwhile: the conditional UPDATE of reserve_lines_bulk then skips that
    lot (a race lost), and the picture takes it as empty until the next run. ``latest`` decides cheaply
    which requests are worth a batch at all.
    """

    #: (request id, needed_by as the driver gives it, item id) of every open line, in serving order
    lines: list[tuple]
    #: a date -> as the driver gives dates (None when it gives date objects). The queue compares dates
    #: in that form: SQLite's are ISO strings ("2026-11-26"), which sort as the dates do, so the tens
    #: of thousands of requests passed over are never converted.
    as_stored: Callable | None
    #: item id -> available lots with units left, FEFO order
    lots: dict[int, list[LotStock]]
    #: item id -> the latest expiry among its lots with units left (date.max: one never expires), as stored
    latest: dict[int, date | str]
    network_of_city: dict[int, int]
    serving: dict[int, set[int]]  # network id -> providers serving it
    provider_names: dict[int, str]
    network_codes: dict[int, str]

    def recount(self, item_id: int) -> None:
        left = [lot.expires_on or date.max for lot in self.lots.get(item_id, ()) if lot.left > 0]
        if left:
            self.latest[item_id] = self.stored(max(left))
        else:
            self.latest.pop(item_id, None)

    def stored(self, day: date) -> date | str:
        return self.as_stored(day) if self.as_stored is not None else day


def _load_queue() -> _Queue:
    """The one read a run plans from: the open lines in serving order, and the free lots."""
    requests, lines = AssistanceRequest.__table__, RequestLine.__table__
    connection = db.session.connection()
    dialect = connection.dialect
    queue_order = (
        requests.c.priority_rank,
        requests.c.needed_by,
        sa.func.coalesce(requests.c.submitted_at, requests.c.created_at),
        requests.c.id,
    )
    open_lines = (
        select(requests.c.id, requests.c.needed_by, lines.c.item_id)
        .select_from(requests.join(lines, lines.c.request_id == requests.c.id))
        .where(requests.c.status.in_(ALLOCATING), lines.c.quantity_allocated < lines.c.quantity)
        .order_by(*queue_order)
    )
    # The run's one big read (every open line: the I/O floor's own read) goes to the driver's cursor as
    # plain SQL: SQLAlchemy's per-row result objects would cost more than the query. Only needed_by
    # needs converting, once per request, with the Date type's own result processor.
    cursor = connection.connection.cursor()
    try:
        cursor.execute(str(open_lines.compile(dialect=dialect, compile_kwargs={"literal_binds": True})))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    lots: dict[int, list[LotStock]] = defaultdict(list)
    for lot_id, provider_id, item_id, code, expires_on, left in connection.execute(
        select(
            StockLot.id,
            StockLot.provider_id,
            StockLot.item_id,
            StockLot.lot_code,
            StockLot.expires_on,
            StockLot.on_hand - StockLot.reserved,
        ).where(StockLot.status == LotStatus.AVAILABLE, StockLot.on_hand > StockLot.reserved)
    ):
        lots[item_id].append(LotStock(lot_id, provider_id, item_id, code, expires_on, int(left)))
    serving: dict[int, set[int]] = defaultdict(set)
    for provider_id, network_id in connection.execute(
        select(ProviderNetwork.provider_id, ProviderNetwork.network_id)
    ):
        serving[network_id].add(provider_id)
    queue = _Queue(
        lines=rows,
        as_stored=sa.Date().dialect_impl(dialect).bind_processor(dialect),
        lots={},
        latest={},
        network_of_city=dict(connection.execute(select(City.id, City.network_id)).all()),
        serving=serving,
        provider_names=dict(connection.execute(select(Provider.id, Provider.name)).all()),
        network_codes=dict(connection.execute(select(Network.id, Network.code)).all()),
    )
    for item_id, item_lots in lots.items():
        queue.lots[item_id] = sorted(item_lots, key=fefo_key)
        queue.recount(item_id)
    return queue


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


def _rationale(
    *,
    request,
    city_network: str | None,
    preferred: bool,
    provider: str,
    lot: LotStock,
    quantity: int,
    needed: int,
    shortfall: int,
    rank: int,
) -> str:
    """Why this lot, this provider, this quantity: the sentence stored on the allocation."""
    _id, reference, _city, priority, needed_by = request
    who = (
        f"{provider} serves the city's network ({city_network}), so its stock is preferred"
        if preferred
        else f"{provider} does not serve the city's network ({city_network or 'none'}); "
        "no preferred provider had usable stock left"
    )
    if lot.expires_on is None:
        when = "the lot does not expire"
    else:
        when = (
            f"it expires {lot.expires_on.isoformat()}, on or after the needed-by date {needed_by.isoformat()}"
        )
    fefo = (
        "the earliest-expiring usable lot (FEFO)"
        if rank == 0
        else f"the next usable lot in first-expiry-first-out order (FEFO, choice {rank + 1})"
    )
    text = (
        f"Priority {priority} request {reference or ''}, needed by {needed_by.isoformat()}: "
        f"lot {lot.lot_code}, {fefo}; {when}. {who}. Reserved {quantity} of the {needed} still needed"
    )
    if shortfall:
        text += f"; partial: usable stock is short by {shortfall}, the rest waits for new stock"
    return text + "."


def _plan_request(request, lines: list, queue: _Queue) -> tuple[RequestPlan, dict[int, int]]:
    """The request's allocations, line by line in id order, from the queue's lots; and what each line still needed."""
    request_id, reference, city_id, _status, priority, needed_by = request
    network_id = queue.network_of_city.get(city_id)
    preferred = queue.serving.get(network_id, set())
    network = queue.network_codes.get(network_id)
    plan = RequestPlan(request_id=request_id, needed_by=needed_by, allocations=[])
    needs: dict[int, int] = {}
    for _request, line_id, item_id, quantity, allocated in lines:
        needed = quantity - allocated
        needs[line_id] = needed
        choices, shortfall = plan_line(
            needed=needed, needed_by=needed_by, lots=queue.lots.get(item_id, ()), preferred=preferred
        )
        for rank, (lot, take, is_preferred) in enumerate(choices):
            rationale = _rationale(
                request=(request_id, reference, city_id, priority, needed_by),
                city_network=network,
                preferred=is_preferred,
                lot=lot,
                quantity=take,
                needed=needed,
                shortfall=shortfall,
                provider=queue.provider_names.get(lot.provider_id, f"provider {lot.provider_id}"),
                rank=rank,
            )
            plan.allocations.append(
                PlannedAllocation(
                    line_id=line_id,
                    item_id=item_id,
                    lot_id=lot.id,
                    provider_id=lot.provider_id,
                    quantity=take,
                    rationale=rationale,
                )
            )
    return plan, needs


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


def _allocate_batch(batch: list[tuple], queue: _Queue, *, actor: Actor, dry_run: bool, tally: _Tally) -> None:
    """Plan a batch of requests (their lines as they are now, locked) and reserve it, in the caller's transaction."""
    items = {item_id for _request, item_ids in batch for item_id in item_ids}
    snapshot = allocation_snapshot(request_ids=[row[0] for row in batch], lock=not dry_run)
    plans, needs = [], {}
    for request_id, item_ids in batch:
        request = snapshot.requests.get(request_id)
        if request is None or request[3] not in ALLOCATING:
            tally.requests_skipped += 1
            tally.lines_seen += len(item_ids)
            continue
        plan, needs[request_id] = _plan_request(request, snapshot.lines.get(request_id, []), queue)
        plans.append(plan)
    if dry_run:
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
        for item_id in items:
            queue.recount(item_id)
        return
    outcome = reserve_lines_bulk(plans=plans, actor=actor, snapshot=snapshot)
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
    for item_id in items:
        queue.recount(item_id)


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


def _run_batch(
    batch: list[tuple], queue: _Queue, *, run: JobRun, actor: Actor, dry_run: bool, tally: _Tally
) -> bool:
    """One batch in its own transaction; False when the process is stopping (the batch is then not started)."""
    if stopping():
        tally.stopped_early = True
        return False
    if not dry_run:
        keep_alive(run)
    started = time.monotonic()
    with db.read_session() if dry_run else db.write_session():
        _allocate_batch(batch, queue, actor=actor, dry_run=dry_run, tally=tally)
    tally.transactions += 1
    tally.seconds_last_batch = time.monotonic() - started
    return True


def _serve_queue(queue: _Queue, *, run: JobRun, dry_run: bool, tally: _Tally) -> None:
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


@job("auto_allocate")
def auto_allocate(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Allocate approved requests to usable stock: priority, needed-by, submission; FEFO; the city's network first.

    One read gives the queue (every open line, in serving order) and the free stock; the plan is made
    in memory from it. Requests are taken in serving order, in batches of at most
    AUTO_ALLOCATE_BATCH_REQUESTS that have something usable left (halved while a batch takes longer
    than AUTO_ALLOCATE_BATCH_SECONDS). Each batch is one transaction: it locks its requests and re-reads
    their open lines, plans them, and reserves them with health_requests.services.reserve_lines_bulk,
    a few statements for the whole batch; a lot someone took meanwhile is skipped, a request someone
    changed meanwhile is left untouched. A kill leaves every request either fully handled (its batch
    committed) or untouched (its batch rolled back), and the next run carries on from the database
    without duplicates. At the end each provider hears once what this run (and any earlier run that
    died before saying so) reserved of its stock.
    """
    tally = _Tally()
    with db.read_session():
        queue = _load_queue()
    # While the run works, the objects that exist before it (the queue, and the application itself)
    # are frozen: the garbage collector stops walking them on every full pass, which otherwise costs
    # about a tenth of a large run. They are handed back to it when the run is done.
    gc.freeze()
    try:
        with db.deferred_checkpoints():
            _serve_queue(queue, run=run, dry_run=dry_run, tally=tally)
        del queue  # freed by reference counting
        if not dry_run:
            with db.write_session():
                for run_id in _runs_to_announce(run):
                    tally.notifications += notify_providers_of_run(job_run_id=run_id)
    finally:
        gc.unfreeze()
    return tally.counts(dry_run)


# --- alerts ------------------------------------------------------------------------------------------


def _sla_hours(name: str) -> dict[str, float]:
    """A per-priority service level from the configuration (REQUEST_APPROVAL_SLA_HOURS, REQUEST_DISPATCH_SLA_HOURS)."""
    return dict(current_app.config.get(name) or {})


def _sync_alerts(kind: str, found: list[dict], run: JobRun, dry_run: bool) -> dict:
    """Raise each found condition (one short transaction each) and resolve the ones that ended."""
    counts = {"open": len(found), "raised": 0, "resolved": 0}
    if dry_run:
        counts["would_raise"] = [f["dedup_key"] for f in found][:DRY_RUN_PLAN_LIMIT]
        return counts
    for condition in found:
        with db.write_session():
            _alert, new = alerts.raise_alert(kind=kind, run=run, **condition)
        counts["raised"] += new
    with db.write_session():
        counts["resolved"] = alerts.resolve_missing(
            kind=kind, still_open_keys=[f["dedup_key"] for f in found], run=run
        )
    return counts


@job("overdue_requests")
def overdue_requests(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Alert on requests past their needed-by and not dispatched, or past a service level of their priority.

    Two service levels: from submission to approval (REQUEST_APPROVAL_SLA_HOURS), and from approval to
    the first shipment (REQUEST_DISPATCH_SLA_HOURS) while nothing of the request has shipped.
    """
    today = now.date()
    sla, dispatch_sla = _sla_hours("REQUEST_APPROVAL_SLA_HOURS"), _sla_hours("REQUEST_DISPATCH_SLA_HOURS")
    found = []
    with db.read_session():
        rows = db.session.execute(
            select(
                AssistanceRequest.id,
                AssistanceRequest.reference,
                AssistanceRequest.city_id,
                AssistanceRequest.priority,
                AssistanceRequest.status,
                AssistanceRequest.needed_by,
                AssistanceRequest.submitted_at,
                AssistanceRequest.approved_at,
            )
            .where(AssistanceRequest.status.in_(NOT_DISPATCHED))
            .order_by(AssistanceRequest.id)
        ).all()
    for request_id, reference, city_id, priority, status, needed_by, submitted_at, approved_at in rows:
        severity = "critical" if priority in ("critical", "high") else "warning"
        common = {
            "subject": ("assistance_request", request_id),
            "city_id": city_id,
            "severity": severity,
            "link": f"/requests/{request_id}",
        }
        if needed_by < today:
            late = (today - needed_by).days
            found.append(
                common
                | {
                    "dedup_key": f"overdue_request:request={request_id}:needed_by",
                    "message": f"Request {reference} was needed by {needed_by.isoformat()} and is still {status} "
                    f"({late} day{'s' if late != 1 else ''} late).",
                    "details": {
                        "reason": "needed_by",
                        "request_id": request_id,
                        "needed_by": needed_by.isoformat(),
                        "status": status,
                        "days_late": late,
                    },
                }
            )
        for stage, limit, since, running in (
            ("approval", sla.get(priority), submitted_at, status == RequestStatus.SUBMITTED),
            ("dispatch", dispatch_sla.get(priority), approved_at, status in NOTHING_SHIPPED),
        ):
            if not running or limit is None or since is None or now - since <= timedelta(hours=limit):
                continue
            hours = (now - since).total_seconds() / 3600
            what = (
                f"has waited {hours:.0f} h for approval"
                if stage == "approval"
                else f"was approved {hours:.0f} h ago and nothing of it has shipped"
            )
            found.append(
                common
                | {
                    "dedup_key": f"overdue_request:request={request_id}:{stage}",
                    "message": f"The {priority} request {reference} {what}; its service level is {limit:g} h.",
                    "details": {
                        "reason": f"{stage}_sla",
                        "request_id": request_id,
                        "priority": priority,
                        "status": status,
                        "sla_hours": limit,
                        "waited_hours": round(hours, 1),
                    },
                }
            )
    return _sync_alerts("overdue_request", found, run, dry_run)


def _usable_today(today: date):
    return sa.and_(
        StockLot.status == LotStatus.AVAILABLE,
        sa.or_(StockLot.expires_on.is_(None), StockLot.expires_on >= today),
    )


@job("low_stock")
def low_stock(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Alert a provider and the staff when its available units of an item fall to LOW_STOCK_THRESHOLD or below."""
    threshold = int(current_app.config["LOW_STOCK_THRESHOLD"])
    usable = sa.case((_usable_today(now.date()), StockLot.on_hand - StockLot.reserved), else_=0)
    with db.read_session():
        rows = db.session.execute(
            select(StockLot.provider_id, StockLot.item_id, sa.func.sum(usable), Item.code, Provider.name)
            .join(Item, Item.id == StockLot.item_id)
            .join(Provider, Provider.id == StockLot.provider_id)
            .where(Item.active.is_(True))
            .group_by(StockLot.provider_id, StockLot.item_id, Item.code, Provider.name)
            .having(sa.func.sum(usable) <= threshold)
            .order_by(StockLot.provider_id, StockLot.item_id)
        ).all()
    found = [
        {
            "dedup_key": f"low_stock:provider={provider_id}:item={item_id}",
            "message": f"{provider} has {int(left or 0)} {code} available (threshold {threshold}).",
            "severity": "critical" if not left else "warning",
            "details": {
                "provider_id": provider_id,
                "item_id": item_id,
                "item_code": code,
                "available": int(left or 0),
                "threshold": threshold,
            },
            "subject": ("item", item_id),
            "provider_id": provider_id,
            "link": f"/stock?item_id={item_id}",
        }
        for provider_id, item_id, left, code, provider in rows
    ]
    return _sync_alerts("low_stock", found, run, dry_run)


def _requests_that_could_use(lot: StockLot, limit: int = 5) -> list[dict]:
    """Open request lines for the lot's item, needed by the lot's expiry, most urgent first."""
    rows = db.session.execute(
        select(
            AssistanceRequest.id,
            AssistanceRequest.reference,
            AssistanceRequest.city_id,
            City.name,
            AssistanceRequest.priority,
            AssistanceRequest.needed_by,
            RequestLine.id,
            RequestLine.quantity - RequestLine.quantity_allocated,
        )
        .join(RequestLine, RequestLine.request_id == AssistanceRequest.id)
        .join(City, City.id == AssistanceRequest.city_id)
        .where(
            AssistanceRequest.status.in_(ALLOCATING),
            RequestLine.item_id == lot.item_id,
            RequestLine.quantity_allocated < RequestLine.quantity,
            AssistanceRequest.needed_by <= lot.expires_on,
        )
        .order_by(AssistanceRequest.priority_rank, AssistanceRequest.needed_by, AssistanceRequest.id)
        .limit(limit)
    ).all()
    return [
        {
            "request_id": r[0],
            "reference": r[1],
            "city_id": r[2],
            "city": r[3],
            "priority": r[4],
            "needed_by": r[5].isoformat(),
            "line_id": r[6],
            "still_needed": int(r[7]),
        }
        for r in rows
    ]


@job("near_expiry")
def near_expiry(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Alert on available lots expiring within NEAR_EXPIRY_DAYS (suggesting open requests that could use them),
    and on lots already expired that still hold stock."""
    today = now.date()
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
            suggestions = _requests_that_could_use(lot)
            hint = (
                f" {len(suggestions)} open request(s) could use it first, e.g. {suggestions[0]['reference']}."
                if suggestions
                else " No open request for this item can use it before then."
            )
            found.append(
                {
                    "dedup_key": f"near_expiry:lot={lot.id}",
                    "message": f"Lot {lot.lot_code} ({codes.get(lot.item_id)}) expires {lot.expires_on.isoformat()} "
                    f"(in {days} days) with {lot.available} available.{hint}",
                    "severity": "critical" if days <= 7 else "warning",
                    "details": {
                        "lot_id": lot.id,
                        "item_id": lot.item_id,
                        "expires_on": lot.expires_on.isoformat(),
                        "available": lot.available,
                        "days_left": days,
                        "suggested_requests": suggestions,
                    },
                    "subject": ("stock_lot", lot.id),
                    "provider_id": lot.provider_id,
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
                    "message": f"Lot {lot.lot_code} ({codes.get(lot.item_id)}) expired on {lot.expires_on.isoformat()} "
                    f"and still holds {lot.on_hand} on hand ({lot.reserved} reserved): write it off with an "
                    "'expired' adjustment.",
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
    return _sync_alerts("near_expiry", found, run, dry_run)


def _programs_on(topic: str, network_id: int | None, now: datetime) -> list[dict] | None:
    """Published, upcoming programs on ``topic`` open to the network; None when the training feature is absent."""
    training_models = _feature("training.models")
    program = getattr(training_models, "TrainingProgram", None)
    if program is None:
        return None
    statement = (
        select(program)
        .where(program.topic == topic, program.status == "published", program.starts_at > now)
        .order_by(program.starts_at, program.id)
        .limit(5)
    )
    open_to_network = getattr(_feature("training.queries"), "open_to_network", None)
    if open_to_network is not None and network_id is not None:
        statement = statement.where(open_to_network(network_id))
    return [
        {"id": p.id, "title": p.title, "starts_at": p.starts_at.isoformat()}
        for p in db.session.scalars(statement)
    ]


@job("readiness_gaps")
def readiness_gaps(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Alert a city receiving equipment that requires training on a topic none of its staff has completed."""
    training = _feature("training.queries")
    has_completed = getattr(training, "city_has_completed", None)
    found = []
    with db.read_session():
        rows = db.session.execute(
            select(AssistanceRequest.city_id, City.name, City.network_id, Item.requires_training, Item.code)
            .select_from(Allocation)
            .join(AssistanceRequest, AssistanceRequest.id == Allocation.request_id)
            .join(RequestLine, RequestLine.id == Allocation.line_id)
            .join(Item, Item.id == RequestLine.item_id)
            .join(City, City.id == AssistanceRequest.city_id)
            .where(
                Allocation.status.in_([AllocationStatus.RESERVED, AllocationStatus.DISPATCHED]),
                Item.requires_training.is_not(None),
            )
            .distinct()
            .order_by(AssistanceRequest.city_id, Item.requires_training, Item.code)
        ).all()
        needs: dict[tuple[int, str], dict] = {}
        for city_id, city_name, network_id, topic, code in rows:
            needs.setdefault((city_id, topic), {"city": city_name, "network_id": network_id, "items": []})[
                "items"
            ].append(code)
        for (city_id, topic), need in needs.items():
            if has_completed is not None and has_completed(city_id, topic):
                continue
            programs = _programs_on(topic, need["network_id"], now)
            if programs is None:
                pointer = "The training feature is not installed, so no completed training can be found yet."
            elif programs:
                pointer = "Matching programs: " + "; ".join(p["title"] for p in programs) + "."
            else:
                pointer = f"No upcoming published program on {topic} is open to it yet."
            found.append(
                {
                    "dedup_key": f"readiness_gap:city={city_id}:topic={topic}",
                    "message": f"{need['city']} is receiving equipment that needs {topic} training "
                    f"({', '.join(need['items'])}), and none of its staff has completed a program on it. "
                    + pointer,
                    "details": {
                        "city_id": city_id,
                        "topic": topic,
                        "items": need["items"],
                        "programs": programs or [],
                        "training_feature": programs is not None,
                    },
                    "subject": ("city", city_id),
                    "city_id": city_id,
                    "link": f"/training/programs?topic={topic}",
                }
            )
    return _sync_alerts("readiness_gap", found, run, dry_run)


# --- outbox and training ------------------------------------------------------------------------------


@job("training_reminders")
def training_reminders(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Queue reminders before training programs start (the training feature's check)."""
    training_jobs = _feature("training.jobs")
    if training_jobs is None or not hasattr(training_jobs, "training_reminders"):
        return {"skipped": "training feature absent"}
    return training_jobs.training_reminders(now=now, run=run, dry_run=dry_run) or {}


@job("send_notifications")
def send_notifications(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Deliver pending notifications by SMTP when MAIL_SERVER is set (at least once, one Message-ID each)."""
    from health_responder.notifications import delivery

    return delivery.deliver_pending(now=now, run=run, dry_run=dry_run)
