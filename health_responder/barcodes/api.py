"""Reading GS1 barcodes over the API: what a scanned string names."""

from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.auth.access import roles_required
from health_responder.barcodes import services
from health_responder.barcodes.schemas import BarcodeParseSchema, ScanSchema

blp = Blueprint("barcodes", __name__, url_prefix="/barcodes", description="GS1 barcodes")


@blp.route("/parse")
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
