"""The city profile form (the city's own users)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import Optional


class CityProfileForm(FlaskForm):
    population = IntegerField(_l("Population"), validators=[Optional()])
    health_system_summary = TextAreaField(_l("Health system"))
