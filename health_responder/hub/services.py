"""Writes of city profiles: the city's own users (and admins) tell about their health system."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from health_responder.audit import services as audit
from health_responder.auth.models import Role, User
from health_responder.db import utcnow
from health_responder.errors import Forbidden
from health_responder.extensions import db
from health_responder.hub.models import CityProfile
from health_responder.reference.models import City


def update_profile(*, city: City, by: User, **changes) -> CityProfile:
    """Change a city's population or health-system summary (its own users, or an admin)."""
    if not (by.role == Role.ADMIN or (by.role == Role.CITY and by.city_id == city.id)):
        raise Forbidden(_l("Only the city's own users edit its profile."))
    profile = db.session.get(CityProfile, city.id)
    if profile is None:
        profile = CityProfile(city_id=city.id)
        db.session.add(profile)
    before = {"population": profile.population, "health_system_summary": profile.health_system_summary}
    for key, value in changes.items():
        setattr(profile, key, value)
    profile.updated_at, profile.updated_by_id = utcnow(), by.id
    db.session.flush()
    audit.record(
        action="city_profile.update",
        subject=city,
        by=by,
        before=before,
        after={"population": profile.population, "health_system_summary": profile.health_system_summary},
    )
    return profile
