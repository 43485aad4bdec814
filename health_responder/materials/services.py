"""Writes of the knowledge hub: publish a link or an uploaded PDF (providers and staff); change, version
and delete a material (its owner, the provider that published it, or staff).

Uploads are kept under ``MATERIALS_DIR``, apart from the generated documents of ``REPORTS_DIR``:
they are user files, with their own size, backup and retention, not documents the app can rebuild.
A file is a PDF by its ``%PDF-`` header, whatever content type the browser sent (browsers label the
same file ``application/pdf``, ``application/x-pdf`` or ``application/octet-stream``).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder import storage
from health_responder.audit import services as audit
from health_responder.auth.access import STAFF, require_role
from health_responder.auth.models import Role, User
from health_responder.db import lock, utcnow
from health_responder.errors import Conflict, Forbidden, NotFound, QuotaExceeded, ValidationFailed
from health_responder.extensions import db
from health_responder.materials.models import MATERIAL_MAX_BYTES, Material, MaterialKind, MaterialVersion
from health_responder.providers.models import Provider
from health_responder.reference.models import TrainingTopic

#: Where rows written before MATERIALS_DIR kept their file: "materials/<sha256>.pdf" under REPORTS_DIR.
LEGACY_PREFIX = "materials/"
AUDITED = (
    "title",
    "topic",
    "language",
    "kind",
    "url",
    "file_path",
    "size",
    "sha256",
    "provider_id",
    "version",
)
MB = 1024 * 1024
NOT_OWNER = _l("Only the provider that published this material, or the association's staff, may change it.")
#: What an owner may change in place (a PDF's file changes by a new version, never in place).
EDITABLE = ("title", "topic", "language", "description", "url")


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


def _safe_name(file_name: str | None) -> str:
    return Path(file_name or "material.pdf").name[:200] or "material.pdf"


def _quota(provider_id: int | None) -> tuple[int, int] | None:
    """(quota, bytes used) of a provider's uploads, every version counted; None for the association's own."""
    if provider_id is None:
        return None
    used = db.session.scalar(
        select(sa.func.coalesce(sa.func.sum(MaterialVersion.size), 0))
        .join(Material, Material.id == MaterialVersion.material_id)
        .where(Material.provider_id == provider_id)
    )
    return int(float(current_app.config["MATERIALS_QUOTA_MB"]) * MB), int(used or 0)


def _size(n: int) -> str:
    """A byte count as people read it: "850 KB", "12.5 MB"."""
    return f"{n / MB:.1f} MB" if n >= MB else f"{-(-max(n, 0) // 1024)} KB"


def _over_quota(file_name: str, quota: int, used: int) -> QuotaExceeded:
    left = _size(quota - used)
    return QuotaExceeded(
        _l(
            "%(name)s would take your provider past its storage quota: %(used)s of %(quota)s are used, "
            "%(left)s left. Delete materials or versions you no longer need, or ask the association for more.",
            name=file_name,
            used=_size(used),
            quota=_size(quota),
            left=left,
        ),
        {"file": [_l("Over your provider's storage quota (%(left)s left).", left=left)]},
    )


def _store_pdf(stream: BinaryIO, file_name: str, provider_id: int | None) -> tuple[str, int, str]:
    """Copy an uploaded PDF into MATERIALS_DIR, named by its SHA-256; refuse what is not one, naming the file,
    and what would take its provider past MATERIALS_QUOTA_MB (413; a concurrent upload may pass it by one file).
    """
    quota = _quota(provider_id)
    limit = MATERIAL_MAX_BYTES
    if quota is not None:
        if quota[1] >= quota[0]:
            raise _over_quota(file_name, *quota)
        limit = min(limit, quota[0] - quota[1])
    try:
        return storage.store_pdf_in(stream, directory=materials_dir(), max_bytes=limit)
    except storage.FileTooLarge as refused:
        if limit < MATERIAL_MAX_BYTES:
            raise _over_quota(file_name, *quota) from refused
        raise _named(refused, file_name) from refused
    except ValidationFailed as refused:
        raise _named(refused, file_name) from refused


def _named(refused: ValidationFailed, file_name: str) -> ValidationFailed:
    """The refusal of an upload, naming its file."""
    problems = refused.errors.get("file") or [refused.message]
    return ValidationFailed(
        _l("%(name)s is not accepted: %(problem)s", name=file_name, problem=refused.message),
        {"file": [_l("%(name)s: %(problem)s", name=file_name, problem=p) for p in problems]},
    )


def _take_file(material: Material, stream: BinaryIO, file_name: str) -> None:
    """Store the uploaded file and make it ``material``'s current one, under the next version number."""
    name = _safe_name(file_name)
    path, size, sha256 = _store_pdf(stream, name, material.provider_id)
    material.file_path, material.file_name, material.size, material.sha256 = path, name, size, sha256
    material.content_type, material.version = "application/pdf", (material.version or 0) + 1


def _record_version(material: Material, by: User) -> MaterialVersion:
    """The material's current file, kept as its numbered version."""
    version = MaterialVersion(
        material_id=material.id,
        number=material.version,
        file_path=material.file_path,
        file_name=material.file_name,
        size=material.size,
        sha256=material.sha256,
        uploaded_by_id=by.id,
        uploaded_at=utcnow(),
    )
    db.session.add(version)
    db.session.flush()
    return version


def create_pdf_material(
    *,
    by: User,
    title: str,
    topic: str,
    stream: BinaryIO,
    file_name: str,
    content_type: str | None = None,
    language: str = "en",
    description: str | None = None,
    provider_id: int | None = None,
) -> Material:
    """Publish an uploaded PDF (a %PDF header, at most 10 MB; ``content_type`` is the browser's, not trusted)."""
    provider_id = _material_provider(by, provider_id)
    _check_topic(topic)
    material = Material(
        title=title,
        topic=topic,
        language=language,
        description=description,
        kind=MaterialKind.PDF,
        provider_id=provider_id,
        created_by_id=by.id,
    )
    _take_file(material, stream, file_name)
    _add_material(material, by)
    _record_version(material, by)
    return material


def may_change(material: Material, user: User | None) -> bool:
    """Whether ``user`` may edit, version or delete ``material``: staff, or the provider that published it."""
    if user is None:
        return False
    if user.role in STAFF:
        return True
    return (
        user.role == Role.PROVIDER
        and material.provider_id is not None
        and material.provider_id == user.provider_id
    )


def _require_owner(material: Material, by: User) -> None:
    require_role(by, Role.PROVIDER, *STAFF)
    if not may_change(material, by):
        raise Forbidden(NOT_OWNER)


def _locked(material: Material) -> Material:
    """The material's row again, locked (PostgreSQL) so that two changes of it follow one another."""
    found = db.session.scalar(
        lock(select(Material).where(Material.id == material.id)).execution_options(populate_existing=True)
    )
    if found is None:
        raise NotFound(_l("No material %(id)s.", id=material.id))
    return found


def update_material(*, material: Material, by: User, **changes) -> Material:
    """Change a material's title, topic, language, description or (a link's) address (its owner or staff)."""
    _require_owner(material, by)
    material = _locked(material)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationFailed(
            _l("These fields cannot be changed: %(fields)s.", fields=", ".join(unknown)),
            {name: [_l("Cannot be changed.")] for name in unknown},
        )
    if "topic" in changes:
        _check_topic(changes["topic"])
    if material.kind == MaterialKind.PDF and changes.get("url") is not None:
        raise ValidationFailed(
            _l("A PDF material has no address: upload a new version of its file instead."),
            {"url": [_l("Only a link has an address.")]},
        )
    if material.kind == MaterialKind.LINK and "url" in changes and not changes["url"]:
        raise ValidationFailed(_l("A link needs its address."), {"url": [_l("Field may not be null.")]})
    if material.kind == MaterialKind.PDF:
        changes.pop("url", None)
    before = {name: getattr(material, name) for name in EDITABLE}
    for name, value in changes.items():
        setattr(material, name, value)
    material.updated_at, material.updated_by_id = utcnow(), by.id
    db.session.flush()
    audit.record(
        action="material.update",
        subject=material,
        by=by,
        before=before,
        after={name: getattr(material, name) for name in EDITABLE},
    )
    return material


def add_version(
    *, material: Material, by: User, stream: BinaryIO, file_name: str, content_type: str | None = None
) -> MaterialVersion:
    """Give a PDF material a new file; the earlier ones stay, numbered, downloadable (its owner or staff).

    ``content_type`` is what the browser said; the ``%PDF`` header decides.
    """
    _require_owner(material, by)
    material = _locked(material)
    if material.kind != MaterialKind.PDF:
        raise Conflict(
            _l("Material %(id)s is a link: change its address instead of uploading a file.", id=material.id),
            {"kind": [_l("Is a link.")]},
        )
    _take_file(material, stream, file_name)
    material.updated_at, material.updated_by_id = utcnow(), by.id
    version = _record_version(material, by)
    audit.record(
        action="material.version",
        subject=material,
        by=by,
        after={"version": version.number, "file_path": version.file_path, "sha256": version.sha256},
    )
    return version


def delete_material(*, material: Material, by: User) -> None:
    """Delete a material and its versions (its owner or staff); the files stay, content-addressed, for others."""
    _require_owner(material, by)
    material = _locked(material)
    audit.record(
        action="material.delete",
        subject=material,
        by=by,
        before={name: getattr(material, name) for name in AUDITED},
    )
    db.session.execute(sa.delete(MaterialVersion).where(MaterialVersion.material_id == material.id))
    db.session.delete(material)
    db.session.flush()


def material_file(material: Material) -> Path:
    """Where a PDF material's current file is stored (a link: Conflict; a missing file: NotFound)."""
    if material.kind != MaterialKind.PDF or not material.file_path:
        raise Conflict(
            _l("Material %(id)s is a link, not a file: %(url)s", id=material.id, url=material.url),
            {"kind": [_l("Is a link.")]},
        )
    return _stored(material.file_path, material.id)


def version_file(version: MaterialVersion) -> Path:
    """Where the file of one version of a material is stored (a missing file: NotFound)."""
    return _stored(version.file_path, version.material_id)


def _stored(file_path: str, material_id: int) -> Path:
    """The stored file at ``file_path``.

    A row from before MATERIALS_DIR ("materials/<sha256>.pdf") is looked for in MATERIALS_DIR first,
    where an operator may have moved its file, then where it was written, under REPORTS_DIR.
    """
    folder = materials_dir()
    candidates = [folder / file_path]
    if file_path.startswith(LEGACY_PREFIX):
        name = file_path.removeprefix(LEGACY_PREFIX)
        candidates = [folder / name, Path(current_app.config["REPORTS_DIR"]) / file_path]
    for path in candidates:
        if path.is_file():
            return path
    raise NotFound(_l("The file of material %(id)s is missing from storage.", id=material_id))
