"""The scheduled checks: auto-allocation and the watchers that raise alerts.

Each check is a small function registered with ``@job`` and called by ``scheduler.run_job`` with the
run it belongs to. Each does its work in short transactions that are safe to repeat: killed at any
moment, a check leaves every request (or alert) either fully handled or untouched, and the next run
carries on from what the database says, without duplicates.
"""

from __future__ import annotations

import importlib
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlmodel import select

from health_responder.checks import services as alerts
from health_responder.checks.models import JobRun
from health_responder.errors import Conflict
from health_responder.extensions import db
from health_responder.health_requests.models import (
    Allocation,
    AllocationStatus,
    AssistanceRequest,
    RequestLine,
    RequestStatus,
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
NOT_DISPATCHED = (RequestStatus.SUBMITTED, RequestStatus.APPROVED, RequestStatus.PARTIALLY_ALLOCATED,
                  RequestStatus.ALLOCATED, RequestStatus.PARTIALLY_DISPATCHED)
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
    """What a run knows before it writes: the open requests in serving order and their open lines."""

    requests: list[tuple]  # (id, reference, city_id, priority, needed_by)
    lines: dict[int, list[tuple]]  # request id -> [(line id, item id)]
    item_left: dict[int, int]  # item id -> units still available in available lots (shrinks as we reserve)
    network_of_city: dict[int, int]
    serving: dict[int, set[int]]  # network id -> providers serving it first
    provider_names: dict[int, str]
    network_codes: dict[int, str]


def _load_queue() -> _Queue:
    queue_order = (AssistanceRequest.priority_rank, AssistanceRequest.needed_by,
                   sa.func.coalesce(AssistanceRequest.submitted_at, AssistanceRequest.created_at), AssistanceRequest.id)
    requests = db.session.execute(
        select(AssistanceRequest.id, AssistanceRequest.reference, AssistanceRequest.city_id, AssistanceRequest.priority,
               AssistanceRequest.needed_by)
        .where(AssistanceRequest.status.in_(ALLOCATING)).order_by(*queue_order)
    ).all()
    lines: dict[int, list[tuple]] = defaultdict(list)
    open_lines = db.session.execute(
        select(RequestLine.request_id, RequestLine.id, RequestLine.item_id)
        .join(AssistanceRequest, AssistanceRequest.id == RequestLine.request_id)
        .where(AssistanceRequest.status.in_(ALLOCATING), RequestLine.quantity_allocated < RequestLine.quantity)
        .order_by(RequestLine.request_id, RequestLine.id)
    )
    for request_id, line_id, item_id in open_lines:
        lines[request_id].append((line_id, item_id))
    item_left = dict(db.session.execute(
        select(StockLot.item_id, sa.func.sum(StockLot.on_hand - StockLot.reserved))
        .where(StockLot.status == LotStatus.AVAILABLE, StockLot.on_hand > StockLot.reserved)
        .group_by(StockLot.item_id)
    ).all())
    serving: dict[int, set[int]] = defaultdict(set)
    for provider_id, network_id in db.session.execute(select(ProviderNetwork.provider_id, ProviderNetwork.network_id)):
        serving[network_id].add(provider_id)
    return _Queue(
        requests=[tuple(r) for r in requests], lines=lines, item_left={k: int(v or 0) for k, v in item_left.items()},
        network_of_city=dict(db.session.execute(select(City.id, City.network_id)).all()), serving=serving,
        provider_names=dict(db.session.execute(select(Provider.id, Provider.name)).all()),
        network_codes=dict(db.session.execute(select(Network.id, Network.code)).all()),
    )


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
    transactions: int = 0
    stopped_early: bool = False
    planned: list[dict] = field(default_factory=list)

    def counts(self, dry_run: bool) -> dict:
        out = {k: v for k, v in self.__dict__.items() if k != "planned"}
        if dry_run:
            out["planned"] = self.planned[:DRY_RUN_PLAN_LIMIT]
            out["planned_truncated"] = len(self.planned) > DRY_RUN_PLAN_LIMIT
        return out


def _rationale(*, request, city_network: str | None, preferred: bool, provider: str, lot: StockLot, quantity: int,
               needed: int, shortfall: int, rank: int) -> str:
    """Why this lot, this provider, this quantity: the sentence stored on the allocation."""
    _id, reference, _city, priority, needed_by = request
    who = (f"{provider} serves the city's network ({city_network}), so its stock is preferred"
           if preferred else f"{provider} does not serve the city's network ({city_network or 'none'}); "
                             "no preferred provider had usable stock left")
    if lot.expires_on is None:
        when = "the lot does not expire"
    else:
        when = f"it expires {lot.expires_on.isoformat()}, on or after the needed-by date {needed_by.isoformat()}"
    fefo = ("the earliest-expiring usable lot (FEFO)" if rank == 0
            else f"the next usable lot in first-expiry-first-out order (FEFO, choice {rank + 1})")
    text = (f"Priority {priority} request {reference or ''}, needed by {needed_by.isoformat()}: "
            f"lot {lot.lot_code}, {fefo}; {when}. {who}. Reserved {quantity} of the {needed} still needed")
    if shortfall:
        text += f"; partial: usable stock is short by {shortfall}, the rest waits for new stock"
    return text + "."


def _plan_line(*, line: RequestLine, request_row: tuple, request: AssistanceRequest, city: City, queue: _Queue,
               overlay: dict[int, int]) -> tuple[list[tuple[StockLot, int, bool]], int]:
    """The lots and quantities for one line, in the usable-lot order; returns (choices, shortfall)."""
    from health_responder.health_requests.services import usable_lots_query

    needed = line.quantity - line.quantity_allocated
    preferred = queue.serving.get(queue.network_of_city.get(city.id), set())
    choices = []
    if needed > 0 and queue.item_left.get(line.item_id, 0) > 0:
        statement = usable_lots_query(line=line, request=request, city=city).execution_options(populate_existing=True)
        for lot in db.session.scalars(statement):
            left = lot.on_hand - lot.reserved - overlay.get(lot.id, 0)
            if left <= 0:
                continue
            take = min(left, needed)
            choices.append((lot, take, lot.provider_id in preferred))
            needed -= take
            if needed == 0:
                break
    return choices, needed


def _allocate_request(*, request_row: tuple, queue: _Queue, run: JobRun, dry_run: bool, tally: _Tally,
                      overlay: dict[int, int]) -> None:
    """Reserve what the request's open lines can get, in one unit of work (the caller's savepoint)."""
    from health_responder.health_requests.services import reserve_line

    request_id, _ref, city_id, _priority, _needed_by = request_row
    request = db.session.get(AssistanceRequest, request_id, populate_existing=True)
    if request is None or request.status not in ALLOCATING:
        tally.requests_skipped += 1
        return
    city = db.session.get(City, city_id)
    network = queue.network_codes.get(queue.network_of_city.get(city_id))
    actor = Actor.job("auto_allocate", run.id)
    served = complete = False
    all_done = True
    for line_id, item_id in queue.lines[request_id]:
        line = db.session.get(RequestLine, line_id, populate_existing=True)
        tally.lines_seen += 1
        needed = line.quantity - line.quantity_allocated
        if needed <= 0:
            continue
        choices, shortfall = _plan_line(line=line, request_row=request_row, request=request, city=city, queue=queue,
                                        overlay=overlay)
        for rank, (lot, quantity, preferred) in enumerate(choices):
            rationale = _rationale(request=request_row, city_network=network, preferred=preferred,
                                   provider=queue.provider_names.get(lot.provider_id, f"provider {lot.provider_id}"),
                                   lot=lot, quantity=quantity, needed=needed, shortfall=shortfall, rank=rank)
            if dry_run:
                overlay[lot.id] = overlay.get(lot.id, 0) + quantity
                tally.planned.append({"request_id": request_id, "line_id": line_id, "lot_id": lot.id,
                                      "provider_id": lot.provider_id, "quantity": quantity, "rationale": rationale})
            else:
                reserve_line(request=request, line=line, lot_id=lot.id, quantity=quantity, actor=actor,
                             rationale=rationale)
            queue.item_left[item_id] = queue.item_left.get(item_id, 0) - quantity
            tally.allocations += 1
            tally.units += quantity
            served = True
        if choices:
            tally.lines_allocated += 1
        if shortfall:
            tally.lines_short += 1
            all_done = False
    complete = all_done
    tally.requests_served += served
    tally.requests_complete += served and complete


def _batch_limits() -> tuple[int, float]:
    config = current_app.config
    return int(config.get("AUTO_ALLOCATE_BATCH_REQUESTS", 50)), float(config.get("AUTO_ALLOCATE_BATCH_SECONDS", 0.5))


@job("auto_allocate")
def auto_allocate(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Allocate approved requests to usable stock: priority, needed-by, submission; FEFO; the city's network first.

    Each request is one unit of work in a savepoint; several requests share a transaction (at most
    AUTO_ALLOCATE_BATCH_REQUESTS or AUTO_ALLOCATE_BATCH_SECONDS), so a commit is not paid per request
    while a kill still leaves every request either fully handled (its batch committed) or untouched
    (its batch rolled back). A request whose items have no available stock left is passed over without
    a transaction. A race lost to a person allocating at the same moment undoes only that request; the
    next run serves it again from what is then free.
    """
    tally = _Tally()
    with db.read_session():
        queue = _load_queue()
    overlay: dict[int, int] = {}  # dry run: units planned per lot, not written
    batch_size, batch_seconds = _batch_limits()
    pending = [row for row in queue.requests]
    index = 0
    while index < len(pending):
        if stopping():
            tally.stopped_early = True
            break
        if not dry_run:
            keep_alive(run)
        started = time.monotonic()
        session_cm = db.read_session() if dry_run else db.write_session()
        with session_cm as session:
            handled = 0
            while index < len(pending) and handled < batch_size and time.monotonic() - started < batch_seconds:
                row = pending[index]
                index += 1
                tally.requests_seen += 1
                lines = queue.lines.get(row[0], [])
                if not any(queue.item_left.get(item_id, 0) > 0 for _line, item_id in lines):
                    tally.lines_seen += len(lines)
                    tally.lines_short += len(lines)
                    continue
                handled += 1
                if dry_run:
                    _allocate_request(request_row=row, queue=queue, run=run, dry_run=True, tally=tally, overlay=overlay)
                    continue
                saved_tally, saved_left = dict(tally.__dict__), {i: queue.item_left.get(i, 0) for _l, i in lines}
                try:
                    with session.begin_nested():
                        _allocate_request(request_row=row, queue=queue, run=run, dry_run=False, tally=tally,
                                          overlay=overlay)
                except Conflict:
                    # Lost a race (a person reserved the same units, or changed the request): this request
                    # alone is undone; the next run serves it from what is then free.
                    tally.__dict__.update(saved_tally)
                    tally.conflicts += 1
                    queue.item_left.update(saved_left)
            if handled:
                tally.transactions += 1
    return tally.counts(dry_run)


# --- alerts ------------------------------------------------------------------------------------------


def _sla_hours() -> dict[str, float]:
    return dict(current_app.config.get("REQUEST_APPROVAL_SLA_HOURS") or {})


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
        counts["resolved"] = alerts.resolve_missing(kind=kind, still_open_keys=[f["dedup_key"] for f in found], run=run)
    return counts


@job("overdue_requests")
def overdue_requests(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Alert on requests past their needed-by and not dispatched, or waiting for approval past their service level."""
    today = now.date()
    sla = _sla_hours()
    found = []
    with db.read_session():
        rows = db.session.execute(
            select(AssistanceRequest.id, AssistanceRequest.reference, AssistanceRequest.city_id,
                   AssistanceRequest.priority, AssistanceRequest.status, AssistanceRequest.needed_by,
                   AssistanceRequest.submitted_at)
            .where(AssistanceRequest.status.in_(NOT_DISPATCHED)).order_by(AssistanceRequest.id)
        ).all()
    for request_id, reference, city_id, priority, status, needed_by, submitted_at in rows:
        severity = "critical" if priority in ("critical", "high") else "warning"
        common = {"subject": ("assistance_request", request_id), "city_id": city_id, "severity": severity,
                  "link": f"/requests/{request_id}"}
        if needed_by < today:
            late = (today - needed_by).days
            found.append(common | {
                "dedup_key": f"overdue_request:request={request_id}:needed_by",
                "message": f"Request {reference} was needed by {needed_by.isoformat()} and is still {status} "
                           f"({late} day{'s' if late != 1 else ''} late).",
                "details": {"reason": "needed_by", "request_id": request_id, "needed_by": needed_by.isoformat(),
                            "status": status, "days_late": late},
            })
        limit = sla.get(priority)
        if status == RequestStatus.SUBMITTED and limit is not None and submitted_at is not None \
                and now - submitted_at > timedelta(hours=limit):
            waited = (now - submitted_at).total_seconds() / 3600
            found.append(common | {
                "dedup_key": f"overdue_request:request={request_id}:approval",
                "message": f"The {priority} request {reference} has waited {waited:.0f} h for approval; "
                           f"its service level is {limit:g} h.",
                "details": {"reason": "approval_sla", "request_id": request_id, "priority": priority,
                            "sla_hours": limit, "waited_hours": round(waited, 1)},
            })
    return _sync_alerts("overdue_request", found, run, dry_run)


def _usable_today(today: date):
    return sa.and_(StockLot.status == LotStatus.AVAILABLE,
                   sa.or_(StockLot.expires_on.is_(None), StockLot.expires_on >= today))


@job("low_stock")
def low_stock(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Alert a provider and the staff when its available units of an item fall to LOW_STOCK_THRESHOLD or below."""
    threshold = int(current_app.config["LOW_STOCK_THRESHOLD"])
    usable = sa.case((_usable_today(now.date()), StockLot.on_hand - StockLot.reserved), else_=0)
    with db.read_session():
        rows = db.session.execute(
            select(StockLot.provider_id, StockLot.item_id, sa.func.sum(usable), Item.code, Provider.name)
            .join(Item, Item.id == StockLot.item_id).join(Provider, Provider.id == StockLot.provider_id)
            .where(Item.active.is_(True))
            .group_by(StockLot.provider_id, StockLot.item_id, Item.code, Provider.name)
            .having(sa.func.sum(usable) <= threshold).order_by(StockLot.provider_id, StockLot.item_id)
        ).all()
    found = [{
        "dedup_key": f"low_stock:provider={provider_id}:item={item_id}",
        "message": f"{provider} has {int(left or 0)} {code} available (threshold {threshold}).",
        "severity": "critical" if not left else "warning",
        "details": {"provider_id": provider_id, "item_id": item_id, "item_code": code, "available": int(left or 0),
                    "threshold": threshold},
        "subject": ("item", item_id), "provider_id": provider_id, "link": f"/stock?item_id={item_id}",
    } for provider_id, item_id, left, code, provider in rows]
    return _sync_alerts("low_stock", found, run, dry_run)


def _requests_that_could_use(lot: StockLot, limit: int = 5) -> list[dict]:
    """Open request lines for the lot's item, needed by the lot's expiry, most urgent first."""
    rows = db.session.execute(
        select(AssistanceRequest.id, AssistanceRequest.reference, AssistanceRequest.city_id, City.name,
               AssistanceRequest.priority, AssistanceRequest.needed_by, RequestLine.id,
               RequestLine.quantity - RequestLine.quantity_allocated)
        .join(RequestLine, RequestLine.request_id == AssistanceRequest.id)
        .join(City, City.id == AssistanceRequest.city_id)
        .where(AssistanceRequest.status.in_(ALLOCATING), RequestLine.item_id == lot.item_id,
               RequestLine.quantity_allocated < RequestLine.quantity, AssistanceRequest.needed_by <= lot.expires_on)
        .order_by(AssistanceRequest.priority_rank, AssistanceRequest.needed_by, AssistanceRequest.id)
        .limit(limit)
    ).all()
    return [{"request_id": r[0], "reference": r[1], "city_id": r[2], "city": r[3], "priority": r[4],
             "needed_by": r[5].isoformat(), "line_id": r[6], "still_needed": int(r[7])} for r in rows]


@job("near_expiry")
def near_expiry(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Alert on available lots expiring within NEAR_EXPIRY_DAYS, suggesting open requests that could use them."""
    today = now.date()
    horizon = today + timedelta(days=int(current_app.config["NEAR_EXPIRY_DAYS"]))
    found = []
    with db.read_session():
        lots = db.session.scalars(
            select(StockLot).where(StockLot.status == LotStatus.AVAILABLE, StockLot.on_hand > StockLot.reserved,
                                   StockLot.expires_on.is_not(None), StockLot.expires_on >= today,
                                   StockLot.expires_on <= horizon).order_by(StockLot.expires_on, StockLot.id)
        ).all()
        codes = dict(db.session.execute(select(Item.id, Item.code)).all())
        for lot in lots:
            days = (lot.expires_on - today).days
            suggestions = _requests_that_could_use(lot)
            hint = (f" {len(suggestions)} open request(s) could use it first, e.g. {suggestions[0]['reference']}."
                    if suggestions else " No open request for this item can use it before then.")
            found.append({
                "dedup_key": f"near_expiry:lot={lot.id}",
                "message": f"Lot {lot.lot_code} ({codes.get(lot.item_id)}) expires {lot.expires_on.isoformat()} "
                           f"(in {days} days) with {lot.available} available.{hint}",
                "severity": "critical" if days <= 7 else "warning",
                "details": {"lot_id": lot.id, "item_id": lot.item_id, "expires_on": lot.expires_on.isoformat(),
                            "available": lot.available, "days_left": days, "suggested_requests": suggestions},
                "subject": ("stock_lot", lot.id), "provider_id": lot.provider_id, "link": f"/stock/lots/{lot.id}",
            })
    return _sync_alerts("near_expiry", found, run, dry_run)


def _programs_on(topic: str, network_id: int | None, now: datetime) -> list[dict] | None:
    """Published, upcoming programs on ``topic`` open to the network; None when the training feature is absent."""
    training_models = _feature("training.models")
    program = getattr(training_models, "TrainingProgram", None)
    if program is None:
        return None
    statement = (select(program).where(program.topic == topic, program.status == "published", program.starts_at > now)
                 .order_by(program.starts_at, program.id).limit(5))
    open_to_network = getattr(_feature("training.queries"), "open_to_network", None)
    if open_to_network is not None and network_id is not None:
        statement = statement.where(open_to_network(network_id))
    return [{"id": p.id, "title": p.title, "starts_at": p.starts_at.isoformat()} for p in db.session.scalars(statement)]


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
            .where(Allocation.status.in_([AllocationStatus.RESERVED, AllocationStatus.DISPATCHED]),
                   Item.requires_training.is_not(None))
            .distinct().order_by(AssistanceRequest.city_id, Item.requires_training, Item.code)
        ).all()
        needs: dict[tuple[int, str], dict] = {}
        for city_id, city_name, network_id, topic, code in rows:
            needs.setdefault((city_id, topic), {"city": city_name, "network_id": network_id, "items": []})["items"].append(code)
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
            found.append({
                "dedup_key": f"readiness_gap:city={city_id}:topic={topic}",
                "message": f"{need['city']} is receiving equipment that needs {topic} training "
                           f"({', '.join(need['items'])}), and none of its staff has completed a program on it. "
                           + pointer,
                "details": {"city_id": city_id, "topic": topic, "items": need["items"], "programs": programs or [],
                            "training_feature": programs is not None},
                "subject": ("city", city_id), "city_id": city_id, "link": f"/training/programs?topic={topic}",
            })
    return _sync_alerts("readiness_gap", found, run, dry_run)


# --- outbox and training ------------------------------------------------------------------------------


@job("training_reminders")
def training_reminders(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Queue reminders before training programs start (the training feature's check)."""
    training_jobs = _feature("training.jobs")
    if training_jobs is None or not hasattr(training_jobs, "training_reminders"):
        return {"skipped": "training feature absent"}
    if dry_run:
        return {"skipped": "dry run: reminders are not previewed"}
    return training_jobs.training_reminders(now=now, run=run) or {}


@job("send_notifications")
def send_notifications(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Deliver pending notifications by SMTP when MAIL_SERVER is set (at least once, one Message-ID each)."""
    from health_responder.notifications import delivery

    return delivery.deliver_pending(now=now, run=run, dry_run=dry_run)
