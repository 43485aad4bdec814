"""Publications of the Data Portal, with the topics and networks they concern."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, text


class PublicationKind(enum.StrEnum):
    """Report findings with partners, general research, or a statistics report."""

    FINDING = "finding"
    RESEARCH = "research"
    STATISTICS = "statistics"


#: Largest PDF a publication may carry.
PUBLICATION_MAX_BYTES = 20 * 1024 * 1024


class Publication(SQLModel, table=True):
    """A publication anyone may read: a link elsewhere, or a PDF stored under REPORTS_DIR."""

    __tablename__ = "publication"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    kind: str = Field(max_length=20, index=True)
    summary: str | None = text()
    #: Partner organisations, free text ("WHO Western Pacific; KOICA").
    partners: str | None = text()
    published_on: date = Field(index=True)
    url: str | None = Field(default=None, max_length=1000)
    #: Relative to REPORTS_DIR: "publications/<sha256>.pdf", or a registered document's path.
    file_path: str | None = Field(default=None, max_length=500)
    file_name: str | None = Field(default=None, max_length=200)
    size: int | None = Field(default=None)
    sha256: str | None = Field(default=None, max_length=64)
    #: The registered document (with its verification code) of a generated statistics report.
    document_id: int | None = Field(default=None, foreign_key="document.id")
    #: "YYYY-MM" of a monthly statistics report: unique, so a month is published once.
    period: str | None = Field(default=None, max_length=7, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()

    __table_args__ = (
        sa.CheckConstraint("kind IN ('finding', 'research', 'statistics')", name="kind_known"),
        sa.CheckConstraint("url IS NOT NULL OR file_path IS NOT NULL", name="link_or_file"),
    )


class PublicationTopic(SQLModel, table=True):
    """A training topic a publication concerns."""

    __tablename__ = "publication_topic"

    publication_id: int = Field(foreign_key="publication.id", primary_key=True, ondelete="CASCADE")
    topic: str = Field(foreign_key="training_topic.code", primary_key=True, max_length=40, index=True)


class PublicationNetwork(SQLModel, table=True):
    """A regional network a publication concerns."""

    __tablename__ = "publication_network"

    publication_id: int = Field(foreign_key="publication.id", primary_key=True, ondelete="CASCADE")
    network_id: int = Field(foreign_key="network.id", primary_key=True, index=True)
