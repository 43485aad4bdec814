"""Reads of the administrator's pages: users with their tokens, and the choices of the forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.auth import queries as auth_queries
from health_responder.auth.models import ApiToken, User
from health_responder.extensions import db
from health_responder.providers import queries as providers
from health_responder.providers.models import Provider
from health_responder.reference import queries as reference
from health_responder.reference.models import City, Item, Network, TrainingTopic

PAGE_SIZE = 25


def users(*, q: str = "", role: str | None = None, page: int = 1) -> dict:
    """A page of users whose email or name contains ``q`` (``%`` and ``_`` match themselves)."""
    args = {"page": page, "page_size": PAGE_SIZE, "order_by": "email"}
    if q:
        args["q"] = q
    if role:
        args["role"] = role
    return auth_queries.list_users(args=args)


def user(*, user_id: int) -> User:
    """One user, or NotFound."""
    return auth_queries.get_user(user_id=user_id)


def tokens(*, user: User) -> list[ApiToken]:
    """The user's API tokens, newest first."""
    return auth_queries.tokens_of(user=user)


def tenant_names() -> dict[str, dict[int, str]]:
    """Names of every city and provider by id (to show whom a user belongs to)."""
    return {
        "city": dict(db.session.execute(select(City.id, City.name)).all()),
        "provider": dict(db.session.execute(select(Provider.id, Provider.name)).all()),
    }


def city_choices() -> list[tuple[str, str]]:
    """Every city as a form choice (id, name), by name."""
    return [(str(i), n) for i, n in db.session.execute(select(City.id, City.name).order_by(City.name))]


def provider_choices() -> list[tuple[str, str]]:
    """Every provider as a form choice (id, name), by name."""
    return [
        (str(i), n) for i, n in db.session.execute(select(Provider.id, Provider.name).order_by(Provider.name))
    ]


def network_choices() -> list[tuple[str, str]]:
    """Every network as a form choice (id, "code · name"), by code."""
    rows = db.session.execute(select(Network.id, Network.code, Network.name).order_by(Network.code))
    return [(str(i), f"{c} · {n}") for i, c, n in rows]


def topic_choices() -> list[tuple[str, str]]:
    """Every training topic as a form choice (code, its name in the page's language)."""
    return reference.topics_by_name()


def topic(*, code: str) -> TrainingTopic:
    """One training topic, or NotFound."""
    return reference.get_or_404(model=TrainingTopic, ident=code, label=_l("training topic"))


def networks() -> list[Network]:
    """Every network, by code."""
    return db.session.scalars(select(Network).order_by(Network.code)).all()


def topics() -> list[TrainingTopic]:
    """Every training topic."""
    return reference.list_topics()


def cities(*, page: int = 1) -> dict:
    """One page of cities, by name."""
    return reference.list_cities(args={"page": page, "page_size": PAGE_SIZE, "order_by": "name"})


def city(*, city_id: int) -> City:
    """The city of that id; NotFound otherwise."""
    return reference.get_or_404(model=City, ident=city_id, label="city")


def items(*, q: str = "", page: int = 1) -> dict:
    """One page of items by code, searched by ``q`` when given."""
    args = {"page": page, "page_size": PAGE_SIZE, "order_by": "code"}
    if q:
        args["q"] = q
    return reference.list_items(args=args)


def item(*, item_id: int) -> Item:
    """The item of that id; NotFound otherwise."""
    return reference.get_or_404(model=Item, ident=item_id, label="item")


def providers_page(*, page: int = 1) -> dict:
    """One page of providers, by name."""
    return providers.list_providers(args={"page": page, "page_size": PAGE_SIZE, "order_by": "name"})


def provider(*, provider_id: int) -> dict:
    """A provider with its networks and locations."""
    return providers.detail(provider=providers.get_provider(provider_id=provider_id))


def provider_row(*, provider_id: int) -> Provider:
    """The provider of that id (the row itself); NotFound otherwise."""
    return providers.get_provider(provider_id=provider_id)


def location(*, provider: Provider, location_id: int):
    """One of the provider's stock locations; NotFound otherwise."""
    return providers.get_location(provider=provider, location_id=location_id)
