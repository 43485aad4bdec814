"""A year of demo requests, made through the services, each step at its own moment of a believable timeline.

Every request is created, submitted, approved, allocated, dispatched, shipped, received and closed by the
same services as real ones (ledger, reservations and audit complete). Each step runs under
``db.clock_at(its moment)``, so the services themselves stamp that moment on everything they write (the
request's and dispatch's timestamps, references such as REQ-2025-000012, audit events, stock movements,
notifications) and judge "today" by it (a needed-by date is in the future when the request is made).
Nothing is dated back afterwards, and the steps keep their order, so every invariant holds.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import select

from health_responder.allocation import services as allocation
from health_responder.allocation.models import Allocation
from health_responder.db import clock_at, utcnow
from health_responder.dispatch import receipts
from health_responder.dispatch import services as dispatch
from health_responder.dispatch.models import Dispatch
from health_responder.extensions import db
from health_responder.health_requests import services
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.stock.models import LotStatus, StockLot

SIZES = {"small": 90, "large": 900}
PRIORITIES = [("critical", 1), ("high", 3), ("normal", 5), ("low", 1)]
#: Days between creation and needed-by, per priority.
WINDOW = {"critical": 7, "high": 14, "normal": 30, "low": 60}
#: Hours from submission to approval, per priority (low, high bound).
APPROVAL_HOURS = {"critical": (0.5, 6), "high": (2, 20), "normal": (6, 60), "low": (12, 120)}
CARRIERS = ["DHL Express", "FedEx", "UPS", "EMS", "Kuehne+Nagel", "Maersk Air"]
REASONS = [
    "Seasonal respiratory outbreak: the municipal hospital's ward is over capacity.",
    "Flooding closed two district clinics; the field team needs replacement equipment.",
    "Vaccination campaign in the outer districts; the cold chain must reach 40 health posts.",
    "Units failed their annual maintenance check and cannot be repaired locally.",
    "A new primary-care centre opens next month and lacks its basic equipment.",
]


def _lots(item_ids: list[int], *, good_after: date) -> list[StockLot]:
    """Available lots of ``item_ids`` with units to spare, still good after ``good_after``."""
    return list(
        db.session.scalars(
            select(StockLot)
            .where(
                StockLot.item_id.in_(item_ids),
                StockLot.status == LotStatus.AVAILABLE,
                StockLot.on_hand - StockLot.reserved >= 2,
                sa.or_(StockLot.expires_on.is_(None), StockLot.expires_on > good_after),
            )
            .order_by(StockLot.id)
        )
    )


def _outcome(rng: random.Random, age_days: float) -> str:
    """Old requests are finished; recent ones are still moving."""
    if age_days > 45:
        return rng.choices(["closed", "received", "rejected", "cancelled"], [14, 2, 2, 1])[0]
    if age_days > 14:
        return rng.choices(["closed", "received", "shipped", "backorder", "rejected"], [5, 4, 3, 2, 1])[0]
    return rng.choices(
        ["draft", "submitted", "approved", "allocated", "backorder", "shipped"], [1, 4, 2, 3, 2, 2]
    )[0]


def load(context: dict, *, coordinator, size: str = "small", seed: int = 2026) -> int:
    """Add ``SIZES[size]`` requests spread over the last twelve months; returns how many were made."""
    rng = random.Random(seed)
    now = utcnow()
    cities = context["cities"]
    # Lots good for two months more than today: what the year drew on is still usable stock now.
    good_after = now.date() + timedelta(days=61)
    stocked = sorted({lot.item_id for lot in _lots([i.id for i in context["items"]], good_after=good_after)})
    made = 0
    count = SIZES[size]
    for index in range(count):
        age = 365 * (1 - index / count) ** 1.3 + rng.uniform(0.2, 2)
        created = now - timedelta(days=age)
        priority = rng.choices([p for p, _w in PRIORITIES], [w for _p, w in PRIORITIES])[0]
        outcome = _outcome(rng, age)
        item_ids = rng.sample(stocked, k=rng.choice([1, 1, 2, 3]))
        lots = {lot.item_id: lot for lot in reversed(_lots(item_ids, good_after=good_after))}
        item_ids = [i for i in item_ids if i in lots]
        if not item_ids:
            continue
        base = {i: max(1, min(lots[i].available, rng.choice([2, 4, 5, 10, 12, 20, 25]))) for i in item_ids}
        extra = rng.choice([5, 10, 20]) if outcome == "backorder" else 0
        with clock_at(created):
            request = services.create_request(
                by=coordinator,
                city_id=rng.choice(cities).id,
                needed_by=created.date() + timedelta(days=WINDOW[priority]),
                justification=rng.choice(REASONS),
                priority=priority,
                lines=[{"item_id": i, "quantity": q + extra} for i, q in base.items()],
            )
        made += 1
        _live(request, outcome, created, coordinator=coordinator, rng=rng, lots=lots, base=base)
    made += _shortages(context, coordinator, rng, now)
    db.session.flush()
    return made


def _live(request, outcome: str, created: datetime, *, coordinator, rng: random.Random, lots, base):
    """Take a request from its creation through the steps its ``outcome`` names, each at its moment."""
    if outcome == "draft":
        return
    at = created + timedelta(hours=rng.uniform(0.1, 8))
    with clock_at(at):
        services.submit(request=request, by=coordinator)
    if outcome == "submitted":
        return
    at += timedelta(hours=rng.uniform(*APPROVAL_HOURS[request.priority]))
    with clock_at(at):
        if outcome == "cancelled":
            services.cancel(request=request, by=coordinator, reason="The city found the units locally.")
            return
        if outcome == "rejected":
            services.reject(request=request, by=coordinator, reason="Outside the association's mandate.")
            return
        services.approve(request=request, by=coordinator)
    if outcome == "approved":
        return
    at += timedelta(hours=rng.uniform(0.5, 12))
    with clock_at(at):
        for line in db.session.scalars(select(RequestLine).where(RequestLine.request_id == request.id)):
            lot = db.session.get(StockLot, lots[line.item_id].id)
            quantity = min(lot.available, base[line.item_id])
            if quantity > 0:
                allocation.allocate(
                    request=request, by=coordinator, line_id=line.id, lot_id=lot.id, quantity=quantity
                )
    if outcome == "allocated":
        return
    shipped = _ship(request, coordinator, rng, at)
    if not shipped or outcome in {"shipped", "backorder"}:
        return
    at = max(d.shipped_at for d in shipped) + timedelta(
        days=rng.uniform(1.5, 9 if rng.random() < 0.85 else 25)
    )
    with clock_at(at):
        for sent in shipped:
            _receive(sent, coordinator, rng)
    if outcome == "received":
        return
    with clock_at(at + timedelta(days=rng.uniform(0.5, 4))):
        services.close(request=request, by=coordinator, note="Delivered and in service.")


def _shortages(context: dict, coordinator, rng: random.Random, now: datetime) -> int:
    """Three recent critical requests that ask for more than the shelves hold: the shortage radar's story."""
    usable = dict(
        db.session.execute(
            select(StockLot.item_id, sa.func.sum(StockLot.on_hand - StockLot.reserved))
            .where(StockLot.status == LotStatus.AVAILABLE)
            .group_by(StockLot.item_id)
        ).all()
    )
    items = rng.sample(context["items"], k=3)
    for days, item in zip((2, 4, 6), items, strict=True):
        created = now - timedelta(days=days, hours=rng.uniform(0, 12))
        with clock_at(created):
            request = services.create_request(
                by=coordinator,
                city_id=rng.choice(context["cities"]).id,
                needed_by=now.date() + timedelta(days=5),
                justification="An epidemic outbreak: field hospitals are opening across the region.",
                priority="critical",
                lines=[
                    {"item_id": item.id, "quantity": int(usable.get(item.id) or 0) + rng.randint(60, 240)}
                ],
            )
        with clock_at(created + timedelta(minutes=40)):
            services.submit(request=request, by=coordinator)
    return len(items)


def _ship(request: AssistanceRequest, by, rng: random.Random, at: datetime) -> list[Dispatch]:
    """One dispatch per warehouse holding reservations, prepared at ``at``, shipped one to six days later."""
    places = sorted(
        set(
            db.session.execute(
                select(StockLot.provider_id, StockLot.location_id)
                .join(Allocation, Allocation.lot_id == StockLot.id)
                .where(Allocation.request_id == request.id)
            ).all()
        )
    )
    shipped = []
    for provider_id, location_id in places:
        with clock_at(at):
            prepared = dispatch.create_dispatch(
                request=request, by=by, provider_id=provider_id, location_id=location_id
            )
        with clock_at(at + timedelta(days=rng.uniform(0.5, 6))):
            dispatch.ship(
                dispatch=prepared,
                by=by,
                carrier=rng.choice(CARRIERS),
                tracking_number=f"JD{rng.randint(10**9, 10**10 - 1)}",
                packages=rng.randint(1, 6),
            )
        shipped.append(prepared)
    return shipped


def _receive(sent: Dispatch, by, rng: random.Random) -> None:
    """Most receipts match; about one in eight has units rejected as damaged, expired or missing."""
    lines = []
    for line in dispatch.lines_of(sent.id):
        rejected = rng.randint(1, line.quantity) if line.quantity > 1 and rng.random() < 0.12 else 0
        entry = {"line_id": line.id, "accepted": line.quantity - rejected, "rejected": rejected}
        if rejected:
            entry["reason"] = rng.choice(["damaged", "expired", "lost"])
        lines.append(entry)
    receipts.record_receipt(dispatch=sent, by=by, lines=lines, received_by="Central pharmacy store")
