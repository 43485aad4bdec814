"""Reading a scanned GS1 element string into what it names (GTIN, item, lot, expiry, serial).

The parsing is biip's (a maintained GS1 library), never our own: it knows every Application
Identifier, the FNC1/GS separators of the raw form and the bracketed human-readable form. What we
add is the judgement a warehouse needs: the GTIN's check digit must be right, the expiry date must
exist, and the GTIN must name an item of our catalogue. It lives in stock because receiving a lot
reads a scan; ``barcodes`` (scans on dispatches, labels) builds on it, never the other way round.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from biip import ParseConfig, ParseError
from biip.gs1_messages import GS1Message
from biip.symbology import SymbologyIdentifier
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlmodel import select

from health_responder.auth.models import User
from health_responder.errors import ValidationFailed
from health_responder.extensions import db
from health_responder.reference.models import Item
from health_responder.stock import services
from health_responder.stock.models import StockLot

#: The group separator (ASCII 29) ends a variable-length field in the raw form. A USB scanner that
#: types into a browser cannot type it, so it can be set to send "|", a character GS1 never allows
#: inside an element string (outside its 82-character set), and we read it the same way.
SEPARATORS = ("\x1d", "|")

#: Dates are read without biip's own check, so that a date that does not exist is reported as such
#: (with the AI and value) rather than as a failure to read the whole string.
_CONFIG = ParseConfig(gs1_element_strings_verify_date=False, separator_chars=SEPARATORS)

#: Application Identifiers whose value is a date (YYMMDD; day 00 is the month's last day).
_DATE_AIS = ("11", "13", "15", "16", "17")


#: Characters GS1 allows in a lot code (AI 10): its 82-character set, less the parentheses that
#: would be read as the start of the next Application Identifier in the bracketed form.
GS1_LOT_CHARS = frozenset("!\"%&'*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
MAX_GS1_LOT = 20


def gs1_lot_problem(lot_code: str) -> LazyString | None:
    """Why a lot code cannot be carried in a GS1 (10) element (in the reader's language), or None."""
    if len(lot_code) > MAX_GS1_LOT:
        return _l("longer than %(n)s characters", n=MAX_GS1_LOT)
    bad = sorted({c for c in lot_code if c not in GS1_LOT_CHARS})
    if bad:
        return _l("characters GS1 does not allow: %(chars)s", chars=" ".join(repr(c) for c in bad))
    return None


@dataclass(frozen=True)
class Scan:
    """What a GS1 element string names: GTIN (14 digits), item, lot code, expiry date, serial."""

    gtin: str
    item: Item | None
    lot_code: str | None
    expires_on: date | None
    serial: str | None
    #: The bracketed human-readable form, e.g. "(01)09506000134352(17)270331(10)L-42".
    hri: str

    @property
    def item_id(self) -> int | None:
        """The id of the catalogue item the GTIN names, if any."""
        return self.item.id if self.item else None


@dataclass(frozen=True)
class LabelProblem:
    """Why a lot cannot have a GS1 label: its item has no GTIN, or its lot code cannot be written in GS1."""

    #: The field a refusal names: "gtin" (the item's) or "lot_code" (the lot's).
    field: str
    item_id: int
    item_code: str
    lot_code: str
    message: LazyString


def label_problems(lots: Iterable[dict]) -> list[LabelProblem]:
    """Why some of ``lots`` (each with ``item_id``, ``item_code``, ``gtin``, ``lot_code``) cannot have a
    GS1 label; empty when all can. Once per item without a GTIN, once per lot code GS1 cannot carry.

    The one rule: the label routes refuse by it (409) and the pages that offer labels show it instead
    of a button that would fail.
    """
    problems: list[LabelProblem] = []
    seen: set[tuple[str, object]] = set()
    for lot in lots:
        if not lot["gtin"]:
            key = ("gtin", lot["item_id"])
            message = _l(
                "Item %(code)s has no GTIN: give it one before printing GS1 labels.", code=lot["item_code"]
            )
        elif problem := gs1_lot_problem(lot["lot_code"]):
            key = ("lot_code", lot["lot_code"])
            message = _l(
                "Lot %(lot)s cannot be written in GS1: %(problem)s.", lot=lot["lot_code"], problem=problem
            )
        else:
            continue
        if key not in seen:
            seen.add(key)
            problems.append(LabelProblem(key[0], lot["item_id"], lot["item_code"], lot["lot_code"], message))
    return problems


def lot_label_problems(*, lot: StockLot, item: Item) -> list[LabelProblem]:
    """Why one lot cannot have its GS1 label (empty when it can)."""
    return label_problems(
        [{"item_id": item.id, "item_code": item.code, "gtin": item.gtin, "lot_code": lot.lot_code}]
    )


def _message(data: str, field: str) -> GS1Message:
    value = data.strip()
    if value.startswith("]"):  # a scanner's symbology identifier (]d2 DataMatrix, ]C1 GS1-128, ]Q3 QR)
        # too short to be one: read the string as it is
        with contextlib.suppress(ParseError, IndexError, ValueError):
            value = value[len(SymbologyIdentifier.extract(value)) :]
    try:
        if value.startswith("("):
            return GS1Message.parse_hri(value, config=_CONFIG)
        return GS1Message.parse(value, config=_CONFIG)
    except (ParseError, IndexError, ValueError) as error:
        raise ValidationFailed(
            _l("This is not a GS1 element string."),
            {field: [_l("Not a GS1 element string: %(reason)s", reason=str(error))]},
        ) from error


def read(*, data: str, field: str = "data") -> Scan:
    """Read a GS1 element string, bracketed or raw; 422 naming ``field`` for what is wrong in it."""
    if not data or not data.strip():
        raise ValidationFailed(_l("Nothing was scanned."), {field: [_l("Scan or type a GS1 barcode.")]})
    message = _message(data, field)
    problems: list = []
    for element in message.element_strings:
        if element.ai.ai in _DATE_AIS and element.date is None:
            problems.append(
                _l(
                    "(%(ai)s) %(value)s is not a date that exists (YYMMDD).",
                    ai=element.ai.ai,
                    value=element.value,
                )
            )
    gtin_element = message.element_strings.get(ai="01")
    if gtin_element is None:
        problems.append(_l("No GTIN: the string has no (01) element."))
    elif gtin_element.gtin is None:
        problems.append(_l("Wrong check digit in GTIN %(gtin)s.", gtin=gtin_element.value))
    if problems:
        raise ValidationFailed(_l("The GS1 barcode cannot be used: see errors."), {field: problems})
    expiry = message.element_strings.get(ai="17")
    lot = message.element_strings.get(ai="10")
    serial = message.element_strings.get(ai="21")
    gtin = gtin_element.gtin.as_gtin_14()
    return Scan(
        gtin=gtin,
        item=db.session.scalar(select(Item).where(Item.gtin == gtin)),
        lot_code=lot.value if lot else None,
        expires_on=expiry.date if expiry else None,
        serial=serial.value if serial else None,
        hri=message.as_hri(),
    )


def identify(*, data: str, field: str = "data") -> Scan:
    """``read``, and the GTIN must name an item of the catalogue (else 422 naming ``field``)."""
    scan = read(data=data, field=field)
    if scan.item is None:
        raise ValidationFailed(
            _l("Unknown GTIN %(gtin)s: no item of the catalogue carries it.", gtin=scan.gtin),
            {field: [_l("Unknown GTIN %(gtin)s: no item of the catalogue carries it.", gtin=scan.gtin)]},
        )
    return scan


def lot_fields(*, data: str, field: str = "gs1") -> dict:
    """The item, lot code and expiry date a scan gives a new lot (the lot (10) is required)."""
    scan = identify(data=data, field=field)
    if not scan.lot_code:
        raise ValidationFailed(
            _l("The barcode names no lot."), {field: [_l("No lot code: the string has no (10) element.")]}
        )
    return {"item_id": scan.item.id, "lot_code": scan.lot_code, "expires_on": scan.expires_on}


def create_lot(*, by: User, gs1: str, **fields) -> StockLot:
    """Receive a lot named by a scan: its item, lot code and expiry date are the barcode's."""
    return services.create_lot(by=by, **lot_fields(data=gs1), **fields)
