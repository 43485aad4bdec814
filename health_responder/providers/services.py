"""Writes of providers and locations: staff keep the directory; a provider keeps its own profile."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.audit import services as audit
from health_responder.auth.access import require_role
from health_responder.auth.models import Role, User
from health_responder.errors import Duplicate, Forbidden, NotFound, ValidationFailed
from health_responder.extensions import db
from health_responder.providers.models import Provider, ProviderNetwork, StockLocation
from health_responder.reference.models import Network

PROVIDER_FIELDS = ("name", "country", "kind", "contact_name", "contact_email", "contact_phone", "description")
#: What a provider's own users may change in its profile; the rest (name, country, kind, networks)
#: is association data: networks decide allocation order and the name is how cities know it.
SELF_EDITABLE = frozenset({"contact_name", "contact_email", "contact_phone", "description"})
LOCATION_FIELDS = ("name", "address", "country", "timezone", "active")


def _check_owner(provider: Provider, by: User) -> None:
    # Reference data is the admin's: coordinators read the directory, admins and the provider edit it.
    require_role(by, Role.PROVIDER, Role.ADMIN)
    if by.role == Role.PROVIDER and by.provider_id != provider.id:
        raise NotFound(_l("No provider %(id)s.", id=provider.id))


def _set_networks(provider: Provider, network_ids: list[int]) -> list[int]:
    wanted = sorted(set(network_ids))
    known = set(db.session.scalars(select(Network.id).where(Network.id.in_(wanted))).all())
    missing = [n for n in wanted if n not in known]
    if missing:
        raise ValidationFailed(
            _l("Unknown network."), {"network_ids": [_l("No network %(id)s.", id=n) for n in missing]}
        )
    db.session.execute(sa.delete(ProviderNetwork).where(ProviderNetwork.provider_id == provider.id))
    db.session.add_all(ProviderNetwork(provider_id=provider.id, network_id=n) for n in wanted)
    return wanted


def _served(provider: Provider) -> list[int]:
    return sorted(
        db.session.scalars(
            select(ProviderNetwork.network_id).where(ProviderNetwork.provider_id == provider.id)
        ).all()
    )


def folded(name: str) -> str:
    """A provider name as compared for uniqueness: trimmed, inner spaces collapsed, case-folded."""
    return " ".join(name.split()).casefold()


def _ensure_unique_name(name: str, exclude_id: int | None = None) -> None:
    # Few providers: comparing folded names in Python covers what SQL lower() misses (ß, Turkish i …).
    wanted = folded(name)
    rows = db.session.execute(select(Provider.id, Provider.name).where(Provider.id != (exclude_id or 0)))
    if any(folded(other) == wanted for _id, other in rows):
        raise Duplicate(
            _l("A provider named %(name)s already exists.", name=repr(name)),
            {"name": [_l("Already exists.")]},
        )


def create_provider(*, by: User, network_ids: list[int], **values) -> Provider:
    """Add a provider (admins: reference data is theirs)."""
    require_role(by, Role.ADMIN)
    values["country"] = values["country"].upper()
    values["name"] = " ".join(values["name"].split())
    _ensure_unique_name(values["name"])
    provider = Provider(**values)
    db.session.add(provider)
    db.session.flush()
    served = _set_networks(provider, network_ids)
    audit.record(
        action="provider.create",
        subject=provider,
        by=by,
        after={**{k: getattr(provider, k) for k in PROVIDER_FIELDS}, "network_ids": served},
    )
    return provider


def update_provider(*, provider: Provider, by: User, **values) -> Provider:
    """Change a provider's profile: staff, or the provider's own users."""
    _check_owner(provider, by)
    if by.role == Role.PROVIDER:
        refused = sorted(set(values) - SELF_EDITABLE)
        if refused:
            raise Forbidden(
                _l("A provider edits its contact fields and description; the rest is the association's."),
                {field: [_l("Only the association's staff may change this.")] for field in refused},
            )
    before = {k: getattr(provider, k) for k in PROVIDER_FIELDS} | {"network_ids": _served(provider)}
    if "name" in values:
        values["name"] = " ".join(values["name"].split())
        _ensure_unique_name(values["name"], exclude_id=provider.id)
    if "country" in values:
        values["country"] = values["country"].upper()
    network_ids = values.pop("network_ids", None)
    for key, value in values.items():
        setattr(provider, key, value)
    if network_ids is not None:
        _set_networks(provider, network_ids)
    audit.record(
        action="provider.update",
        subject=provider,
        by=by,
        before=before,
        after={k: getattr(provider, k) for k in PROVIDER_FIELDS} | {"network_ids": _served(provider)},
    )
    return provider


def create_location(*, provider: Provider, by: User, **values) -> StockLocation:
    """Add a warehouse to a provider."""
    _check_owner(provider, by)
    values["country"] = values["country"].upper()
    location = StockLocation(provider_id=provider.id, **values)
    db.session.add(location)
    db.session.flush()
    audit.record(
        action="location.create",
        subject=location,
        by=by,
        after={k: getattr(location, k) for k in LOCATION_FIELDS},
    )
    return location


def update_location(*, location: StockLocation, provider: Provider, by: User, **values) -> StockLocation:
    """Change a warehouse."""
    _check_owner(provider, by)
    before = {k: getattr(location, k) for k in LOCATION_FIELDS}
    if "country" in values:
        values["country"] = values["country"].upper()
    for key, value in values.items():
        setattr(location, key, value)
    audit.record(
        action="location.update",
        subject=location,
        by=by,
        before=before,
        after={k: getattr(location, k) for k in LOCATION_FIELDS},
    )
    return location
