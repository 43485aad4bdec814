"""What a dispatch's documents print of its lots, items and parties, frozen when it ships.

A shipped dispatch is a fact: its report and pick list must go on saying what left, from whom and to
whom, after a lot code is corrected, an item renamed or a city's address changed (else a genuine
print would turn "superseded"). ``take`` copies those facts in the ship's transaction: each line's lot
code and expiry and its item's code, name (and Korean name, if any), unit and cold-chain flag onto the
line, and the parties (request reference and priority, sender and its location, recipient, who
prepared and who shipped) onto the dispatch, once for all its lines. ``parties_of`` and ``lines_of``
(``line_facts`` for one line, read by a document that spans many dispatches) read them back, or the
live rows while a dispatch is only prepared: one definition of each fact serves both. A line shipped before
Korean names were frozen (migration 0025) has none: its Korean documents print the English name it
recorded, not the item's Korean name of today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import select

from health_responder import names
from health_responder.auth.models import User
from health_responder.dispatch.models import Dispatch, DispatchLine
from health_responder.extensions import db
from health_responder.health_requests.models import AssistanceRequest
from health_responder.providers.models import Provider, StockLocation
from health_responder.reference.models import City, Item
from health_responder.stock.models import StockLot


@dataclass(frozen=True)
class LineFacts:
    """One dispatch line as its documents print it."""

    line: DispatchLine
    item_code: str
    item_name: str
    unit: str
    cold_chain: bool
    lot_code: str
    expires_on: date | None
    #: The item's Korean name (frozen at ship like ``item_name``); None when none was recorded.
    item_name_ko: str | None = None

    def name_in(self, language: str) -> str:
        """The item's name as a document in ``language`` prints it."""
        return names.named_in(language, self.item_name, self.item_name_ko)


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return (user.name or user.email) if user else ""


def _joined(*parts: str | None) -> str:
    return " · ".join(part for part in parts if part)


def live_parties(dispatch: Dispatch) -> dict:
    """The parties as the rows say now (what ``take`` freezes)."""
    request = db.session.get(AssistanceRequest, dispatch.request_id)
    provider = db.session.get(Provider, dispatch.provider_id)
    city = db.session.get(City, dispatch.city_id)
    location = db.session.get(StockLocation, dispatch.location_id)
    return {
        "request_reference": request.reference,
        "priority": request.priority,
        "sender": {
            "name": provider.name,
            "country": provider.country,
            "address": location.address or "",
            "contact": _joined(provider.contact_name, provider.contact_email, provider.contact_phone),
        },
        "sender_location": location.name,
        "recipient": {
            "name": city.name,
            "country": city.country,
            "address": city.delivery_address or "",
            "contact": request.delivery_contact
            or _joined(city.contact_name, city.contact_email, city.contact_phone),
        },
        "prepared_by": _name(dispatch.created_by_id),
        "dispatched_by": _name(dispatch.shipped_by_id),
    }


def parties_of(dispatch: Dispatch) -> dict:
    """The parties its documents print: frozen at ship, live before."""
    return dispatch.parties_at_ship or live_parties(dispatch)


def line_facts(line: DispatchLine, item: Item, lot: StockLot) -> LineFacts:
    """One line as its documents print it: as frozen at ship once shipped, as its lot and item are now before.

    For a document that gathers lines of many dispatches (the dispatch summary) from one query that
    joins each line to its ``Item`` and ``StockLot``.
    """
    if line.lot_code is not None:
        return LineFacts(
            line=line,
            item_code=line.item_code,
            item_name=line.item_name,
            item_name_ko=line.item_name_ko,
            unit=line.item_unit,
            cold_chain=bool(line.item_cold_chain),
            lot_code=line.lot_code,
            expires_on=line.lot_expires_on,
        )
    return LineFacts(
        line=line,
        item_code=item.code,
        item_name=item.name,
        item_name_ko=item.name_ko or None,
        unit=item.unit,
        cold_chain=item.requires_cold_chain,
        lot_code=lot.lot_code,
        expires_on=lot.expires_on,
    )


def lines_of(dispatch: Dispatch) -> list[LineFacts]:
    """Its lines in id order, each with the lot and item as frozen at ship (live before)."""
    rows = db.session.execute(
        select(DispatchLine, Item, StockLot)
        .join(Item, Item.id == DispatchLine.item_id)
        .join(StockLot, StockLot.id == DispatchLine.lot_id)
        .where(DispatchLine.dispatch_id == dispatch.id)
        .order_by(DispatchLine.id)
    ).all()
    return [line_facts(line, item, lot) for line, item, lot in rows]


def take(dispatch: Dispatch) -> None:
    """Freeze the lines' lots and items and the dispatch's parties (at ship, once ``shipped_by_id`` is set)."""
    for facts in lines_of(dispatch):
        line = facts.line
        line.lot_code, line.lot_expires_on = facts.lot_code, facts.expires_on
        line.item_code, line.item_name = facts.item_code, facts.item_name
        line.item_name_ko = facts.item_name_ko
        line.item_unit, line.item_cold_chain = facts.unit, facts.cold_chain
    dispatch.parties_at_ship = live_parties(dispatch)
