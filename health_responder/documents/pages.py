"""The public verification page printed as a QR code on every document."""

from flask import Blueprint, render_template

from health_responder.documents import services
from health_responder.errors import NotFound

bp = Blueprint("verify", __name__, template_folder="templates")


@bp.get("/verify/<code>")
def verify(code: str):
    """Genuine and current, genuine but superseded, or unknown (404)."""
    try:
        return render_template("documents/verify.html", result=services.verify(code[:32]))
    except NotFound:
        return render_template("documents/verify.html", result=None), 404
