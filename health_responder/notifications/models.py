"""The outbox of messages to users."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, moment, text


class Notification(SQLModel, table=True):
    """A message to one user; delivered at least once, deduplicated by ``message_id``."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    #: Stable id of the news for this user, e.g. "request-approved:12:user=4"; writing it twice is a no-op.
    message_id: str = Field(max_length=200, unique=True)
    subject: str = Field(max_length=300)
    body: str = text(default="", nullable=False)
    #: A path in the app the message points to.
    link: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_at()
    read_at: datetime | None = moment()
    #: pending, sending (claimed by a sender), sent, skipped (no SMTP or no email), failed (retries used up).
    email_status: str = Field(default="pending", max_length=20, index=True)
    email_attempts: int = Field(default=0)
    email_sent_at: datetime | None = moment()
    email_error: str | None = text()
    #: While ``sending``: the sender that claimed it owns it until then; later it may be claimed again.
    email_claimed_until: datetime | None = moment()
