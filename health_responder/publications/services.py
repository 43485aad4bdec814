"""Writes of publications: coordinators publish links and PDFs; the monthly check its statistics reports."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.audit import services as audit
from health_responder.auth.access import STAFF, require_role
from health_responder.auth.models import User
from health_responder.documents.models import Document
from health_responder.errors import ValidationFailed
from health_responder.extensions import db
from health_responder.publications.models import (
    PUBLICATION_MAX_BYTES,
    Publication,
    PublicationKind,
    PublicationNetwork,
    PublicationTopic,
)
from health_responder.reference.models import Network, TrainingTopic
from health_responder.storage import store_pdf


def _network_ids(codes: list[str]) -> list[int]:
    found = dict(db.session.execute(select(Network.code, Network.id).where(Network.code.in_(codes))).all())
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationFailed(
            _l("Unknown network: %(codes)s.", codes=", ".join(unknown)),
            {"networks": [_l("Unknown network: %(codes)s.", codes=", ".join(unknown))]},
        )
    return [found[code] for code in dict.fromkeys(codes)]


def _check_topics(codes: list[str]) -> list[str]:
    known = set(db.session.scalars(select(TrainingTopic.code).where(TrainingTopic.code.in_(codes))))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationFailed(
            _l("Unknown training topic: %(codes)s.", codes=", ".join(unknown)),
            {"topics": [_l("Unknown training topic: %(codes)s.", codes=", ".join(unknown))]},
        )
    return list(dict.fromkeys(codes))


def _add(publication: Publication, topics: list[str], networks: list[str], by: User | None) -> Publication:
    topic_codes, network_ids = _check_topics(topics), _network_ids(networks)
    db.session.add(publication)
    db.session.flush()
    db.session.add_all(PublicationTopic(publication_id=publication.id, topic=code) for code in topic_codes)
    db.session.add_all(PublicationNetwork(publication_id=publication.id, network_id=n) for n in network_ids)
    audit.record(
        action="publication.publish",
        subject=publication,
        by=by,
        after={"title": publication.title, "kind": publication.kind, "topics": topic_codes},
        actor_label=None if by else "job:monthly_statistics",
    )
    db.session.flush()
    return publication


def create_publication(
    *,
    by: User,
    title: str,
    kind: str,
    published_on: date,
    summary: str | None = None,
    partners: str | None = None,
    url: str | None = None,
    topics: list[str] = (),
    networks: list[str] = (),
    upload: BinaryIO | None = None,
    file_name: str | None = None,
) -> Publication:
    """Publish a finding or research (coordinators and admins): a link, or an uploaded PDF (``upload``)."""
    require_role(by, *STAFF)
    if upload is None and not url:
        raise ValidationFailed(
            _l("Give a link or upload a PDF."), {"url": [_l("Give a link or upload a PDF.")]}
        )
    publication = Publication(
        title=title,
        kind=kind,
        summary=summary,
        partners=partners,
        published_on=published_on,
        url=url,
        created_by_id=by.id,
    )
    if upload is not None:
        # Check the names first: a refused publication leaves no file behind it to explain.
        _check_topics(list(topics)), _network_ids(list(networks))
        publication.file_path, publication.size, publication.sha256 = store_pdf(
            upload, folder="publications", max_bytes=PUBLICATION_MAX_BYTES
        )
        publication.file_name = Path(file_name or "publication.pdf").name[:200] or "publication.pdf"
    return _add(publication, list(topics), list(networks), by)


def delete_publication(*, publication: Publication, by: User) -> None:
    """Withdraw a publication (coordinators and admins); its file stays, content-addressed, for others."""
    require_role(by, *STAFF)
    audit.record(action="publication.delete", subject=publication, by=by, before={"title": publication.title})
    for model in (PublicationTopic, PublicationNetwork):
        db.session.execute(sa.delete(model).where(model.publication_id == publication.id))
    db.session.delete(publication)
    db.session.flush()


def publish_statistics_report(
    *, period: str, published_on: date, document: Document, title: str, summary: str
) -> Publication:
    """Publish a month's generated statistics report (the monthly check; ``period`` is unique)."""
    return _add(
        Publication(
            title=title,
            kind=PublicationKind.STATISTICS,
            summary=summary,
            partners=None,
            published_on=published_on,
            file_path=document.path,
            file_name=f"statistics-{period}.pdf",
            size=document.size,
            sha256=document.sha256,
            document_id=document.id,
            period=period,
        ),
        [],
        [],
        None,
    )
