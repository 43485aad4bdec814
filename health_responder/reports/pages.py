"""The printed documents on the pages: a dispatch's report and pick list, and the dispatch summary."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from health_responder import languages
from health_responder.auth.models import Role
from health_responder.dispatch import queries as dispatches
from health_responder.documents.responses import pdf_response
from health_responder.errors import NotFound
from health_responder.extensions import db
from health_responder.reports import services as reports
from health_responder.reports.forms import SummaryForm
from health_responder.reports.schemas import SummaryArgsSchema
from health_responder.web.context import LANGUAGE_NAMES, NAV
from health_responder.web.forms import attempt, commit, load
from health_responder.web.guards import STAFF, me, roles
from health_responder.web.i18n import zone_of_user

bp = Blueprint("report_pages", __name__, template_folder="templates")
for _role in (Role.PROVIDER, *STAFF):
    NAV[_role] += [(_l("Reports"), "report_pages.summary")]


# --- the dispatch documents ------------------------------------------------------------------------------------


@bp.get("/dispatches/<int:dispatch_id>/report.pdf")
@roles()
def report(dispatch_id: int):
    """The dispatch report PDF (registered and verifiable)."""
    db.begin_write()
    document, content = reports.dispatch_report(
        dispatch=dispatches.get_dispatch(dispatch_id=dispatch_id, user=me()),
        by=me(),
        language=request.args.get("lang"),
    )
    commit()
    return pdf_response(document, content)


@bp.get("/dispatches/<int:dispatch_id>/pick-list.pdf")
@roles(Role.PROVIDER, *STAFF)
def pick_list(dispatch_id: int):
    """The pick list PDF for the warehouse."""
    db.begin_write()
    document, content = reports.pick_list(
        dispatch=dispatches.get_dispatch(dispatch_id=dispatch_id, user=me()),
        by=me(),
        language=request.args.get("lang"),
    )
    commit()
    return pdf_response(document, content)


@bp.get("/reports/dispatch-summary")
@roles(Role.PROVIDER, *STAFF)
def summary():
    """Choose a period and print its dispatch summary (a provider gets its own)."""
    form = SummaryForm(request.args)
    form.lang.choices = [
        ("", _l("My language")),
        *((c, LANGUAGE_NAMES.get(c, c)) for c in languages.offered()),
    ]
    if not request.args:
        return render_template("reports/summary.html", form=form)
    payload = {
        key: value.isoformat()
        for key, value in (("from", form.period_from.data), ("to", form.period_to.data))
        if value is not None
    }
    status = 422
    if form.validate():
        user = me()
        provider_id = user.provider_id if user.role == Role.PROVIDER else None
        if user.role == Role.PROVIDER and provider_id is None:
            raise NotFound(_l("No provider."))

        def run():
            args = load(SummaryArgsSchema, payload)
            db.begin_write()
            document, content = reports.dispatch_summary(
                by=user,
                provider_id=provider_id,
                zone=zone_of_user(user),
                language=form.lang.data or None,
                **args,
            )
            return commit(pdf_response(document, content))

        response, status = attempt(form, run, {"from": "period_from", "to": "period_to", "lang": "lang"})
        if response is not None:
            return response
    return render_template("reports/summary.html", form=form), status
