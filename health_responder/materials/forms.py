"""The knowledge hub's page forms: types only; every rule is the API schema's and the service's."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField, URLField


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class MaterialFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    topic = SelectField(_l("Topic"), validate_choice=False)
    language = SelectField(_l("Language"), validate_choice=False)


class LinkMaterialForm(FlaskForm):
    provider_id = SelectField(_l("Published by"), coerce=_optional_int, validate_choice=False)
    title = StringField(_l("Title"))
    topic = SelectField(_l("Topic"), validate_choice=False)
    language = StringField(_l("Language"), default="en")
    description = TextAreaField(_l("Description (optional)"))
    url = URLField(_l("Address (URL)"))


class PdfMaterialForm(FlaskForm):
    provider_id = SelectField(_l("Published by"), coerce=_optional_int, validate_choice=False)
    title = StringField(_l("Title"))
    topic = SelectField(_l("Topic"), validate_choice=False)
    language = StringField(_l("Language"), default="en")
    description = TextAreaField(_l("Description (optional)"))
    file = FileField(_l("PDF file"))
