"""Stock lots and their movement ledger.

The database itself forbids a negative balance or a reservation above what is on hand, so even a
bug or a lost race cannot oversell: the update fails and the request answers 409.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, moment, text


class LotStatus(enum.StrEnum):
    """Only available lots are allocated."""

    AVAILABLE = "available"
    QUARANTINED = "quarantined"
    RECALLED = "recalled"


class MovementKind(enum.StrEnum):
    """Why a ledger row changed a lot's balances."""

    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    RESERVATION = "reservation"
    RELEASE = "release"
    DISPATCH = "dispatch"
    RETURN = "return"
    EXPIRY_WRITEOFF = "expiry_writeoff"


#: Reasons an adjustment may give.
ADJUSTMENT_REASONS = ("found", "lost", "damaged", "expired", "recount", "correction", "donation", "other")


class StockLot(SQLModel, table=True):
    """A quantity of one item, from one lot, at one provider location."""

    __tablename__ = "stock_lot"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    location_id: int = Field(foreign_key="stock_location.id", index=True)
    #: (no index of its own: ix_stock_lot_item_status, item first, serves every lookup by item)
    item_id: int = Field(foreign_key="item.id")
    lot_code: str = Field(max_length=80)
    expires_on: date | None = Field(default=None, index=True)
    status: str = Field(default=LotStatus.AVAILABLE, max_length=20)
    on_hand: int = Field(default=0)
    #: Units promised to allocations and not yet shipped.
    reserved: int = Field(default=0)
    created_at: datetime = created_at()
    updated_at: datetime | None = moment()

    __table_args__ = (
        sa.CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        sa.CheckConstraint("reserved <= on_hand", name="reserved_within_on_hand"),
        sa.CheckConstraint("status IN ('available', 'quarantined', 'recalled')", name="status_known"),
        sa.UniqueConstraint("location_id", "item_id", "lot_code", name="uq_stock_lot_location_item_code"),
        sa.Index("ix_stock_lot_item_status", "item_id", "status"),
        # PostgreSQL keeps 15% of each page free: an update of the balances (no index holds them)
        # then stays on its page and writes no index entry (a HOT update; migration 0027).
        {"postgresql_with": {"fillfactor": 85}},
    )

    @property
    def available(self) -> int:
        """Units that can still be reserved."""
        return self.on_hand - self.reserved


class StockMovement(SQLModel, table=True):
    """One row of the append-only ledger; for every lot the rows sum to its balances."""

    __tablename__ = "stock_movement"

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="stock_lot.id", index=True)
    kind: str = Field(max_length=20)
    #: Change of ``on_hand`` (negative when units leave).
    delta_on_hand: int = Field(default=0)
    #: Change of ``reserved``.
    delta_reserved: int = Field(default=0)
    reason: str | None = Field(default=None, max_length=40)
    note: str | None = text()
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    actor_label: str = Field(max_length=200)
    #: What caused it: "allocation", "dispatch", "import" … and its id.
    reference_type: str | None = Field(default=None, max_length=40)
    reference_id: int | None = Field(default=None)
    job_run_id: int | None = Field(default=None, foreign_key="job_run.id")
    created_at: datetime = created_at()


class StockImportClaim(SQLModel, table=True):
    """A provider's CSV import in progress: at most one per provider at a time (the primary key says so).

    Taken in its own short transaction before the rows are checked, removed in the transaction that
    writes the lots (or when the import fails); a claim older than STOCK_IMPORT_CLAIM_SECONDS was left
    by a process that died and may be taken over.
    """

    __tablename__ = "stock_import_claim"

    provider_id: int = Field(foreign_key="provider.id", primary_key=True, ondelete="CASCADE")
    claimed_at: datetime = moment(nullable=False)
    #: Who runs the import ("user:…" or "cli:stock import").
    claimed_by: str = Field(max_length=200)


class StockImportUpload(SQLModel, table=True):
    """A CSV file a clean dry run checked, kept a short while so that "import these rows" needs no second upload.

    Found by the SHA-256 of a random token only the uploader's page holds (the token itself is never
    stored), by that user alone, until ``expires_at`` (STOCK_IMPORT_UPLOAD_SECONDS after the dry run).
    Removed once imported; expired ones whenever another is kept.
    """

    __tablename__ = "stock_import_upload"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    provider_id: int = Field(foreign_key="provider.id", ondelete="CASCADE")
    filename: str = Field(default="", max_length=255)
    #: Data rows the dry run read (what the confirm button says it will import).
    rows: int
    content: bytes = Field(sa_type=sa.LargeBinary, nullable=False)
    created_at: datetime = created_at()
    expires_at: datetime = moment(index=True, nullable=False)
