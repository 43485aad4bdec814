"""The audit event table. Rows are only ever inserted."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at


class AuditEvent(SQLModel, table=True):
    """One change made by a person, a token or a scheduled run."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = created_at()
    #: The user who acted; empty for a scheduled run.
    actor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    #: "user:<email>", "job:<name>#<run id>" or "cli".
    actor_label: str = Field(max_length=200)
    action: str = Field(max_length=60, index=True)
    subject_type: str = Field(max_length=60)
    subject_id: int | None = Field(default=None)
    before: dict | None = Field(default=None, sa_type=sa.JSON)
    after: dict | None = Field(default=None, sa_type=sa.JSON)
    request_id: str | None = Field(default=None, max_length=64)

    __table_args__ = (sa.Index("ix_audit_event_subject", "subject_type", "subject_id"),)
