"""Writes of reference data: coordinators and admins keep networks, cities, topics and items."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.audit import services as audit
from health_responder.auth.access import require_role
from health_responder.auth.models import Role, User
from health_responder.errors import Duplicate, ValidationFailed
from health_responder.extensions import db
from health_responder.reference.models import City, Item, Network, TrainingTopic


def _snapshot(row, fields) -> dict:
    return {name: getattr(row, name) for name in fields}


def _ensure_unique(model, column, value, label, field: str, exclude_id=None) -> None:
    statement = select(model).where(column == value)
    existing = db.session.scalar(statement)
    if existing is not None and getattr(existing, "id", None) != exclude_id:
        raise Duplicate(
            _l(
                "A %(thing)s with %(field)s %(value)s already exists.",
                thing=label,
                field=field,
                value=repr(value),
            ),
            {field: [_l("Already exists.")]},
        )


def _ensure_network(network_id: int) -> None:
    if db.session.get(Network, network_id) is None:
        raise ValidationFailed(
            _l("Unknown network."), {"network_id": [_l("No network %(id)s.", id=network_id)]}
        )


def _ensure_topic(code: str | None) -> None:
    if code and db.session.get(TrainingTopic, code) is None:
        raise ValidationFailed(
            _l("Unknown training topic."),
            {"requires_training": [_l("No training topic %(code)s.", code=repr(code))]},
        )


def create_network(*, by: User, code: str, name: str) -> Network:
    """Add a regional network."""
    require_role(by, Role.ADMIN)
    code = code.upper()
    _ensure_unique(Network, Network.code, code, _l("network"), "code")
    network = Network(code=code, name=name)
    db.session.add(network)
    db.session.flush()
    audit.record(action="network.create", subject=network, by=by, after={"code": code, "name": name})
    return network


CITY_FIELDS = (
    "name",
    "country",
    "network_id",
    "timezone",
    "language",
    "delivery_address",
    "contact_name",
    "contact_email",
    "contact_phone",
)


def create_city(*, by: User, **values) -> City:
    """Add a member city."""
    require_role(by, Role.ADMIN)
    values["country"] = values["country"].upper()
    _ensure_network(values["network_id"])
    _ensure_unique(City, City.name, values["name"], _l("city"), "name")
    city = City(**values)
    db.session.add(city)
    db.session.flush()
    audit.record(action="city.create", subject=city, by=by, after=_snapshot(city, CITY_FIELDS))
    return city


def update_city(*, city: City, by: User, **values) -> City:
    """Change a member city's details."""
    require_role(by, Role.ADMIN)
    before = _snapshot(city, CITY_FIELDS)
    if "network_id" in values:
        _ensure_network(values["network_id"])
    if "name" in values:
        _ensure_unique(City, City.name, values["name"], _l("city"), "name", exclude_id=city.id)
    if "country" in values:
        values["country"] = values["country"].upper()
    for key, value in values.items():
        setattr(city, key, value)
    audit.record(action="city.update", subject=city, by=by, before=before, after=_snapshot(city, CITY_FIELDS))
    return city


def create_topic(*, by: User, code: str, name: str, name_ko: str | None = None) -> TrainingTopic:
    """Add a training topic (``name_ko``: what Korean pages show)."""
    require_role(by, Role.ADMIN)
    if db.session.get(TrainingTopic, code) is not None:
        raise Duplicate(
            _l("A training topic %(code)s already exists.", code=repr(code)),
            {"code": [_l("Already exists.")]},
        )
    topic = TrainingTopic(code=code, name=name, name_ko=(name_ko or "").strip() or None)
    db.session.add(topic)
    db.session.flush()
    audit.record(
        action="topic.create",
        subject=topic,
        by=by,
        after={"code": code, "name": name, "name_ko": topic.name_ko},
    )
    return topic


def update_topic(*, topic: TrainingTopic, by: User, **values) -> TrainingTopic:
    """Change a training topic's names (its code stays: items and programs name it)."""
    require_role(by, Role.ADMIN)
    before = {"name": topic.name, "name_ko": topic.name_ko}
    if "name" in values:
        topic.name = values["name"].strip()
    if "name_ko" in values:
        topic.name_ko = (values["name_ko"] or "").strip() or None
    audit.record(
        action="topic.update",
        subject=topic,
        by=by,
        before=before,
        after={"name": topic.name, "name_ko": topic.name_ko},
    )
    return topic


ITEM_FIELDS = (
    "code",
    "name",
    "name_ko",
    "category",
    "unit",
    "requires_cold_chain",
    "requires_training",
    "gtin",
    "description",
    "active",
)


def create_item(*, by: User, **values) -> Item:
    """Add an item to the catalogue; its code is unique."""
    require_role(by, Role.ADMIN)
    values["code"] = values["code"].upper()
    values["requires_training"] = values.get("requires_training") or None
    if "name_ko" in values:
        values["name_ko"] = (values["name_ko"] or "").strip() or None
    _ensure_topic(values["requires_training"])
    _ensure_unique(Item, Item.code, values["code"], _l("item"), "code")
    if values.get("gtin"):
        _ensure_unique(Item, Item.gtin, values["gtin"], _l("item"), "gtin")
    item = Item(**values)
    db.session.add(item)
    db.session.flush()
    audit.record(action="item.create", subject=item, by=by, after=_snapshot(item, ITEM_FIELDS))
    return item


def update_item(*, item: Item, by: User, **values) -> Item:
    """Change a catalogue item (its code stays)."""
    require_role(by, Role.ADMIN)
    before = _snapshot(item, ITEM_FIELDS)
    if "name_ko" in values:
        values["name_ko"] = (values["name_ko"] or "").strip() or None
    if "requires_training" in values:
        values["requires_training"] = values["requires_training"] or None
        _ensure_topic(values["requires_training"])
    if values.get("gtin"):
        _ensure_unique(Item, Item.gtin, values["gtin"], _l("item"), "gtin", exclude_id=item.id)
    for key, value in values.items():
        setattr(item, key, value)
    audit.record(action="item.update", subject=item, by=by, before=before, after=_snapshot(item, ITEM_FIELDS))
    return item
