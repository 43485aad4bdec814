"""Providers and their locations over the API."""

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.api.common import page_of
from health_responder.auth.access import roles_required
from health_responder.auth.models import Role
from health_responder.extensions import db
from health_responder.providers import queries, services
from health_responder.providers.schemas import (
    LocationCreateSchema,
    LocationSchema,
    LocationUpdateSchema,
    ProviderCreateSchema,
    ProviderDetailSchema,
    ProviderListArgsSchema,
    ProviderSchema,
    ProviderUpdateSchema,
)

blp = Blueprint("providers", __name__, description="Solution providers and their stock locations")
#: Reference data is the admin's; a provider keeps its own contact fields and locations.
EDITORS = (Role.PROVIDER, Role.ADMIN)


@blp.route("/providers")
class Providers(MethodView):
    @roles_required()
    @blp.arguments(ProviderListArgsSchema, location="query")
    @blp.response(200, page_of(ProviderSchema))
    def get(self, args):
        """Solution providers."""
        return queries.list_providers(args=args)

    @roles_required(Role.ADMIN)
    @blp.arguments(ProviderCreateSchema)
    @blp.response(201, ProviderDetailSchema)
    def post(self, data):
        """Add a provider (admins)."""
        provider = services.create_provider(by=g.user, **data)
        db.session.commit()
        return queries.detail(provider=provider)


@blp.route("/providers/<int:provider_id>")
class ProviderById(MethodView):
    @roles_required()
    @blp.response(200, ProviderDetailSchema)
    def get(self, provider_id):
        """One provider with its locations."""
        return queries.detail(provider=queries.get_provider(provider_id=provider_id))

    @roles_required(*EDITORS)
    @blp.arguments(ProviderUpdateSchema)
    @blp.response(200, ProviderDetailSchema)
    def patch(self, data, provider_id):
        """Change a provider's profile (admins; the provider itself its contact fields and description)."""
        provider = services.update_provider(
            provider=queries.editable_provider(provider_id=provider_id, user=g.user), by=g.user, **data
        )
        db.session.commit()
        return queries.detail(provider=provider)


@blp.route("/providers/<int:provider_id>/locations")
class Locations(MethodView):
    @roles_required()
    @blp.response(200, LocationSchema(many=True))
    def get(self, provider_id):
        """A provider's stock locations."""
        return queries.locations_of(provider_id=queries.get_provider(provider_id=provider_id).id)

    @roles_required(*EDITORS)
    @blp.arguments(LocationCreateSchema)
    @blp.response(201, LocationSchema)
    def post(self, data, provider_id):
        """Add a stock location (admins, or the provider itself)."""
        location = services.create_location(
            provider=queries.editable_provider(provider_id=provider_id, user=g.user), by=g.user, **data
        )
        db.session.commit()
        return location


@blp.route("/providers/<int:provider_id>/locations/<int:location_id>")
class LocationById(MethodView):
    @roles_required(*EDITORS)
    @blp.arguments(LocationUpdateSchema)
    @blp.response(200, LocationSchema)
    def patch(self, data, provider_id, location_id):
        """Change a stock location (admins, or the provider itself)."""
        provider = queries.editable_provider(provider_id=provider_id, user=g.user)
        location = services.update_location(
            location=queries.get_location(provider=provider, location_id=location_id),
            provider=provider,
            by=g.user,
            **data,
        )
        db.session.commit()
        return location
