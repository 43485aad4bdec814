"""The public verification page printed as a QR code on every document.

A dispatch report's QR, opened by a logged-in user of the receiving city while the dispatch is on its
way, also offers that dispatch's receipt form (scan to receive); everyone else sees the verification.
"""

from flask import Blueprint, render_template
from flask_login import current_user

from health_responder.dispatch import queries as dispatches
from health_responder.documents import services
from health_responder.errors import NotFound

bp = Blueprint("verify", __name__, template_folder="templates")


@bp.get("/verify/<code>")
def verify(code: str):
    """Genuine and current, genuine but superseded, or unknown (404)."""
    try:
        result = services.verify(code[:32])
    except NotFound:
        return render_template("documents/verify.html", result=None), 404
    to_receive = None
    if current_user.is_authenticated:
        to_receive = dispatches.receivable_from_document(
            kind=result["kind"],
            subject_type=result["subject_type"],
            subject_key=result["subject_key"],
            user=current_user._get_current_object(),
        )
    return render_template("documents/verify.html", result=result, to_receive=to_receive)
