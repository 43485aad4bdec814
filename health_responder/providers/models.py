"""Providers, the networks they serve, and their stock locations."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, text


class Provider(SQLModel, table=True):
    """A solution provider (manufacturer, distributor, NGO); the tenant of provider users."""

    __tablename__ = "provider"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    country: str = Field(max_length=2)
    #: "manufacturer", "distributor", "ngo" or "other".
    kind: str = Field(default="distributor", max_length=20)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=50)
    description: str | None = text()
    created_at: datetime = created_at()


class ProviderNetwork(SQLModel, table=True):
    """A network a provider serves first (allocation prefers these providers for its cities)."""

    __tablename__ = "provider_network"

    provider_id: int = Field(foreign_key="provider.id", primary_key=True, ondelete="CASCADE")
    network_id: int = Field(foreign_key="network.id", primary_key=True, index=True)


class StockLocation(SQLModel, table=True):
    """A provider's warehouse."""

    __tablename__ = "stock_location"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    name: str = Field(max_length=200)
    address: str | None = text()
    country: str = Field(max_length=2)
    #: IANA time zone of the warehouse; the first one is its provider users' default zone.
    timezone: str = Field(default="UTC", max_length=64, sa_column_kwargs={"server_default": "UTC"})
    active: bool = Field(default=True)
    created_at: datetime = created_at()
