"""GET /api/v1/stats: the portal's figures for every member."""

from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.auth.access import roles_required
from health_responder.portal import queries
from health_responder.portal.schemas import StatsSchema

blp = Blueprint("stats", __name__, description="Statistics for the association's members")


@blp.route("/stats")
class Stats(MethodView):
    @roles_required()
    @blp.response(200, StatsSchema)
    def get(self):
        """Requests by network and status, fill rate, lead times and the shortage radar."""
        return queries.all_stats()
