"""Registered documents."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, moment


class Document(SQLModel, table=True):
    """A generated PDF stored under REPORTS_DIR; superseded, never overwritten, when its data changes."""

    __tablename__ = "document"

    id: int | None = Field(default=None, primary_key=True)
    #: dispatch_report, pick_list, dispatch_summary, certificate, lot_label, dispatch_labels,
    #: statistics_report.
    kind: str = Field(max_length=40)
    subject_type: str = Field(max_length=60)
    #: Id of the subject, or a key such as "2026-12-01..2026-12-31" for a summary.
    subject_key: str = Field(max_length=100)
    #: SHA-256 of the data the document was built from: unchanged data means no regeneration.
    data_hash: str = Field(max_length=64)
    sha256: str = Field(max_length=64, index=True)
    #: Relative to REPORTS_DIR: "2026/12/dispatch_report-DSP-….pdf".
    path: str = Field(max_length=500)
    size: int
    verification_code: str = Field(max_length=16, unique=True)
    #: The date the document speaks of (ship date …), not when it was printed.
    event_date: date | None = Field(default=None)
    created_at: datetime = created_at()
    superseded_at: datetime | None = moment()
    superseded_by_id: int | None = Field(default=None, foreign_key="document.id")
    #: When the prune_documents check deleted the file of this ad-hoc document (past
    #: DOCUMENT_RETENTION_DAYS); its code still verifies, as expired.
    expired_at: datetime | None = moment()
    created_by_id: int | None = Field(default=None, foreign_key="user.id")

    __table_args__ = (sa.Index("ix_document_subject", "kind", "subject_type", "subject_key"),)
