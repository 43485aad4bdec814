"""Assistance requests and their transitions over the API (allocations: allocation.api).

Requests are answered as the dicts of ``queries.request_views`` (one query for a page's lines, no
marshmallow per row); the schemas still describe them in the OpenAPI document.
"""

import json

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.api.common import page_of
from health_responder.api.idempotency import idempotent
from health_responder.auth.access import STAFF, roles_required
from health_responder.auth.models import Role
from health_responder.extensions import db
from health_responder.health_requests import queries, services
from health_responder.health_requests.schemas import (
    CancelSchema,
    CloseSchema,
    CsvArgsSchema,
    EmptySchema,
    RejectSchema,
    RequestCreateSchema,
    RequestListArgsSchema,
    RequestSchema,
    RequestUpdateSchema,
)

blp = Blueprint("health_requests", __name__, description="Assistance requests and their workflow")
CITY_OR_STAFF = (Role.CITY, *STAFF)


def as_json(data, status: int = 200):
    """A JSON response of already JSON-ready data."""
    return current_app.response_class(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        status=status,
        mimetype="application/json",
    )


def _answer(request, status: int = 200):
    # The view is read inside the transaction that wrote it: reading after the commit would begin another
    # (on SQLite an IMMEDIATE one, queuing behind every writer again).
    view = queries.request_view(request=request)
    db.session.commit()
    return as_json(view, status)


@blp.route("/requests")
class Requests(MethodView):
    @roles_required()
    @blp.arguments(RequestListArgsSchema, location="query")
    @blp.response(200, page_of(RequestSchema))
    def get(self, args):
        """Requests the caller may see, filtered, paged and ordered."""
        return as_json(queries.list_requests(user=g.user, args=args))

    @roles_required(*CITY_OR_STAFF)
    @idempotent
    @blp.arguments(RequestCreateSchema)
    @blp.response(201, RequestSchema)
    def post(self, data):
        """Create a draft request (city users for their city; staff name the city with ``city_id``)."""
        return _answer(services.create_request(by=g.user, **data), 201)


@blp.route("/requests.csv")
class RequestsCsv(MethodView):
    @roles_required()
    @blp.arguments(CsvArgsSchema, location="query")
    @blp.response(200, description="One row per request line, UTF-8 CSV.", content_type="text/csv")
    def get(self, args):
        """The visible requests matching the filters as CSV (up to 10,000 requests)."""
        body = "\ufeff" + queries.requests_csv(user=g.user, args=args)
        response = current_app.response_class(body, mimetype="text/csv")
        response.headers["Content-Disposition"] = 'attachment; filename="requests.csv"'
        return response


@blp.route("/requests/<int:request_id>")
class RequestById(MethodView):
    @roles_required()
    @blp.response(200, RequestSchema)
    def get(self, request_id):
        """One request with its lines."""
        return as_json(queries.request_view(request=queries.get_request(request_id=request_id, user=g.user)))

    @roles_required(*CITY_OR_STAFF)
    @blp.arguments(RequestUpdateSchema)
    @blp.response(200, RequestSchema)
    def patch(self, data, request_id):
        """Change a draft; ``lines`` replace all of its lines."""
        request = services.update_request(
            request=queries.get_request(request_id=request_id, user=g.user), by=g.user, **data
        )
        return _answer(request)


@blp.route("/requests/<int:request_id>/submit")
class Submit(MethodView):
    @roles_required(*CITY_OR_STAFF)
    @blp.arguments(EmptySchema)
    @blp.response(200, RequestSchema)
    def post(self, _data, request_id):
        """draft → submitted."""
        return _answer(
            services.submit(request=queries.get_request(request_id=request_id, user=g.user), by=g.user)
        )


@blp.route("/requests/<int:request_id>/withdraw")
class Withdraw(MethodView):
    @roles_required(Role.CITY)
    @blp.arguments(EmptySchema)
    @blp.response(200, RequestSchema)
    def post(self, _data, request_id):
        """submitted → draft: the request's city takes it back to change it, before approval (same reference)."""
        return _answer(
            services.withdraw(request=queries.get_request(request_id=request_id, user=g.user), by=g.user)
        )


@blp.route("/requests/<int:request_id>/approve")
class Approve(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(EmptySchema)
    @blp.response(200, RequestSchema)
    def post(self, _data, request_id):
        """submitted → approved (coordinators)."""
        return _answer(
            services.approve(request=queries.get_request(request_id=request_id, user=g.user), by=g.user)
        )


@blp.route("/requests/<int:request_id>/reject")
class Reject(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(RejectSchema)
    @blp.response(200, RequestSchema)
    def post(self, data, request_id):
        """submitted/approved with nothing reserved → rejected, with a reason (coordinators)."""
        return _answer(
            services.reject(
                request=queries.get_request(request_id=request_id, user=g.user), by=g.user, **data
            )
        )


@blp.route("/requests/<int:request_id>/cancel")
class Cancel(MethodView):
    @roles_required(*CITY_OR_STAFF)
    @blp.arguments(CancelSchema)
    @blp.response(200, RequestSchema)
    def post(self, data, request_id):
        """Before anything shipped → cancelled: every reservation released, prepared dispatches cancelled."""
        return _answer(
            services.cancel(
                request=queries.get_request(request_id=request_id, user=g.user), by=g.user, **data
            )
        )


@blp.route("/requests/<int:request_id>/close")
class Close(MethodView):
    @roles_required(*STAFF)
    @blp.arguments(CloseSchema)
    @blp.response(200, RequestSchema)
    def post(self, data, request_id):
        """After approval → closed with a note: reservations released, the unfilled remainder stays visible."""
        return _answer(
            services.close(request=queries.get_request(request_id=request_id, user=g.user), by=g.user, **data)
        )
