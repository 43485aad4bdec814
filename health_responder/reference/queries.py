"""Reads of networks, cities, topics and items; reference data is readable by every role."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.db import by_id, names_by_id, paginate
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.names import local
from health_responder.reference.models import City, Item, Network, TrainingTopic


def get_or_404(*, model, ident, label):
    """A row by primary key, or NotFound naming what is missing (``label``: a lazy string, "city")."""
    row = db.session.get(model, ident)
    if row is None:
        raise NotFound(_l("No %(thing)s %(id)s.", thing=label, id=ident))
    return row


def list_networks(*, args: dict) -> dict:
    """A page of networks."""
    return paginate(
        db.session, select(Network), args, {"id": Network.id, "code": Network.code, "name": Network.name}
    )


def list_cities(*, args: dict) -> dict:
    """A page of cities, filtered by network, country or name."""
    statement = select(City)
    if args.get("network_id") is not None:
        statement = statement.where(City.network_id == args["network_id"])
    if args.get("country"):
        statement = statement.where(City.country == args["country"].upper())
    if args.get("q"):
        statement = statement.where(sa.func.lower(City.name).contains(args["q"].lower(), autoescape=True))
    return paginate(db.session, statement, args, {"id": City.id, "name": City.name, "country": City.country})


def list_topics() -> list[TrainingTopic]:
    """Every training topic."""
    return db.session.scalars(select(TrainingTopic).order_by(TrainingTopic.code)).all()


def list_items(*, args: dict) -> dict:
    """A page of catalogue items, filtered by category, training, cold chain, or code/name."""
    statement = select(Item)
    for key in ("category", "requires_training", "requires_cold_chain", "active"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Item, key) == args[key])
    if args.get("q"):
        q = args["q"].lower()
        statement = statement.where(
            sa.or_(
                sa.func.lower(Item.code).contains(q, autoescape=True),
                sa.func.lower(Item.name).contains(q, autoescape=True),
            )
        )
    return paginate(
        db.session,
        statement,
        args,
        {"id": Item.id, "code": Item.code, "name": Item.name, "category": Item.category},
    )


# --- reads the pages need (choices and names) -----------------------------------------------------


def active_items() -> list[Item]:
    """The items one may ask for or receive, by code (the pages' item pickers)."""
    return db.session.scalars(select(Item).where(Item.active.is_(True)).order_by(Item.code)).all()


def item_code(*, item_id: int) -> str:
    """How messages and pages name an item: by its code."""
    return db.session.scalar(select(Item.code).where(Item.id == item_id))


def items_by_id(*, ids) -> dict[int, Item]:
    """The items whose id is in ``ids``, by id."""
    return by_id(db.session, Item, ids)


def all_cities() -> list[City]:
    """Every city, by name."""
    return db.session.scalars(select(City).order_by(City.name)).all()


def city(*, city_id: int | None) -> City | None:
    """The city of that id, if any (for naming a record's city)."""
    return db.session.get(City, city_id) if city_id is not None else None


def city_names(*, ids) -> dict[int, str]:
    """The name of each city whose id is in ``ids``."""
    return names_by_id(db.session, City, ids)


def all_networks() -> list[Network]:
    """Every network, by code."""
    return db.session.scalars(select(Network).order_by(Network.code)).all()


def topic_names() -> dict[str, str]:
    """The name of every training topic, by code, as the page's language shows it (``names.local``)."""
    rows = db.session.execute(select(TrainingTopic.code, TrainingTopic.name, TrainingTopic.name_ko)).all()
    return {code: local(name, name_ko) for code, name, name_ko in rows}


def topics_by_name() -> list[tuple[str, str]]:
    """Every training topic as ``(code, name)``, by name (the pages' topic pickers, in their language)."""
    rows = db.session.execute(select(TrainingTopic.code, TrainingTopic.name, TrainingTopic.name_ko)).all()
    return sorted(((code, local(name, name_ko)) for code, name, name_ko in rows), key=lambda row: row[1])
