"""The public verification page printed as a QR code on every document: what the paper should show,
and an amber notice with a link when it is an older version.

A dispatch report's QR, opened by a logged-in user of the receiving city while the dispatch is on its
way, also offers that dispatch's receipt form (scan to receive); everyone else sees the verification.
"""

from collections.abc import Callable

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from health_responder.auth.models import User
from health_responder.documents import queries
from health_responder.documents.models import Document

bp = Blueprint("verify", __name__, template_folder="templates")
#: What a logged-in reader may do from a verified document, added by the feature that issued it (the
#: documents feature knows no issuer): ``offer(document, user)`` → a rendered section, or None.
OFFERS: list[Callable[[Document, User], Markup | None]] = []

#: Each kind of document in words.
KINDS = {
    "dispatch_report": _l("Dispatch report"),
    "pick_list": _l("Pick list"),
    "dispatch_summary": _l("Dispatch summary"),
    "certificate": _l("Training certificate"),
    "lot_label": _l("Lot label"),
    "dispatch_labels": _l("Dispatch labels"),
    "statistics_report": _l("Statistics report"),
}
#: The parties a document names, and its totals.
ROLES = {
    "from": _l("From"),
    "to": _l("To"),
    "participant": _l("Participant"),
    "city": _l("City"),
    "provider": _l("Provider"),
}
TOTALS = {"units": _l("Units shipped"), "accepted": _l("Units accepted"), "rejected": _l("Units rejected")}


@bp.get("/verify/<code>")
def verify(code: str):
    """Genuine and current, genuine but superseded (with a link to the current one), genuine but expired
    (an ad-hoc document past its retention), or unknown (404).
    """
    document = queries.by_code(code=code[:32])
    if document is None:
        return render_template("documents/verify.html", facts=None), 404
    offers = []
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        offers = [section for offer in OFFERS if (section := offer(document, user)) is not None]
    return render_template(
        "documents/verify.html",
        facts=queries.facts_of(document=document),
        kinds=KINDS,
        roles=ROLES,
        totals=TOTALS,
        offers=offers,
    )
