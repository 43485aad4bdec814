"""Reads of the document registry for the public verify page: what the paper says, in facts.

The page shows what the printed document should show (kind, reference, parties, date, lines and
totals), so a reader can compare the paper with the registry; a superseded version points to the
current one. The facts are read from the document's subject as it is now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlmodel import select

from health_responder.dispatch.models import Dispatch, DispatchLine
from health_responder.documents.models import Document
from health_responder.extensions import db
from health_responder.providers.models import Provider
from health_responder.reference.models import City, Item
from health_responder.stock.models import StockLot
from health_responder.training.models import Enrolment, TrainingProgram


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
        return self.document.event_date or self.document.created_at.date()


def by_code(*, code: str) -> Document | None:
    """The registered document of a verification code, or None."""
    return db.session.scalar(select(Document).where(Document.verification_code == code.strip().upper()))


def facts_of(*, document: Document) -> Facts:
    """The document's facts, and its current version when it has been superseded."""
    facts = Facts(document=document)
    reader = _READERS.get(document.subject_type)
    if reader is not None and document.subject_key.isdigit():
        reader(facts, int(document.subject_key))
    elif document.subject_type in ("period", "month"):
        facts.reference = document.subject_key.split(":")[0].replace("..", " – ")
    newest, seen = document, set()
    while newest.superseded_by_id is not None and newest.id not in seen:
        seen.add(newest.id)
        newest = db.session.get(Document, newest.superseded_by_id) or newest
    facts.current = newest if newest.id != document.id else None
    return facts


def _dispatch(facts: Facts, dispatch_id: int) -> None:
    row = db.session.execute(
        select(Dispatch.reference, Provider.name, City.name)
        .join(Provider, Provider.id == Dispatch.provider_id)
        .join(City, City.id == Dispatch.city_id)
        .where(Dispatch.id == dispatch_id)
    ).first()
    if row is None:
        return
    facts.reference = row[0] or ""
    facts.parties = [("from", row[1]), ("to", row[2])]
    count, shipped, accepted, rejected, received = db.session.execute(
        select(
            sa.func.count(DispatchLine.id),
            sa.func.coalesce(sa.func.sum(DispatchLine.quantity), 0),
            sa.func.coalesce(sa.func.sum(DispatchLine.accepted), 0),
            sa.func.coalesce(sa.func.sum(DispatchLine.rejected), 0),
            sa.func.count(DispatchLine.accepted),
        ).where(DispatchLine.dispatch_id == dispatch_id)
    ).one()
    facts.lines = count
    facts.totals = [("units", shipped)]
    if received:
        facts.totals += [("accepted", accepted), ("rejected", rejected)]


def _enrolment(facts: Facts, enrolment_id: int) -> None:
    row = db.session.execute(
        select(Enrolment.participant_name, TrainingProgram.title, Provider.name, City.name)
        .join(TrainingProgram, TrainingProgram.id == Enrolment.program_id)
        .join(Provider, Provider.id == TrainingProgram.provider_id)
        .join(City, City.id == Enrolment.city_id)
        .where(Enrolment.id == enrolment_id)
    ).first()
    if row is not None:
        facts.reference = row[1]
        facts.parties = [("participant", row[0]), ("city", row[3]), ("provider", row[2])]


def _lot(facts: Facts, lot_id: int) -> None:
    row = db.session.execute(
        select(StockLot.lot_code, Item.code, Provider.name, StockLot.on_hand)
        .join(Item, Item.id == StockLot.item_id)
        .join(Provider, Provider.id == StockLot.provider_id)
        .where(StockLot.id == lot_id)
    ).first()
    if row is not None:
        facts.reference = f"{row[1]} · {row[0]}"
        facts.parties = [("provider", row[2])]


_READERS = {"dispatch": _dispatch, "enrolment": _enrolment, "stock_lot": _lot}
