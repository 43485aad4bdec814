"""Reads of the Knowledge Hub: city profiles with the figures derived from the records."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.dispatch.models import Dispatch, DispatchLine, DispatchStatus
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.hub.models import CityProfile
from health_responder.reference.models import City, Item, Network
from health_responder.training import queries as training
from health_responder.training.models import Enrolment, EnrolmentStatus, TrainingProgram

#: Enrolment statuses that mean the participant took part.
ATTENDED = (EnrolmentStatus.ATTENDED, EnrolmentStatus.COMPLETED)


def get_city(*, city_id: int) -> City:
    """A member city, or NotFound."""
    city = db.session.get(City, city_id)
    if city is None:
        raise NotFound(_l("No city %(id)s.", id=city_id))
    return city


def cities_by_network() -> list[dict]:
    """Every member city with its network (the hub's index)."""
    rows = db.session.execute(
        select(City.id, City.name, City.country, Network.code)
        .join(Network, Network.id == City.network_id)
        .order_by(Network.code, City.name)
    )
    return [{"id": i, "name": n, "country": c, "network": code} for i, n, c, code in rows]


def _equipment_received(city_id: int) -> list[dict]:
    month = sa.func.substr(sa.cast(Dispatch.received_at, sa.String), 1, 7)
    rows = db.session.execute(
        select(month, Item.category, sa.func.sum(DispatchLine.accepted))
        .select_from(DispatchLine)
        .join(Dispatch, Dispatch.id == DispatchLine.dispatch_id)
        .join(Item, Item.id == DispatchLine.item_id)
        .where(Dispatch.city_id == city_id, Dispatch.status == DispatchStatus.RECEIVED)
        .group_by(month, Item.category)
        .order_by(month, Item.category)
    )
    return [{"month": m, "category": c, "units": int(u or 0)} for m, c, u in rows]


def _staff_trained(city_id: int) -> list[dict]:
    rows = db.session.execute(
        select(TrainingProgram.topic, sa.func.count(Enrolment.id))
        .join(TrainingProgram, TrainingProgram.id == Enrolment.program_id)
        .where(Enrolment.city_id == city_id, Enrolment.status == EnrolmentStatus.COMPLETED)
        .group_by(TrainingProgram.topic)
        .order_by(TrainingProgram.topic)
    )
    return [{"topic": topic, "trained": int(count)} for topic, count in rows]


def _programs_attended(city_id: int) -> list[dict]:
    rows = db.session.execute(
        select(
            TrainingProgram.id,
            TrainingProgram.title,
            TrainingProgram.topic,
            TrainingProgram.starts_at,
            sa.func.count(Enrolment.id),
        )
        .join(TrainingProgram, TrainingProgram.id == Enrolment.program_id)
        .where(Enrolment.city_id == city_id, Enrolment.status.in_(ATTENDED))
        .group_by(TrainingProgram.id, TrainingProgram.title, TrainingProgram.topic, TrainingProgram.starts_at)
        .order_by(TrainingProgram.starts_at.desc())
    )
    return [
        {"id": i, "title": title, "topic": topic, "starts_at": starts, "participants": int(n)}
        for i, title, topic, starts, n in rows
    ]


def profile(*, member: bool, city_id: int) -> dict:
    """A city's public profile; its contact only for ``member`` (a logged-in user), else None."""
    city = get_city(city_id=city_id)
    network = db.session.get(Network, city.network_id)
    stored = db.session.get(CityProfile, city.id)
    return {
        "id": city.id,
        "name": city.name,
        "country": city.country,
        "network": network.code,
        "network_name": network.name,
        "population": stored.population if stored else None,
        "health_system_summary": stored.health_system_summary if stored else None,
        "updated_at": stored.updated_at if stored else None,
        "equipment_received": _equipment_received(city.id),
        "staff_trained": _staff_trained(city.id),
        "programs_attended": _programs_attended(city.id),
        "readiness": [
            {
                "topic": r["topic"],
                "name": r["name"],
                "name_ko": r["name_ko"],
                "ready": r["ready"],
                "completed": r["completed"],
            }
            for r in training.readiness(city_id=city.id)
        ],
        "contact": {"name": city.contact_name, "email": city.contact_email, "phone": city.contact_phone}
        if member
        else None,
    }
