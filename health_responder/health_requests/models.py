"""Assistance requests and request lines, with the request state table (allocations: allocation.models)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, moment, text


class Priority(enum.StrEnum):
    """How urgent a request is; auto-allocation serves critical first."""

    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


#: Sort rank of each priority (lower is served first).
PRIORITY_RANK = {Priority.CRITICAL: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class RequestStatus(enum.StrEnum):
    """Where a request is in the workflow; allocation states follow from its lines."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PARTIALLY_ALLOCATED = "partially_allocated"
    ALLOCATED = "allocated"
    PARTIALLY_DISPATCHED = "partially_dispatched"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


S = RequestStatus
#: States in which stock may be allocated and dispatched.
FULFILLING = frozenset({S.APPROVED, S.PARTIALLY_ALLOCATED, S.ALLOCATED, S.PARTIALLY_DISPATCHED})
#: States in which units rejected at receipt can be replaced (something shipped; the request not ended).
REPLACEABLE = frozenset({S.PARTIALLY_DISPATCHED, S.DISPATCHED, S.DELIVERED})
#: Requests whose lines' remainders auto_allocate serves: a part shipped leaves the rest on back-order,
#: never forgotten (an allocated request has no remainder; a replacement makes it partially dispatched).
#: allocation.rules names this the requests served; it lives here, with the states, so that the
#: features below allocation (stock's checks) read it without importing allocation.
ALLOCATING = (S.APPROVED, S.PARTIALLY_ALLOCATED, S.PARTIALLY_DISPATCHED)

#: Explicit transitions people make, from each state. Allocation, dispatch and receipt move the
#: status too, but as a consequence of the lines (see services.refresh_status).
TRANSITIONS: dict[str, frozenset[RequestStatus]] = {
    "submit": frozenset({S.DRAFT}),
    "approve": frozenset({S.SUBMITTED}),
    "reject": frozenset({S.SUBMITTED, S.APPROVED}),
    "cancel": frozenset({S.DRAFT, S.SUBMITTED, S.APPROVED, S.PARTIALLY_ALLOCATED, S.ALLOCATED}),
    "close": frozenset(
        {S.APPROVED, S.PARTIALLY_ALLOCATED, S.ALLOCATED, S.PARTIALLY_DISPATCHED, S.DISPATCHED, S.DELIVERED}
    ),
    "edit": frozenset({S.DRAFT}),
    #: The city takes a submitted request back to draft to change it, as long as no one approved it.
    "withdraw": frozenset({S.SUBMITTED}),
}

#: The state each explicit transition leads to.
TARGET = {
    "submit": S.SUBMITTED,
    "approve": S.APPROVED,
    "reject": S.REJECTED,
    "cancel": S.CANCELLED,
    "close": S.CLOSED,
    "edit": S.DRAFT,
    "withdraw": S.DRAFT,
}


class AssistanceRequest(SQLModel, table=True):
    """A city's request for equipment."""

    __tablename__ = "assistance_request"

    id: int | None = Field(default=None, primary_key=True)
    #: "REQ-2026-000123": year of creation and the id, so it is unique without a counter.
    reference: str | None = Field(default=None, max_length=30, unique=True)
    #: (no index of its own: ix_assistance_request_city_created, city first, serves every lookup by city)
    city_id: int = Field(foreign_key="city.id")
    status: str = Field(
        default=RequestStatus.DRAFT, max_length=30
    )  # ix_assistance_request_queue leads with it
    priority: str = Field(default=Priority.NORMAL, max_length=10)
    #: 0 critical … 3 low, so that the queue sorts in the database.
    priority_rank: int = Field(default=2)
    needed_by: date = Field(index=True)
    justification: str = text(default="", nullable=False)
    delivery_contact: str | None = text()
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()
    updated_at: datetime | None = moment()
    submitted_at: datetime | None = moment(index=True)
    approved_at: datetime | None = moment()
    approved_by_id: int | None = Field(default=None, foreign_key="user.id")
    rejected_reason: str | None = text()
    cancelled_at: datetime | None = moment()
    delivered_at: datetime | None = moment()
    closed_at: datetime | None = moment()
    close_note: str | None = text()

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'approved', 'partially_allocated', 'allocated',"
            " 'partially_dispatched', 'dispatched', 'delivered', 'closed', 'rejected', 'cancelled')",
            name="status_known",
        ),
        sa.CheckConstraint("priority IN ('critical', 'high', 'normal', 'low')", name="priority_known"),
        sa.Index("ix_assistance_request_queue", "status", "priority_rank", "needed_by", "submitted_at"),
        sa.Index("ix_assistance_request_city_created", "city_id", "id"),
        # The API's list filtered by state, in id order: the page and its count both read this index
        # (without it the page sorts every request in the state, 2.3 ms at 9,000 of 100,000 on SQLite).
        sa.Index("ix_assistance_request_status_id", "status", "id"),
    )


class RequestLine(SQLModel, table=True):
    """One item and quantity of a request, with how much of it is allocated, shipped and received."""

    __tablename__ = "request_line"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="assistance_request.id", index=True, ondelete="CASCADE")
    item_id: int = Field(foreign_key="item.id", index=True)
    quantity: int
    #: Units reserved or already shipped for this line.
    quantity_allocated: int = Field(default=0)
    quantity_dispatched: int = Field(default=0)
    #: Units the city accepted at receipt.
    quantity_received: int = Field(default=0)
    #: Units the city rejected at receipt (damaged, expired …).
    quantity_rejected: int = Field(default=0)
    #: Rejected units a coordinator chose to replace: owed again, on top of ``quantity``. Rejected units
    #: are not owed by themselves (the city may not want them again); the remainder a line still waits
    #: for is ``quantity + quantity_replaced - quantity_allocated`` (see ``remainder``).
    quantity_replaced: int = Field(default=0, sa_column_kwargs={"server_default": "0"})

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint(
            "quantity_allocated >= 0 AND quantity_allocated <= quantity + quantity_replaced",
            name="allocated_within",
        ),
        sa.CheckConstraint(
            "quantity_dispatched >= 0 AND quantity_dispatched <= quantity_allocated", name="dispatched_within"
        ),
        sa.CheckConstraint(
            "quantity_received >= 0 AND quantity_received + quantity_rejected <= quantity_dispatched",
            name="received_within",
        ),
        sa.CheckConstraint("quantity_rejected >= 0", name="rejected_not_negative"),
        sa.CheckConstraint(
            "quantity_replaced >= 0 AND quantity_replaced <= quantity_rejected", name="replaced_within"
        ),
        # PostgreSQL keeps 15% of each page free: an update of the quantities (no index holds them)
        # then stays on its page and writes no index entry (a HOT update; migration 0027).
        {"postgresql_with": {"fillfactor": 85}},
    )

    @property
    def owed(self) -> int:
        """Units the city is owed in all: what it asked for, plus the rejected units being replaced."""
        return self.quantity + self.quantity_replaced

    @property
    def remainder(self) -> int:
        """Units not yet allocated (the back-order): owed minus allocated, shipped units included."""
        return self.quantity + self.quantity_replaced - self.quantity_allocated


def remainder_sql(line: Any) -> Any:
    """``RequestLine.remainder`` as SQL over the model or its table's ``.c``: requested + replaced - allocated."""
    return line.quantity + line.quantity_replaced - line.quantity_allocated
