"""Writes of regional offices (admins): create, change, remove, and the cities each serves."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.audit import services as audit
from health_responder.auth.access import require_role
from health_responder.auth.models import Role, User
from health_responder.db import utcnow
from health_responder.errors import Duplicate, ValidationFailed
from health_responder.extensions import db
from health_responder.offices.models import OfficeCity, RegionalOffice
from health_responder.reference.models import City, Network


def _network_id(code: str) -> int:
    found = db.session.scalar(select(Network.id).where(Network.code == code))
    if found is None:
        raise ValidationFailed(
            _l("Unknown network: %(codes)s.", codes=code),
            {"network": [_l("Unknown network: %(codes)s.", codes=code)]},
        )
    return found


def _check_cities(city_ids: list[int]) -> list[int]:
    unique = list(dict.fromkeys(city_ids))
    known = set(db.session.scalars(select(City.id).where(City.id.in_(unique))))
    unknown = [str(i) for i in unique if i not in known]
    if unknown:
        raise ValidationFailed(
            _l("Unknown city: %(ids)s.", ids=", ".join(unknown)),
            {"city_ids": [_l("Unknown city: %(ids)s.", ids=", ".join(unknown))]},
        )
    return unique


def _unique_name(name: str, office_id: int | None = None) -> None:
    clash = db.session.scalar(select(RegionalOffice.id).where(RegionalOffice.name == name))
    if clash is not None and clash != office_id:
        raise Duplicate(
            _l("An office named %(name)s exists already.", name=name), {"name": [_l("Already taken.")]}
        )


def _set_cities(office: RegionalOffice, city_ids: list[int]) -> None:
    db.session.execute(sa.delete(OfficeCity).where(OfficeCity.office_id == office.id))
    db.session.add_all(OfficeCity(office_id=office.id, city_id=c) for c in city_ids)


def _snapshot(office: RegionalOffice) -> dict:
    return office.model_dump(exclude={"created_at", "updated_at"})


def create_office(
    *, by: User, network: str, city_ids: list[int], languages: list[str], **fields
) -> RegionalOffice:
    """Open a regional office of a network (admins)."""
    require_role(by, Role.ADMIN)
    network_id, cities = _network_id(network), _check_cities(city_ids)
    _unique_name(fields["name"])
    fields["country"] = fields["country"].upper()
    office = RegionalOffice(network_id=network_id, languages=",".join(languages), **fields)
    db.session.add(office)
    db.session.flush()
    _set_cities(office, cities)
    audit.record(
        action="office.create", subject=office, by=by, after=_snapshot(office) | {"city_ids": cities}
    )
    db.session.flush()
    return office


def update_office(*, office: RegionalOffice, by: User, **changes) -> RegionalOffice:
    """Change an office's details or the cities it serves (admins)."""
    require_role(by, Role.ADMIN)
    before = _snapshot(office)
    if "network" in changes:
        office.network_id = _network_id(changes.pop("network"))
    if "name" in changes:
        _unique_name(changes["name"], office.id)
    if "languages" in changes:
        office.languages = ",".join(changes.pop("languages"))
    if "country" in changes:
        changes["country"] = changes["country"].upper()
    cities = _check_cities(changes.pop("city_ids")) if "city_ids" in changes else None
    for key, value in changes.items():
        setattr(office, key, value)
    office.updated_at = utcnow()
    if cities is not None:
        _set_cities(office, cities)
    audit.record(action="office.update", subject=office, by=by, before=before, after=_snapshot(office))
    db.session.flush()
    return office


def delete_office(*, office: RegionalOffice, by: User) -> None:
    """Close an office (admins)."""
    require_role(by, Role.ADMIN)
    audit.record(action="office.delete", subject=office, by=by, before=_snapshot(office))
    _set_cities(office, [])
    db.session.delete(office)
    db.session.flush()
