"""GET /api/v1/cities/{id}/profile (public; contacts for members only) and the city's own edit."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.auth.access import public, roles_required
from health_responder.auth.models import Role
from health_responder.extensions import db
from health_responder.hub import queries, services
from health_responder.hub.schemas import CityProfileSchema, CityProfileUpdateSchema

blp = Blueprint("hub_api", __name__, description="The Knowledge Hub's city profiles (public reads)")


@blp.route("/cities/<int:city_id>/profile")
class CityProfileView(MethodView):
    @public
    @blp.response(200, CityProfileSchema)
    def get(self, city_id):
        """A member city's profile: network, population, health system, equipment, training, readiness."""
        return queries.profile(city_id=city_id, member=g.user is not None)

    @roles_required(Role.CITY, Role.ADMIN)
    @blp.arguments(CityProfileUpdateSchema)
    @blp.response(200, CityProfileSchema)
    def patch(self, data, city_id):
        """Change the population or health-system summary (the city's own users, or admins)."""
        services.update_profile(city=queries.get_city(city_id=city_id), by=g.user, **data)
        db.session.commit()
        return queries.profile(city_id=city_id, member=True)
