"""The city's receipt of a shipped dispatch (proof of delivery) and the replacement of rejected units.

shipped ─receipt─▶ received. Locks follow ``services``' order: the request, the dispatch, its lines.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlmodel import select

from health_responder.audit import services as audit
from health_responder.auth.access import STAFF, require_role
from health_responder.auth.models import Role, User
from health_responder.db import utcnow
from health_responder.dispatch import services as dispatches
from health_responder.dispatch import snapshot
from health_responder.dispatch.models import REJECTION_REASONS, Dispatch, DispatchLine, DispatchStatus
from health_responder.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    ValidationFailed,
    choices_label,
    code_label,
)
from health_responder.extensions import db
from health_responder.health_requests import services as requests
from health_responder.health_requests.models import REPLACEABLE, RequestStatus
from health_responder.notifications import services as notifications

D = DispatchStatus
LINES = dispatches.LINES


def _receipt_errors(shipped: dict[int, DispatchLine], lines: list[dict], received_by: str) -> dict[str, list]:
    """What is wrong with a receipt of the ``shipped`` lines, every problem at once (empty: nothing)."""
    errors: dict[str, list] = {}
    if not received_by.strip():
        errors["received_by"] = [_l("Say who received the shipment.")]
    given: dict[int, int] = {}
    for index, entry in enumerate(lines):
        line = shipped.get(entry["line_id"])
        if line is None:
            errors[f"lines.{index}.line_id"] = [_l("No line %(id)s on this dispatch.", id=entry["line_id"])]
            continue
        if entry["line_id"] in given:
            errors[f"lines.{index}.line_id"] = [
                _l(
                    "Line %(id)s is already given as entry %(entry)s.",
                    id=entry["line_id"],
                    entry=given[line.id],
                )
            ]
            continue
        given[line.id] = index
        rejected = entry.get("rejected") or 0
        if entry["accepted"] + rejected != line.quantity:
            errors[f"lines.{index}.accepted"] = [
                _l(
                    "Accepted and rejected units must add up to the %(n)s shipped (got %(accepted)s + %(rejected)s).",
                    n=line.quantity,
                    accepted=entry["accepted"],
                    rejected=rejected,
                )
            ]
        if rejected > 0 and entry.get("reason") not in REJECTION_REASONS:
            errors[f"lines.{index}.reason"] = [
                _l(
                    "Rejected units need a reason: one of %(choices)s.",
                    choices=choices_label(REJECTION_REASONS),
                )
            ]
    missing = sorted(set(shipped) - set(given))
    if missing:
        errors["lines"] = [
            _l(
                "Give every line of the dispatch; missing: %(lines)s.",
                lines=", ".join(str(m) for m in missing),
            )
        ]
    return errors


def record_receipt(*, dispatch: Dispatch, by: User, lines: list[dict], received_by: str) -> Dispatch:
    """shipped → received: per line accepted + rejected = shipped; rejected units carry a reason.

    Whatever the request's state (a closed request's last shipment can still arrive).
    """
    require_role(by, Role.CITY, *STAFF)
    dispatches.check_tenant(dispatch, by)
    request = requests.lock_request(dispatch.request_id)
    dispatch = dispatches.lock_dispatch(dispatch.id)
    dispatches.check_state(dispatch, "receipt", _l("record the receipt of"))
    shipped = {line.id: line for line in dispatches.lines_of(dispatch.id)}
    errors = _receipt_errors(shipped, lines, received_by)
    if errors:
        raise ValidationFailed(_l("The receipt cannot be recorded yet: see the errors."), errors)
    per_request_line: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    discrepancies = []
    for entry in lines:
        line = shipped[entry["line_id"]]
        rejected = entry.get("rejected") or 0
        line.accepted, line.rejected = entry["accepted"], rejected
        line.rejection_reason = entry.get("reason") if rejected else None
        line.rejection_note = entry.get("note") if rejected else None
        per_request_line[line.request_line_id][0] += line.accepted
        per_request_line[line.request_line_id][1] += rejected
        if rejected:
            discrepancies.append(
                {
                    "line_id": line.id,
                    "lot_id": line.lot_id,
                    "rejected": rejected,
                    "reason": line.rejection_reason,
                }
            )
    for line_id, (accepted, rejected) in sorted(per_request_line.items()):
        db.session.execute(
            sa.update(LINES)
            .where(LINES.c.id == line_id)
            .values(
                quantity_received=LINES.c.quantity_received + accepted,
                quantity_rejected=LINES.c.quantity_rejected + rejected,
            )
        )
    dispatch.status = D.RECEIVED
    dispatch.received_at = utcnow()
    dispatch.received_by = received_by
    audit.record(
        action="dispatch.receipt",
        subject=dispatch,
        by=by,
        before={"status": D.SHIPPED},
        after={
            "status": D.RECEIVED,
            "received_by": received_by,
            "accepted": sum(v[0] for v in per_request_line.values()),
            "rejected": sum(v[1] for v in per_request_line.values()),
            "discrepancies": discrepancies,
        },
    )
    requests.refresh_status(request=request)
    if discrepancies:
        units = sum(d["rejected"] for d in discrepancies)
        shown = {facts.line.id: facts for facts in snapshot.lines_of(dispatch)}  # as the report names them
        notifications.notify(
            users=[*notifications.staff_users(), *notifications.provider_users(dispatch.provider_id)],
            key=f"dispatch:{dispatch.id}:discrepancy",
            subject=_l(
                "%(reference)s: %(units)s unit(s) rejected at receipt",
                reference=dispatch.reference,
                units=units,
            ),
            # Each recipient's copy is joined in their language (a lazy string made when rendered).
            body=LazyString(
                lambda: ", ".join(
                    str(
                        _l(
                            "%(item)s, lot %(lot)s: %(units)s %(reason)s",
                            item=shown[d["line_id"]].item_code,
                            lot=shown[d["line_id"]].lot_code,
                            units=d["rejected"],
                            reason=code_label(d["reason"]),
                        )
                    )
                    for d in discrepancies
                )
            ),
            link=f"/dispatches/{dispatch.id}",
        )
    return dispatch


def replace_rejected(
    *, line_id: int, by: User, quantity: int | None = None, note: str | None = None
) -> DispatchLine:
    """Owe again the rejected units of a received dispatch line (all not yet replaced, or ``quantity``).

    Rejected units are not owed by themselves: the coordinator decides. The units are added to the
    request line's remainder (``quantity_replaced``), so allocation serves them like any back-order;
    a dispatched or delivered request is partially dispatched again. Staff only.
    """
    require_role(by, *STAFF)
    found = db.session.get(DispatchLine, line_id)
    if found is None:
        raise NotFound(_l("No dispatch line %(id)s.", id=line_id))
    dispatch_id = db.session.scalar(select(Dispatch.request_id).where(Dispatch.id == found.dispatch_id))
    request = requests.lock_request(dispatch_id)
    dispatch = dispatches.lock_dispatch(found.dispatch_id)
    line = db.session.scalar(
        select(DispatchLine)
        .where(DispatchLine.id == line_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    left = (line.rejected or 0) - line.replaced
    if dispatch.status != D.RECEIVED or not line.rejected:
        raise Conflict(
            _l("Dispatch line %(id)s has no units rejected at receipt to replace.", id=line.id),
            {"line_id": [_l("Nothing rejected on this line.")]},
        )
    if left <= 0:
        raise Conflict(
            _l(
                "The %(n)s rejected unit(s) of dispatch line %(id)s are already replaced.",
                n=line.rejected,
                id=line.id,
            ),
            {"line_id": [_l("Already replaced.")]},
        )
    if quantity is None:
        quantity = left
    if not 1 <= quantity <= left:
        raise ValidationFailed(
            _l("Replace between 1 and %(n)s unit(s).", n=left),
            {"quantity": [_l("Between 1 and %(n)s.", n=left)]},
        )
    if request.status not in REPLACEABLE:
        raise InvalidTransition(
            dispatches.REQUEST,
            request.status,
            RequestStatus.PARTIALLY_DISPATCHED,
            action=_l("replace rejected units of"),
        )
    line.replaced += quantity
    result = db.session.execute(
        sa.update(LINES)
        .where(
            LINES.c.id == line.request_line_id,
            LINES.c.quantity_replaced + quantity <= LINES.c.quantity_rejected,
        )
        .values(quantity_replaced=LINES.c.quantity_replaced + quantity)
    )
    if result.rowcount != 1:
        raise Conflict(
            _l(
                "Request line %(id)s has not %(n)s rejected units left to replace.",
                id=line.request_line_id,
                n=quantity,
            )
        )
    before = request.status
    if request.status != RequestStatus.PARTIALLY_DISPATCHED:
        request.status = RequestStatus.PARTIALLY_DISPATCHED
        request.delivered_at = None
        request.updated_at = utcnow()
    audit.record(
        action="dispatch.replace",
        subject=dispatch,
        by=by,
        before={"line_id": line.id, "replaced": line.replaced - quantity, "request_status": before},
        after={
            "line_id": line.id,
            "request_line_id": line.request_line_id,
            "replaced": line.replaced,
            "quantity": quantity,
            "reason": line.rejection_reason,
            "note": note,
            "request_status": request.status,
        },
    )
    notifications.notify(
        users=notifications.city_users(request.city_id),
        key=f"dispatch-line:{line.id}:replaced:{line.replaced}",
        subject=_l(
            "%(units)s rejected unit(s) of %(reference)s will be replaced",
            units=quantity,
            reference=request.reference,
        ),
        body=_l(
            "%(units)s unit(s) rejected at the receipt of %(dispatch)s (%(reason)s) are owed to you again; they "
            "will be allocated and shipped as stock allows.",
            units=quantity,
            dispatch=dispatch.reference,
            reason=code_label(line.rejection_reason),
        ),
        link=f"/requests/{request.id}",
    )
    return line
