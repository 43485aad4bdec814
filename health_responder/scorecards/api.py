"""A provider's scorecard over the API."""

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.auth.access import STAFF, roles_required
from health_responder.auth.models import Role
from health_responder.scorecards import queries
from health_responder.scorecards.schemas import ScorecardArgsSchema, ScorecardSchema

blp = Blueprint("scorecards", __name__, description="How well each provider serves, month by month")
#: a provider reads its own scorecard; the association's staff read every provider's
SCORECARD_READERS = (Role.PROVIDER, *STAFF)


@blp.route("/providers/<int:provider_id>/scorecard")
class Scorecard(MethodView):
    @roles_required(*SCORECARD_READERS)
    @blp.arguments(ScorecardArgsSchema, location="query")
    @blp.response(200, ScorecardSchema)
    def get(self, args, provider_id):
        """Fill rate, on-time rate, lead time p50/p90, discrepancy rate and expiry write-offs, per month.

        A provider reads its own; coordinators and admins every provider's. ``from``/``to`` default to the
        last twelve months.
        """
        provider = queries.scorecard_provider(provider_id=provider_id, user=g.user)
        return queries.scorecard(
            provider=provider, period_from=args.get("period_from"), period_to=args.get("period_to")
        )
