"""Pages of stock: lots by item with expiry highlighting, a card per lot (its ledger with a running
balance, reservations and dispatches; quarantine, recall and release with a reason), receiving a lot,
adjusting one with a reason, and importing lots from CSV with a dry run that lists every row's errors
before anything is written.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from health_responder import csvsafe
from health_responder.auth.models import Role
from health_responder.db import set_write_intent, utc_today
from health_responder.errors import ValidationFailed
from health_responder.labels import label
from health_responder.names import local_name
from health_responder.providers import pages as provider_pages
from health_responder.providers import queries as providers
from health_responder.reference import queries as reference
from health_responder.stock import csvio, gs1, imports, queries, services
from health_responder.stock.forms import (
    AdjustForm,
    FilterForm,
    ImportConfirmForm,
    ImportForm,
    LotStatusForm,
    ReceiveForm,
)
from health_responder.stock.models import ADJUSTMENT_REASONS, LotStatus, StockLot
from health_responder.stock.schemas import AdjustmentCreateSchema, LotCreateSchema, LotStatusChangeSchema
from health_responder.web.context import NAV, register_panel
from health_responder.web.forms import attempt, commit, load, perform, rollback, status_of
from health_responder.web.guards import STAFF, is_staff, me, roles
from health_responder.web.i18n import translate
from health_responder.web.parsing import link_args, page_number, search_words, text
from health_responder.web.sorting import sort_of

bp = Blueprint("stock_pages", __name__, template_folder="templates")

#: The lot list offers a lot's Label only when the label route would print it (one rule, ``gs1``'s).
bp.add_app_template_global(gs1.lot_label_problems, "lot_label_problems")
KEEPERS = (Role.PROVIDER, *STAFF)

NAV["provider"] += [(_l("Stock"), "stock_pages.index")]
for _role in STAFF:
    NAV[_role] += [(_l("Stock"), "stock_pages.index")]


# --- reads for the pages --------------------------------------------------------------------------


def _item_choices(first: str) -> list[tuple]:
    return [("", first)] + [
        (item.id, f"{item.code} — {local_name(item)} ({item.unit})") for item in reference.active_items()
    ]


def _location_choices() -> list[tuple]:
    own = me().role == Role.PROVIDER
    return [("", _("Choose a location"))] + [
        (location.id, location.name if own else f"{provider} — {location.name}")
        for location, provider in providers.active_locations(user=me())
    ]


def expiry_class(lot: StockLot) -> str:
    """``expired``, ``expiring`` (within NEAR_EXPIRY_DAYS) or empty: the row's highlight."""
    if lot.expires_on is None:
        return ""
    today = utc_today()
    if lot.expires_on < today:
        return "expired"
    if lot.expires_on <= today + timedelta(days=current_app.config["NEAR_EXPIRY_DAYS"]):
        return "expiring"
    return ""


def _groups(lots: list[StockLot], *, keep_order: bool = False) -> list[dict]:
    """Lots by item; by item code and expiry unless ``keep_order`` (already sorted by the query)."""
    items = reference.items_by_id(ids=(lot.item_id for lot in lots))
    locations = providers.locations_by_id(ids=(lot.location_id for lot in lots))
    names = providers.provider_names() if is_staff() else {}
    groups: dict[int, dict] = {}
    if not keep_order:
        lots = sorted(lots, key=lambda x: (items[x.item_id].code, x.expires_on is None, x.expires_on, x.id))
    for lot in lots:
        group = groups.setdefault(
            lot.item_id, {"item": items[lot.item_id], "lots": [], "on_hand": 0, "available": 0}
        )
        group["lots"].append(
            {
                "lot": lot,
                "location": locations.get(lot.location_id),
                "expiry": expiry_class(lot),
                "provider": names.get(lot.provider_id, ""),
            }
        )
        group["on_hand"] += lot.on_hand
        group["available"] += lot.available
    return list(groups.values())


# --- lots by item ---------------------------------------------------------------------------------


#: The columns the lot list sorts by within each item (``?sort=&dir=``), each a LOT_ORDER name.
SORT_KEYS = ("lot_code", "provider", "location", "expires_on", "status", "on_hand", "reserved", "available")


def _lot_filters() -> tuple[FilterForm, dict]:
    """The lot filter form and the filters it stands for (the page and its CSV read the same)."""
    form = FilterForm(request.args)
    form.item_id.choices = _item_choices(_("Any item"))
    form.status.choices = [("", _("Any status"))] + [(s.value, label(s.value)) for s in LotStatus]
    form.provider_id.choices = [("", _("Any provider"))] + [
        (p.id, p.name) for p in (providers.all_providers() if is_staff() else [])
    ]
    args: dict = {}
    if form.item_id.data is not None:
        args["item_id"] = form.item_id.data
    if form.provider_id.data is not None and is_staff():
        args["provider_id"] = form.provider_id.data
    if form.status.data in {s.value for s in LotStatus}:
        args["status"] = form.status.data
    if form.expiring.data:
        args["expires_before"] = utc_today() + timedelta(days=current_app.config["NEAR_EXPIRY_DAYS"] + 1)
    if search_words(form.q):
        args["q"] = search_words(form.q)
    return form, args


@bp.get("/stock")
@roles(*KEEPERS)
def index():
    """The lots the user keeps, by item, earliest expiry first; expired and near-expiry lots highlighted."""
    form, args = _lot_filters()
    sort = sort_of(SORT_KEYS)
    page = queries.lots_by_item_page(
        user=me(), filters=args, page=page_number(), page_size=100, order_by=sort.order_by
    )
    return render_template(
        "stock/index.html",
        form=form,
        page=page,
        groups=_groups(page["items"], keep_order=True),
        sort=sort,
        link_args=link_args(),
        near_days=current_app.config["NEAR_EXPIRY_DAYS"],
    )


@bp.get("/stock/export.csv")
@roles(*KEEPERS)
def export():
    """The lots the list shows (same filters, every page), one line per lot, as CSV."""
    _form, args = _lot_filters()
    rows = queries.export_rows(user=me(), args=args)
    return csvsafe.download(
        "stock-lots.csv", csvio.EXPORT_COLUMNS, ([row[c] for c in csvio.EXPORT_COLUMNS] for row in rows)
    )


# --- the lot card ---------------------------------------------------------------------------------

#: The words of each status change, as the card offers it (the verb of the action, not the state's name).
STATUS_ACTIONS = {
    LotStatus.QUARANTINED: _l("Quarantine: hold the lot, allocate nothing from it"),
    LotStatus.RECALLED: _l("Recall: withdraw the lot for good (cannot be undone)"),
    LotStatus.AVAILABLE: _l("Release: make the lot available again"),
}
LEDGER_PAGE_SIZE = 25


def _status_form(lot: StockLot, form: LotStatusForm | None = None) -> LotStatusForm:
    form = form or LotStatusForm(formdata=None)
    form.status.choices = [("", _("Choose an action"))] + [
        (target.value, STATUS_ACTIONS[target])
        for target in LotStatus
        if target in services.STATUS_TRANSITIONS[lot.status]
    ]
    return form


def _card(lot: StockLot, form: LotStatusForm | None = None, status: int = 200):
    ledger = queries.ledger_page(lot=lot, args={"page": page_number(), "page_size": LEDGER_PAGE_SIZE})
    provider_name = providers.provider_names(ids=[lot.provider_id]).get(lot.provider_id, "")
    item = reference.items_by_id(ids=[lot.item_id]).get(lot.item_id)
    return render_template(
        "stock/lot.html",
        lot=lot,
        item=item,
        label_problems=gs1.lot_label_problems(lot=lot, item=item),
        location=providers.location(location_id=lot.location_id),
        provider_name=provider_name,
        expiry=expiry_class(lot),
        ledger=ledger,
        uses=queries.lot_uses(lot=lot, user=me()),
        form=_status_form(lot, form),
        link_args=link_args() | {"lot_id": lot.id},
    ), status


@bp.get("/stock/lots/<int:lot_id>")
@roles(*KEEPERS)
def lot_card(lot_id: int):
    """One lot: its facts, every movement with the balance after it (paged), reservations and dispatches."""
    return _card(queries.get_lot(user=me(), lot_id=lot_id))


@bp.post("/stock/lots/<int:lot_id>/status")
@roles(*KEEPERS)
def change_status(lot_id: int):
    """Quarantine, recall or release the lot, with the reason kept in the audit trail."""
    lot = queries.get_lot(user=me(), lot_id=lot_id)
    form = _status_form(lot, LotStatusForm())
    status = 200
    if form.validate_on_submit():
        payload = {"status": form.status.data or None, "note": text(form.note)}
        payload = {k: v for k, v in payload.items() if v is not None}
        changed, status = perform(
            form,
            lambda: services.update_lot(lot=lot, by=me(), **load(LotStatusChangeSchema, payload)),
            done=lambda changed: _(
                "Lot %(lot)s is now %(status)s.", lot=changed.lot_code, status=label(changed.status)
            ),
        )
        if changed is not None:
            return redirect(url_for(".lot_card", lot_id=lot_id))
        lot = queries.get_lot(user=me(), lot_id=lot_id)
        form = _status_form(lot, form)
    return _card(lot, form, status_of(form, status))


# --- receive a lot --------------------------------------------------------------------------------


@bp.route("/stock/receive", methods=["GET", "POST"])
@roles(*KEEPERS)
def receive():
    """Receive a new lot at one of the provider's locations."""
    form = ReceiveForm()
    form.item_id.choices = _item_choices(_("Choose an item"))
    form.location_id.choices = _location_choices()
    status = 200
    if form.validate_on_submit():
        payload = {
            "gs1": text(form.gs1),
            "lot_code": text(form.lot_code),
            "item_id": form.item_id.data,
            "location_id": form.location_id.data,
            "quantity": form.quantity.data,
            "expires_on": form.expires_on.data.isoformat() if form.expires_on.data else None,
            "note": text(form.note),
        }
        payload = {k: v for k, v in payload.items() if v is not None or k in ("expires_on", "note")}
        receive_lot = gs1.create_lot if "gs1" in payload else services.create_lot
        lot, status = perform(
            form,
            lambda: receive_lot(by=me(), **load(LotCreateSchema, payload)),
            done=lambda lot: _(
                "Lot %(lot)s was received: %(qty)s unit(s).", lot=lot.lot_code, qty=lot.on_hand
            ),
        )
        if lot is not None:
            return redirect(url_for(".index"))
    return render_template("stock/receive.html", form=form), status_of(form, status)


# --- adjust a lot ---------------------------------------------------------------------------------


@bp.route("/stock/lots/<int:lot_id>/adjust", methods=["GET", "POST"])
@roles(*KEEPERS)
def adjust(lot_id: int):
    """Add or remove units of a lot with a reason; the lot's ledger below."""
    lot = queries.get_lot(user=me(), lot_id=lot_id)
    form = AdjustForm()
    form.reason.choices = [("", _("Choose a reason"))] + [(r, label(r)) for r in ADJUSTMENT_REASONS]
    status = 200
    if form.validate_on_submit():
        payload = {
            "delta": form.delta.data,
            "reason": form.reason.data or None,
            "note": text(form.note),
        }
        payload = {k: v for k, v in payload.items() if v is not None or k == "note"}
        movement, status = perform(
            form,
            lambda: services.adjust_lot(lot=lot, by=me(), **load(AdjustmentCreateSchema, payload)),
            done=lambda movement: _(
                "Lot %(lot)s adjusted by %(delta)s unit(s).",
                lot=lot.lot_code,
                delta=f"{movement.delta_on_hand:+d}",
            ),
        )
        if movement is not None:
            return redirect(url_for(".adjust", lot_id=lot_id))
        lot = queries.get_lot(user=me(), lot_id=lot_id)
    movements = queries.list_movements(lot=lot, args={"page": 1, "page_size": 30, "order_by": "-id"})["items"]
    return render_template(
        "stock/adjust.html",
        form=form,
        lot=lot,
        item=reference.items_by_id(ids=[lot.item_id]).get(lot.item_id),
        location=providers.location(location_id=lot.location_id),
        movements=movements,
        expiry=expiry_class(lot),
    ), status_of(form, status)


# --- CSV import -----------------------------------------------------------------------------------


def _import_provider(form: ImportForm):
    """The provider whose lots are imported: the user's own, or the one a coordinator chose."""
    if me().role == Role.PROVIDER:
        return providers.get_provider(provider_id=me().provider_id)
    if form.provider_id.data is None:
        raise ValidationFailed(
            _l("Say whose stock this is."), {"provider_id": [_l("Required for coordinators and admins.")]}
        )
    return providers.get_provider(provider_id=form.provider_id.data)


#: Rows of the file the import page shows back (the preview).
PREVIEW_ROWS = 10


def _import_page(form: ImportForm, report=None, status: int = 200, preview=None, kept=None):
    """The import form, and what the last check found: its rows' errors, the file's first rows, the confirm button."""
    if report is not None:
        # Text in the page's language (a lazy string would skip the escaping of the cell it quotes).
        report.errors = [replace(error, message=translate(error.message)) for error in report.errors]
        if report.errors:
            status = 422
            form.form_errors.append(
                _("%(n)s row(s) have errors; nothing was imported.", n=len({e.line for e in report.errors}))
            )
    columns = imports.IMPORT_COLUMNS + imports.IMPORT_OPTIONAL
    return render_template(
        "stock/import.html",
        form=form,
        report=report,
        preview=preview or [],
        preview_columns=[c for c in columns if any(c in row for _line, row in preview or [])],
        kept=kept,
        confirm=ImportConfirmForm(formdata=None, token=kept["token"]) if kept else None,
        columns=imports.IMPORT_COLUMNS,
        optional=imports.IMPORT_OPTIONAL,
    ), status_of(form, status)


def _import_form() -> ImportForm:
    form = ImportForm()
    form.provider_id.choices = [("", _("Choose a provider"))] + [
        (p.id, p.name) for p in providers.all_providers()
    ]
    return form


def _checked_page(form: ImportForm, token: str):
    """The file a clean dry run kept under ``token``, checked again and offered for import; or the plain form
    (with the reason) when it is no longer kept.
    """
    found: dict = {}

    def run():
        kept = imports.kept_upload(token=token, by=me())
        rows = csvio.read_lots(kept.content)
        found.update(kept=kept, rows=rows)
        report = imports.import_lots(
            provider=providers.get_provider(provider_id=kept.provider_id), rows=rows, by=me(), dry_run=True
        )
        rollback()  # a dry run writes nothing
        return report

    report, status = attempt(form, run)
    preview = found.get("rows", [])[:PREVIEW_ROWS]
    if report is None or report.errors:
        return _import_page(form, report, status, preview)
    kept = found["kept"]
    offer = {
        "token": token,
        "rows": report.rows,
        "provider": providers.get_provider(provider_id=kept.provider_id).name,
        "filename": kept.filename,
    }
    return _import_page(form, report, 200, preview, offer)


@bp.route("/stock/import", methods=["GET", "POST"])
@roles(*KEEPERS)
def import_lots():
    """Upload a CSV of lots; a dry run lists every row's errors and, when there is none, keeps the file for
    "import these rows" (the page it redirects to, ``?checked=<token>``); a real import writes all or nothing.
    """
    form = _import_form()
    if request.method == "GET" and request.args.get("checked"):
        return _checked_page(form, request.args["checked"][:100])
    if not form.validate_on_submit():
        return _import_page(form)
    upload = request.files.get(form.file.name)
    found: dict = {}

    def run():
        rollback()  # parse and check without the write lock; the import begins its own write
        set_write_intent(False)
        provider = _import_provider(form)
        if upload is None or not upload.filename:
            raise ValidationFailed(_l("Choose a CSV file."), {"file": [_l("Choose the CSV file to import.")]})
        content = upload.read()
        rows = csvio.read_lots(content)
        found.update(provider=provider, content=content, rows=rows)
        report = imports.import_lots(provider=provider, rows=rows, by=me(), dry_run=bool(form.dry_run.data))
        if report.errors or report.dry_run:
            rollback()  # a dry run, or a file with errors: nothing is written
            return report
        return commit(report)

    report, status = attempt(form, run)
    preview = found.get("rows", [])[:PREVIEW_ROWS]
    if report is None or report.errors or not report.dry_run:
        if report is not None and not report.errors:
            flash(_("%(n)s lot(s) were imported.", n=report.created), "success")
            return redirect(url_for(".index"))
        return _import_page(form, report, status, preview)
    token = imports.keep_upload(
        by=me(),
        provider=found["provider"],
        filename=upload.filename,
        content=found["content"],
        rows=report.rows,
    )
    # Post/redirect/get: the checked file's page can be reloaded or gone back to without sending it again.
    return redirect(url_for(".import_lots", checked=token), 303)


@bp.post("/stock/import/confirm")
@roles(*KEEPERS)
def import_confirmed():
    """Import the file a clean dry run kept (no second upload): checked again, then all rows or none."""
    form = _import_form()
    confirm = ImportConfirmForm()
    token = confirm.token.data or ""
    if not confirm.validate_on_submit():
        form.form_errors.append(_("The form has expired: check the file again."))
        return _import_page(form, status=400)
    found: dict = {}

    def run():
        rollback()
        set_write_intent(False)
        kept = imports.kept_upload(token=token, by=me())
        rows = csvio.read_lots(kept.content)
        found.update(kept=kept, rows=rows)
        report = imports.import_lots(
            provider=providers.get_provider(provider_id=kept.provider_id), rows=rows, by=me(), dry_run=False
        )
        if report.errors:
            rollback()
            return report
        return commit(report)

    report, status = attempt(form, run)
    if report is not None and not report.errors:
        imports.forget_upload(found["kept"].token_hash)
        flash(_("%(n)s lot(s) were imported.", n=report.created), "success")
        return redirect(url_for(".index"))
    return _import_page(form, report, status, found.get("rows", [])[:PREVIEW_ROWS])


@bp.get("/stock/import/template.csv")
@roles(*KEEPERS)
def import_template():
    """A CSV to fill in: the header the import reads, and one example row to replace."""
    example = imports.template_row(user=me())
    columns = imports.IMPORT_COLUMNS + imports.IMPORT_OPTIONAL
    return csvsafe.download("stock-import-template.csv", columns, [[example.get(c, "") for c in columns]])


# --- dashboard panel ------------------------------------------------------------------------------


def _provider_panel(user) -> dict:
    soon = utc_today() + timedelta(days=current_app.config["NEAR_EXPIRY_DAYS"])
    lots = queries.lots_expiring(user=user, until=soon, limit=10)
    levels = queries.stock_levels(user=user, args={"page": 1, "page_size": 100, "order_by": "available"})[
        "items"
    ]
    low = [row for row in levels if row["available"] <= current_app.config["LOW_STOCK_THRESHOLD"]][:10]
    return {"groups": _groups(lots), "low": low}


register_panel((Role.PROVIDER,), "stock/panel_provider.html", _provider_panel, order=20)
provider_pages.PUBLIC_SECTIONS["categories"] = lambda provider_id: queries.category_availability(
    provider_id=provider_id, today=utc_today(), threshold=current_app.config["LOW_STOCK_THRESHOLD"]
)
