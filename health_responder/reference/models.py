"""Networks, member cities, items and training topics."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, text


class Network(SQLModel, table=True):
    """A regional network of smart cities (CJK, NEASCN, ASCN, AfSCN, LASCN, …)."""

    __tablename__ = "network"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=200)
    created_at: datetime = created_at()


class City(SQLModel, table=True):
    """A member city; the tenant of city users."""

    __tablename__ = "city"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    #: ISO 3166-1 alpha-2 country code, upper case.
    country: str = Field(max_length=2, index=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    #: IANA timezone name, e.g. "Asia/Seoul".
    timezone: str = Field(default="UTC", max_length=64)
    #: The language its documents are written in (one of the app's LANGUAGES), e.g. "ko".
    language: str = Field(default="en", max_length=8, sa_column_kwargs={"server_default": "en"})
    delivery_address: str | None = text()
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=50)
    created_at: datetime = created_at()


class TrainingTopic(SQLModel, table=True):
    """A training topic code shared by items (what they require) and programs (what they teach)."""

    __tablename__ = "training_topic"

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    #: The name Korean pages show (empty: ``name``).
    name_ko: str | None = Field(default=None, max_length=200)


class Item(SQLModel, table=True):
    """An entry of the equipment catalogue."""

    __tablename__ = "item"

    id: int | None = Field(default=None, primary_key=True)
    #: Unique catalogue code, e.g. "OXY-CONC-10L".
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    #: The name Korean pages show (empty: ``name``).
    name_ko: str | None = Field(default=None, max_length=200)
    category: str = Field(max_length=40, index=True)
    #: Free text: "each", "box of 50", "kit" …
    unit: str = Field(default="each", max_length=40)
    requires_cold_chain: bool = Field(default=False)
    #: The training topic an operator needs, or empty.
    requires_training: str | None = Field(default=None, foreign_key="training_topic.code")
    #: GS1 Global Trade Item Number as 14 digits (GTIN-8/12/13 left-padded with zeros), or empty.
    gtin: str | None = Field(default=None, max_length=14, unique=True)
    description: str | None = text()
    active: bool = Field(default=True)
    created_at: datetime = created_at()

    __table_args__ = (sa.Index("ix_item_name", "name"),)
