"""Anyone holding a printed document can check it: no login needed."""

from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.documents import services
from health_responder.documents.schemas import VerificationSchema

blp = Blueprint("documents", __name__, description="Verify that a document is genuine and current")


@blp.route("/documents/verify/<string:code>")
class Verify(MethodView):
    @blp.response(200, VerificationSchema)
    @blp.alt_response(404, description="Unknown code: not genuine.")
    def get(self, code):
        """Whether the document with this verification code is genuine and still current."""
        return services.verify(code[:32])
