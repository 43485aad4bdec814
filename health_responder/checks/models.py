"""Alerts (job runs: scheduler.models)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, moment, text

#: Every kind of alert, each raised by one check (unusable_lot by a lot's quarantine or recall).
ALERT_KINDS = ("overdue_request", "low_stock", "near_expiry", "readiness_gap", "unusable_lot")


class AlertStatus(enum.StrEnum):
    """Open until a person or the next check resolves it."""

    OPEN = "open"
    RESOLVED = "resolved"


class Alert(SQLModel, table=True):
    """Something a person should act on."""

    __tablename__ = "alert"

    id: int | None = Field(default=None, primary_key=True)
    #: overdue_request, low_stock, near_expiry, readiness_gap, unusable_lot.
    kind: str = Field(max_length=40, index=True)
    severity: str = Field(default="warning", max_length=20)
    #: Stable identity of the condition, e.g. "low_stock:provider=3:item=7"; one open alert per key.
    dedup_key: str = Field(max_length=200)
    status: str = Field(default=AlertStatus.OPEN, max_length=20, index=True)
    #: In English, as the API shows it.
    message: str = text(default="", nullable=False)
    #: The message in each other language the application offers ({"ko": "…"}), rendered with it.
    message_translations: dict | None = Field(default=None, sa_type=sa.JSON)
    details: dict | None = Field(default=None, sa_type=sa.JSON)
    subject_type: str | None = Field(default=None, max_length=60)
    subject_id: int | None = Field(default=None)
    city_id: int | None = Field(default=None, foreign_key="city.id", index=True)
    provider_id: int | None = Field(default=None, foreign_key="provider.id", index=True)
    job_run_id: int | None = Field(default=None, foreign_key="job_run.id")
    created_at: datetime = created_at()
    resolved_at: datetime | None = moment()
    resolved_by_id: int | None = Field(default=None, foreign_key="user.id")
    resolution: str | None = text()

    def message_in(self, language: str) -> str:
        """The message as a reader of ``language`` reads it (English when it has no copy in that language)."""
        return (self.message_translations or {}).get(language) or self.message

    __table_args__ = (
        sa.Index(
            "uq_alert_open_key",
            "dedup_key",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
    )
