"""Allocations and lot suggestions over the API (the same URLs as when they lived with the requests)."""

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.allocation import queries, services
from health_responder.allocation.schemas import (
    AllocationCreateSchema,
    AllocationListArgsSchema,
    AllocationSchema,
    RedistributeSchema,
    RedistributionSchema,
    ReleaseSchema,
    SuggestionSchema,
    WhyNoneSchema,
)
from health_responder.api.idempotency import idempotent
from health_responder.auth.access import ALL_ROLES, STAFF, roles_required
from health_responder.auth.models import Role
from health_responder.checks import queries as alerts
from health_responder.extensions import db
from health_responder.health_requests import queries as requests
from health_responder.health_requests.schemas import EmptySchema

blp = Blueprint(
    "allocation", __name__, description="Allocations of stock to request lines, and lot suggestions"
)


@blp.route("/requests/<int:request_id>/allocations")
class Allocations(MethodView):
    @roles_required()
    @blp.arguments(AllocationListArgsSchema, location="query")
    @blp.response(200, AllocationSchema(many=True))
    def get(self, args, request_id):
        """The request's allocations (a provider sees only its own)."""
        return queries.allocations_of(
            request=requests.get_request(request_id=request_id, user=g.user), user=g.user, args=args
        )

    @roles_required(*STAFF)
    @idempotent
    @blp.arguments(AllocationCreateSchema)
    @blp.response(201, AllocationSchema)
    def post(self, data, request_id):
        """Reserve a quantity of a lot for a line (coordinators); 409 when the stock is not there."""
        allocation = services.allocate(
            request=requests.get_request(request_id=request_id, user=g.user), by=g.user, **data
        )
        db.session.commit()
        return allocation


@blp.route("/requests/<int:request_id>/allocations/as-suggested")
class AllocateAsSuggested(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(EmptySchema)
    @blp.response(201, AllocationSchema(many=True))
    def post(self, _data, request_id):
        """Allocate everything the request still waits for as the automatic allocation would (coordinators).

        Usable lots only, providers serving the city's network first, the earliest expiry first; each
        allocation with its rationale. Whole or nothing: 409 when nothing usable is left or a lot was
        taken meanwhile.
        """
        made = services.allocate_as_suggested(
            request=requests.get_request(request_id=request_id, user=g.user), by=g.user
        )
        db.session.commit()
        return made


@blp.route("/requests/<int:request_id>/lines/<int:line_id>/suggestions")
class Suggestions(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, SuggestionSchema(many=True))
    def get(self, request_id, line_id):
        """Usable lots for a line, best first, each with its rationale (coordinators); when none, ``…/why-none`` says why."""
        request = requests.get_request(request_id=request_id, user=g.user)
        return queries.suggestions(request=request, line=requests.get_line(request=request, line_id=line_id))


@blp.route("/requests/<int:request_id>/lines/<int:line_id>/suggestions/why-none")
class WhyNone(MethodView):
    @roles_required(*STAFF)
    @blp.response(200, WhyNoneSchema)
    def get(self, request_id, line_id):
        """Why no lot is suggested for a line (coordinators).

        Nothing owed; no stock of the item anywhere; every lot usable by the needed-by date reserved;
        stock that expires before the needed-by date (the lots named with their expiry); or only
        quarantined or recalled stock.
        """
        request = requests.get_request(request_id=request_id, user=g.user)
        return queries.why_none(request=request, line=requests.get_line(request=request, line_id=line_id))


@blp.route("/allocations/<int:allocation_id>")
class AllocationById(MethodView):
    @roles_required()
    @blp.response(200, AllocationSchema)
    def get(self, allocation_id):
        """One allocation."""
        return queries.get_allocation(allocation_id=allocation_id, user=g.user)


@blp.route("/allocations/<int:allocation_id>/release")
class Release(MethodView):
    @roles_required(Role.PROVIDER, *STAFF)
    @blp.arguments(ReleaseSchema)
    @blp.response(200, AllocationSchema)
    def post(self, data, allocation_id):
        """Give a reserved allocation back to its lot (staff; a provider its own, not on a prepared dispatch)."""
        allocation = services.release(
            allocation=queries.get_allocation(allocation_id=allocation_id, user=g.user),
            by=g.user,
            note=data.get("reason"),
        )
        db.session.commit()
        return allocation


@blp.route("/alerts/<int:alert_id>/redistribution")
class Redistribution(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.response(200, RedistributionSchema)
    @blp.alt_response(
        404, response="Error", description="No such alert, not the caller's, or not about a lot near expiry."
    )
    def get(self, alert_id):
        """A near-expiry alert's lot and the open requests of any city and network it could serve before it
        expires, most urgent first (staff: all; the lot's provider: those it may see, and how many others).
        """
        return queries.redistribution(alert=alerts.alert_for(user=g.user, alert_id=alert_id), user=g.user)

    @roles_required(*STAFF)
    @idempotent
    @blp.arguments(RedistributeSchema)
    @blp.response(201, AllocationSchema)
    @blp.alt_response(
        409,
        response="Error",
        description="The alert is resolved, the line is already filled, the request no longer takes stock, or the "
        "lot can no longer serve it (not available, nothing free, expires before the needed-by date).",
    )
    def post(self, data, alert_id):
        """Allocate the alert's lot to one of those lines, in one call (coordinators)."""
        allocation = services.redistribute(
            alert=alerts.alert_for(user=g.user, alert_id=alert_id), by=g.user, **data
        )
        db.session.commit()
        return allocation
