"""Provider pages: the public directory with each provider's twelve-month summary, and the scorecard."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from health_responder.auth.models import Role
from health_responder.db import utc_today
from health_responder.errors import ValidationFailed
from health_responder.providers import queries, scorecard
from health_responder.providers.forms import ScorecardPeriodForm
from health_responder.web.context import NAV
from health_responder.web.forms import show_errors
from health_responder.web.guards import STAFF, me, public, roles

bp = Blueprint("provider_pages", __name__, template_folder="templates")
#: Sections other features add to a provider's public page: name → load(provider_id). Training adds
#: the provider's programs (training imports providers, so providers cannot import training).
PUBLIC_SECTIONS: dict[str, Callable[[int], object]] = {}
for _role in (Role.PROVIDER, *STAFF):
    NAV[_role] += [(_l("Providers"), "provider_pages.directory")]


@bp.get("/providers")
@bp.get("/providers/")
@public
def directory():
    """Every provider with its fill and on-time rates over the last twelve months; open to visitors."""
    page = queries.list_providers(
        {"page": max(1, request.args.get("page", 1, type=int) or 1), "page_size": 50}
    )
    providers = [queries.get_provider(row["id"]) for row in page["items"]]
    return render_template(
        "providers/directory.html",
        page=page,
        rows=[
            (p, figures)
            for p, figures in zip(providers, scorecard.directory_summary(providers).values(), strict=True)
        ],
        period=scorecard.default_period(),
    )


@bp.get("/providers/<int:provider_id>")
@public
def provider(provider_id: int):
    """One provider for everyone: description, networks, equipment categories with their availability
    level (in stock, low, out; never a quantity), its training programs; no contact."""
    entry = queries.directory_entry(
        provider_id, today=utc_today(), threshold=current_app.config["LOW_STOCK_THRESHOLD"]
    )
    entry |= {name: load(provider_id) for name, load in PUBLIC_SECTIONS.items()}
    return render_template("providers/provider.html", provider=entry)


@bp.get("/providers/<int:provider_id>/scorecard")
@roles(Role.PROVIDER, *STAFF)
def card(provider_id: int):
    """A provider's scorecard month by month (a provider its own; coordinators and admins every one)."""
    provider = scorecard.scorecard_provider(provider_id, me())
    form = ScorecardPeriodForm(request.args)
    status, card = 200, None
    if form.validate():
        try:
            card = scorecard.scorecard(provider, form.period_from.data, form.period_to.data)
        except ValidationFailed as error:
            show_errors(form, error.errors, {"to": "period_to", "from": "period_from"})
            status = 422
    else:
        status = 422
    if card is None:
        card = scorecard.scorecard(provider)
    return render_template("providers/scorecard.html", provider=provider, form=form, card=card), status
