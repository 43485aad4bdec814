"""GS1 on dispatches and labels: a scanned lot checked against a dispatch, and lot labels to print.

Reading a scan is ``stock.gs1``'s (receiving a lot needs it); its names are re-exported here, so
``barcodes.services.read`` and friends stay where callers found them.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from health_responder import languages, names
from health_responder.auth.models import User
from health_responder.dispatch import queries as dispatch_queries
from health_responder.dispatch import services as dispatches
from health_responder.dispatch import snapshot
from health_responder.dispatch.models import Dispatch, DispatchLine
from health_responder.documents import services as documents
from health_responder.documents.models import Document
from health_responder.errors import Conflict, ValidationFailed
from health_responder.extensions import db
from health_responder.providers.models import Provider
from health_responder.reference.models import Item
from health_responder.reports import labels
from health_responder.reports.labels import LabelData, LabelSheetData
from health_responder.stock.gs1 import (
    SEPARATORS,
    Scan,
    create_lot,
    identify,
    label_problems,
    lot_fields,
    read,
)
from health_responder.stock.models import StockLot

__all__ = [
    "SEPARATORS",
    "Scan",
    "check_picked",
    "create_lot",
    "dispatch_labels",
    "identify",
    "lot_fields",
    "lot_label",
    "match_lines",
    "read",
    "receipt_lines",
]


# --- a scanned lot on a dispatch: the pick list check and the receipt form ---------------------------


def _refuse(field: str, message) -> ValidationFailed:
    return ValidationFailed(message, {field: [message]})


def match_lines(*, dispatch: Dispatch, data: str, field: str = "data") -> list[DispatchLine]:
    """The lines of ``dispatch`` whose lot a scanned label names (id order); 422 naming ``field`` else.

    What is wrong is said in the words a packer needs: an item that is not on the dispatch, another lot
    of an item that is (naming the lot scanned and the lot wanted), a label whose expiry is not the lot's.
    """
    scan = identify(data=data, field=field)
    if not scan.lot_code:
        raise ValidationFailed(
            _l("The barcode names no lot."), {field: [_l("No lot code: the string has no (10) element.")]}
        )
    rows = db.session.execute(
        select(DispatchLine, StockLot)
        .join(StockLot, StockLot.id == DispatchLine.lot_id)
        .where(DispatchLine.dispatch_id == dispatch.id)
        .order_by(DispatchLine.id)
    ).all()
    same_item = [(line, lot) for line, lot in rows if line.item_id == scan.item.id]
    if not same_item:
        raise _refuse(
            field,
            _l(
                "%(item)s (lot %(lot)s) is not on dispatch %(ref)s.",
                item=scan.item.code,
                lot=scan.lot_code,
                ref=dispatch.reference,
            ),
        )
    same_lot = [(line, lot) for line, lot in same_item if lot.lot_code == scan.lot_code]
    if not same_lot:
        raise _refuse(
            field,
            _l(
                "Wrong lot: lot %(lot)s of %(item)s is not on dispatch %(ref)s, which takes lot %(wanted)s.",
                lot=scan.lot_code,
                item=scan.item.code,
                ref=dispatch.reference,
                wanted=", ".join(sorted({lot.lot_code for _line, lot in same_item})),
            ),
        )
    lot = same_lot[0][1]
    if scan.expires_on is not None and scan.expires_on != lot.expires_on:
        raise _refuse(
            field,
            _l(
                "Lot %(lot)s: the label says it expires %(label)s, but the lot was received expiring %(record)s. "
                "Check the label before packing it.",
                lot=lot.lot_code,
                label=scan.expires_on.isoformat(),
                record=lot.expires_on.isoformat() if lot.expires_on else "—",
            ),
        )
    return [line for line, _lot in same_lot]


def check_picked(*, dispatch: Dispatch, data: str, by: User, field: str = "data") -> DispatchLine:
    """The pick list check: the scanned lot's line is marked as packed (the first unchecked one of that lot)."""
    dispatches.require_pickable(dispatch, by)
    lines = match_lines(dispatch=dispatch, data=data, field=field)
    line = next((line for line in lines if line.checked_at is None), lines[0])
    return dispatches.check_picked(dispatch=dispatch, line_id=line.id, by=by)


def receipt_lines(*, dispatch: Dispatch, data: str, by: User, field: str = "scan") -> list[DispatchLine]:
    """The lines a scan names on a dispatch being received (nothing is written: the receipt form fills them)."""
    dispatches.require_receivable(dispatch, by)
    return match_lines(dispatch=dispatch, data=data, field=field)


# --- labels ----------------------------------------------------------------------------------------


def _sheet(title: str, labels_of: list[dict], doc_date: date | None, language: str) -> LabelSheetData:
    """The sheet of ``labels_of`` (each a label's facts and its ``item_id``); 409 naming what is missing when
    one cannot be written in GS1 (``gs1.label_problems``, the rule the pages show instead of a button).
    """
    problems: dict[str, list] = {}
    for problem in label_problems(labels_of):
        problems.setdefault(problem.field, []).append(problem.message)
    if problems:
        raise Conflict(_l("These lots cannot have a GS1 label yet: see errors."), problems)
    return LabelSheetData(
        title=title,
        labels=[LabelData(**{k: v for k, v in facts.items() if k != "item_id"}) for facts in labels_of],
        page_size=current_app.config["PDF_PAGE_SIZE"],
        doc_date=doc_date,
        language=language,
    )


def lot_label(
    *, lot: StockLot, by: User | None = None, language: str | None = None
) -> tuple[Document, bytes]:
    """The registered label of a lot: its GS1 DataMatrix, the human-readable line, item and provider.

    Its words (captions, item name) are in the language of whoever prints it unless ``language`` says
    another; the GS1 data is the same in every language. Each language's copy is its own document.
    """
    language = languages.chosen(asked=language, default=languages.of_user(by))
    item = db.session.get(Item, lot.item_id)
    provider = db.session.get(Provider, lot.provider_id)
    facts = {
        "item_id": item.id,
        "gtin": item.gtin,
        "lot_code": lot.lot_code,
        "expires_on": lot.expires_on,
        "item_code": item.code,
        "item_name": names.named_in(language, item.name, item.name_ko),
        "unit": item.unit,
        "provider_name": provider.name,
    }
    data = _sheet(f"{item.code} {lot.lot_code}", [facts], lot.created_at.date(), language)
    return documents.issue(
        kind="lot_label",
        subject_type="stock_lot",
        subject_key=languages.keyed(str(lot.id), language),
        data=data,
        build=languages.in_language(labels.build_labels, language),
        event_date=data.doc_date,
        by=by,
        name=f"{item.code}-{lot.lot_code}",
    )


def dispatch_labels(
    *, dispatch: Dispatch, by: User | None = None, language: str | None = None
) -> tuple[Document, bytes]:
    """A sheet with a label for every lot of a dispatch, to label what is received (or packed).

    A shipped dispatch's labels carry its lots and items as they left (dispatch.snapshot), like its report;
    their words are in the language of whoever prints them unless ``language`` says another.
    """
    language = languages.chosen(asked=language, default=languages.of_user(by))
    provider = snapshot.parties_of(dispatch)["sender"]["name"]
    facts = [
        {
            "item_id": line.line.item_id,
            "gtin": gtin,
            "lot_code": line.lot_code,
            "expires_on": line.expires_on,
            "item_code": line.item_code,
            "item_name": line.name_in(language),
            "unit": line.unit,
            "provider_name": provider,
        }
        for line, gtin in dispatch_queries.label_lines(dispatch=dispatch)
    ]
    moment = dispatch.received_at or dispatch.shipped_at or dispatch.created_at
    data = _sheet(dispatch.reference, facts, moment.date(), language)
    return documents.issue(
        kind="dispatch_labels",
        subject_type="dispatch",
        subject_key=languages.keyed(str(dispatch.id), language),
        data=data,
        build=languages.in_language(labels.build_labels, language),
        event_date=data.doc_date,
        by=by,
        name=dispatch.reference,
    )
