"""The caller's own notifications."""

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from health_responder.api.common import page_of
from health_responder.auth.access import ALL_ROLES, roles_required
from health_responder.extensions import db
from health_responder.notifications import queries, services
from health_responder.notifications.schemas import (
    NotificationListArgsSchema,
    NotificationSchema,
    ReadAllSchema,
)
from health_responder.schemas import StrictSchema

blp = Blueprint(
    "notifications", __name__, description="Messages to the caller: in the app, and by email when configured"
)


@blp.route("/notifications")
class Notifications(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.arguments(NotificationListArgsSchema, location="query")
    @blp.response(200, page_of(NotificationSchema))
    def get(self, args):
        """The caller's notifications, newest first; ``unread=true`` for the unread ones."""
        return queries.list_own(user=g.user, args=args)


@blp.route("/notifications/<int:notification_id>/read")
class NotificationRead(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.arguments(StrictSchema, required=False)
    @blp.response(200, NotificationSchema)
    def post(self, _data, notification_id):
        """Mark one of the caller's notifications read."""
        notification = services.mark_read(
            notification=queries.own(user=g.user, notification_id=notification_id), by=g.user
        )
        db.session.commit()
        return notification


@blp.route("/notifications/read-all")
class NotificationsReadAll(MethodView):
    @roles_required(*ALL_ROLES)
    @blp.arguments(StrictSchema, required=False)
    @blp.response(200, ReadAllSchema)
    def post(self, _data):
        """Mark every unread notification of the caller read; answers how many were unread."""
        marked = services.mark_all_read(user=g.user)
        db.session.commit()
        return {"marked": marked}
