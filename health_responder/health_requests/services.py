"""Writes of assistance requests: the request workflow of design.md (allocations: allocation.services).

Every transition is one function that locks the request row, checks role, tenant and state, changes
the rows, writes the audit event (and the ledger, through ``stock``) and never commits. Locks are
taken request first, then lots in id order, everywhere (here and in dispatch), so two transactions
never wait on each other in a circle.

The statuses between ``approved`` and ``delivered`` follow from the lines: ``refresh_status`` derives
them after every allocation, release, shipment and receipt.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.allocation import services as allocation
from health_responder.audit import services as audit
from health_responder.audit.actor import Actor
from health_responder.audit.models import AuditEvent
from health_responder.auth.access import STAFF, require_role
from health_responder.auth.models import Role, User
from health_responder.db import utc_today, utcnow
from health_responder.dispatch import services as dispatching
from health_responder.dispatch.models import Dispatch, DispatchStatus
from health_responder.errors import InvalidTransition, NotFound, ValidationFailed, code_label
from health_responder.extensions import db
from health_responder.health_requests.models import (
    PRIORITY_RANK,
    TARGET,
    TRANSITIONS,
    AssistanceRequest,
    RequestLine,
    RequestStatus,
)
from health_responder.notifications import services as notifications
from health_responder.reference.models import City, Item

S = RequestStatus
LINES = RequestLine.__table__
REQUEST_FIELDS = ("status", "priority", "needed_by", "justification", "delivery_contact")
#: The words of a refused transition's message ("Cannot approve a request that is draft …").
REQUEST = _l("request")
ACTIONS = {
    "submit": _l("submit"),
    "approve": _l("approve"),
    "reject": _l("reject"),
    "cancel": _l("cancel"),
    "close": _l("close"),
    "edit": _l("edit"),
    "withdraw": _l("take back to draft"),
}


# --- helpers


def reference_for(prefix: str, year: int, ident: int) -> str:
    """``REQ-2026-000123``: the year of creation and the id, unique without a counter."""
    return f"{prefix}-{year}-{ident:06d}"


def lock_request(request_id: int) -> AssistanceRequest:
    """The request row, locked for this transaction (PostgreSQL) and re-read, or NotFound."""
    found = db.session.scalar(
        select(AssistanceRequest)
        .where(AssistanceRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if found is None:
        raise NotFound(_l("No request %(id)s.", id=request_id))
    return found


def lines_of(request_id: int) -> list[RequestLine]:
    """The request's lines in id order, re-read."""
    return list(
        db.session.scalars(
            select(RequestLine)
            .where(RequestLine.request_id == request_id)
            .order_by(RequestLine.id)
            .execution_options(populate_existing=True)
        )
    )


def _check_tenant(request: AssistanceRequest, by: User | None) -> None:
    """A city user acts on its own city's requests only; another city's request is not found."""
    if by is not None and by.role == Role.CITY and by.city_id != request.city_id:
        raise NotFound(_l("No request %(id)s.", id=request.id))
    if by is not None and by.role == Role.PROVIDER:
        raise NotFound(_l("No request %(id)s.", id=request.id))


def _check_state(request: AssistanceRequest, action: str) -> None:
    if request.status not in TRANSITIONS[action]:
        raise InvalidTransition(REQUEST, request.status, TARGET[action], action=ACTIONS[action])


def _snapshot(request: AssistanceRequest) -> dict:
    return {name: getattr(request, name) for name in REQUEST_FIELDS}


def _check_needed_by(needed_by: date) -> None:
    if needed_by < utc_today():
        raise ValidationFailed(
            _l("The needed-by date is in the past."),
            {
                "needed_by": [
                    _l("%(date)s is in the past: give today or a later day.", date=needed_by.isoformat())
                ]
            },
        )


def _check_lines(lines: list[dict]) -> None:
    """Every item exists and is in the catalogue; each item once."""
    errors: dict[str, list] = {}
    ids = [line["item_id"] for line in lines]
    found = {
        item.id: item
        for item in db.session.execute(select(Item.id, Item.code, Item.active).where(Item.id.in_(ids)))
    }
    seen: dict[int, int] = {}
    for index, line in enumerate(lines):
        item = found.get(line["item_id"])
        if item is None:
            errors[f"lines.{index}.item_id"] = [_l("No item %(id)s.", id=line["item_id"])]
        elif not item.active:
            errors[f"lines.{index}.item_id"] = [
                _l("Item %(code)s is no longer in the catalogue.", code=item.code)
            ]
        elif line["item_id"] in seen:
            errors[f"lines.{index}.item_id"] = [
                _l(
                    "Item %(code)s is already on line %(line)s.",
                    code=item.code,
                    line=seen[line["item_id"]] + 1,
                )
            ]
        else:
            seen[line["item_id"]] = index
        if line["quantity"] <= 0:
            errors[f"lines.{index}.quantity"] = [_l("Must be at least 1.")]
    if errors:
        raise ValidationFailed(_l("Some lines are not valid: see errors for each field."), errors)


def _add_lines(request: AssistanceRequest, lines: list[dict]) -> None:
    """Insert ``lines`` for ``request`` in one statement (Core: no ORM objects are needed for rows read back by id)."""
    db.session.execute(
        sa.insert(LINES),
        [
            {
                "request_id": request.id,
                "item_id": line["item_id"],
                "quantity": line["quantity"],
                "quantity_allocated": 0,
                "quantity_dispatched": 0,
                "quantity_received": 0,
                "quantity_rejected": 0,
            }
            for line in lines
        ],
    )


def _city_of(by: User, city_id: int | None) -> int:
    if by.role == Role.CITY:
        if city_id is not None and city_id != by.city_id:
            raise ValidationFailed(
                _l("City users create requests for their own city."),
                {"city_id": [_l("Leave it out, or give your own city.")]},
            )
        return by.city_id
    if city_id is None:
        raise ValidationFailed(
            _l("Say which city the request is for."), {"city_id": [_l("Required for coordinators.")]}
        )
    if db.session.get(City, city_id) is None:
        raise ValidationFailed(_l("Unknown city."), {"city_id": [_l("No city %(id)s.", id=city_id)]})
    return city_id


# --- requests


def create_request(
    *,
    by: User,
    needed_by: date,
    justification: str,
    lines: list[dict],
    priority: str = "normal",
    delivery_contact: str | None = None,
    city_id: int | None = None,
) -> AssistanceRequest:
    """A draft request of a city (city users: their own; staff: the city they name)."""
    require_role(by, Role.CITY, *STAFF)
    city_id = _city_of(by, city_id)
    _check_needed_by(needed_by)
    _check_lines(lines)
    now = utcnow()
    request = AssistanceRequest(
        city_id=city_id,
        status=S.DRAFT,
        priority=priority,
        priority_rank=PRIORITY_RANK[priority],
        needed_by=needed_by,
        justification=justification,
        delivery_contact=delivery_contact,
        created_by_id=by.id,
        created_at=now,
        updated_at=now,
    )
    db.session.add(request)
    db.session.flush()
    request.reference = reference_for("REQ", now.year, request.id)
    _add_lines(request, lines)
    audit.record(
        action="request.create",
        subject=request,
        by=by,
        after=_snapshot(request) | {"reference": request.reference, "city_id": city_id, "lines": lines},
    )
    db.session.flush()
    return request


def check_editable(*, request: AssistanceRequest, by: User) -> None:
    """Raise unless ``by`` may change ``request`` now (role, tenant, a draft): what the edit form asks first."""
    require_role(by, Role.CITY, *STAFF)
    _check_tenant(request, by)
    _check_state(request, "edit")


def update_request(*, request: AssistanceRequest, by: User, **values) -> AssistanceRequest:
    """Change a draft; ``lines``, when given, replace all its lines. The reference stays."""
    require_role(by, Role.CITY, *STAFF)
    _check_tenant(request, by)
    request = lock_request(request.id)
    _check_state(request, "edit")
    if "needed_by" in values:
        _check_needed_by(values["needed_by"])
    lines = values.pop("lines", None)
    if lines is not None:
        _check_lines(lines)
    before = _snapshot(request) | {"lines": [(line.item_id, line.quantity) for line in lines_of(request.id)]}
    for name, value in values.items():
        setattr(request, name, value)
    if "priority" in values:
        request.priority_rank = PRIORITY_RANK[values["priority"]]
    if lines is not None:
        db.session.execute(sa.delete(LINES).where(LINES.c.request_id == request.id))
        _add_lines(request, lines)
    request.updated_at = utcnow()
    db.session.flush()
    audit.record(
        action="request.update",
        subject=request,
        by=by,
        before=before,
        after=_snapshot(request)
        | {"lines": [(line.item_id, line.quantity) for line in lines_of(request.id)]},
    )
    return request


def _move(request: AssistanceRequest, action: str, by: User | None, **extra) -> AssistanceRequest:
    before = request.status
    request.status = TARGET[action]
    request.updated_at = utcnow()
    audit.record(
        action=f"request.{action}",
        subject=request,
        by=by,
        before={"status": before},
        after={"status": request.status, **extra},
    )
    return request


def _withdrawals(request: AssistanceRequest) -> int:
    """How many times the request was taken back to draft (each later submission is news again)."""
    return db.session.scalar(
        select(sa.func.count())
        .select_from(AuditEvent)
        .where(
            AuditEvent.subject_type == "assistance_request",
            AuditEvent.subject_id == request.id,
            AuditEvent.action == "request.withdraw",
        )
    )


def submit(*, request: AssistanceRequest, by: User) -> AssistanceRequest:
    """draft → submitted; the coordinators hear of it."""
    require_role(by, Role.CITY, *STAFF)
    _check_tenant(request, by)
    request = lock_request(request.id)
    _check_state(request, "submit")
    _check_needed_by(request.needed_by)
    request.submitted_at = utcnow()
    _move(request, "submit", by)
    again = _withdrawals(request)
    notifications.notify(
        users=notifications.staff_users(),
        key=f"request:{request.id}:submitted" + (f":{again}" if again else ""),
        subject=_l(
            "%(reference)s submitted (%(priority)s)",
            reference=request.reference,
            priority=code_label(request.priority),
        ),
        body=_l(
            "Request %(reference)s needs review; needed by %(date)s.",
            reference=request.reference,
            date=request.needed_by.isoformat(),
        ),
        link=f"/requests/{request.id}",
    )
    return request


def withdraw(*, request: AssistanceRequest, by: User) -> AssistanceRequest:
    """submitted → draft, by the request's city before anyone approved it; the reference stays.

    It leaves the coordinators' queue until it is submitted again (a new submission, a new
    ``submitted_at``); they hear that it was taken back.
    """
    require_role(by, Role.CITY)
    _check_tenant(request, by)
    request = lock_request(request.id)
    _check_state(request, "withdraw")
    submitted_at = request.submitted_at
    request.submitted_at = None
    _move(request, "withdraw", by, submitted_at=submitted_at)
    notifications.notify(
        users=notifications.staff_users(),
        key=f"request:{request.id}:withdrawn:{_withdrawals(request)}",
        subject=_l("%(reference)s taken back to draft by its city", reference=request.reference),
        body=_l(
            "Request %(reference)s is a draft again: its city is changing it.", reference=request.reference
        ),
        link=f"/requests/{request.id}",
    )
    return request


def approve(*, request: AssistanceRequest, by: User) -> AssistanceRequest:
    """submitted → approved (coordinators); allocation is a separate act."""
    require_role(by, *STAFF)
    request = lock_request(request.id)
    _check_state(request, "approve")
    request.approved_at = utcnow()
    request.approved_by_id = by.id
    _move(request, "approve", by)
    notifications.notify(
        users=notifications.city_users(request.city_id),
        key=f"request:{request.id}:approved",
        subject=_l("%(reference)s approved", reference=request.reference),
        body=_l(
            "Your request %(reference)s was approved; stock will be allocated to it.",
            reference=request.reference,
        ),
        link=f"/requests/{request.id}",
    )
    return request


def reject(*, request: AssistanceRequest, by: User, reason: str) -> AssistanceRequest:
    """submitted/approved (nothing reserved yet) → rejected, with the reason."""
    require_role(by, *STAFF)
    request = lock_request(request.id)
    _check_state(request, "reject")
    if any(line.quantity_allocated for line in lines_of(request.id)):
        raise InvalidTransition(REQUEST, request.status, S.REJECTED, action=ACTIONS["reject"])
    request.rejected_reason = reason
    _move(request, "reject", by, reason=reason)
    notifications.notify(
        users=notifications.city_users(request.city_id),
        key=f"request:{request.id}:rejected",
        subject=_l("%(reference)s rejected", reference=request.reference),
        body=reason,
        link=f"/requests/{request.id}",
    )
    return request


def cancel(*, request: AssistanceRequest, by: User, reason: str | None = None) -> AssistanceRequest:
    """Any state before a shipment → cancelled: releases every reservation, cancels prepared dispatches."""
    require_role(by, Role.CITY, *STAFF)
    _check_tenant(request, by)
    request = lock_request(request.id)
    _check_state(request, "cancel")
    dispatches = dispatching.cancel_prepared_of(
        request=request, by=by, reason=f"request {request.reference} cancelled"
    )
    released = allocation.release_all(
        request=request, actor=Actor.of(by), note=f"request {request.reference} cancelled"
    )
    request.cancelled_at = utcnow()
    _move(request, "cancel", by, reason=reason, released_units=released, cancelled_dispatches=dispatches)
    return request


def close(*, request: AssistanceRequest, by: User, note: str) -> AssistanceRequest:
    """Any state after approval → closed with a note: releases what is reserved, cancels prepared dispatches.

    What was never allocated stays visible on the lines (``quantity - quantity_allocated``).
    """
    require_role(by, *STAFF)
    request = lock_request(request.id)
    _check_state(request, "close")
    dispatches = dispatching.cancel_prepared_of(
        request=request, by=by, reason=f"request {request.reference} closed"
    )
    released = allocation.release_all(
        request=request, actor=Actor.of(by), note=f"request {request.reference} closed"
    )
    request.closed_at = utcnow()
    lines = lines_of(request.id)
    unfilled = {
        line.id: line.owed - line.quantity_dispatched
        for line in lines
        if line.owed > line.quantity_dispatched
    }
    request.close_note = note + _owed_at_close(lines)
    _move(
        request,
        "close",
        by,
        note=request.close_note,
        released_units=released,
        cancelled_dispatches=dispatches,
        unfilled=unfilled,
    )
    return request


def _owed_at_close(lines: list[RequestLine]) -> str:
    """What a request closed short still owed, as a sentence for its close note ("" when nothing)."""
    owed = [(line.item_id, line.owed - line.quantity_dispatched) for line in lines]
    owed = [(item_id, units) for item_id, units in owed if units > 0]
    if not owed:
        return ""
    codes = dict(
        db.session.execute(select(Item.id, Item.code).where(Item.id.in_([i for i, _u in owed]))).all()
    )
    parts = ", ".join(f"{units} × {codes.get(item_id, item_id)}" for item_id, units in owed)
    return f"\n\nClosed short: {sum(u for _i, u in owed)} unit(s) still owed ({parts})."


def allocation_status(wanted: int, allocated: int) -> str:
    """The derived status of a request of which nothing has shipped yet."""
    if allocated >= wanted > 0:
        return S.ALLOCATED
    return S.PARTIALLY_ALLOCATED if allocated > 0 else S.APPROVED


def refresh_status(*, request: AssistanceRequest) -> str:
    """Derive the status between approved and delivered from the lines (and the dispatches' receipts)."""
    derived = {S.APPROVED, S.PARTIALLY_ALLOCATED, S.ALLOCATED, S.PARTIALLY_DISPATCHED, S.DISPATCHED}
    if request.status not in derived:
        return request.status
    db.session.flush()
    totals = db.session.execute(
        select(
            sa.func.coalesce(sa.func.sum(RequestLine.quantity + RequestLine.quantity_replaced), 0),
            sa.func.coalesce(sa.func.sum(RequestLine.quantity_allocated), 0),
            sa.func.coalesce(sa.func.sum(RequestLine.quantity_dispatched), 0),
        ).where(RequestLine.request_id == request.id)
    ).one()
    wanted, allocated, dispatched = (int(v) for v in totals)
    if dispatched >= wanted > 0:
        open_dispatches = db.session.scalar(
            select(sa.func.count())
            .select_from(Dispatch)
            .where(
                Dispatch.request_id == request.id,
                Dispatch.status.in_([DispatchStatus.PREPARED, DispatchStatus.SHIPPED]),
            )
        )
        status = S.DISPATCHED if open_dispatches else S.DELIVERED
    elif dispatched > 0:
        status = S.PARTIALLY_DISPATCHED
    else:
        status = allocation_status(wanted, allocated)
    if status != request.status:
        before = request.status
        request.status = status
        request.updated_at = utcnow()
        if status == S.DELIVERED:
            request.delivered_at = request.updated_at
        audit.record(
            action="request.status",
            subject=request,
            actor_label="system",
            before={"status": before},
            after={"status": status},
        )
    return request.status
