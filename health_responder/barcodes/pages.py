"""Barcodes on the pages: a lot's label from the stock list, a dispatch's sheet of labels from its page,
and the scans of a dispatch's page: the pick list check (a scanned lot checks its line) and the receipt
form (a scanned lot fills its line).

The dispatch page is dispatch's; these routes post to it and show it again (barcodes reads dispatch,
never the other way round).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _

from health_responder.auth.models import Role
from health_responder.barcodes import services
from health_responder.barcodes.schemas import BarcodeParseSchema
from health_responder.dispatch import pages as dispatch_pages
from health_responder.dispatch import queries as dispatches
from health_responder.dispatch.forms import PickCheckForm
from health_responder.documents.responses import pdf_response
from health_responder.extensions import db
from health_responder.reference import queries as reference
from health_responder.stock import queries as stock
from health_responder.web import stash
from health_responder.web.forms import attempt, commit, load, perform, rollback
from health_responder.web.guards import STAFF, me, roles

bp = Blueprint("barcodes_pages", __name__)


@bp.get("/stock/lots/<int:lot_id>/label.pdf")
@roles(Role.PROVIDER, *STAFF)
def lot_label(lot_id: int):
    """The lot's GS1 label (registered like every document), in the reader's language or ``?lang=``."""
    db.begin_write()
    document, content = services.lot_label(
        lot=stock.get_lot(user=me(), lot_id=lot_id), by=me(), language=request.args.get("lang")
    )
    return commit(pdf_response(document, content))


@bp.get("/dispatches/<int:dispatch_id>/labels.pdf")
@roles()
def dispatch_labels(dispatch_id: int):
    """A sheet of GS1 labels, one per lot of the dispatch, in the reader's language or ``?lang=``."""
    db.begin_write()
    document, content = services.dispatch_labels(
        dispatch=dispatches.get_dispatch(dispatch_id=dispatch_id, user=me()),
        by=me(),
        language=request.args.get("lang"),
    )
    return commit(pdf_response(document, content))


# --- scans on a dispatch's page -------------------------------------------------------------------

#: The scan schema's field, as the forms name it.
_SCAN = {"data": "scan"}


def _scanned(form) -> str:
    """The scan as typed, checked like the API's (length, no control character but the GS separator);
    an empty one goes on to the service, which says that nothing was scanned.
    """
    value = (form.scan.data or "").strip()
    return load(BarcodeParseSchema, {"data": value})["data"] if value else value


@bp.post("/dispatches/<int:dispatch_id>/pick-check")
@roles(Role.PROVIDER, *STAFF)
def pick_check(dispatch_id: int):
    """The pick list check: a scanned lot label checks its line; a wrong lot is refused, named."""
    dispatch = dispatches.get_dispatch(dispatch_id=dispatch_id, user=me())
    form = PickCheckForm()
    if not form.validate_on_submit():
        return dispatch_pages.detail_page(dispatch, 422, pick_form=form)

    def check():
        line = services.check_picked(dispatch=dispatch, data=_scanned(form), by=me(), field="scan")
        # named as the pick list shows it: the item's code and the lot's, never the line's id
        named = {
            "item": reference.item_code(item_id=line.item_id),
            "lot": stock.get_lot(user=me(), lot_id=line.lot_id).lot_code,
            "n": line.quantity,
        }
        return named | dispatches.pick_progress(dispatch_id=dispatch.id)

    done, status = perform(
        form,
        check,
        done=lambda found: _(
            "Lot checked: %(item)s, lot %(lot)s (%(n)s unit(s)). %(checked)s of %(lines)s lines checked.",
            **found,
        ),
        aliases=_SCAN,
    )
    if done is None:
        return dispatch_pages.detail_page(
            dispatches.get_dispatch(dispatch_id=dispatch_id, user=me()), status, pick_form=form
        )
    return redirect(url_for("dispatch_pages.detail", dispatch_id=dispatch_id, _anchor="pick-check"))


@bp.post("/dispatches/<int:dispatch_id>/receipt/scan")
@roles(Role.CITY, *STAFF)
def receipt_scan(dispatch_id: int):
    """The receipt form's scan: the scanned lot's line is filled (its shipped units accepted, less any
    rejected units already typed) and marked scanned; what was typed elsewhere comes back as it was.
    Nothing is recorded until the receipt is confirmed.
    """
    dispatch = dispatches.get_dispatch(dispatch_id=dispatch_id, user=me())
    form = dispatch_pages.posted_receipt_form()
    if not form.validate_on_submit():
        return dispatch_pages.detail_page(dispatch, 422, receipt_form=form)
    lines, status = attempt(
        form,
        lambda: services.receipt_lines(dispatch=dispatch, data=_scanned(form), by=me(), field="scan"),
        _SCAN,
    )
    rollback()  # a scan writes nothing
    if lines is None:
        return dispatch_pages.detail_page(dispatch, status, receipt_form=form)
    entries = {str(entry.line_id.data): entry for entry in form.lines}
    targets = [entries[str(line.id)] for line in lines if str(line.id) in entries]
    entry = next((e for e in targets if e.scanned.data != "1"), targets[0] if targets else None)
    line = next((x for x in lines if entry is not None and str(x.id) == str(entry.line_id.data)), None)
    if entry is None or line is None:  # the form does not hold the line: a stale page
        form.scan.errors = [_("This form is out of date: open the dispatch again.")]
        return dispatch_pages.detail_page(dispatch, 409, receipt_form=form)
    rejected = entry.rejected.data or 0
    filled = {
        entry.rejected.name: str(rejected),
        entry.accepted.name: str(max(line.quantity - rejected, 0)),
        entry.scanned.name: "1",
        form.scan.name: "",
    }
    flash(
        _(
            "Lot %(lot)s found: its line is filled, %(n)s unit(s) accepted. Scan the next lot, or correct "
            "the counts and confirm the receipt.",
            lot=stock.lots_by_id(ids=[line.lot_id])[line.lot_id].lot_code,
            n=filled[entry.accepted.name],
        ),
        "success",
    )
    # Post/redirect/get: the receipt form comes back on the dispatch's page as the scan filled it, so a
    # reload or Back sends nothing again (web.stash keeps the values a short while).
    posted = [(name, filled.pop(name, value)) for name, value in request.form.items(multi=True)]
    line_id, user_id = line.id, me().id  # read before keeping: ``carry`` ends the request's database session
    page = url_for("dispatch_pages.detail", dispatch_id=dispatch_id, scanned=line_id)
    target = stash.carry(fields=[*posted, *filled.items()], user_id=user_id, page=page)
    return redirect(target, 303)  # no #fragment: it would keep the scan field's autofocus from working
