"""Tokens, the current user, and user administration."""

from flask import g
from flask.views import MethodView
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint

from health_responder.api.common import page_of
from health_responder.auth import queries, services
from health_responder.auth.access import roles_required
from health_responder.auth.limits import limit_failed_logins
from health_responder.auth.models import Role
from health_responder.auth.schemas import (
    NewTokenSchema,
    TokenCreateSchema,
    TokenSchema,
    UserCreateSchema,
    UserListArgsSchema,
    UserSchema,
    UserUpdateSchema,
)
from health_responder.errors import Unauthorized
from health_responder.extensions import db

blp = Blueprint("auth", __name__, description="Tokens and users")


@blp.route("/auth/tokens")
class Tokens(MethodView):
    @limit_failed_logins
    @blp.arguments(TokenCreateSchema)
    @blp.response(201, NewTokenSchema)
    def post(self, data):
        """Exchange an email and password for a bearer token (failed attempts are rate limited)."""
        user = services.authenticate(email=data["email"], password=data["password"])
        if user is None:
            raise Unauthorized(_l("Wrong email or password."), {"password": [_l("Wrong email or password.")]})
        row, token = services.issue_token(user=user, name=data["name"])
        db.session.commit()
        answer = {
            "id": row.id,
            "token": token,
            "name": row.name,
            "created_at": row.created_at,
            "expires_at": row.expires_at,
        }
        # The token is a secret: no cache, proxy or browser history may keep the answer.
        return answer, 201, {"Cache-Control": "no-store", "Pragma": "no-cache"}

    @roles_required()
    @blp.response(200, TokenSchema(many=True))
    def get(self):
        """The caller's tokens (never the token text)."""
        return queries.tokens_of(user=g.user)


@blp.route("/auth/tokens/<int:token_id>/revoke")
class RevokeToken(MethodView):
    @roles_required()
    @blp.response(200, TokenSchema)
    def post(self, token_id):
        """Revoke one of the caller's tokens; it answers 401 from then on."""
        row = services.revoke_token(token_id=token_id, by=g.user)
        db.session.commit()
        return row


@blp.route("/auth/me")
class Me(MethodView):
    @roles_required()
    @blp.response(200, UserSchema)
    def get(self):
        """The caller."""
        return g.user


@blp.route("/users")
class Users(MethodView):
    @roles_required(Role.ADMIN)
    @blp.arguments(UserListArgsSchema, location="query")
    @blp.response(200, page_of(UserSchema))
    def get(self, args):
        """Users, filtered and paged (admins)."""
        return queries.list_users(args=args)

    @roles_required(Role.ADMIN)
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    def post(self, data):
        """Create a user (admins)."""
        user = services.create_user(by=g.user, **data)
        db.session.commit()
        return user


@blp.route("/users/<int:user_id>")
class UserById(MethodView):
    @roles_required(Role.ADMIN)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One user (admins)."""
        return queries.get_user(user_id=user_id)

    @roles_required(Role.ADMIN)
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, data, user_id):
        """Change a user's name, language, password or active flag (admins)."""
        user = services.update_user(user=queries.get_user(user_id=user_id), by=g.user, **data)
        db.session.commit()
        return user
