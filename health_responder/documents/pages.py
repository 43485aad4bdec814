"""The public verification page printed as a QR code on every document: what the paper should show,
and an amber notice with a link when it is an older version.

A dispatch report's QR, opened by a logged-in user of the receiving city while the dispatch is on its
way, also offers that dispatch's receipt form (scan to receive); everyone else sees the verification.
"""

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from health_responder.dispatch import queries as dispatches
from health_responder.documents import queries

bp = Blueprint("verify", __name__, template_folder="templates")

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
    """Genuine and current, genuine but superseded (with a link to the current one), or unknown (404)."""
    document = queries.by_code(code=code[:32])
    if document is None:
        return render_template("documents/verify.html", facts=None), 404
    to_receive = None
    if current_user.is_authenticated:
        to_receive = dispatches.receivable_from_document(
            kind=document.kind,
            subject_type=document.subject_type,
            subject_key=document.subject_key,
            user=current_user._get_current_object(),
        )
    return render_template(
        "documents/verify.html",
        facts=queries.facts_of(document=document),
        kinds=KINDS,
        roles=ROLES,
        totals=TOTALS,
        to_receive=to_receive,
    )
