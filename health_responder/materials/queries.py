"""Reads of the knowledge hub: everyone, visitors included, reads every material and its versions; a
missing one is a 404. Who uploaded a version is named to members; a visitor reads the organisation.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.auth.models import User
from health_responder.db import by_id, paginate
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.materials.models import Material, MaterialKind, MaterialVersion
from health_responder.names import local
from health_responder.providers.models import Provider
from health_responder.reference.models import TrainingTopic


def material_view(*, material: Material) -> dict:
    """A material as a dict, with the download path of its PDF."""
    file_url = f"/api/v1/materials/{material.id}/file" if material.kind == MaterialKind.PDF else None
    return material.model_dump() | {"file_url": file_url}


def material_page(*, member: bool, material: Material) -> dict:
    """What a material's page shows: the material, its publisher and topic names, and its versions."""
    topic = db.session.get(TrainingTopic, material.topic)
    versions = versions_of(material=material, member=member) if material.kind == MaterialKind.PDF else []
    return material_view(material=material) | {
        "publisher": publisher_name(provider_id=material.provider_id),
        "topic_name": local(topic.name, topic.name_ko) if topic else material.topic,
        "current": versions[0] if versions else None,
        "earlier": versions[1:],
    }


def materials_on(*, topic: str, language: str | None = None, limit: int = 20) -> list[dict]:
    """Materials on ``topic``, those in ``language`` first, newest first."""
    order = [sa.case((Material.language == language, 0), else_=1)] if language else []
    rows = db.session.scalars(
        select(Material)
        .where(Material.topic == topic)
        .order_by(*order, Material.created_at.desc(), Material.id.desc())
        .limit(limit)
    )
    return [material_view(material=m) for m in rows]


def get_material(*, material_id: int) -> Material:
    """A material (the hub is readable by every role), or NotFound."""
    material = db.session.get(Material, material_id)
    if material is None:
        raise NotFound(_l("No material %(id)s.", id=material_id))
    return material


def _filtered(args: dict) -> sa.Select:
    """Materials matching the filters of ``args``: topic, language, kind, provider, and ``q``.

    ``q`` matches part of the title or description, case-insensitively; the words a person types need
    not be next to each other ("oxygen guide" finds "Guide to oxygen concentrators").
    """
    statement = select(Material)
    for key in ("topic", "language", "kind", "provider_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Material, key) == args[key])
    for word in (args.get("q") or "").lower().split():
        statement = statement.where(
            sa.or_(
                sa.func.lower(Material.title).contains(word, autoescape=True),
                sa.func.lower(sa.func.coalesce(Material.description, "")).contains(word, autoescape=True),
            )
        )
    return statement


def list_materials(*, args: dict) -> dict:
    """A page of materials filtered by topic, language, kind, provider or words of the title/description."""
    statement = _filtered(args)
    page = paginate(
        db.session,
        statement,
        args,
        {"id": Material.id, "title": Material.title, "created_at": Material.created_at},
    )
    page["items"] = [material_view(material=m) for m in page["items"]]
    return page


# --- reads of the hub's page ----------------------------------------------------------------------


def material_languages() -> list[str]:
    """The languages the knowledge hub holds material in (for the hub's filter)."""
    return list(db.session.scalars(select(Material.language).distinct().order_by(Material.language)))


def hub_page(*, args: dict) -> dict:
    """A page of the knowledge hub ordered by topic, then language, then title (so the page groups them)."""
    statement = _filtered({key: args.get(key) for key in ("topic", "language", "q")})
    return paginate(
        db.session,
        statement,
        args,
        {"id": Material.id},
        default_order=(Material.topic, Material.language, sa.func.lower(Material.title)),
    )


def providers() -> list[tuple[int, str]]:
    """Every provider as (id, name), by name: who may be named as a material's publisher."""
    return [
        tuple(row) for row in db.session.execute(select(Provider.id, Provider.name).order_by(Provider.name))
    ]


def recent(*, limit: int = 5) -> list[dict]:
    """The newest materials (the hub's front page)."""
    rows = db.session.scalars(
        select(Material).order_by(Material.created_at.desc(), Material.id.desc()).limit(limit)
    )
    return [material_view(material=m) for m in rows]


def publisher_name(*, provider_id: int | None) -> str | None:
    """The name of the provider that published a material; None when the association did."""
    if provider_id is None:
        return None
    provider = db.session.get(Provider, provider_id)
    return provider.name if provider else None


def _uploaders(versions: list[MaterialVersion], member: bool) -> dict[int, dict]:
    """Who uploaded each version: the organisation (a provider's name; None: the association).

    For ``member`` (a logged-in user), also the person's name; a visitor reads the organisation only.
    """
    users = by_id(db.session, User, [v.uploaded_by_id for v in versions])
    providers = by_id(db.session, Provider, [u.provider_id for u in users.values()])
    found = {}
    for user_id, user in users.items():
        provider = providers.get(user.provider_id)
        found[user_id] = {
            "organisation": provider.name if provider else None,
            "name": (user.name or user.email) if member else None,
        }
    return found


def versions_of(*, member: bool, material: Material) -> list[dict]:
    """Every version of a PDF material, newest first, with who uploaded it and where to download it."""
    versions = list(
        db.session.scalars(
            select(MaterialVersion)
            .where(MaterialVersion.material_id == material.id)
            .order_by(MaterialVersion.number.desc())
        )
    )
    uploaders = _uploaders(versions, member)
    return [_version_view(v, uploaders) for v in versions]


def _version_view(version: MaterialVersion, uploaders: dict[int, dict]) -> dict:
    who = uploaders.get(version.uploaded_by_id, {"organisation": None, "name": None})
    return {
        "number": version.number,
        "file_name": version.file_name,
        "size": version.size,
        "sha256": version.sha256,
        "uploaded_at": version.uploaded_at,
        "uploaded_by": who["name"],
        "organisation": who["organisation"],
        "file_url": f"/api/v1/materials/{version.material_id}/versions/{version.number}/file",
    }


def list_versions(*, member: bool, material: Material, args: dict) -> dict:
    """A page of a material's versions, newest first (a link has none)."""
    page = paginate(
        db.session,
        select(MaterialVersion).where(MaterialVersion.material_id == material.id),
        args,
        {"number": MaterialVersion.number},
        default_order=(MaterialVersion.number.desc(),),
    )
    uploaders = _uploaders(page["items"], member)
    page["items"] = [_version_view(v, uploaders) for v in page["items"]]
    return page


def version_view(*, member: bool, version: MaterialVersion) -> dict:
    """One version as the API shows it."""
    return _version_view(version, _uploaders([version], member))


def get_version(*, material: Material, number: int) -> MaterialVersion:
    """Version ``number`` of a material, or NotFound."""
    version = db.session.scalar(
        select(MaterialVersion).where(
            MaterialVersion.material_id == material.id, MaterialVersion.number == number
        )
    )
    if version is None:
        raise NotFound(_l("Material %(id)s has no version %(n)s.", id=material.id, n=number))
    return version
