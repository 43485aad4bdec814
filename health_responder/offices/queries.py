"""Reads of regional offices: public, with the member cities each serves."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.db import paginate
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.offices.models import OfficeCity, RegionalOffice
from health_responder.reference.models import City, Network


def get_office(*, office_id: int) -> RegionalOffice:
    """An office, or NotFound."""
    office = db.session.get(RegionalOffice, office_id)
    if office is None:
        raise NotFound(_l("No regional office %(id)s.", id=office_id))
    return office


def views(*, offices: list[RegionalOffice]) -> list[dict]:
    """Offices as dicts with their network and the cities they serve (one query each for all)."""
    ids = [o.id for o in offices]
    networks = dict(
        (nid, (code, name))
        for nid, code, name in db.session.execute(
            select(Network.id, Network.code, Network.name).where(
                Network.id.in_({o.network_id for o in offices})
            )
        )
    )
    cities: dict[int, list[dict]] = {i: [] for i in ids}
    if ids:
        for office_id, city_id, name, country in db.session.execute(
            select(OfficeCity.office_id, City.id, City.name, City.country)
            .join(City, City.id == OfficeCity.city_id)
            .where(OfficeCity.office_id.in_(ids))
            .order_by(City.name)
        ):
            cities[office_id].append({"id": city_id, "name": name, "country": country})
    return [
        o.model_dump()
        | {
            "network": networks[o.network_id][0],
            "network_name": networks[o.network_id][1],
            "languages": [tag for tag in o.languages.split(",") if tag],
            "cities": cities[o.id],
        }
        for o in offices
    ]


def view(*, office: RegionalOffice) -> dict:
    """One office as a dict."""
    return views(offices=[office])[0]


def list_offices(*, args: dict) -> dict:
    """A page of offices, by network then name, filtered by network code or language."""
    statement = select(RegionalOffice).join(Network, Network.id == RegionalOffice.network_id)
    if args.get("network"):
        statement = statement.where(Network.code == args["network"])
    if args.get("language"):
        padded = sa.literal(",") + RegionalOffice.languages + sa.literal(",")
        statement = statement.where(padded.contains(f",{args['language']},", autoescape=True))
    page = paginate(
        db.session,
        statement,
        args,
        {"id": RegionalOffice.id, "name": RegionalOffice.name, "country": RegionalOffice.country},
        default_order=() if args.get("order_by") else (Network.code, RegionalOffice.name),
    )
    page["items"] = views(offices=list(page["items"]))
    return page


def all_offices() -> list[dict]:
    """Every office, by network then name (the public page)."""
    rows = db.session.scalars(
        select(RegionalOffice)
        .join(Network, Network.id == RegionalOffice.network_id)
        .order_by(Network.code, RegionalOffice.name)
    ).all()
    return views(offices=list(rows))


def city_choices() -> list[tuple[int, str]]:
    """(id, name) of every member city, for the admin's form."""
    return [
        (city_id, name)
        for city_id, name in db.session.execute(select(City.id, City.name).order_by(City.name))
    ]


def network_codes() -> list[str]:
    """Every network code, for the admin's form."""
    return list(db.session.scalars(select(Network.code).order_by(Network.code)))
