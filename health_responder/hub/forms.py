"""The city profile form (the city's own users)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, TextAreaField
from wtforms.validators import Optional

from health_responder.forms import PageForm


class CityProfileForm(PageForm):
    population = IntegerField(_l("Population"), validators=[Optional()])
    health_system_summary = TextAreaField(_l("Health system"))
