"""The scheduled checks that raise alerts (auto-allocation: allocation.jobs).

Each check is a small function registered with ``@job`` and called by ``scheduler.run_job`` with the
run it belongs to. Each does its work in short transactions that are safe to repeat: killed at any
moment, a check leaves every request (or alert) either fully handled or untouched, and the next run
carries on from what the database says, without duplicates.
"""

from __future__ import annotations

import importlib
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlmodel import select

from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.allocation.planner import ALLOCATING
from health_responder.checks import services as alerts
from health_responder.checks.models import JobRun
from health_responder.extensions import db
from health_responder.health_requests.models import (
    AssistanceRequest,
    RequestLine,
    RequestStatus,
)
from health_responder.providers.models import Provider
from health_responder.reference.models import City, Item
from health_responder.scheduler import job
from health_responder.stock.models import LotStatus, StockLot

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
