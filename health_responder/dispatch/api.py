"""Dispatches over the API: prepare, ship, cancel, receipt, and the discrepancies found at receipt."""

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.api.common import page_of
from health_responder.api.idempotency import idempotent
from health_responder.auth.access import STAFF, roles_required
from health_responder.auth.models import Role
from health_responder.dispatch import queries, receipts, services
from health_responder.dispatch.schemas import (
    CancelDispatchSchema,
    DiscrepancyListArgsSchema,
    DiscrepancySchema,
    DispatchCreateSchema,
    DispatchListArgsSchema,
    DispatchSchema,
    ReceiptSchema,
    ReplaceSchema,
    ShipSchema,
)
from health_responder.extensions import db

blp = Blueprint("dispatch", __name__, description="Dispatches, receipts and discrepancies")
SHIPPERS = (Role.PROVIDER, *STAFF)


def _answer(dispatch):
    view = queries.view(dispatch=dispatch)  # read inside the transaction that wrote it
    db.session.commit()
    return view


@blp.route("/dispatches")
class Dispatches(MethodView):
    @roles_required()
    @blp.arguments(DispatchListArgsSchema, location="query")
    @blp.response(200, page_of(DispatchSchema))
    def get(self, args):
        """Dispatches the caller may see (a provider its own, a city those to it), filtered and paged."""
        return queries.list_dispatches(user=g.user, args=args)

    @roles_required(*SHIPPERS)
    @idempotent
    @blp.arguments(DispatchCreateSchema)
    @blp.response(201, DispatchSchema)
    def post(self, data):
        """Prepare a dispatch of the provider's reserved allocations for a request, from one location."""
        request = queries.request_for(request_id=data.pop("request_id"), user=g.user)
        return _answer(services.create_dispatch(request=request, by=g.user, **data))


@blp.route("/dispatches/discrepancies")
class Discrepancies(MethodView):
    @roles_required()
    @blp.arguments(DiscrepancyListArgsSchema, location="query")
    @blp.response(200, page_of(DiscrepancySchema))
    def get(self, args):
        """Dispatch lines with units rejected at receipt (staff all, a provider or city its own)."""
        return queries.list_discrepancies(user=g.user, args=args)


@blp.route("/dispatches/discrepancies/<int:line_id>/replace")
class Replace(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(ReplaceSchema)
    @blp.response(200, DiscrepancySchema)
    def post(self, data, line_id):
        """Owe again a discrepancy's rejected units (all not yet replaced, or ``quantity``): auto_allocate serves them."""
        line = receipts.replace_rejected(line_id=line_id, by=g.user, **data)
        view = queries.discrepancy(line_id=line.id, user=g.user)
        db.session.commit()
        return view


@blp.route("/dispatches/<int:dispatch_id>")
class DispatchById(MethodView):
    @roles_required()
    @blp.response(200, DispatchSchema)
    def get(self, dispatch_id):
        """One dispatch with its lines."""
        return queries.view(dispatch=queries.get_dispatch(dispatch_id=dispatch_id, user=g.user))


@blp.route("/dispatches/<int:dispatch_id>/ship")
class Ship(MethodView):
    @roles_required(*SHIPPERS)
    @blp.arguments(ShipSchema)
    @blp.response(200, DispatchSchema)
    def post(self, data, dispatch_id):
        """prepared → shipped: the stock leaves the lots; the request's status follows."""
        return _answer(
            services.ship(
                dispatch=queries.get_dispatch(dispatch_id=dispatch_id, user=g.user), by=g.user, **data
            )
        )


@blp.route("/dispatches/<int:dispatch_id>/cancel")
class Cancel(MethodView):
    @roles_required(*SHIPPERS)
    @blp.arguments(CancelDispatchSchema)
    @blp.response(200, DispatchSchema)
    def post(self, data, dispatch_id):
        """prepared → cancelled; its allocations stay reserved for the next dispatch."""
        return _answer(
            services.cancel(
                dispatch=queries.get_dispatch(dispatch_id=dispatch_id, user=g.user), by=g.user, **data
            )
        )


@blp.route("/dispatches/<int:dispatch_id>/receipt")
class Receipt(MethodView):
    @roles_required(Role.CITY, *STAFF)
    @blp.arguments(ReceiptSchema)
    @blp.response(200, DispatchSchema)
    def post(self, data, dispatch_id):
        """shipped → received: accepted + rejected per line must equal what was shipped."""
        return _answer(
            receipts.record_receipt(
                dispatch=queries.get_dispatch(dispatch_id=dispatch_id, user=g.user), by=g.user, **data
            )
        )
