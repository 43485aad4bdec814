"""Shared pieces of the SQLModel tables: naming convention, timestamps, text columns.

Imported by every feature's ``models.py`` before it defines a table, so that constraint names are
stable across SQLite and PostgreSQL (Alembic needs names to drop or alter a constraint).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.db import UTCDateTime, utcnow

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def created_at() -> datetime:
    """A creation timestamp, UTC, set on insert."""
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def moment(index: bool = False, nullable: bool = True):
    """An optional timezone-aware datetime column."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def text(default: str | None = None, nullable: bool = True):
    """Free text in any script, of any reasonable length."""
    return Field(default=default, sa_type=sa.Text, nullable=nullable)
