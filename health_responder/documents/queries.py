"""Reads of the document registry for the public verify page: what the paper says, in facts.

Each feature that issues documents registers how to read the facts of its subjects (``READERS``,
filled when its queries module is imported), so the registry imports no feature. The page shows what
the printed document should show (kind, reference, parties, date, lines and
totals), so a reader can compare the paper with the registry; a superseded version points to the
current one. The facts are read from the document's subject as it is now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import select

from health_responder.documents.models import Document
from health_responder.extensions import db

#: subject_type → reader(facts, subject id) that fills in reference, parties, lines and totals.
READERS: dict[str, Callable] = {}


@dataclass
class Facts:
    """What the verify page shows of one registered document."""

    document: Document
    reference: str = ""
    parties: list[tuple[str, str]] = field(default_factory=list)  # (role, name)
    lines: int | None = None
    totals: list[tuple[str, int]] = field(default_factory=list)  # (what, units)
    current: Document | None = None  # the newest version when this one is superseded

    @property
    def dated(self) -> date | None:
        """The date the document is about (its event), else the day it was made."""
        return self.document.event_date or self.document.created_at.date()


def by_code(*, code: str) -> Document | None:
    """The registered document of a verification code, or None."""
    return db.session.scalar(select(Document).where(Document.verification_code == code.strip().upper()))


def facts_of(*, document: Document) -> Facts:
    """The document's facts, and its current version when it has been superseded."""
    facts = Facts(document=document)
    reader = READERS.get(document.subject_type)
    subject_id = document.subject_key.split(":", 1)[0]  # "12", or "12:ko" for a copy in another language
    if reader is not None and subject_id.isdigit():
        reader(facts, int(subject_id))
    elif document.subject_type in ("period", "month"):
        facts.reference = document.subject_key.split(":")[0].replace("..", " – ")
    newest, seen = document, set()
    while newest.superseded_by_id is not None and newest.id not in seen:
        seen.add(newest.id)
        newest = db.session.get(Document, newest.superseded_by_id) or newest
    facts.current = newest if newest.id != document.id else None
    return facts
