"""Reads of notifications: a user sees only their own (another's is a 404)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.auth.models import User
from health_responder.db import paginate
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.notifications.models import Notification


def list_own(*, user: User, args: dict) -> dict:
    """A page of the user's notifications, newest first."""
    statement = select(Notification).where(Notification.user_id == user.id)
    if args.get("unread") is not None:
        statement = statement.where(
            Notification.read_at.is_(None) if args["unread"] else Notification.read_at.is_not(None)
        )
    if not args.get("order_by"):
        args = args | {"order_by": "-id"}
    return paginate(
        db.session, statement, args, {"id": Notification.id, "created_at": Notification.created_at}
    )


def own(*, user: User, notification_id: int) -> Notification:
    """One of the user's notifications, or NotFound."""
    row = db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == user.id)
    )
    if row is None:
        raise NotFound(_l("No notification %(id)s.", id=notification_id))
    return row


def unread_count(*, user: User) -> int:
    """How many of the user's messages are unread (the bell in the header)."""
    return db.session.scalar(
        select(sa.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def safe_link(*, link: str | None) -> str | None:
    """A message's link when it is a path of this app (never another site), else None."""
    if not link or not link.startswith("/") or link.startswith("//") or "\\" in link:
        return None
    return link
