"""Reads of the knowledge hub: every role reads every material; a missing one is a 404."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.db import paginate
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.materials.models import Material, MaterialKind
from health_responder.providers.models import Provider
from health_responder.reference.models import TrainingTopic


def material_view(material: Material) -> dict:
    """A material as a dict, with the download path of its PDF."""
    file_url = f"/api/v1/materials/{material.id}/file" if material.kind == MaterialKind.PDF else None
    return material.model_dump() | {"file_url": file_url}


def materials_on(topic: str, language: str | None = None, limit: int = 20) -> list[dict]:
    """Materials on ``topic``, those in ``language`` first, newest first."""
    order = [sa.case((Material.language == language, 0), else_=1)] if language else []
    rows = db.session.scalars(
        select(Material)
        .where(Material.topic == topic)
        .order_by(*order, Material.created_at.desc(), Material.id.desc())
        .limit(limit)
    )
    return [material_view(m) for m in rows]


def get_material(material_id: int) -> Material:
    """A material (the hub is readable by every role), or NotFound."""
    material = db.session.get(Material, material_id)
    if material is None:
        raise NotFound(_l("No material %(id)s.", id=material_id))
    return material


def list_materials(args: dict) -> dict:
    """A page of materials filtered by topic, language, kind, provider or words of the title/description."""
    statement = select(Material)
    for key in ("topic", "language", "kind", "provider_id"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Material, key) == args[key])
    if args.get("q"):
        q = args["q"].lower()
        statement = statement.where(
            sa.or_(
                sa.func.lower(Material.title).contains(q, autoescape=True),
                sa.func.lower(Material.description).contains(q, autoescape=True),
            )
        )
    page = paginate(
        db.session,
        statement,
        args,
        {"id": Material.id, "title": Material.title, "created_at": Material.created_at},
    )
    page["items"] = [material_view(m) for m in page["items"]]
    return page


# --- reads of the hub's page ----------------------------------------------------------------------


def material_languages() -> list[str]:
    """The languages the knowledge hub holds material in (for the hub's filter)."""
    return list(db.session.scalars(select(Material.language).distinct().order_by(Material.language)))


def hub_page(args: dict) -> dict:
    """A page of the knowledge hub ordered by topic, then language, then title (so the page groups them)."""
    statement = select(Material)
    for key in ("topic", "language"):
        if args.get(key) is not None:
            statement = statement.where(getattr(Material, key) == args[key])
    return paginate(
        db.session,
        statement,
        args,
        {"id": Material.id},
        default_order=(Material.topic, Material.language, sa.func.lower(Material.title)),
    )


def topics() -> list[tuple[str, str]]:
    """Every training topic as (code, name), by name: what a material may be about."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(TrainingTopic.code, TrainingTopic.name).order_by(TrainingTopic.name)
        )
    ]


def providers() -> list[tuple[int, str]]:
    """Every provider as (id, name), by name: who may be named as a material's publisher."""
    return [
        tuple(row) for row in db.session.execute(select(Provider.id, Provider.name).order_by(Provider.name))
    ]
