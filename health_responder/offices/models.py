"""Regional offices and the member cities each serves."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from health_responder.models_base import created_at, moment, text


class RegionalOffice(SQLModel, table=True):
    """A network's office: where it is, whom to contact, which languages it works in.

    Its contact is the office's own public desk (it is there to be contacted), unlike a city's contact.
    """

    __tablename__ = "regional_office"

    id: int | None = Field(default=None, primary_key=True)
    network_id: int = Field(foreign_key="network.id", index=True)
    name: str = Field(max_length=200, unique=True)
    address: str | None = text()
    country: str = Field(max_length=2)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=50)
    #: BCP 47 tags, comma-separated: "en,ko".
    languages: str = Field(default="en", max_length=200)
    #: IANA timezone name of the office, e.g. "Asia/Seoul".
    timezone: str = Field(default="UTC", max_length=64)
    created_at: datetime = created_at()
    updated_at: datetime | None = moment()


class OfficeCity(SQLModel, table=True):
    """A member city an office serves."""

    __tablename__ = "office_city"

    office_id: int = Field(foreign_key="regional_office.id", primary_key=True, ondelete="CASCADE")
    city_id: int = Field(foreign_key="city.id", primary_key=True, index=True)
