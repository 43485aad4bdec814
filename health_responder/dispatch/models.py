"""Dispatches and their lines, with the dispatch state table."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, moment, text


class DispatchStatus(enum.StrEnum):
    """prepared ─ship─▶ shipped ─receipt─▶ received; prepared ─cancel─▶ cancelled."""

    PREPARED = "prepared"
    SHIPPED = "shipped"
    RECEIVED = "received"
    CANCELLED = "cancelled"


D = DispatchStatus
#: Each transition and the states it may start from.
TRANSITIONS: dict[str, tuple[frozenset[DispatchStatus], DispatchStatus]] = {
    "ship": (frozenset({D.PREPARED}), D.SHIPPED),
    "receipt": (frozenset({D.SHIPPED}), D.RECEIVED),
    "cancel": (frozenset({D.PREPARED}), D.CANCELLED),
}

#: Why units were rejected at receipt.
REJECTION_REASONS = ("damaged", "expired", "wrong_item", "lost", "other")


class Dispatch(SQLModel, table=True):
    """One provider's shipment, from one location, to one city, for one request."""

    __tablename__ = "dispatch"

    id: int | None = Field(default=None, primary_key=True)
    reference: str | None = Field(default=None, max_length=30, unique=True)
    request_id: int = Field(foreign_key="assistance_request.id", index=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    location_id: int = Field(foreign_key="stock_location.id")
    city_id: int = Field(foreign_key="city.id", index=True)
    status: str = Field(default=DispatchStatus.PREPARED, max_length=20, index=True)
    carrier: str | None = Field(default=None, max_length=200)
    tracking_number: str | None = Field(default=None, max_length=200)
    packages: int | None = Field(default=None)
    notes: str | None = text()
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()
    shipped_at: datetime | None = moment(index=True)
    shipped_by_id: int | None = Field(default=None, foreign_key="user.id")
    received_at: datetime | None = moment()
    received_by: str | None = Field(default=None, max_length=200)
    cancelled_at: datetime | None = moment()
    #: What its documents print of the parties, as they were when it shipped (dispatch/snapshot.py):
    #: request reference and priority, sender, its location, recipient, who prepared and who shipped.
    parties_at_ship: dict | None = Field(default=None, sa_type=sa.JSON)

    __table_args__ = (
        sa.CheckConstraint("status IN ('prepared', 'shipped', 'received', 'cancelled')", name="status_known"),
        sa.CheckConstraint("packages IS NULL OR packages > 0", name="packages_positive"),
    )


class DispatchLine(SQLModel, table=True):
    """One request line and lot in a dispatch, with what the city accepted and rejected."""

    __tablename__ = "dispatch_line"

    id: int | None = Field(default=None, primary_key=True)
    dispatch_id: int = Field(foreign_key="dispatch.id", index=True, ondelete="CASCADE")
    request_line_id: int = Field(foreign_key="request_line.id", index=True)
    lot_id: int = Field(foreign_key="stock_lot.id", index=True)
    item_id: int = Field(foreign_key="item.id")
    quantity: int
    accepted: int | None = Field(default=None)
    rejected: int | None = Field(default=None)
    #: One of REJECTION_REASONS when units were rejected.
    rejection_reason: str | None = Field(default=None, max_length=20)
    rejection_note: str | None = text()
    #: Rejected units of this line a coordinator chose to replace (owed again on the request line).
    replaced: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    #: When the warehouse scanned this line's lot on the pick list check (the right lot is packed).
    checked_at: datetime | None = moment()
    checked_by_id: int | None = Field(default=None, foreign_key="user.id")
    # The lot and item as they were when the dispatch shipped (empty before): its documents print
    # these, so correcting the lot or renaming the item later changes nothing in them.
    lot_code: str | None = Field(default=None, max_length=80)
    lot_expires_on: date | None = Field(default=None)
    item_code: str | None = Field(default=None, max_length=40)
    item_name: str | None = Field(default=None, max_length=200)
    #: The item's Korean name at ship; None when it had none, or shipped before one was recorded
    #: (migration 0025): its Korean documents then print ``item_name``.
    item_name_ko: str | None = Field(default=None, max_length=200)
    item_unit: str | None = Field(default=None, max_length=40)
    item_cold_chain: bool | None = Field(default=None)

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint(
            "accepted IS NULL OR (accepted >= 0 AND rejected >= 0 AND accepted + rejected = quantity)",
            name="receipt_adds_up",
        ),
        sa.CheckConstraint("replaced >= 0 AND replaced <= COALESCE(rejected, 0)", name="replaced_within"),
        sa.UniqueConstraint("dispatch_id", "request_line_id", "lot_id", name="uq_dispatch_line_line_lot"),
    )
