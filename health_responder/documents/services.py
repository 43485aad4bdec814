"""The document registry: store each generated PDF once, supersede it when its data changes.

A document is identified by (kind, subject_type, subject_key). Its ``data_hash`` is the SHA-256 of the
data it was built from, without the verification code: asking again for unchanged data returns the
registered file (byte-identical, still "current"); changed data builds a new file with a new code and
marks the old one superseded. Files are never overwritten: each has its own name under
REPORTS_DIR/<year>/<month>/. A registered document whose file is missing on this host (storage not
shared yet, a restore, a lost disk) is built again under its own code, byte-identical, and keeps
saying "current". Ad-hoc documents (``AD_HOC_KINDS``) are kept DOCUMENT_RETENTION_DAYS, then the
prune_documents check (jobs.py) deletes their files; their codes go on verifying, as expired.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder import storage
from health_responder.db import utcnow
from health_responder.documents.models import Document
from health_responder.errors import NotFound
from health_responder.extensions import db

log = logging.getLogger(__name__)

#: Verification codes avoid look-alike characters (0/O, 1/I/L) so people can type them from paper.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
#: Documents printed on demand from data the database keeps (any period's summary, a pick list, a label
#: sheet): kept DOCUMENT_RETENTION_DAYS, then pruned. Every other kind (dispatch reports, certificates,
#: statistics reports) is a record and is never pruned.
AD_HOC_KINDS = ("dispatch_summary", "pick_list", "lot_label", "dispatch_labels")


def _canonical(value) -> str:
    if dataclasses.is_dataclass(value):
        value = dataclasses.asdict(value)
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False, separators=(",", ":"))


def data_hash(data) -> str:
    """The SHA-256 of a document's data, ignoring the verification fields that differ per issue."""
    if dataclasses.is_dataclass(data):
        # English, the language every document but the dispatch report had before there were others,
        # leaves the hash as it was (``HASHES_ENGLISH`` unset): an English copy registered then still
        # matches its data. The dispatch report has hashed its language from the start.
        english_counts = getattr(data, "HASHES_ENGLISH", False)
        data = {
            k: v
            for k, v in dataclasses.asdict(data).items()
            if k not in {"verification_url", "verification_code"}
            and (english_counts or not (k == "language" and v == "en"))
        }
    return hashlib.sha256(_canonical(data).encode()).hexdigest()


def new_code() -> str:
    """A short random verification code."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def verification_url(code: str) -> str:
    """The public page that tells whether a document with this code is genuine."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + f"/verify/{code}"


def current_document(kind: str, subject_type: str, subject_key: str) -> Document | None:
    """The current (not superseded) document for a subject."""
    return db.session.scalar(
        select(Document)
        .where(
            Document.kind == kind,
            Document.subject_type == subject_type,
            Document.subject_key == subject_key,
            Document.superseded_at.is_(None),
            Document.expired_at.is_(None),
        )
        .order_by(Document.id.desc())
        .limit(1)
    )


def path_of(document: Document) -> Path:
    """Where the document's file lies."""
    return Path(current_app.config["REPORTS_DIR"]) / document.path


def read(document: Document) -> bytes:
    """The document's bytes, checked against the registered SHA-256."""
    content = path_of(document).read_bytes()
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise NotFound(_l("The stored file does not match its registered hash; regenerate it."))
    return content


def _stored_or_rebuilt(document: Document, data, build: Callable[[object], bytes]) -> bytes | None:
    """The registered bytes of ``document``, from its file or, when the file is missing or damaged on this
    host, built again from the same data under the same code (byte-identical: the builders are pure and
    reportlab runs invariant) and written back; None when the rebuild no longer gives its SHA-256 (the
    builder itself changed), so a new version is issued instead.
    """
    path = path_of(document)
    if path.is_file():
        content = path.read_bytes()
        if hashlib.sha256(content).hexdigest() == document.sha256:
            return content
    code = document.verification_code
    content = build(
        dataclasses.replace(data, verification_code=code, verification_url=verification_url(code))
    )
    if hashlib.sha256(content).hexdigest() != document.sha256:
        log.warning(
            "document %s (%s) could not be rebuilt byte-identical; issuing a new version", code, document.kind
        )
        return None
    storage.write_file(path, content)
    log.info("document %s (%s) was missing on this host and was rebuilt byte-identical", code, document.kind)
    return content


def issue(
    *,
    kind: str,
    subject_type: str,
    subject_key: str,
    data,
    build: Callable[[object], bytes],
    event_date: date | None = None,
    by=None,
    name: str | None = None,
) -> tuple[Document, bytes]:
    """The document for ``data``: the registered one when its data is unchanged, else a new one.

    ``data`` is a dataclass with ``verification_url`` and ``verification_code`` fields; ``build(data)``
    returns the PDF bytes. The caller commits.
    """
    digest = data_hash(data)
    current = current_document(kind, subject_type, subject_key)
    if current is not None and current.data_hash == digest:
        content = _stored_or_rebuilt(current, data, build)
        if content is not None:
            return current, content
    code = new_code()
    data = dataclasses.replace(data, verification_code=code, verification_url=verification_url(code))
    content = build(data)
    now = utcnow()
    safe_name = "".join(c if c.isalnum() or c in "-_" else "_" for c in (name or subject_key))[:80]
    relative = f"{now:%Y}/{now:%m}/{kind}-{safe_name}-{code}.pdf"
    # Written before the row: a full disk (507) leaves neither a file nor a registry row.
    storage.write_file(Path(current_app.config["REPORTS_DIR"]) / relative, content)
    document = Document(
        kind=kind,
        subject_type=subject_type,
        subject_key=subject_key,
        data_hash=digest,
        sha256=hashlib.sha256(content).hexdigest(),
        path=relative,
        size=len(content),
        verification_code=code,
        event_date=event_date,
        created_by_id=getattr(by, "id", None),
    )
    db.session.add(document)
    db.session.flush()
    if current is not None:
        db.session.execute(
            sa.update(Document)
            .where(Document.id == current.id, Document.superseded_at.is_(None))
            .values(superseded_at=now, superseded_by_id=document.id)
        )
    return document, content


def verify(code: str) -> dict:
    """Whether a verification code belongs to a registered document, and whether it is still current."""
    document = db.session.scalar(select(Document).where(Document.verification_code == code.strip().upper()))
    if document is None:
        raise NotFound(
            _l("No document has this verification code: it is not genuine, or the code is mistyped."),
            {"code": [_l("Unknown verification code.")]},
        )
    return {
        "genuine": True,
        "current": document.superseded_at is None and document.expired_at is None,
        "expired": document.expired_at is not None,
        "expired_at": document.expired_at,
        "kind": document.kind,
        "subject_type": document.subject_type,
        "subject_key": document.subject_key,
        "sha256": document.sha256,
        "size": document.size,
        "event_date": document.event_date,
        "created_at": document.created_at,
        "superseded_at": document.superseded_at,
        "verification_code": document.verification_code,
    }


def verify_bytes(content: bytes) -> dict:
    """Whether a file's bytes are exactly a registered document."""
    digest = hashlib.sha256(content).hexdigest()
    document = db.session.scalar(select(Document).where(Document.sha256 == digest).limit(1))
    if document is None:
        raise NotFound(
            _l("This file is not a document we issued (or it was altered)."), {"file": [_l("Unknown file.")]}
        )
    return verify(document.verification_code)
