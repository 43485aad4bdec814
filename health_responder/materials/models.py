"""Knowledge-hub materials: a link elsewhere, or a PDF stored under ``MATERIALS_DIR``, with its versions.

The table is the one training used to own (``material``); only the module moved. A PDF material keeps
every file it was given in ``material_version`` (number 1 is the first upload); the material's own file
columns repeat its current version, so that lists and the API read one row per material.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, moment, text


class MaterialKind(enum.StrEnum):
    """A material is a link elsewhere or a PDF stored here."""

    LINK = "link"
    PDF = "pdf"


#: Largest PDF a material may be.
MATERIAL_MAX_BYTES = 10 * 1024 * 1024


class Material(SQLModel, table=True):
    """Capacity-building material in the knowledge hub: a link, or a PDF under MATERIALS_DIR."""

    __tablename__ = "material"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    topic: str = Field(foreign_key="training_topic.code", max_length=40, index=True)
    language: str = Field(default="en", max_length=20, index=True)
    description: str | None = text()
    kind: str = Field(max_length=10)
    url: str | None = Field(default=None, max_length=1000)
    #: Relative to MATERIALS_DIR, e.g. "<sha256>.pdf" (content-addressed: never overwritten). Rows
    #: written before MATERIALS_DIR existed hold "materials/<sha256>.pdf", relative to REPORTS_DIR.
    file_path: str | None = Field(default=None, max_length=300)
    file_name: str | None = Field(default=None, max_length=200)
    size: int | None = Field(default=None)
    content_type: str | None = Field(default=None, max_length=100)
    sha256: str | None = Field(default=None, max_length=64)
    #: The provider that published it; empty when the association did.
    provider_id: int | None = Field(default=None, foreign_key="provider.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = created_at()
    #: The number of the current file's version (a PDF); None for a link.
    version: int | None = Field(default=None)
    updated_at: datetime | None = moment()
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")

    __table_args__ = (
        sa.CheckConstraint("kind IN ('link', 'pdf')", name="kind_known"),
        sa.CheckConstraint(
            "(kind = 'link' AND url IS NOT NULL) OR (kind = 'pdf' AND file_path IS NOT NULL)",
            name="link_or_file",
        ),
    )


class MaterialVersion(SQLModel, table=True):
    """One file a PDF material was given: kept when a newer one replaces it, so the history stays readable."""

    __tablename__ = "material_version"

    id: int | None = Field(default=None, primary_key=True)
    material_id: int = Field(foreign_key="material.id", index=True)
    #: 1 for the first upload, then one more for each new file.
    number: int
    #: Relative to MATERIALS_DIR, as ``Material.file_path`` (content-addressed, never overwritten).
    file_path: str = Field(max_length=300)
    file_name: str = Field(max_length=200)
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: datetime = created_at()

    __table_args__ = (
        sa.UniqueConstraint("material_id", "number", name="uq_material_version_number"),
        sa.CheckConstraint("number >= 1", name="number_positive"),
    )
