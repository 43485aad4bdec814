"""Writes of the knowledge hub: publish a link or an uploaded PDF (providers and staff).

Uploads are kept under ``MATERIALS_DIR``, apart from the generated documents of ``REPORTS_DIR``:
they are user files, with their own size, backup and retention, not documents the app can rebuild.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l

from health_responder import storage
from health_responder.audit import services as audit
from health_responder.auth.access import STAFF, require_role
from health_responder.auth.models import Role, User
from health_responder.errors import Conflict, NotFound, ValidationFailed
from health_responder.extensions import db
from health_responder.materials.models import MATERIAL_MAX_BYTES, Material, MaterialKind
from health_responder.providers.models import Provider
from health_responder.reference.models import TrainingTopic

#: Where rows written before MATERIALS_DIR kept their file: "materials/<sha256>.pdf" under REPORTS_DIR.
LEGACY_PREFIX = "materials/"
AUDITED = ("title", "topic", "language", "kind", "url", "file_path", "size", "sha256", "provider_id")


def materials_dir() -> Path:
    """The folder of uploaded PDFs: ``MATERIALS_DIR``, or ``materials/`` beside ``REPORTS_DIR`` when unset."""
    configured = current_app.config.get("MATERIALS_DIR")
    if configured:
        return Path(configured)
    return Path(current_app.config["REPORTS_DIR"]).parent / "materials"


def _check_topic(code: str) -> None:
    if db.session.get(TrainingTopic, code) is None:
        raise ValidationFailed(
            _l("Unknown training topic."), {"topic": [_l("No training topic %(code)s.", code=repr(code))]}
        )


def _material_provider(by: User, provider_id: int | None) -> int | None:
    require_role(by, Role.PROVIDER, *STAFF)
    if by.role == Role.PROVIDER:
        if provider_id is not None and provider_id != by.provider_id:
            raise ValidationFailed(
                _l("A provider publishes only in its own name."),
                {"provider_id": [_l("You can publish only for your own provider.")]},
            )
        return by.provider_id
    if provider_id is not None and db.session.get(Provider, provider_id) is None:
        raise ValidationFailed(
            _l("Unknown provider."), {"provider_id": [_l("No provider %(id)s.", id=provider_id)]}
        )
    return provider_id


def _add_material(material: Material, by: User) -> Material:
    db.session.add(material)
    db.session.flush()
    audit.record(
        action="material.create",
        subject=material,
        by=by,
        after={name: getattr(material, name) for name in AUDITED},
    )
    return material


def create_link_material(
    *,
    by: User,
    title: str,
    topic: str,
    url: str,
    language: str = "en",
    description: str | None = None,
    provider_id: int | None = None,
) -> Material:
    """Publish a link in the knowledge hub (providers and staff)."""
    provider_id = _material_provider(by, provider_id)
    _check_topic(topic)
    return _add_material(
        Material(
            title=title,
            topic=topic,
            language=language,
            description=description,
            kind=MaterialKind.LINK,
            url=url,
            provider_id=provider_id,
            created_by_id=by.id,
        ),
        by,
    )


def _store_pdf(stream: BinaryIO) -> tuple[str, int, str]:
    """Copy an uploaded PDF into MATERIALS_DIR, named by its SHA-256; refuse what is not one."""
    return storage.store_pdf_in(stream, directory=materials_dir(), max_bytes=MATERIAL_MAX_BYTES)


def create_pdf_material(
    *,
    by: User,
    title: str,
    topic: str,
    stream: BinaryIO,
    file_name: str,
    content_type: str,
    language: str = "en",
    description: str | None = None,
    provider_id: int | None = None,
) -> Material:
    """Publish an uploaded PDF (checked: application/pdf, a %PDF header, at most 10 MB) in the knowledge hub."""
    provider_id = _material_provider(by, provider_id)
    _check_topic(topic)
    if content_type != "application/pdf":
        raise ValidationFailed(
            _l("Only PDF files are accepted."),
            {"file": [_l("Content type is %(type)s; send application/pdf.", type=content_type or "missing")]},
        )
    path, size, sha256 = _store_pdf(stream)
    safe_name = Path(file_name or "material.pdf").name[:200] or "material.pdf"
    return _add_material(
        Material(
            title=title,
            topic=topic,
            language=language,
            description=description,
            kind=MaterialKind.PDF,
            file_path=path,
            file_name=safe_name,
            size=size,
            content_type="application/pdf",
            sha256=sha256,
            provider_id=provider_id,
            created_by_id=by.id,
        ),
        by,
    )


def material_file(material: Material) -> Path:
    """Where a PDF material's bytes are stored.

    A row from before MATERIALS_DIR ("materials/<sha256>.pdf") is looked for in MATERIALS_DIR first,
    where an operator may have moved its file, then where it was written, under REPORTS_DIR.
    """
    if material.kind != MaterialKind.PDF or not material.file_path:
        raise Conflict(
            _l("Material %(id)s is a link, not a file: %(url)s", id=material.id, url=material.url),
            {"kind": [_l("Is a link.")]},
        )
    folder = materials_dir()
    candidates = [folder / material.file_path]
    if material.file_path.startswith(LEGACY_PREFIX):
        name = material.file_path.removeprefix(LEGACY_PREFIX)
        candidates = [folder / name, Path(current_app.config["REPORTS_DIR"]) / material.file_path]
    for path in candidates:
        if path.is_file():
            return path
    raise NotFound(_l("The file of material %(id)s is missing from storage.", id=material.id))
