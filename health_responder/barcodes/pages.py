"""Label PDFs on the pages: a lot's label from the stock list, a dispatch's sheet from its page."""

from __future__ import annotations

from flask import Blueprint

from health_responder.auth.models import Role
from health_responder.barcodes import services
from health_responder.dispatch import queries as dispatches
from health_responder.documents.responses import pdf_response
from health_responder.extensions import db
from health_responder.stock import queries as stock
from health_responder.web.forms import commit
from health_responder.web.guards import STAFF, me, roles

bp = Blueprint("barcodes_pages", __name__)


@bp.get("/stock/lots/<int:lot_id>/label.pdf")
@roles(Role.PROVIDER, *STAFF)
def lot_label(lot_id: int):
    """The lot's GS1 label (registered like every document)."""
    db.begin_write()
    document, content = services.lot_label(lot=stock.get_lot(me(), lot_id), by=me())
    return commit(pdf_response(document, content))


@bp.get("/dispatches/<int:dispatch_id>/labels.pdf")
@roles()
def dispatch_labels(dispatch_id: int):
    """A sheet of GS1 labels, one per lot of the dispatch."""
    db.begin_write()
    document, content = services.dispatch_labels(dispatch=dispatches.get_dispatch(dispatch_id, me()), by=me())
    return commit(pdf_response(document, content))
