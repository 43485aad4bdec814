"""The public directory of providers with each one's twelve-month figures, and a provider's scorecard."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from health_responder.auth.models import Role
from health_responder.errors import ValidationFailed
from health_responder.providers import queries
from health_responder.scorecards import queries as scores
from health_responder.scorecards.forms import ScorecardPeriodForm
from health_responder.web.context import NAV
from health_responder.web.forms import show_errors
from health_responder.web.guards import STAFF, me, public, roles

bp = Blueprint("scorecard_pages", __name__, template_folder="templates")
for _role in (Role.PROVIDER, *STAFF):
    NAV[_role] += [(_l("Providers"), "scorecard_pages.directory")]


@bp.get("/providers")
@bp.get("/providers/")
@public
def directory():
    """Every provider with its fill and on-time rates over the last twelve months; open to visitors."""
    page = queries.list_providers(
        args={"page": max(1, request.args.get("page", 1, type=int) or 1), "page_size": 50}
    )
    providers = [queries.get_provider(provider_id=row["id"]) for row in page["items"]]
    return render_template(
        "scorecards/directory.html",
        page=page,
        rows=[
            (p, figures)
            for p, figures in zip(
                providers, scores.directory_summary(providers=providers).values(), strict=True
            )
        ],
        period=scores.default_period(),
    )


@bp.get("/providers/<int:provider_id>/scorecard")
@roles(Role.PROVIDER, *STAFF)
def card(provider_id: int):
    """A provider's scorecard month by month (a provider its own; coordinators and admins every one)."""
    provider = scores.scorecard_provider(provider_id=provider_id, user=me())
    form = ScorecardPeriodForm(request.args)
    status, card = 200, None
    if form.validate():
        try:
            card = scores.scorecard(
                provider=provider, period_from=form.period_from.data, period_to=form.period_to.data
            )
        except ValidationFailed as error:
            show_errors(form, error.errors, {"to": "period_to", "from": "period_from"})
            status = 422
    else:
        status = 422
    if card is None:
        card = scores.scorecard(provider=provider)
    return render_template("scorecards/scorecard.html", provider=provider, form=form, card=card), status
