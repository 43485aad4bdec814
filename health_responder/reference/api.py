"""Networks, cities, training topics and items over the API."""

from flask import g
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint

from health_responder.api.common import page_of
from health_responder.auth.access import roles_required
from health_responder.auth.models import Role
from health_responder.extensions import db
from health_responder.reference import queries, services
from health_responder.reference.models import City, Item, TrainingTopic
from health_responder.reference.schemas import (
    CityCreateSchema,
    CityListArgsSchema,
    CitySchema,
    CityUpdateSchema,
    ItemCreateSchema,
    ItemListArgsSchema,
    ItemSchema,
    ItemUpdateSchema,
    NetworkCreateSchema,
    NetworkListArgsSchema,
    NetworkSchema,
    TopicCreateSchema,
    TopicSchema,
    TopicUpdateSchema,
)

blp = Blueprint(
    "reference", __name__, description="Networks, member cities, training topics and the catalogue"
)


@blp.route("/networks")
class Networks(MethodView):
    @roles_required()
    @blp.arguments(NetworkListArgsSchema, location="query")
    @blp.response(200, page_of(NetworkSchema))
    def get(self, args):
        """Regional networks."""
        return queries.list_networks(args=args)

    @roles_required(Role.ADMIN)
    @blp.arguments(NetworkCreateSchema)
    @blp.response(201, NetworkSchema)
    def post(self, data):
        """Add a regional network (admins)."""
        network = services.create_network(by=g.user, **data)
        db.session.commit()
        return network


@blp.route("/cities")
class Cities(MethodView):
    @roles_required()
    @blp.arguments(CityListArgsSchema, location="query")
    @blp.response(200, page_of(CitySchema))
    def get(self, args):
        """Member cities, filtered by network, country or name."""
        return queries.list_cities(args=args)

    @roles_required(Role.ADMIN)
    @blp.arguments(CityCreateSchema)
    @blp.response(201, CitySchema)
    def post(self, data):
        """Add a member city (admins)."""
        city = services.create_city(by=g.user, **data)
        db.session.commit()
        return city


@blp.route("/cities/<int:city_id>")
class CityById(MethodView):
    @roles_required()
    @blp.response(200, CitySchema)
    def get(self, city_id):
        """One member city."""
        return queries.get_or_404(model=City, ident=city_id, label=_l("city"))

    @roles_required(Role.ADMIN)
    @blp.arguments(CityUpdateSchema)
    @blp.response(200, CitySchema)
    def patch(self, data, city_id):
        """Change a member city (admins)."""
        city = services.update_city(
            city=queries.get_or_404(model=City, ident=city_id, label=_l("city")), by=g.user, **data
        )
        db.session.commit()
        return city


@blp.route("/topics")
class Topics(MethodView):
    @roles_required()
    @blp.response(200, TopicSchema(many=True))
    def get(self):
        """Training topics shared by items and programs."""
        return queries.list_topics()

    @roles_required(Role.ADMIN)
    @blp.arguments(TopicCreateSchema)
    @blp.response(201, TopicSchema)
    def post(self, data):
        """Add a training topic (admins)."""
        topic = services.create_topic(by=g.user, **data)
        db.session.commit()
        return topic


@blp.route("/topics/<string:code>")
class TopicByCode(MethodView):
    @roles_required(Role.ADMIN)
    @blp.arguments(TopicUpdateSchema)
    @blp.response(200, TopicSchema)
    def patch(self, data, code):
        """Change a training topic's name or Korean name (admins); the code stays."""
        topic = services.update_topic(
            topic=queries.get_or_404(model=TrainingTopic, ident=code, label=_l("training topic")),
            by=g.user,
            **data,
        )
        db.session.commit()
        return topic


@blp.route("/items")
class Items(MethodView):
    @roles_required()
    @blp.arguments(ItemListArgsSchema, location="query")
    @blp.response(200, page_of(ItemSchema))
    def get(self, args):
        """The equipment catalogue."""
        return queries.list_items(args=args)

    @roles_required(Role.ADMIN)
    @blp.arguments(ItemCreateSchema)
    @blp.response(201, ItemSchema)
    def post(self, data):
        """Add an item (admins)."""
        item = services.create_item(by=g.user, **data)
        db.session.commit()
        return item


@blp.route("/items/<int:item_id>")
class ItemById(MethodView):
    @roles_required()
    @blp.response(200, ItemSchema)
    def get(self, item_id):
        """One catalogue item."""
        return queries.get_or_404(model=Item, ident=item_id, label=_l("item"))

    @roles_required(Role.ADMIN)
    @blp.arguments(ItemUpdateSchema)
    @blp.response(200, ItemSchema)
    def patch(self, data, item_id):
        """Change an item (admins)."""
        item = services.update_item(
            item=queries.get_or_404(model=Item, ident=item_id, label=_l("item")), by=g.user, **data
        )
        db.session.commit()
        return item
