"""Allocations: a quantity of a lot reserved for a request line (same ``allocation`` table as before)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, moment, text


class AllocationStatus(enum.StrEnum):
    """An allocation reserves stock, then ships or is released."""

    RESERVED = "reserved"
    DISPATCHED = "dispatched"
    RELEASED = "released"


class Allocation(SQLModel, table=True):
    """A quantity of a lot reserved for a request line, with who made it and why."""

    __tablename__ = "allocation"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="assistance_request.id", index=True)
    line_id: int = Field(foreign_key="request_line.id", index=True)
    lot_id: int = Field(foreign_key="stock_lot.id", index=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    quantity: int
    #: Not indexed: three values, and every query by state also names a request, lot, run or dispatch.
    status: str = Field(default=AllocationStatus.RESERVED, max_length=20)
    #: Why this lot, this provider, this quantity.
    rationale: str = text(default="", nullable=False)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    #: The scheduled run that made it, when a run did.
    job_run_id: int | None = Field(default=None, foreign_key="job_run.id", index=True)
    #: The dispatch that carries it, once one is prepared.
    dispatch_id: int | None = Field(default=None, foreign_key="dispatch.id", index=True)
    created_at: datetime = created_at()
    released_at: datetime | None = moment()

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("status IN ('reserved', 'dispatched', 'released')", name="status_known"),
    )
