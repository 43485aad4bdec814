"""The one helper every service calls to leave an audit event in the same transaction."""

from __future__ import annotations

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
    label = actor_label or (f"user:{by.email}" if by is not None else "system")
    event = AuditEvent(
        actor_id=getattr(by, "id", None),
        actor_label=label[:200],
        action=action,
        subject_type=type(subject).__tablename__ if hasattr(type(subject), "__tablename__") else str(subject),
        subject_id=getattr(subject, "id", None),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        request_id=g.get("request_id") if has_request_context() else None,
    )
    db.session.add(event)
    return event
