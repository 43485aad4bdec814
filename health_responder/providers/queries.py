"""Reads of providers and their locations. The directory is readable by every role."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.auth.models import Role, User
from health_responder.db import by_id, names_by_id, paginate
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.providers.models import Provider, ProviderNetwork, StockLocation


def network_ids(*, provider_ids: list[int]) -> dict[int, list[int]]:
    """The networks each provider serves, in one query."""
    found: dict[int, list[int]] = {pid: [] for pid in provider_ids}
    if provider_ids:
        rows = db.session.execute(
            select(ProviderNetwork.provider_id, ProviderNetwork.network_id)
            .where(ProviderNetwork.provider_id.in_(provider_ids))
            .order_by(ProviderNetwork.network_id)
        )
        for provider_id, network_id in rows:
            found[provider_id].append(network_id)
    return found


def views(*, providers: list[Provider]) -> list[dict]:
    """Providers as dicts with the networks they serve (one query for all)."""
    served = network_ids(provider_ids=[p.id for p in providers])
    return [p.model_dump() | {"network_ids": served[p.id]} for p in providers]


def locations_of(*, provider_id: int) -> list[StockLocation]:
    """A provider's stock locations."""
    return db.session.scalars(
        select(StockLocation).where(StockLocation.provider_id == provider_id).order_by(StockLocation.id)
    ).all()


def detail(*, provider: Provider) -> dict:
    """A provider with its networks and locations."""
    return views(providers=[provider])[0] | {"locations": locations_of(provider_id=provider.id)}


def get_provider(*, provider_id: int) -> Provider:
    """A provider, or NotFound."""
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        raise NotFound(_l("No provider %(id)s.", id=provider_id))
    return provider


def editable_provider(*, user: User, provider_id: int) -> Provider:
    """A provider the user may change: staff any, a provider user only its own (else 404)."""
    if user.role == Role.PROVIDER and user.provider_id != provider_id:
        raise NotFound(_l("No provider %(id)s.", id=provider_id))
    return get_provider(provider_id=provider_id)


def list_providers(*, args: dict) -> dict:
    """A page of providers, filtered by network served, country or name."""
    statement = select(Provider)
    if args.get("network_id") is not None:
        statement = statement.where(
            Provider.id.in_(
                select(ProviderNetwork.provider_id).where(ProviderNetwork.network_id == args["network_id"])
            )
        )
    if args.get("country"):
        statement = statement.where(Provider.country == args["country"].upper())
    if args.get("q"):
        statement = statement.where(sa.func.lower(Provider.name).contains(args["q"].lower(), autoescape=True))
    page = paginate(
        db.session, statement, args, {"id": Provider.id, "name": Provider.name, "country": Provider.country}
    )
    page["items"] = views(providers=page["items"])
    return page


def get_location(*, provider: Provider, location_id: int) -> StockLocation:
    """A location of this provider, or NotFound."""
    location = db.session.get(StockLocation, location_id)
    if location is None or location.provider_id != provider.id:
        raise NotFound(_l("No location %(id)s at this provider.", id=location_id))
    return location


# --- reads the pages need (choices and names) -----------------------------------------------------


def all_providers() -> list[Provider]:
    """Every provider, by name."""
    return db.session.scalars(select(Provider).order_by(Provider.name)).all()


def provider(*, provider_id: int | None) -> Provider | None:
    """The provider of that id, if any (for naming a record's provider)."""
    return db.session.get(Provider, provider_id) if provider_id is not None else None


def provider_names(*, ids=None) -> dict[int, str]:
    """The name of each provider whose id is in ``ids`` (``None``: every provider)."""
    if ids is None:
        return dict(db.session.execute(select(Provider.id, Provider.name)).all())
    return names_by_id(db.session, Provider, ids)


def location(*, location_id: int | None) -> StockLocation | None:
    """The stock location of that id, if any (for naming a record's location)."""
    return db.session.get(StockLocation, location_id) if location_id is not None else None


def locations_by_id(*, ids) -> dict[int, StockLocation]:
    """The stock locations whose id is in ``ids``, by id."""
    return by_id(db.session, StockLocation, ids)


def location_names(*, ids) -> dict[int, str]:
    """The name of each stock location whose id is in ``ids``."""
    return names_by_id(db.session, StockLocation, ids)


def active_locations(*, user: User) -> list[tuple[StockLocation, str]]:
    """The active locations ``user`` may receive stock at (a provider: its own), with their provider's name."""
    statement = (
        select(StockLocation, Provider.name)
        .join(Provider, Provider.id == StockLocation.provider_id)
        .where(StockLocation.active.is_(True))
        .order_by(Provider.name, StockLocation.name)
    )
    if user.role == Role.PROVIDER:
        statement = statement.where(StockLocation.provider_id == user.provider_id)
    return [tuple(row) for row in db.session.execute(statement).all()]


# --- the public directory ---------------------------------------------------------------------------


def directory(*, provider_id: int | None = None) -> list[dict]:
    """Every provider (or one) with its kind, country and the network codes it serves (public: no contact)."""
    from health_responder.reference.models import Network

    statement = select(Provider).order_by(Provider.name)
    if provider_id is not None:
        statement = statement.where(Provider.id == provider_id)
    providers = db.session.scalars(statement).all()
    codes = dict(db.session.execute(select(Network.id, Network.code)).all())
    served = network_ids(provider_ids=[p.id for p in providers])
    return [
        {
            "id": p.id,
            "name": p.name,
            "kind": p.kind,
            "country": p.country,
            "description": p.description,
            "networks": sorted(codes[n] for n in served[p.id]),
        }
        for p in providers
    ]


def directory_entry(*, provider_id: int) -> dict:
    """One provider for the public: kind, country, description and networks served (no contact).
    NotFound for an unknown id.
    """
    provider = get_provider(provider_id=provider_id)
    (entry,) = directory(provider_id=provider.id)
    return entry


def provider_timezone(*, user) -> str | None:
    """A provider user's default time zone: that of the provider's first active location, if any."""
    return db.session.scalar(
        select(StockLocation.timezone)
        .where(StockLocation.provider_id == user.provider_id, StockLocation.active.is_(True))
        .order_by(StockLocation.id)
        .limit(1)
    )
