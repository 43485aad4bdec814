"""The audit event: one function builds its row, for the ORM path (``record``) and for bulk inserts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, has_request_context

from health_responder.audit.models import AuditEvent
from health_responder.extensions import db


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def event_row(
    *,
    action: str,
    subject_type: str,
    subject_id: int | None,
    actor_id: int | None,
    actor_label: str,
    before: dict | None = None,
    after: dict | None = None,
    at: datetime | None = None,
) -> dict:
    """The column values of one audit event (``at`` left to the table's default when not given).

    The one place that says how an actor, a subject and the HTTP request id are stored: ``record``
    makes its event from it, and the bulk allocation takes its shared columns from it.
    """
    row = {
        "actor_id": actor_id,
        "actor_label": actor_label[:200],
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "before": _jsonable(before) if before is not None else None,
        "after": _jsonable(after) if after is not None else None,
        "request_id": g.get("request_id") if has_request_context() else None,
    }
    if at is not None:
        row["at"] = at
    return row


def record(
    *,
    action: str,
    subject: Any,
    by: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add an audit event for ``action`` on ``subject`` by ``by`` (a user, or None for a job)."""
    event = AuditEvent(
        **event_row(
            action=action,
            subject_type=type(subject).__tablename__
            if hasattr(type(subject), "__tablename__")
            else str(subject),
            subject_id=getattr(subject, "id", None),
            actor_id=getattr(by, "id", None),
            actor_label=actor_label or (f"user:{by.email}" if by is not None else "system"),
            before=before,
            after=after,
        )
    )
    db.session.add(event)
    return event
