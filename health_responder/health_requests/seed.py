"""Demo requests in several states, made through the same services as real ones (ledger and audit complete).

A draft, a submitted critical request, an approved and partially allocated one, and one shipped.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from health_responder.allocation import services as allocation
from health_responder.auth.models import Role
from health_responder.dispatch import services as dispatch
from health_responder.extensions import db
from health_responder.health_requests import history, services
from health_responder.health_requests.models import RequestLine
from health_responder.stock.models import LotStatus, StockLot

WHY = (
    "The municipal hospital's respiratory ward is over capacity after a seasonal outbreak; "
    "the equipment replaces units that failed their last maintenance check."
)


def _usable_lot(item_ids: list[int], needed_by, minimum: int) -> StockLot | None:
    return db.session.scalar(
        select(StockLot)
        .where(
            StockLot.item_id.in_(item_ids),
            StockLot.status == LotStatus.AVAILABLE,
            StockLot.on_hand - StockLot.reserved >= minimum,
            (StockLot.expires_on.is_(None)) | (StockLot.expires_on >= needed_by),
        )
        .order_by(StockLot.id)
    )


def load_demo(context: dict) -> None:
    """Add the demo requests; skipped quietly when the demo has no city user, coordinator or stock."""
    users = list(context["users"].values())
    city_user = next((u for u in users if u.role == Role.CITY), None)
    coordinator = next((u for u in users if u.role == Role.COORDINATOR), None)
    if city_user is None or coordinator is None:
        return
    items = context["items"]
    today = context["today"]
    other_city = next((c for c in context["cities"] if c.id != city_user.city_id), None)
    history.load(context, coordinator=coordinator, size=context.get("size", "small"))

    services.create_request(
        by=city_user,
        needed_by=today + timedelta(days=45),
        justification=WHY,
        priority="normal",
        lines=[{"item_id": items[8].id, "quantity": 40}],
    )

    submitted = services.create_request(
        by=city_user,
        needed_by=today + timedelta(days=7),
        justification=WHY,
        priority="critical",
        delivery_contact="Ward 3 duty nurse",
        lines=[{"item_id": items[0].id, "quantity": 12}, {"item_id": items[19].id, "quantity": 30}],
    )
    services.submit(request=submitted, by=city_user)

    needed_by = today + timedelta(days=21)
    for_city = other_city.id if other_city is not None else city_user.city_id
    candidates = [item.id for item in items]
    lot = _usable_lot(candidates, needed_by, minimum=4)
    if lot is None:
        return
    partial = services.create_request(
        by=coordinator,
        city_id=for_city,
        needed_by=needed_by,
        justification=WHY,
        priority="high",
        lines=[{"item_id": lot.item_id, "quantity": lot.available + 10}],
    )
    services.submit(request=partial, by=coordinator)
    services.approve(request=partial, by=coordinator)
    line = db.session.scalar(select(RequestLine).where(RequestLine.request_id == partial.id))
    allocation.allocate(
        request=partial, by=coordinator, line_id=line.id, lot_id=lot.id, quantity=lot.available // 2
    )

    lot = _usable_lot([i for i in candidates if i != lot.item_id], needed_by, minimum=5)
    if lot is None:
        return
    shipped = services.create_request(
        by=city_user,
        needed_by=needed_by,
        justification=WHY,
        priority="normal",
        lines=[{"item_id": lot.item_id, "quantity": 5}],
    )
    services.submit(request=shipped, by=city_user)
    services.approve(request=shipped, by=coordinator)
    line = db.session.scalar(select(RequestLine).where(RequestLine.request_id == shipped.id))
    allocation.allocate(request=shipped, by=coordinator, line_id=line.id, lot_id=lot.id, quantity=5)
    prepared = dispatch.create_dispatch(request=shipped, by=coordinator, provider_id=lot.provider_id)
    dispatch.ship(
        dispatch=prepared, by=coordinator, carrier="DHL Express", tracking_number="JD014600003", packages=2
    )
    db.session.flush()
