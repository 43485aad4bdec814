"""The outbox: features call ``notify`` in their own transaction; a check delivers by email later.

A message is written in its recipient's language (``languages.of_users``: their own, else their
city's, else English): features pass its subject and body as lazy gettext strings (``_l`` with their
values), and each recipient's copy is rendered under ``force_locale`` of their language when it is
queued. Plain strings (text a person typed, e.g. a rejection reason) are stored as they are.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder import languages
from health_responder.auth.models import STAFF, User
from health_responder.extensions import db
from health_responder.notifications.models import Notification


def not_yet_told(*, users: Iterable[User | int], key: str) -> dict[int, str]:
    """The users who have not been queued the news ``key`` yet, with the message id each would get."""
    ids = sorted({u if isinstance(u, int) else u.id for u in users})
    if not ids:
        return {}
    message_ids = {uid: f"{key}:user={uid}"[:200] for uid in ids}
    existing = set(
        db.session.scalars(
            select(Notification.message_id).where(Notification.message_id.in_(list(message_ids.values())))
        ).all()
    )
    return {uid: message_id for uid, message_id in message_ids.items() if message_id not in existing}


def notify(
    *, users: Iterable[User | int], key: str, subject: object, body: object = "", link: str | None = None
) -> int:
    """Queue one message per user, in that user's language; ``key`` names the news, so the same news is
    queued once per user.

    ``subject`` and ``body`` are lazy gettext strings (or plain text). Returns how many were newly
    queued. Safe to call again for the same key (retries, repeated checks).
    """
    added = 0
    pending = not_yet_told(users=users, key=key)
    spoken = languages.of_users(list(pending))
    for uid, message_id in pending.items():
        subject_text = languages.render(subject, spoken[uid])
        body_text = languages.render(body, spoken[uid])
        # A savepoint per row: a racing writer of the same message id loses quietly, not the caller.
        try:
            with db.session.begin_nested():
                db.session.add(
                    Notification(
                        user_id=uid,
                        message_id=message_id,
                        subject=subject_text[:300],
                        body=body_text,
                        link=link,
                    )
                )
            added += 1
        except sa.exc.IntegrityError:
            pass
    return added


def staff_users() -> list[int]:
    """Ids of the active coordinators and admins (they hear about new requests and alerts)."""
    return db.session.scalars(select(User.id).where(User.role.in_(STAFF), User.active.is_(True))).all()


def city_users(city_id: int) -> list[int]:
    """Ids of the active users of a city."""
    return db.session.scalars(select(User.id).where(User.city_id == city_id, User.active.is_(True))).all()


def provider_users(provider_id: int) -> list[int]:
    """Ids of the active users of a provider."""
    return db.session.scalars(
        select(User.id).where(User.provider_id == provider_id, User.active.is_(True))
    ).all()


def mark_read(*, notification: Notification, by: User) -> Notification:
    """The user has read their message (reading it again changes nothing)."""
    from health_responder.db import utcnow
    from health_responder.errors import NotFound

    if notification.user_id != by.id:
        raise NotFound(_l("No notification %(id)s.", id=notification.id))
    if notification.read_at is None:
        db.session.execute(
            sa.update(Notification)
            .where(Notification.id == notification.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
        db.session.refresh(notification)
    return notification


def mark_all_read(*, user: User) -> int:
    """Every unread message of ``user`` is read; returns how many were unread."""
    from health_responder.db import utcnow

    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount or 0
