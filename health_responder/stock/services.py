"""Every change of a lot's balances, each with its ledger row in the same transaction.

Balances change only through conditional UPDATEs (``… WHERE on_hand - reserved >= :n``) whose
rowcount says whether the stock was really there; the CHECK constraints on ``stock_lot`` back them
up. So two racing reservations of the last unit cannot both succeed, on PostgreSQL (the second
UPDATE waits for the first row lock and re-checks its condition) or on SQLite (IMMEDIATE writers
queue). Callers that touch several lots do it in lot id order, so two transactions never deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from health_responder.db import utcnow
from health_responder.errors import Conflict, InsufficientStock, NotFound
from health_responder.extensions import db
from health_responder.stock.models import LotStatus, MovementKind, StockLot, StockMovement

LOT = StockLot.__table__


@dataclass(frozen=True)
class Actor:
    """Who changes stock: a user, or a scheduled run (then ``job_run_id`` is set)."""

    user_id: int | None
    label: str
    job_run_id: int | None = None

    @classmethod
    def of(cls, user) -> Actor:
        """The actor for a logged-in user."""
        return cls(user_id=user.id, label=f"user:{user.email}")

    @classmethod
    def job(cls, name: str, run_id: int | None) -> Actor:
        """The actor for a scheduled run."""
        return cls(user_id=None, label=f"job:{name}#{run_id}", job_run_id=run_id)


def _ledger(*, lot_id: int, kind: str, actor: Actor, delta_on_hand: int = 0, delta_reserved: int = 0,
            reason: str | None = None, note: str | None = None, reference: tuple[str, int | None] | None = None
            ) -> StockMovement:
    movement = StockMovement(
        lot_id=lot_id, kind=kind, delta_on_hand=delta_on_hand, delta_reserved=delta_reserved, reason=reason,
        note=note, actor_id=actor.user_id, actor_label=actor.label[:200], job_run_id=actor.job_run_id,
        reference_type=reference[0] if reference else None, reference_id=reference[1] if reference else None,
    )
    db.session.add(movement)
    return movement


def _refresh(lot_id: int) -> None:
    lot = db.session.get(StockLot, lot_id)
    if lot is not None:
        db.session.refresh(lot)


def receive(*, provider_id: int, location_id: int, item_id: int, lot_code: str, expires_on: date | None,
            quantity: int, actor: Actor, note: str | None = None, status: str = LotStatus.AVAILABLE,
            reference: tuple[str, int | None] | None = None) -> StockLot:
    """Create a lot with ``quantity`` units on hand and its receipt row in the ledger."""
    if quantity <= 0:
        raise Conflict("A received quantity must be positive.", {"quantity": ["Must be at least 1."]})
    lot = StockLot(provider_id=provider_id, location_id=location_id, item_id=item_id, lot_code=lot_code,
                   expires_on=expires_on, status=status, on_hand=quantity, reserved=0, updated_at=utcnow())
    db.session.add(lot)
    db.session.flush()
    _ledger(lot_id=lot.id, kind=MovementKind.RECEIPT, actor=actor, delta_on_hand=quantity, note=note,
            reference=reference)
    return lot


def adjust(*, lot_id: int, delta: int, reason: str, actor: Actor, note: str | None = None,
           kind: str = MovementKind.ADJUSTMENT, reference: tuple[str, int | None] | None = None) -> StockMovement:
    """Add ``delta`` (negative removes) to on hand; refused when it would go below what is reserved."""
    if delta == 0:
        raise Conflict("An adjustment must change the quantity.", {"delta": ["Must not be 0."]})
    result = db.session.execute(
        sa.update(LOT).where(LOT.c.id == lot_id, LOT.c.on_hand + delta >= LOT.c.reserved)
        .values(on_hand=LOT.c.on_hand + delta, updated_at=utcnow())
    )
    if result.rowcount != 1:
        lot = db.session.get(StockLot, lot_id)
        if lot is None:
            raise NotFound(f"No stock lot {lot_id}.")
        db.session.refresh(lot)
        raise InsufficientStock(
            f"Lot {lot.lot_code} has {lot.on_hand} on hand of which {lot.reserved} reserved: "
            f"it cannot lose {-delta}.", {"delta": [f"At most {lot.on_hand - lot.reserved} can be removed."]})
    movement = _ledger(lot_id=lot_id, kind=kind, actor=actor, delta_on_hand=delta, reason=reason, note=note,
                       reference=reference)
    _refresh(lot_id)
    return movement


def reserve(*, lot_id: int, quantity: int, actor: Actor, reference: tuple[str, int | None],
            usable_on: date | None = None) -> StockMovement:
    """Reserve ``quantity`` units of an available lot; InsufficientStock when they are not there.

    ``usable_on``: the lot must not expire before this date (the line's needed-by).
    """
    if quantity <= 0:
        raise Conflict("A reserved quantity must be positive.", {"quantity": ["Must be at least 1."]})
    condition = [LOT.c.id == lot_id, LOT.c.status == LotStatus.AVAILABLE,
                 LOT.c.on_hand - LOT.c.reserved >= quantity]
    if usable_on is not None:
        condition.append(sa.or_(LOT.c.expires_on.is_(None), LOT.c.expires_on >= usable_on))
    result = db.session.execute(sa.update(LOT).where(*condition)
                                .values(reserved=LOT.c.reserved + quantity, updated_at=utcnow()))
    if result.rowcount != 1:
        lot = db.session.get(StockLot, lot_id)
        if lot is None:
            raise NotFound(f"No stock lot {lot_id}.")
        db.session.refresh(lot)
        if lot.status != LotStatus.AVAILABLE:
            raise Conflict(f"Lot {lot.lot_code} is {lot.status}; only available lots can be reserved.",
                           {"lot_id": [f"Lot is {lot.status}."]})
        if usable_on is not None and lot.expires_on is not None and lot.expires_on < usable_on:
            raise Conflict(f"Lot {lot.lot_code} expires on {lot.expires_on}, before {usable_on}.",
                           {"lot_id": ["Expires before the date it is needed by."]})
        raise InsufficientStock(f"Lot {lot.lot_code} has only {lot.available} available; asked for {quantity}.",
                                {"quantity": [f"Only {lot.available} available."]})
    movement = _ledger(lot_id=lot_id, kind=MovementKind.RESERVATION, actor=actor, delta_reserved=quantity,
                       reference=reference)
    _refresh(lot_id)
    return movement


def release(*, lot_id: int, quantity: int, actor: Actor, reference: tuple[str, int | None],
            note: str | None = None) -> StockMovement:
    """Give back ``quantity`` reserved units (an allocation released, a request cancelled)."""
    result = db.session.execute(sa.update(LOT).where(LOT.c.id == lot_id, LOT.c.reserved >= quantity)
                                .values(reserved=LOT.c.reserved - quantity, updated_at=utcnow()))
    if result.rowcount != 1:
        raise Conflict(f"Lot {lot_id} does not hold {quantity} reserved units to release.")
    movement = _ledger(lot_id=lot_id, kind=MovementKind.RELEASE, actor=actor, delta_reserved=-quantity,
                       reference=reference, note=note)
    _refresh(lot_id)
    return movement


def ship(*, lot_id: int, quantity: int, actor: Actor, reference: tuple[str, int | None]) -> StockMovement:
    """Move ``quantity`` reserved units out of the warehouse (on hand and reserved both drop)."""
    result = db.session.execute(
        sa.update(LOT).where(LOT.c.id == lot_id, LOT.c.reserved >= quantity, LOT.c.on_hand >= quantity)
        .values(on_hand=LOT.c.on_hand - quantity, reserved=LOT.c.reserved - quantity, updated_at=utcnow())
    )
    if result.rowcount != 1:
        raise Conflict(f"Lot {lot_id} does not hold {quantity} reserved units to ship.")
    movement = _ledger(lot_id=lot_id, kind=MovementKind.DISPATCH, actor=actor, delta_on_hand=-quantity,
                       delta_reserved=-quantity, reference=reference)
    _refresh(lot_id)
    return movement


def set_status(*, lot_id: int, status: str, actor: Actor, note: str | None = None) -> StockLot:
    """Quarantine, recall or release a lot; it keeps its reservations (people decide what to do with them)."""
    lot = db.session.get(StockLot, lot_id)
    if lot is None:
        raise NotFound(f"No stock lot {lot_id}.")
    lot.status = status
    lot.updated_at = utcnow()
    return lot


def ledger_mismatches() -> list[int]:
    """Ids of lots whose ledger does not sum to their balances (an empty list is the invariant)."""
    sums = (sa.select(StockMovement.lot_id, sa.func.sum(StockMovement.delta_on_hand).label("on_hand"),
                      sa.func.sum(StockMovement.delta_reserved).label("reserved"))
            .group_by(StockMovement.lot_id).subquery())
    rows = db.session.execute(
        sa.select(LOT.c.id).select_from(LOT.outerjoin(sums, sums.c.lot_id == LOT.c.id))
        .where(sa.or_(sa.func.coalesce(sums.c.on_hand, 0) != LOT.c.on_hand,
                      sa.func.coalesce(sums.c.reserved, 0) != LOT.c.reserved))
    )
    return [row[0] for row in rows]
