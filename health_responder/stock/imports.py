"""Importing stock lots from CSV: every row checked first, then all of them written, or none.

``csvio.read_lots`` turns the file into rows; ``import_lots`` checks each row's meaning (reporting every
bad row by line and field) and writes the lots and their receipts with a few multi-row statements in
one short write transaction. The checks run in a read transaction, so an import holds SQLite's write
lock for a fraction of a second, and one claim per provider keeps a second import of the same
provider out (409) while the first runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from health_responder import db as db_module
from health_responder.audit import services as audit
from health_responder.audit.actor import Actor
from health_responder.auth.access import STAFF, require_role
from health_responder.auth.models import Role, User
from health_responder.db import set_write_intent, utc_today, utcnow
from health_responder.errors import Conflict, Duplicate, Message, NotFound, ValidationFailed
from health_responder.extensions import db
from health_responder.providers.models import Provider, StockLocation
from health_responder.reference.models import Item
from health_responder.stock.models import (
    LotStatus,
    MovementKind,
    StockImportClaim,
    StockImportUpload,
    StockLot,
    StockMovement,
)
from health_responder.stock.services import MAX_LOT_CODE, MAX_NOTE, ledger_row

LOT = StockLot.__table__
CLAIM = StockImportClaim.__table__
UPLOAD = StockImportUpload.__table__

#: Columns an import file must have, and those it may have.
IMPORT_COLUMNS = ("item_code", "location", "lot_code", "expires_on", "quantity")
IMPORT_OPTIONAL = ("status", "note")
#: Key under which csvio keeps the count of a row's cells beyond the header's columns.
EXTRA_CELLS = "__extra__"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WHOLE = re.compile(r"^\+?\d{1,9}$")
#: A whole number written with thousands separators: "1,000", "1.000", "1 000" (also no-break spaces, "1'000").
_GROUPED = re.compile(r"^\+?\d{1,3}(?:([,.'\u00a0\u202f ])\d{3})(?:\1\d{3})*$")


@dataclass(frozen=True)
class RowError:
    """One problem with one field of one line of an import file."""

    line: int
    field: str
    #: A lazy string: the import page shows it in its language, the API and the command line in English.
    message: Message


@dataclass
class ImportReport:
    """What an import found and did: nothing is written unless ``errors`` is empty and it is not a dry run."""

    dry_run: bool
    rows: int
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    lot_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _LotRow:
    line: int
    item_id: int
    location_id: int
    lot_code: str
    expires_on: date | None
    quantity: int
    status: str
    note: str | None


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _ImportContext:
    """Everything an import checks rows against, read in a few queries before the first row."""

    def __init__(self, provider: Provider, rows: Sequence[tuple[int, Mapping[str, str]]]) -> None:
        self.provider = provider
        codes = sorted({(r.get("item_code") or "").strip().upper() for _line, r in rows} - {""})
        self.items: dict[str, Item] = {}
        for chunk in _chunks(codes):
            self.items.update(
                (i.code.upper(), i) for i in db.session.scalars(select(Item).where(Item.code.in_(chunk)))
            )
        locations = db.session.scalars(
            select(StockLocation).where(StockLocation.provider_id == provider.id)
        ).all()
        self.locations_by_id = {loc.id: loc for loc in locations}
        self.locations_by_name: dict[str, list[StockLocation]] = {}
        for loc in locations:
            self.locations_by_name.setdefault(loc.name.strip().casefold(), []).append(loc)
        lot_codes = sorted({(r.get("lot_code") or "").strip() for _line, r in rows} - {""})
        self.existing: set[tuple[int, int, str]] = set()
        for chunk in _chunks(lot_codes):
            self.existing.update(
                tuple(row)
                for row in db.session.execute(
                    select(StockLot.location_id, StockLot.item_id, StockLot.lot_code).where(
                        StockLot.provider_id == provider.id, StockLot.lot_code.in_(chunk)
                    )
                )
            )
        self.seen: dict[tuple[int, int, str], int] = {}

    def location(self, value: str) -> tuple[StockLocation | None, Message | None]:
        """The provider's location named or numbered ``value``, or the reason there is none."""
        found = None
        if value.isdigit() and int(value) in self.locations_by_id:
            found = self.locations_by_id[int(value)]
        else:
            named = self.locations_by_name.get(value.casefold(), [])
            if len(named) > 1:
                return None, _l(
                    "Several locations of %(provider)s are named %(name)s: use the location id.",
                    provider=self.provider.name,
                    name=repr(value),
                )
            found = named[0] if named else None
        if found is None:
            return None, _l(
                "No location %(name)s at %(provider)s.", name=repr(value), provider=self.provider.name
            )
        if not found.active:
            return None, _l("Location %(name)s is inactive.", name=repr(found.name))
        return found, None


def _check_item(code: str, context: _ImportContext, fail) -> Item | None:
    if not code:
        fail("item_code", _l("Required."))
    elif code not in context.items:
        fail("item_code", _l("No item %(code)s in the catalogue.", code=repr(code)))
    elif not context.items[code].active:
        fail("item_code", _l("Item %(code)s is no longer in the catalogue.", code=code))
    else:
        return context.items[code]
    return None


def _check_location(text: str, context: _ImportContext, fail):
    if not text:
        fail("location", _l("Required: a location name or id."))
        return None
    location, problem = context.location(text)
    if problem:
        fail("location", problem)
    return location


def _check_lot_code(lot_code: str, fail) -> bool:
    if not lot_code:
        fail("lot_code", _l("Required."))
    elif len(lot_code) > MAX_LOT_CODE:
        fail("lot_code", _l("At most %(n)s characters.", n=MAX_LOT_CODE))
    else:
        return True
    return False


def _check_expiry(text: str, fail) -> date | None:
    if not text:
        return None
    if not _ISO_DATE.match(text):
        expires_on = None
    else:
        try:
            expires_on = date.fromisoformat(text)
        except ValueError:
            expires_on = None
    if expires_on is None:
        fail(
            "expires_on", _l("%(value)s is not a date: use YYYY-MM-DD, or leave it empty.", value=repr(text))
        )
    elif expires_on < utc_today():
        fail(
            "expires_on",
            _l("%(date)s is in the past: an expired lot cannot be received.", date=expires_on.isoformat()),
        )
    return expires_on


def _check_quantity(text: str, fail, line: int) -> int:
    if _GROUPED.match(text):
        fail(
            "quantity",
            _l(
                "Line %(line)s, column quantity: %(value)s is written with a thousands separator; write the "
                "digits alone (%(plain)s).",
                line=line,
                value=repr(text),
                plain=re.sub(r"\D", "", text),
            ),
        )
        return 0
    if not _WHOLE.match(text) or int(text) < 1:
        fail("quantity", _l("%(value)s is not a whole number of at least 1.", value=repr(text)))
        return 0
    return int(text)


def _check_status(text: str, fail) -> str:
    status = text.lower() or LotStatus.AVAILABLE
    if status not in set(LotStatus):
        fail(
            "status",
            _l("%(value)s is not one of: %(choices)s.", value=repr(text), choices=", ".join(LotStatus)),
        )
    return status


def _check_unique(line: int, key: tuple, item: Item, location, context: _ImportContext, fail) -> None:
    """A lot code once per item and location: not already in stock, not twice in the file."""
    if key in context.existing:
        fail(
            "lot_code",
            _l(
                "Lot %(lot)s of %(item)s already exists at %(location)s.",
                lot=repr(key[2]),
                item=item.code,
                location=repr(location.name),
            ),
        )
    elif key in context.seen:
        fail(
            "lot_code",
            _l("Repeats line %(line)s (same item, location and lot code).", line=context.seen[key]),
        )
    else:
        context.seen[key] = line


def _check_row(
    line: int, raw: Mapping[str, str], context: _ImportContext, errors: list[RowError]
) -> _LotRow | None:
    """One row checked field by field: every fault of the row recorded, or the lot to receive."""

    def value(name: str) -> str:
        return (raw.get(name) or "").strip()

    def fail(name: str, message: Message) -> None:
        errors.append(RowError(line=line, field=name, message=message))

    before = len(errors)
    item = _check_item(value("item_code").upper(), context, fail)
    location = _check_location(value("location"), context, fail)
    lot_code = value("lot_code")
    lot_code_ok = _check_lot_code(lot_code, fail)
    expires_on = _check_expiry(value("expires_on"), fail)
    quantity = _check_quantity(value("quantity"), fail, line)
    status = _check_status(value("status"), fail)
    note = value("note") or None
    if note and len(note) > MAX_NOTE:
        fail("note", _l("At most %(n)s characters.", n=MAX_NOTE))
    if raw.get(EXTRA_CELLS):
        fail("row", _l("%(n)s more cell(s) than the header has columns.", n=raw[EXTRA_CELLS]))
    if item is not None and location is not None and lot_code_ok:
        _check_unique(line, (location.id, item.id, lot_code), item, location, context, fail)
    if len(errors) > before:
        return None
    return _LotRow(
        line=line,
        item_id=item.id,
        location_id=location.id,
        lot_code=lot_code,
        expires_on=expires_on,
        quantity=quantity,
        status=status,
        note=note,
    )


@contextlib.contextmanager
def _own_write():
    """A short write transaction on a connection of its own (SQLite: BEGIN IMMEDIATE), committed at once."""
    token = db_module._write_intent.set(True)
    try:
        with db.engine.begin() as conn:
            yield conn
    finally:
        db_module._write_intent.reset(token)


def _claim_import(provider_id: int, provider_name: str, label: str) -> None:
    """Take the provider's import claim in a short transaction of its own, or raise Conflict (409).

    Its own connection commits at once, so a second import of the same provider is refused while the
    first is still checking its rows, before either holds the write lock.
    """
    table = CLAIM
    now = utcnow()
    stale = now - timedelta(seconds=current_app.config["STOCK_IMPORT_CLAIM_SECONDS"])
    with _own_write() as conn:
        taken = conn.execute(
            sa.update(table)
            .where(table.c.provider_id == provider_id, table.c.claimed_at < stale)
            .values(claimed_at=now, claimed_by=label[:200])
        ).rowcount
        if not taken:
            exists = conn.scalar(sa.select(table.c.claimed_at).where(table.c.provider_id == provider_id))
            if exists is not None:
                raise Conflict(
                    _l(
                        "An import of stock for %(provider)s is already running; try again when it has "
                        "finished.",
                        provider=provider_name,
                    ),
                    {"file": [_l("One import per provider at a time.")]},
                )
            conn.execute(
                sa.insert(table).values(provider_id=provider_id, claimed_at=now, claimed_by=label[:200])
            )


def template_row(*, user: User) -> dict[str, str]:
    """An example row of an import file: a real item code, the provider's first location, a lot to replace."""
    item = db.session.scalar(select(Item).where(Item.active.is_(True)).order_by(Item.code).limit(1))
    location = (
        db.session.scalar(
            select(StockLocation)
            .where(StockLocation.provider_id == user.provider_id, StockLocation.active.is_(True))
            .order_by(StockLocation.id)
            .limit(1)
        )
        if user.provider_id is not None
        else None
    )
    return {
        "item_code": item.code if item else "OXY-CONC-10L",
        "location": location.name if location else "Main warehouse",
        "lot_code": "EXAMPLE-0001",
        "expires_on": (utc_today() + timedelta(days=365)).isoformat(),
        "quantity": "100",
        "status": LotStatus.AVAILABLE.value,
        "note": "Example row: replace it with your lots",
    }


# --- a clean dry run's file, kept for "import these rows" -------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def keep_upload(*, by: User, provider: Provider, filename: str, content: bytes, rows: int) -> str:
    """Keep the file a clean dry run checked (STOCK_IMPORT_UPLOAD_SECONDS, for ``by`` alone); its token.

    Written in a short transaction of its own, after the caller's (which holds no change) has ended;
    expired files go with it.
    """
    token, now = secrets.token_urlsafe(32), utcnow()
    values = {
        "token_hash": _token_hash(token),
        "user_id": by.id,  # read before the write: inside it, a lazy load would wait for the write itself
        "provider_id": provider.id,
        "filename": (filename or "")[:255],
        "rows": rows,
        "content": content,
        "created_at": now,
        "expires_at": now + timedelta(seconds=current_app.config["STOCK_IMPORT_UPLOAD_SECONDS"]),
    }
    db.session.rollback()
    with _own_write() as conn:
        conn.execute(sa.delete(UPLOAD).where(UPLOAD.c.expires_at < now))
        conn.execute(sa.insert(UPLOAD).values(**values))
    return token


@dataclass(frozen=True)
class KeptUpload:
    """A kept file as its import needs it."""

    token_hash: str
    provider_id: int
    filename: str
    rows: int
    content: bytes


def kept_upload(*, token: str, by: User) -> KeptUpload:
    """The file kept under ``token`` for ``by``; expired, imported, unknown or another user's all answer 422 alike."""
    found = db.session.execute(
        sa.select(
            UPLOAD.c.token_hash, UPLOAD.c.provider_id, UPLOAD.c.filename, UPLOAD.c.rows, UPLOAD.c.content
        ).where(
            UPLOAD.c.token_hash == _token_hash(token or ""),
            UPLOAD.c.user_id == by.id,
            UPLOAD.c.expires_at > utcnow(),
        )
    ).first()
    if found is None:
        message = _l(
            "The checked file is no longer kept (it is kept %(minutes)s minutes after its dry run, and imported "
            "once): choose it again.",
            minutes=current_app.config["STOCK_IMPORT_UPLOAD_SECONDS"] // 60,
        )
        raise ValidationFailed(message, {"file": [message]})
    return KeptUpload(*found)


def forget_upload(token_hash: str) -> None:
    """Drop a kept file once it is imported (a short transaction of its own, after the caller's ended)."""
    db.session.rollback()
    with _own_write() as conn:
        conn.execute(sa.delete(UPLOAD).where(UPLOAD.c.token_hash == token_hash))


def _release_import(provider_id: int) -> None:
    """Drop the claim after an import that wrote nothing (its own short transaction)."""
    with _own_write() as conn:
        conn.execute(sa.delete(CLAIM).where(CLAIM.c.provider_id == provider_id))


def _prepare(provider_id: int, rows: Sequence[_LotRow], actor: Actor) -> tuple[list[dict], list[dict]]:
    """The column values of every lot and of its receipt (without its lot id), built before the write."""
    now = utcnow()
    lots = [
        {
            "provider_id": provider_id,
            "location_id": row.location_id,
            "item_id": row.item_id,
            "lot_code": row.lot_code,
            "expires_on": row.expires_on,
            "status": row.status,
            "on_hand": row.quantity,
            "reserved": 0,
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
    ]
    receipts = [
        ledger_row(
            lot_id=None,
            kind=MovementKind.RECEIPT,
            actor=actor,
            delta_on_hand=row.quantity,
            note=row.note or f"CSV import, line {row.line}",
            reference=("import", None),
            at=now,
        )
        for row in rows
    ]
    return lots, receipts


def _insert_lots(provider_id: int, lots: list[dict], receipts: list[dict]) -> list[int]:
    """Write the lots and their receipts with two multi-row statements; the lot ids in the rows' order.

    Ten thousand lots and receipts take a fraction of a second this way; one ORM insert per row held
    SQLite's write lock for about ten seconds and made every other writer wait. (INSERT … RETURNING with
    the rows' order kept runs one statement per row on SQLite: the ids are read back by their unique key.)
    """
    before = db.session.scalar(sa.select(sa.func.max(LOT.c.id))) or 0
    db.session.execute(sa.insert(LOT), lots)
    found = {
        (location_id, item_id, code): lot_id
        for lot_id, location_id, item_id, code in db.session.execute(
            sa.select(LOT.c.id, LOT.c.location_id, LOT.c.item_id, LOT.c.lot_code).where(
                LOT.c.provider_id == provider_id, LOT.c.id > before
            )
        )
    }
    ids = [found[(lot["location_id"], lot["item_id"], lot["lot_code"])] for lot in lots]
    for lot_id, receipt in zip(ids, receipts, strict=True):
        receipt["lot_id"] = lot_id
    _insert_receipts(receipts)
    return ids


def _insert_receipts(receipts: list[dict]) -> None:
    db.session.execute(sa.insert(StockMovement.__table__), receipts)


def import_lots(
    *,
    provider: Provider,
    rows: Sequence[tuple[int, Mapping[str, str]]],
    by: User | None,
    dry_run: bool,
    progress: Callable[[int], None] | None = None,
    actor_label: str = "cli:stock import",
) -> ImportReport:
    """Check every row, then (not a dry run, no error) receive them all as lots in one short transaction.

    ``rows`` are (line number, {column: text}) pairs as csvio.read_lots gives them. ``by`` is None for
    the command line, which then acts as ``actor_label``. ``progress(n)`` is called after each n lots.

    The import manages its transactions, so that the checks hold no write lock and reads and health
    checks never queue behind it: it ends the caller's transaction (which must hold no change), checks
    the rows in a read transaction, then begins the write transaction the caller commits. At most one
    import per provider runs at a time (409 while one does).
    """
    if by is not None:
        require_role(by, Role.PROVIDER, *STAFF)
        if by.role == Role.PROVIDER and by.provider_id != provider.id:
            raise NotFound(_l("No provider %(id)s.", id=provider.id))
    actor = Actor.of(by) if by is not None else Actor(user_id=None, label=actor_label)
    provider_id, provider_name = provider.id, provider.name
    db.session.rollback()  # the caller's transaction ends here (it may hold the write lock, never a change)
    set_write_intent(False)
    if not dry_run:
        _claim_import(provider_id, provider_name, actor.label)
    written = False
    try:
        report = ImportReport(dry_run=dry_run, rows=len(rows))
        context = _ImportContext(provider, rows)
        checked = [_check_row(line, raw, context, report.errors) for line, raw in rows]
        if report.errors or dry_run:
            return report
        lots, receipts = _prepare(provider_id, checked, actor)
        db.begin_write()
        try:
            report.lot_ids = _insert_lots(provider_id, lots, receipts)
            if progress is not None:
                progress(len(lots))
        except IntegrityError as error:
            raise Duplicate(
                _l("A lot in the file was created by someone else meanwhile; nothing was imported."),
                {"file": [_l("A lot code now exists already: check the file again.")]},
            ) from error
        report.created = len(report.lot_ids)
        # Released with the lots: the next import of this provider sees them.
        db.session.execute(sa.delete(CLAIM).where(CLAIM.c.provider_id == provider_id))
        audit.record(
            action="stock.import",
            subject=provider,
            by=by,
            actor_label=None if by else actor_label,
            after={
                "rows": report.rows,
                "created": report.created,
                "lot_ids": [report.lot_ids[0], report.lot_ids[-1]] if report.lot_ids else [],
            },
        )
        written = True
        return report
    finally:
        if not dry_run and not written:
            db.session.rollback()
            _release_import(provider_id)
