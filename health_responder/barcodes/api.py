"""GS1 barcodes over the API: what a scanned string names, and lot labels to print."""

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.auth.access import STAFF, roles_required
from health_responder.auth.models import Role
from health_responder.barcodes import services
from health_responder.barcodes.schemas import BarcodeParseSchema, PickCheckSchema, ScanSchema
from health_responder.dispatch import queries as dispatches
from health_responder.documents.responses import pdf_response
from health_responder.documents.schemas import ReaderLanguageArgsSchema
from health_responder.extensions import db
from health_responder.stock import queries as stock

blp = Blueprint("barcodes", __name__, description="GS1 barcodes: scans in, labels out")
ERROR = {"$ref": "#/components/responses/Error"}
PDF = {
    "description": "The PDF document.",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}


@blp.route("/barcodes/parse")
class Parse(MethodView):
    @roles_required()
    @blp.arguments(BarcodeParseSchema)
    @blp.response(200, ScanSchema)
    @blp.alt_response(
        422, response="Error", description="Not GS1, wrong check digit, no such date, unknown GTIN."
    )
    def post(self, data):
        """Read a GS1 element string into GTIN, item, lot code, expiry date and serial (nothing is written)."""
        return services.identify(data=data["data"])


@blp.route("/dispatches/<int:dispatch_id>/pick-check")
class PickCheck(MethodView):
    @roles_required(Role.PROVIDER, *STAFF)
    @blp.arguments(BarcodeParseSchema)
    @blp.response(200, PickCheckSchema)
    @blp.alt_response(404, response="Error", description="No such dispatch, or not the caller's.")
    @blp.alt_response(409, response="Error", description="The dispatch is not prepared any more.")
    @blp.alt_response(
        422,
        response="Error",
        description="Not GS1, unknown GTIN, no lot, an item or lot that is not on the dispatch, another expiry.",
    )
    def post(self, data, dispatch_id):
        """The pick list check: a scanned lot label marks its line of a prepared dispatch as packed."""
        dispatch = dispatches.get_dispatch(dispatch_id=dispatch_id, user=g.user)
        line = services.check_picked(dispatch=dispatch, data=data["data"], by=g.user)
        answer = {"line": line, **dispatches.pick_progress(dispatch_id=dispatch.id)}
        db.session.commit()
        return answer


@blp.route("/stock/lots/<int:lot_id>/label.pdf")
class LotLabel(MethodView):
    @roles_required(Role.PROVIDER, *STAFF)
    @blp.arguments(ReaderLanguageArgsSchema, location="query")
    @blp.doc(responses={"200": PDF, "404": ERROR, "409": ERROR})
    def get(self, args, lot_id):
        """The lot's label: GS1 DataMatrix of GTIN, expiry and lot, the human-readable line, item, provider;
        its words in the asker's language or ``?lang=`` (the GS1 data is the same in every language).
        """
        db.begin_write()
        document, content = services.lot_label(
            lot=stock.get_lot(user=g.user, lot_id=lot_id), by=g.user, language=args.get("lang")
        )
        db.session.commit()
        return pdf_response(document, content)


@blp.route("/dispatches/<int:dispatch_id>/labels.pdf")
class DispatchLabels(MethodView):
    @roles_required()
    @blp.arguments(ReaderLanguageArgsSchema, location="query")
    @blp.doc(responses={"200": PDF, "404": ERROR, "409": ERROR})
    def get(self, args, dispatch_id):
        """A sheet of labels, one per lot of the dispatch (city: its own; provider: its own; staff: all),
        in the asker's language or ``?lang=``.
        """
        db.begin_write()
        document, content = services.dispatch_labels(
            dispatch=dispatches.get_dispatch(dispatch_id=dispatch_id, user=g.user),
            by=g.user,
            language=args.get("lang"),
        )
        db.session.commit()
        return pdf_response(document, content)
