"""The prune_documents check: ad-hoc documents are kept DOCUMENT_RETENTION_DAYS, then their files go.

A dispatch summary of any period, a pick list or a label sheet is printed on demand from data the
database keeps, so each request for another period or a changed dispatch would otherwise store a new
file for ever. This check marks such documents older than the retention ``expired`` and deletes their
files; their rows stay, so a printed copy's code still verifies (as expired) and asking for the
document again prints a new one. Dispatch reports, certificates and statistics reports are records:
never pruned (``services.AD_HOC_KINDS``).

Each batch is marked in its own short transaction and its files are deleted after the commit, so a
run that dies halfway leaves only files of expired documents behind, never a live document without
its file; running it again is harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlmodel import select

from health_responder.documents.models import Document
from health_responder.documents.services import AD_HOC_KINDS, path_of
from health_responder.extensions import db
from health_responder.scheduler.models import JobRun
from health_responder.scheduler.registry import job

#: Documents marked per transaction.
BATCH = 200
#: Documents a run lists one by one (in id order; the counts keep the totals): a dry run those it would
#: expire, a real run those it expired, the same ones when nothing changed between the two.
LISTED = 200


@job("prune_documents")
def prune_documents(*, run: JobRun, now: datetime, dry_run: bool) -> dict:
    """Expire the ad-hoc documents older than DOCUMENT_RETENTION_DAYS and delete their files."""
    days = int(current_app.config["DOCUMENT_RETENTION_DAYS"])
    due = sa.and_(
        Document.kind.in_(AD_HOC_KINDS),
        Document.expired_at.is_(None),
        Document.created_at < now - timedelta(days=days),
    )
    if dry_run:
        with db.read_session():
            count = db.session.scalar(select(sa.func.count()).select_from(Document).where(due))
            first = db.session.scalars(select(Document).where(due).order_by(Document.id).limit(LISTED)).all()
            listed = [_row(d) for d in first]
        return {"retention_days": days, "would_prune": int(count or 0), "documents": listed}
    pruned, files, listed = 0, 0, []
    while True:
        with db.write_session():
            documents = db.session.scalars(
                select(Document).where(due).order_by(Document.id).limit(BATCH)
            ).all()
            if not documents:
                break
            db.session.execute(
                sa.update(Document)
                .where(Document.id.in_([d.id for d in documents]), Document.expired_at.is_(None))
                .values(expired_at=now)
            )
            paths = [path_of(d) for d in documents]
            listed += [_row(d) for d in documents[: max(LISTED - len(listed), 0)]]
        pruned += len(documents)
        for path in paths:
            if path.is_file():
                path.unlink(missing_ok=True)
                files += 1
    return {"retention_days": days, "pruned": pruned, "files_deleted": files, "documents": listed}


def _row(document: Document) -> dict:
    """A document as a run lists it: its kind (a code the page labels), its code and when it was printed."""
    return {
        "kind": document.kind,
        "code": document.verification_code,
        "printed": document.created_at.isoformat(),
    }
