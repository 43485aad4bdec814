"""A member city's profile: what the city tells about itself (the figures come from the records)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from health_responder.models_base import moment, text


class CityProfile(SQLModel, table=True):
    """Population and health-system summary of a city, edited by the city's own users."""

    __tablename__ = "city_profile"

    city_id: int = Field(foreign_key="city.id", primary_key=True)
    population: int | None = Field(default=None)
    #: The city's own words about its health system: hospitals, clinics, gaps.
    health_system_summary: str | None = text()
    updated_at: datetime | None = moment()
    updated_by_id: int | None = Field(default=None, foreign_key="user.id")
