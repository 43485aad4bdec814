"""GET /api/v1/offices (public) and the admins' writes of regional offices."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.api.common import page_of
from health_responder.auth.access import public, roles_required
from health_responder.auth.models import Role
from health_responder.extensions import db
from health_responder.offices import queries, services
from health_responder.offices.schemas import (
    OfficeCreateSchema,
    OfficeListArgsSchema,
    OfficeSchema,
    OfficeUpdateSchema,
)

blp = Blueprint("offices_api", __name__, description="Regional offices of the networks (public reads)")


@blp.route("/offices")
class Offices(MethodView):
    @public
    @blp.arguments(OfficeListArgsSchema, location="query")
    @blp.response(200, page_of(OfficeSchema))
    def get(self, args):
        """Regional offices with address, contact, languages, time zone and the cities they serve."""
        return queries.list_offices(args=args)

    @roles_required(Role.ADMIN)
    @blp.arguments(OfficeCreateSchema)
    @blp.response(201, OfficeSchema)
    def post(self, data):
        """Open a regional office (admins)."""
        office = services.create_office(by=g.user, **data)
        db.session.commit()
        return queries.view(office=office)


@blp.route("/offices/<int:office_id>")
class OfficeById(MethodView):
    @public
    @blp.response(200, OfficeSchema)
    def get(self, office_id):
        """One regional office."""
        return queries.view(office=queries.get_office(office_id=office_id))

    @roles_required(Role.ADMIN)
    @blp.arguments(OfficeUpdateSchema)
    @blp.response(200, OfficeSchema)
    def patch(self, data, office_id):
        """Change an office (admins)."""
        office = services.update_office(office=queries.get_office(office_id=office_id), by=g.user, **data)
        db.session.commit()
        return queries.view(office=office)

    @roles_required(Role.ADMIN)
    @blp.response(204)
    def delete(self, office_id):
        """Close an office (admins)."""
        services.delete_office(office=queries.get_office(office_id=office_id), by=g.user)
        db.session.commit()
