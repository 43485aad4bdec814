"""Reservations held on a lot that was quarantined or recalled after it was allocated.

A quarantine or a recall keeps the lot's reservations (people decide what becomes of them), but none
of them may leave the warehouse any more (``rules.dispatchable_sql``: preparing or shipping a dispatch
that holds the lot answers 409). So the change raises an alert to the coordinators, and to the lot's
provider, listing every request that holds the lot: its reserved units, its allocations and the prepared
dispatch carrying them. The coordinator cancels that dispatch, releases the reservation
(``POST /allocations/{id}/release``) and allocates another lot; the alert follows: refreshed while
reservations remain, resolved when the last one is released or the lot is available again.

stock/ tells us of a status change through ``stock.services.STATUS_HOOKS`` (stock does not import
allocation: allocation imports stock).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlmodel import select

from health_responder.allocation import rules
from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.checks import services as alerts
from health_responder.errors import code_label
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest
from health_responder.providers.models import Provider
from health_responder.reference import queries as reference_queries
from health_responder.reference.models import City
from health_responder.stock import services as stock
from health_responder.stock.models import LotStatus, StockLot

#: The alert's kind (checks.models.ALERT_KINDS lists it).
KIND = "unusable_lot"
#: Requests an alert's message names at most (its details list them all).
NAMED = 10
DISPATCHES = sa.table("dispatch", sa.column("id"), sa.column("reference"))


def dedup_key(lot_id: int) -> str:
    """The alert's condition: reservations held on this unusable lot."""
    return f"{KIND}:lot={lot_id}"


def held_by(lot_id: int) -> list[dict]:
    """The requests holding reserved units of the lot, most urgent first, each with its allocations."""
    rows = db.session.execute(
        select(
            AssistanceRequest.id,
            AssistanceRequest.reference,
            City.name,
            AssistanceRequest.priority,
            AssistanceRequest.needed_by,
            Allocation.id,
            Allocation.quantity,
            DISPATCHES.c.id,
            DISPATCHES.c.reference,
        )
        .select_from(Allocation)
        .join(AssistanceRequest, AssistanceRequest.id == Allocation.request_id)
        .join(City, City.id == AssistanceRequest.city_id)
        .outerjoin(DISPATCHES, DISPATCHES.c.id == Allocation.dispatch_id)
        .where(Allocation.lot_id == lot_id, Allocation.status == AllocationStatus.RESERVED)
        .order_by(
            AssistanceRequest.priority_rank, AssistanceRequest.needed_by, AssistanceRequest.id, Allocation.id
        )
    ).all()
    held: dict[int, dict] = {}
    for request_id, reference, city, priority, needed_by, allocation_id, quantity, dispatch_id, dsp in rows:
        entry = held.setdefault(
            request_id,
            {
                "request_id": request_id,
                "reference": reference,
                "city": city,
                "priority": priority,
                "needed_by": needed_by.isoformat(),
                "reserved": 0,
                "allocation_ids": [],
                "prepared_dispatches": [],
            },
        )
        entry["reserved"] += quantity
        entry["allocation_ids"].append(allocation_id)
        if dispatch_id is not None and dsp not in entry["prepared_dispatches"]:
            entry["prepared_dispatches"].append(dsp)
    return list(held.values())


def _message(lot: StockLot, item_code: str, provider: str, held: list[dict]):
    """The alert's words, a lazy string: English in the alert, each reader's language in their message."""
    units = sum(entry["reserved"] for entry in held)
    named = []
    for entry in held[:NAMED]:
        if entry["prepared_dispatches"]:
            text = _l(
                "%(reference)s (%(city)s, %(units)s reserved, on prepared dispatch %(dispatches)s)",
                dispatches=", ".join(entry["prepared_dispatches"]),
                reference=entry["reference"],
                city=entry["city"],
                units=entry["reserved"],
            )
        else:
            text = _l(
                "%(reference)s (%(city)s, %(units)s reserved)",
                reference=entry["reference"],
                city=entry["city"],
                units=entry["reserved"],
            )
        named.append(text)
    more = _l(" and %(n)s more", n=len(held) - NAMED) if len(held) > NAMED else ""
    cancel = _l("cancel those dispatches, ") if any(entry["prepared_dispatches"] for entry in held) else ""
    return _l(
        "Lot %(lot)s (%(item)s) of %(provider)s is %(status)s with %(units)s unit(s) reserved for %(requests)s "
        "request(s): %(named)s%(more)s. It cannot be dispatched: %(cancel)srelease these reservations and "
        "allocate another lot.",
        lot=lot.lot_code,
        item=item_code,
        provider=provider,
        status=code_label(lot.status),
        units=units,
        requests=len(held),
        named=LazyString(lambda: "; ".join(str(text) for text in named)),
        more=more,
        cancel=cancel,
    )


def sync_alert(*, lot_id: int) -> bool:
    """Raise or refresh the lot's alert while it is unusable and holds reservations, else resolve it; True when open."""
    lot = db.session.get(StockLot, lot_id)
    held = [] if lot is None or rules.is_dispatchable(status=lot.status) else held_by(lot_id)
    if not held:
        if lot is None or rules.is_dispatchable(status=lot.status):
            note = "The lot is available again."
        else:
            note = "No reservation of the lot is left."
        alerts.resolve_condition(dedup_key=dedup_key(lot_id), note=note)
        return False
    item_code = reference_queries.item_code(item_id=lot.item_id)
    provider = db.session.scalar(select(Provider.name).where(Provider.id == lot.provider_id))
    alerts.raise_alert(
        kind=KIND,
        dedup_key=dedup_key(lot_id),
        message=_message(lot, item_code, provider, held),
        severity="critical" if lot.status == LotStatus.RECALLED else "warning",
        details={
            "lot_id": lot.id,
            "lot_code": lot.lot_code,
            "item_id": lot.item_id,
            "status": lot.status,
            "reserved": sum(entry["reserved"] for entry in held),
            "requests": held,
        },
        subject=("stock_lot", lot.id),
        provider_id=lot.provider_id,
        link=f"/stock/lots/{lot.id}",  # the lot's card: its reservations, and release or recall from there
    )
    return True


def _status_changed(*, lot: StockLot, before: str) -> None:
    if before != lot.status:
        sync_alert(lot_id=lot.id)


stock.STATUS_HOOKS.append(_status_changed)
stock.RESERVED_FOR.append(lambda lot_id: [held["reference"] for held in held_by(lot_id)])
