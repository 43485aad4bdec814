"""A provider's public page (the directory and the scorecards are in scorecards/)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, render_template

from health_responder.providers import queries
from health_responder.web.context import TENANTS
from health_responder.web.guards import public
from health_responder.web.i18n import ZONE_OF

bp = Blueprint("provider_pages", __name__, template_folder="templates")
#: A provider user reads times in the zone of the provider's first location unless they chose one.
ZONE_OF["provider"] = queries.provider_timezone
#: Sections other features add to a provider's public page: name → load(provider_id=…). Training adds
#: the provider's programs (training imports providers, so providers cannot import training).
PUBLIC_SECTIONS: dict[str, Callable[..., object]] = {}


@bp.get("/providers/<int:provider_id>")
@public
def provider(provider_id: int):
    """One provider for everyone: description, networks, equipment categories with their availability
    level (in stock, low, out; never a quantity), its training programs; no contact.
    """
    entry = queries.directory_entry(provider_id=provider_id)
    entry |= {name: load(provider_id=provider_id) for name, load in PUBLIC_SECTIONS.items()}
    return render_template("providers/provider.html", provider=entry)


TENANTS.append(lambda user: queries.provider(provider_id=user.provider_id))
