"""GET /healthz: the process answers and the database is reachable."""

import sqlalchemy as sa
from flask import Blueprint, jsonify

from health_responder.errors import envelope
from health_responder.extensions import db

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    """200 with the database dialect when a query goes through; 503 otherwise."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return envelope(503, "The database is unreachable.")
    return jsonify({"status": "ok", "database": db.dialect})
