"""Demo requests, made through the same services as real ones (ledger and audit complete).

The year of history (``history.py``), then this week's, each step at its moment (``db.clock_at``), so that
every demo login has something to do: Sejong a draft, a critical request waiting past its approval
service level and a delivery to receive; Ульяновск a new request and a delivery; the coordinator
requests to approve; Afya Relief a half-allocated request of Nairobi to prepare a dispatch for.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import select

from health_responder.allocation import services as allocation
from health_responder.db import clock_at, utcnow
from health_responder.dispatch import services as dispatch
from health_responder.extensions import db
from health_responder.health_requests import history, services
from health_responder.health_requests.models import AssistanceRequest, RequestLine
from health_responder.stock.models import LotStatus, StockLot

WHY = (
    "The municipal hospital's respiratory ward is over capacity after a seasonal outbreak; "
    "the equipment replaces units that failed their last maintenance check."
)


def _usable_lot(
    item_ids: list[int], needed_by, minimum: int, provider_id: int | None = None
) -> StockLot | None:
    statement = (
        select(StockLot)
        .where(
            StockLot.item_id.in_(item_ids),
            StockLot.status == LotStatus.AVAILABLE,
            StockLot.on_hand - StockLot.reserved >= minimum,
            (StockLot.expires_on.is_(None)) | (StockLot.expires_on >= needed_by),
        )
        .order_by(StockLot.id)
    )
    if provider_id is not None:
        statement = statement.where(StockLot.provider_id == provider_id)
    return db.session.scalar(statement)


def load_demo(context: dict) -> None:
    """Add the year of requests, then this week's, each step at its moment; skipped without the demo logins."""
    users = context["users"]
    sejong, ulyanovsk = users.get("city@sejong.example.org"), users.get("city@ulyanovsk.example.org")
    coordinator = users.get("coordinator@responder.example.org")
    if sejong is None or ulyanovsk is None or coordinator is None:
        return
    history.load(context, coordinator=coordinator, size=context.get("size", "small"))

    items, cities, providers = context["items"], context["cities"], context["providers"]
    now = utcnow()
    today = now.date()

    def ago(days: float) -> datetime:
        return now - timedelta(days=days)

    with clock_at(ago(1)):  # a draft Sejong is still writing
        services.create_request(
            by=sejong,
            needed_by=today + timedelta(days=45),
            justification=WHY,
            priority="normal",
            lines=[{"item_id": items[8].id, "quantity": 40}],
        )
    with clock_at(ago(3)):  # critical, and waiting for approval well past its four hours
        submitted = services.create_request(
            by=sejong,
            needed_by=today + timedelta(days=7),
            justification=WHY,
            priority="critical",
            delivery_contact="Ward 3 duty nurse",
            lines=[{"item_id": items[0].id, "quantity": 12}, {"item_id": items[19].id, "quantity": 30}],
        )
    with clock_at(ago(3) + timedelta(hours=1)):
        services.submit(request=submitted, by=sejong)
    with clock_at(ago(1) + timedelta(hours=2)):  # Ульяновск asks too; the coordinator has not seen it yet
        fresh = services.create_request(
            by=ulyanovsk,
            needed_by=today + timedelta(days=30),
            justification=WHY,
            priority="normal",
            lines=[{"item_id": items[2].id, "quantity": 10}],
        )
        services.submit(request=fresh, by=ulyanovsk)

    needed_by = today + timedelta(days=21)
    candidates = [item.id for item in items]
    # Nairobi's request, half covered by Afya Relief's shelves (the rest is owed), and Busan's, covered by
    # MedAsia's: each provider has a dispatch to prepare.
    for provider, city, days, minimum in ((providers[4], cities[9], 5, 4), (providers[0], cities[1], 4, 8)):
        lot = _usable_lot(candidates, needed_by, minimum=minimum, provider_id=provider.id)
        if lot is None:
            continue
        _approved_and_allocated(
            by=coordinator,
            coordinator=coordinator,
            city_id=city.id,
            lot=lot,
            wanted=lot.available + 10 if minimum == 4 else minimum,
            quantity=lot.available // 2 if minimum == 4 else minimum,
            priority="high",
            needed_by=needed_by,
            created=ago(days),
        )
        candidates.remove(lot.item_id)
    # Sejong's and Ульяновск's requests shipped by MedAsia this week: each city has a delivery to receive.
    for user, days, shipped_days in ((sejong, 6, 2), (ulyanovsk, 8, 1)):
        lot = _usable_lot(candidates, needed_by, minimum=5, provider_id=providers[0].id)
        if lot is None:
            return
        request = _approved_and_allocated(
            by=user,
            coordinator=coordinator,
            city_id=None,
            lot=lot,
            wanted=5,
            quantity=5,
            priority="normal",
            needed_by=needed_by,
            created=ago(days),
        )
        with clock_at(ago(shipped_days + 0.5)):
            prepared = dispatch.create_dispatch(request=request, by=coordinator, provider_id=lot.provider_id)
        with clock_at(ago(shipped_days)):
            dispatch.ship(
                dispatch=prepared,
                by=coordinator,
                carrier="DHL Express",
                tracking_number=f"JD0146{request.id:05d}",
                packages=2,
            )
        candidates.remove(lot.item_id)
    db.session.flush()


def _approved_and_allocated(
    *, by, coordinator, city_id, lot, wanted, quantity, priority, needed_by, created
) -> AssistanceRequest:
    """A request made at ``created``, submitted an hour later, approved and allocated from ``lot`` next day."""
    with clock_at(created):
        request = services.create_request(
            by=by,
            city_id=city_id,
            needed_by=needed_by,
            justification=WHY,
            priority=priority,
            lines=[{"item_id": lot.item_id, "quantity": wanted}],
        )
    with clock_at(created + timedelta(hours=1)):
        services.submit(request=request, by=by)
    with clock_at(created + timedelta(hours=20)):
        services.approve(request=request, by=coordinator)
        line = db.session.scalar(select(RequestLine).where(RequestLine.request_id == request.id))
        allocation.allocate(
            request=request, by=coordinator, line_id=line.id, lot_id=lot.id, quantity=quantity
        )
    return request
