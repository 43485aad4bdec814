"""The Knowledge Hub's pages: the hub's front page and the member city profiles (public), and the
form with which a city's own users describe their health system.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from health_responder.auth.models import Role
from health_responder.hub import queries, services
from health_responder.hub.forms import CityProfileForm
from health_responder.hub.schemas import CityProfileUpdateSchema
from health_responder.materials import queries as materials
from health_responder.reference import queries as reference
from health_responder.training import queries as training
from health_responder.web.context import TENANTS, register_home
from health_responder.web.forms import attempt, commit, load
from health_responder.web.guards import me, member, public, roles

bp = Blueprint("hub", __name__, template_folder="templates", url_prefix="/hub")
register_home("webinars", lambda: training.upcoming_public(limit=4, mode="webinar"))


def _may_edit(city_id: int) -> bool:
    user = member()
    return user is not None and (
        user.role == Role.ADMIN or (user.role == Role.CITY and user.city_id == city_id)
    )


@bp.get("/")
@public
def index():
    """The hub: member cities by network, webinars to come and recorded, and the material."""
    return render_template(
        "hub/index.html",
        cities=queries.cities_by_network(),
        webinars=training.upcoming_public(limit=10, mode="webinar"),
        recordings=training.recordings(limit=10),
        materials=materials.recent(limit=5),
    )


@bp.get("/cities/<int:city_id>")
@public
def city(city_id: int):
    """A city's profile; its contact for members only."""
    found = queries.profile(city_id=city_id, member=member() is not None)
    return render_template(
        "hub/city.html", city=found, may_edit=_may_edit(city_id), topic_names=reference.topic_names()
    )


@bp.route("/cities/<int:city_id>/edit", methods=["GET", "POST"])
@roles(Role.CITY, Role.ADMIN)
def edit_city(city_id: int):
    """The city's own users (or an admin) change its population and health-system summary."""
    found = queries.profile(city_id=city_id, member=True)
    form = CityProfileForm(data=found)
    if request.method == "GET":
        return render_template("hub/edit_city.html", form=form, city=found)
    if not form.validate_on_submit():
        return render_template("hub/edit_city.html", form=form, city=found), 422
    payload = {
        "population": form.population.data,
        "health_system_summary": (form.health_system_summary.data or "").strip() or None,
    }

    def run():
        services.update_profile(
            city=queries.get_city(city_id=city_id), by=me(), **load(CityProfileUpdateSchema, payload)
        )
        return commit(True)

    done, status = attempt(form, run)
    if not done:
        return render_template("hub/edit_city.html", form=form, city=found), status
    flash(_("The profile of %(name)s is saved.", name=found["name"]), "success")
    return redirect(url_for(".city", city_id=city_id))


TENANTS.append(lambda user: reference.city(city_id=user.city_id))
