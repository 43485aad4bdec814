"""Writes of allocations: a coordinator's allocation, one reservation of a lot for a line, a release.

Every write locks the request first (health_requests.services.lock_request), then the lots in id
order, like every other writer of a line's allocated quantity, so that two transactions never wait
on each other in a circle. Nothing here commits. The rules (which lot is usable, the rationale) come
from ``rules``; the auto_allocate check reserves whole batches through ``bulk`` with the same rules.
"""

from __future__ import annotations

import contextlib

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.allocation import holds, planner, queries, rules
from health_responder.allocation.models import Allocation, AllocationStatus
from health_responder.audit import services as audit
from health_responder.audit.actor import Actor
from health_responder.auth.access import STAFF, require_role
from health_responder.auth.models import Role, User
from health_responder.checks import services as alerts
from health_responder.checks.models import Alert, AlertStatus
from health_responder.db import utcnow
from health_responder.errors import (
    Conflict,
    InsufficientStock,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    code_label,
)
from health_responder.extensions import db
from health_responder.health_requests import services as requests
from health_responder.health_requests.models import FULFILLING, AssistanceRequest, RequestLine, RequestStatus
from health_responder.notifications import services as notifications
from health_responder.providers.models import Provider, ProviderNetwork
from health_responder.reference import queries as reference
from health_responder.reference.models import City, Network
from health_responder.stock import services as stock
from health_responder.stock.models import LotStatus, StockLot

LINES = RequestLine.__table__
REQUESTS = AssistanceRequest.__table__


def _label(by: User | None, actor: Actor) -> str | None:
    return None if by is not None else actor.label


def release_all(*, request: AssistanceRequest, actor: Actor, note: str) -> int:
    """Release every still-reserved allocation of the request (lots in id order); returns the units."""
    allocations = db.session.scalars(
        select(Allocation)
        .where(Allocation.request_id == request.id, Allocation.status == AllocationStatus.RESERVED)
        .order_by(Allocation.lot_id, Allocation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    released = 0
    for allocation in allocations:
        _release_rows(allocation, actor, note)
        released += allocation.quantity
    return released


def _release_rows(allocation: Allocation, actor: Actor, note: str) -> None:
    stock.release(
        lot_id=allocation.lot_id,
        quantity=allocation.quantity,
        actor=actor,
        reference=("allocation", allocation.id),
        note=note,
    )
    result = db.session.execute(
        sa.update(LINES)
        .where(
            LINES.c.id == allocation.line_id,
            LINES.c.quantity_allocated - LINES.c.quantity_dispatched >= allocation.quantity,
        )
        .values(quantity_allocated=LINES.c.quantity_allocated - allocation.quantity)
    )
    if result.rowcount != 1:
        raise Conflict(
            _l(
                "The %(item)s line does not hold %(n)s reserved units to release.",
                item=reference.item_code(item_id=db.session.get(RequestLine, allocation.line_id).item_id),
                n=allocation.quantity,
            )
        )
    allocation.status = AllocationStatus.RELEASED
    allocation.released_at = utcnow()
    allocation.dispatch_id = None
    lot = db.session.get(StockLot, allocation.lot_id)
    if lot is not None and not rules.is_dispatchable(status=lot.status):
        db.session.flush()
        holds.sync_alert(lot_id=lot.id)  # fewer requests hold the withdrawn lot: the alert says which


def _too_much_for_line(*, line: RequestLine, lot: StockLot, left: int, quantity: int) -> Conflict:
    """The error for ``quantity`` over what ``line`` has ``left`` to allocate, naming the tighter limit:
    the line's, or the lot's available units when the lot has even fewer.
    """
    item = reference.item_code(item_id=line.item_id)
    if left <= 0:
        message = _l("The %(item)s line is fully allocated: nothing is left to allocate.", item=item)
        return Conflict(message, {"quantity": [message]})
    available = lot.available if lot.status == LotStatus.AVAILABLE else None
    if available is not None and available < left:
        return InsufficientStock(
            _l(
                "Asked for %(n)s of %(item)s: the line has %(left)s left to allocate and lot %(lot)s has "
                "only %(available)s available.",
                n=quantity,
                item=item,
                left=left,
                lot=lot.lot_code,
                available=available,
            ),
            {"quantity": [_l("At most %(n)s (what the lot has available).", n=max(available, 0))]},
        )
    return Conflict(
        _l(
            "The %(item)s line has only %(left)s unit(s) left to allocate; asked for %(n)s.",
            item=item,
            left=left,
            n=quantity,
        ),
        {"quantity": [_l("At most %(n)s.", n=left)]},
    )


def reserve_line(
    *,
    request: AssistanceRequest,
    line: RequestLine,
    lot_id: int,
    quantity: int,
    actor: Actor,
    rationale: str,
    by: User | None = None,
) -> Allocation:
    """Reserve ``quantity`` of lot ``lot_id`` for ``line``; whole or nothing (a savepoint), else an error.

    Allowed while the request is approved … partially dispatched (else InvalidTransition). Not enough
    stock, or not that much left to allocate on the line, answers 409; a lot of another item, or one
    that is not usable by the needed-by date, 422/409. The caller commits (a job may go on after an
    error: nothing of this call is left in the session).
    """
    request = requests.lock_request(request.id)
    if request.status not in FULFILLING:
        raise InvalidTransition(
            requests.REQUEST, request.status, RequestStatus.ALLOCATED, action=_l("allocate stock to")
        )
    if line.request_id != request.id:
        raise ValidationFailed(
            _l("The line is not on this request."),
            {"line_id": [_l("No line %(id)s on this request.", id=line.id)]},
        )
    if quantity <= 0:
        raise ValidationFailed(_l("Allocate at least one unit."), {"quantity": [_l("Must be at least 1.")]})
    lot = db.session.get(StockLot, lot_id)
    if lot is None:
        raise ValidationFailed(_l("Unknown stock lot."), {"lot_id": [_l("No stock lot %(id)s.", id=lot_id)]})
    if lot.item_id != line.item_id:
        raise ValidationFailed(
            _l("The lot holds another item than the line asks for."),
            {
                "lot_id": [
                    _l(
                        "Lot %(lot)s is not of item %(item)s.",
                        lot=lot.lot_code,
                        item=reference.item_code(item_id=line.item_id),
                    )
                ]
            },
        )
    with db.session.begin_nested():
        result = db.session.execute(
            sa.update(LINES)
            .where(LINES.c.id == line.id, quantity <= rules.remainder_sql(LINES.c))
            .values(quantity_allocated=LINES.c.quantity_allocated + quantity)
        )
        if result.rowcount != 1:
            current = db.session.scalar(select(rules.remainder_sql(LINES.c)).where(LINES.c.id == line.id))
            raise _too_much_for_line(line=line, lot=lot, left=current, quantity=quantity)
        allocation = Allocation(
            request_id=request.id,
            line_id=line.id,
            lot_id=lot.id,
            provider_id=lot.provider_id,
            quantity=quantity,
            status=AllocationStatus.RESERVED,
            rationale=rationale,
            created_by_id=by.id if by is not None else actor.user_id,
            job_run_id=actor.job_run_id,
            created_at=utcnow(),
        )
        db.session.add(allocation)
        db.session.flush()
        stock.reserve(
            lot_id=lot.id,
            quantity=quantity,
            actor=actor,
            reference=("allocation", allocation.id),
            usable=rules.usable_sql(stock.LOT.c, needed_by=request.needed_by, units=quantity),
            usable_on=request.needed_by,
        )
    db.session.refresh(line)
    audit.record(
        action="allocation.create",
        subject=allocation,
        by=by,
        actor_label=_label(by, actor),
        after={
            "request_id": request.id,
            "line_id": line.id,
            "lot_id": lot.id,
            "quantity": quantity,
            "provider_id": lot.provider_id,
            "rationale": rationale,
            "job_run_id": actor.job_run_id,
        },
    )
    requests.refresh_status(request=request)
    notifications.notify(
        users=notifications.provider_users(lot.provider_id),
        key=f"allocation:{allocation.id}",
        subject=_l(
            "%(units)s × lot %(lot)s allocated to %(reference)s",
            units=quantity,
            lot=lot.lot_code,
            reference=request.reference,
        ),
        body=_l(
            "Prepare a dispatch of %(units)s unit(s) of lot %(lot)s for %(reference)s, needed by %(date)s.",
            units=quantity,
            lot=lot.lot_code,
            reference=request.reference,
            date=request.needed_by.isoformat(),
        ),
        link=f"/requests/{request.id}",
    )
    if request.status == RequestStatus.PARTIALLY_DISPATCHED:  # a back-order: the city waits for the rest
        notifications.notify(
            users=notifications.city_users(request.city_id),
            key=f"allocation:{allocation.id}:city",
            subject=_l(
                "More of %(reference)s reserved: %(units)s unit(s)",
                reference=request.reference,
                units=quantity,
            ),
            body=_l(
                "%(units)s unit(s) of what %(reference)s still waits for are reserved and will be shipped; you will "
                "hear when they leave.",
                units=quantity,
                reference=request.reference,
            ),
            link=f"/requests/{request.id}",
        )
    return allocation


def _rationale(request: AssistanceRequest, line: RequestLine, lot: StockLot, quantity: int) -> str:
    """rules.rationale for a lot a person chose: its provider, the city's network, expiry, what is left."""
    city = db.session.get(City, request.city_id)
    serves = db.session.scalar(
        select(
            sa.exists().where(
                ProviderNetwork.provider_id == lot.provider_id,
                ProviderNetwork.network_id == city.network_id,
            )
        )
    )
    return rules.rationale(
        lot_code=lot.lot_code,
        provider=db.session.get(Provider, lot.provider_id).name,
        serves_network=bool(serves),
        city_network=db.session.scalar(select(Network.code).where(Network.id == city.network_id)),
        expires_on=lot.expires_on,
        needed_by=request.needed_by,
        quantity=quantity,
        needed=line.remainder,
        priority=request.priority,
        reference=request.reference,
    )


def allocate(
    *,
    request: AssistanceRequest,
    by: User,
    line_id: int,
    lot_id: int,
    quantity: int,
    rationale: str | None = None,
) -> Allocation:
    """A coordinator's allocation of a lot to a line, with a generated rationale unless one is given."""
    require_role(by, *STAFF)
    line = db.session.get(RequestLine, line_id)
    if line is None or line.request_id != request.id:
        raise ValidationFailed(
            _l("The line is not on this request."),
            {"line_id": [_l("No line %(id)s on this request.", id=line_id)]},
        )
    if not rationale:
        lot = db.session.get(StockLot, lot_id)
        if lot is not None and lot.item_id == line.item_id:
            rationale = "Chosen by a coordinator. " + _rationale(request, line, lot, quantity)
        else:
            rationale = "Chosen by a coordinator."
    return reserve_line(
        request=request,
        line=line,
        lot_id=lot_id,
        quantity=quantity,
        actor=Actor.of(by),
        rationale=rationale,
        by=by,
    )


def _unusable(lot: StockLot, request: AssistanceRequest, reason: str) -> Conflict:
    """The 409 of a lot that can no longer serve ``request``, saying which of rules.py's facts fails."""
    if reason == "status":
        message = _l(
            "Lot %(lot)s is %(status)s: it can no longer be allocated.",
            lot=lot.lot_code,
            status=code_label(lot.status),
        )
    elif reason == "free":
        message = _l(
            "Lot %(lot)s has no free units left: all %(n)s on hand are reserved.",
            lot=lot.lot_code,
            n=lot.on_hand,
        )
    else:
        message = _l(
            "Lot %(lot)s expires %(date)s, before %(ref)s is needed (%(needed)s): it cannot serve it.",
            lot=lot.lot_code,
            date=lot.expires_on.isoformat(),
            ref=request.reference,
            needed=request.needed_by.isoformat(),
        )
    return Conflict(message, {"lot_id": [message]})


def redistribute(*, alert: Alert, by: User, line_id: int, quantity: int | None = None) -> Allocation:
    """A lot near expiry allocated, from its alert, to an open line of any city and network (coordinators).

    The line must still owe units and the lot must still be usable for it (rules.py: available, free
    units, expiring on or after the needed-by date); else 409 saying which. ``quantity`` defaults to
    what the lot can give of what the line still needs. Audited on the allocation and on the alert; an
    alert whose lot has nothing free left is resolved.
    """
    require_role(by, *STAFF)
    lot = queries.lot_of_alert(alert=alert)
    line = db.session.get(RequestLine, line_id)
    if line is None:
        raise ValidationFailed(
            _l("Unknown request line."), {"line_id": [_l("No request line %(id)s.", id=line_id)]}
        )
    request = requests.lock_request(line.request_id)
    if request.status not in FULFILLING:
        raise InvalidTransition(
            requests.REQUEST, request.status, RequestStatus.ALLOCATED, action=_l("allocate stock to")
        )
    if line.item_id != lot.item_id:
        raise ValidationFailed(
            _l("The line asks for another item than the lot holds."),
            {
                "line_id": [
                    _l(
                        "The line asks for %(item)s, not the lot's item.",
                        item=reference.item_code(item_id=line.item_id),
                    )
                ]
            },
        )
    db.session.refresh(line)
    if line.remainder <= 0:
        message = _l(
            "The %(item)s line of %(ref)s is already filled: nothing is left to allocate.",
            item=reference.item_code(item_id=line.item_id),
            ref=request.reference,
        )
        raise Conflict(message, {"line_id": [message]})
    lot = db.session.scalar(
        select(StockLot)
        .where(StockLot.id == lot.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    reason = rules.unusable_reason(
        status=lot.status, free=lot.available, expires_on=lot.expires_on, needed_by=request.needed_by
    )
    if reason:
        raise _unusable(lot, request, reason)
    # Checked after the lot: an alert resolved because its lot ran out says so by the lot's message.
    db.session.refresh(alert)
    if alert.status != AlertStatus.OPEN:
        raise Conflict(
            _l("Alert %(id)s is resolved: its lot is no longer offered for redistribution.", id=alert.id),
            {"status": [_l("Is %(status)s, not open.", status=code_label(alert.status))]},
        )
    quantity = quantity or min(lot.available, line.remainder)
    allocation = reserve_line(
        request=request,
        line=line,
        lot_id=lot.id,
        quantity=quantity,
        actor=Actor.of(by),
        rationale=f"Redistributed from near-expiry alert {alert.id} by a coordinator. "
        + _rationale(request, line, lot, quantity),
        by=by,
    )
    audit.record(
        action="alert.redistribute",
        subject=alert,
        by=by,
        after={
            "allocation_id": allocation.id,
            "lot_id": lot.id,
            "request_id": request.id,
            "line_id": line.id,
            "quantity": quantity,
        },
    )
    db.session.refresh(lot)
    if lot.available <= 0:
        # Resolved meanwhile by someone else: the allocation stands.
        with contextlib.suppress(InvalidTransition):
            alerts.resolve(
                alert=alert,
                by=by,
                note=f"Lot {lot.lot_code} is fully allocated: the last {quantity} unit(s) went to "
                f"{request.reference}.",
            )
    return allocation


#: What an allocation made by "allocate as suggested" says before the planner's own reasons.
AS_SUGGESTED = "Allocated as suggested by a coordinator, by the rules of the automatic allocation. "


def allocate_as_suggested(*, request: AssistanceRequest, by: User) -> list[Allocation]:
    """Allocate everything the request still waits for as auto_allocate would (coordinators), whole or nothing.

    The planner chooses (planner.plan_request: usable lots only, providers serving the city's network
    first, first expiry first, each choice with its rationale) from the stock as it is now; each choice
    is reserved through ``reserve_line``, which checks the rules again in its conditional UPDATEs. A
    lost race answers 409 and nothing is kept (the caller rolls back); so does a request with nothing
    usable to allocate, saying so.
    """
    require_role(by, *STAFF)
    request = requests.lock_request(request.id)
    if request.status not in FULFILLING:
        raise InvalidTransition(
            requests.REQUEST, request.status, RequestStatus.ALLOCATED, action=_l("allocate stock to")
        )
    open_lines = [line for line in requests.lines_of(request.id) if line.remainder > 0]
    if not open_lines:
        raise Conflict(
            _l("Every line of %(ref)s is allocated already.", ref=request.reference),
            {"lines": [_l("Nothing left to allocate.")]},
        )
    plan, _needs = planner.plan_request(
        (request.id, request.reference, request.city_id, request.status, request.priority, request.needed_by),
        [
            (
                request.id,
                line.id,
                line.item_id,
                line.quantity + line.quantity_replaced,
                line.quantity_allocated,
            )
            for line in open_lines
        ],
        planner.load_queue_for(item_ids={line.item_id for line in open_lines}),
    )
    if not plan.allocations:
        raise InsufficientStock(
            _l(
                "No usable stock for %(ref)s now: the allocate page says why for each line.",
                ref=request.reference,
            ),
            {"lines": [_l("No usable lot.")]},
        )
    lines = {line.id: line for line in open_lines}
    actor = Actor.of(by)
    return [
        reserve_line(
            request=request,
            line=lines[choice.line_id],
            lot_id=choice.lot_id,
            quantity=choice.quantity,
            actor=actor,
            rationale=AS_SUGGESTED + choice.rationale,
            by=by,
        )
        for choice in plan.allocations
    ]


def release(*, allocation: Allocation, by: User, note: str | None = None) -> Allocation:
    """Give a reserved allocation's units back to the lot (staff; a provider its own)."""
    require_role(by, Role.PROVIDER, *STAFF)
    if by.role == Role.PROVIDER and allocation.provider_id != by.provider_id:
        raise NotFound(_l("No allocation %(id)s.", id=allocation.id))
    request = requests.lock_request(allocation.request_id)
    allocation = db.session.scalar(
        select(Allocation)
        .where(Allocation.id == allocation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if allocation.status != AllocationStatus.RESERVED:
        raise InvalidTransition(
            _l("allocation"), allocation.status, AllocationStatus.RELEASED, action=_l("release")
        )
    if allocation.dispatch_id is not None:
        raise Conflict(
            _l(
                "Allocation %(id)s is on prepared dispatch %(dispatch)s: cancel that dispatch first.",
                id=allocation.id,
                dispatch=allocation.dispatch_id,
            ),
            {"dispatch_id": [_l("On a prepared dispatch.")]},
        )
    _release_rows(allocation, Actor.of(by), note or f"allocation {allocation.id} released")
    audit.record(
        action="allocation.release",
        subject=allocation,
        by=by,
        before={"status": AllocationStatus.RESERVED},
        after={"status": AllocationStatus.RELEASED, "note": note},
    )
    requests.refresh_status(request=request)
    return allocation
