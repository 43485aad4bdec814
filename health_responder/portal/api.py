"""GET /api/v1/stats: the portal's aggregate figures, public (never a request, a contact or a lot)."""

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.auth.access import public
from health_responder.portal import queries
from health_responder.portal.schemas import StatsSchema

blp = Blueprint("stats", __name__, description="Statistics for the association's members")


@blp.route("/stats")
class Stats(MethodView):
    @public
    @blp.response(200, StatsSchema)
    def get(self):
        """Requests by network and status, fill rate, lead times and the shortage radar."""
        stats = queries.all_stats()
        return stats if g.user is not None else queries.public_stats(stats=stats)
