"""Reads of publications: anyone may read every one of them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder.db import paginate
from health_responder.documents.models import Document
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.publications.models import Publication, PublicationNetwork, PublicationTopic
from health_responder.reference.models import Network, TrainingTopic

P = Publication


def get_publication(*, publication_id: int) -> Publication:
    """A publication, or NotFound."""
    publication = db.session.get(P, publication_id)
    if publication is None:
        raise NotFound(_l("No publication %(id)s.", id=publication_id))
    return publication


def views(*, publications: list[Publication]) -> list[dict]:
    """Publications as dicts with their topics, network codes, file link and verification code."""
    ids = [p.id for p in publications]
    topics: dict[int, list[str]] = {i: [] for i in ids}
    networks: dict[int, list[str]] = {i: [] for i in ids}
    codes: dict[int, str] = {}
    if ids:
        for pid, code in db.session.execute(
            select(PublicationTopic.publication_id, PublicationTopic.topic)
            .where(PublicationTopic.publication_id.in_(ids))
            .order_by(PublicationTopic.topic)
        ):
            topics[pid].append(code)
        for pid, code in db.session.execute(
            select(PublicationNetwork.publication_id, Network.code)
            .join(Network, Network.id == PublicationNetwork.network_id)
            .where(PublicationNetwork.publication_id.in_(ids))
            .order_by(Network.code)
        ):
            networks[pid].append(code)
        document_ids = [p.document_id for p in publications if p.document_id]
        if document_ids:
            codes = dict(
                db.session.execute(
                    select(Document.id, Document.verification_code).where(Document.id.in_(document_ids))
                ).all()
            )
    return [
        p.model_dump(exclude={"file_path", "created_by_id", "document_id"})
        | {
            "topics": topics[p.id],
            "networks": networks[p.id],
            "file_url": url_for("publications_api.PublicationFile", publication_id=p.id)
            if p.file_path
            else None,
            "verification_code": codes.get(p.document_id),
        }
        for p in publications
    ]


def view(*, publication: Publication) -> dict:
    """One publication as a dict."""
    return views(publications=[publication])[0]


def list_publications(*, args: dict) -> dict:
    """A page of publications, newest first, filtered by kind, topic, network, dates and words."""
    statement = select(P)
    if args.get("kind"):
        statement = statement.where(P.kind == args["kind"])
    if args.get("topic"):
        statement = statement.where(
            sa.exists().where(
                PublicationTopic.publication_id == P.id, PublicationTopic.topic == args["topic"]
            )
        )
    if args.get("network"):
        statement = statement.where(
            sa.exists().where(
                PublicationNetwork.publication_id == P.id,
                PublicationNetwork.network_id == Network.id,
                Network.code == args["network"],
            )
        )
    if args.get("published_from"):
        statement = statement.where(P.published_on >= args["published_from"])
    if args.get("published_to"):
        statement = statement.where(P.published_on <= args["published_to"])
    if args.get("q"):
        q = args["q"].lower()
        statement = statement.where(
            sa.or_(
                *(
                    sa.func.lower(column).contains(q, autoescape=True)
                    for column in (P.title, P.summary, P.partners)
                )
            )
        )
    page = paginate(
        db.session,
        statement,
        args,
        {"id": P.id, "title": P.title, "published_on": P.published_on},
        default_order=() if args.get("order_by") else (P.published_on.desc(),),
    )
    page["items"] = views(publications=list(page["items"]))
    return page


def recent(*, limit: int = 5) -> list[dict]:
    """The newest publications (the public home)."""
    rows = db.session.scalars(select(P).order_by(P.published_on.desc(), P.id.desc()).limit(limit)).all()
    return views(publications=list(rows))


def filter_choices() -> dict:
    """Topics and networks the publication filters offer."""
    return {
        "topics": db.session.execute(
            select(TrainingTopic.code, TrainingTopic.name).order_by(TrainingTopic.name)
        ).all(),
        "networks": db.session.scalars(select(Network.code).order_by(Network.code)).all(),
    }


def month_published(*, period: str) -> bool:
    """Whether the statistics report of ``period`` ("YYYY-MM") is published."""
    return db.session.scalar(select(P.id).where(P.period == period)) is not None
