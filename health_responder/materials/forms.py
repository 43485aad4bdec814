"""The knowledge hub's page forms: types only; every rule is the API schema's and the service's."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import SearchField, SelectField, StringField, TextAreaField, URLField

from health_responder.forms import PageForm


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class MaterialFilterForm(PageForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = SearchField(_l("Search"))
    topic = SelectField(_l("Topic"), validate_choice=False)
    language = SelectField(_l("Language"), validate_choice=False)


class LinkMaterialForm(PageForm):
    provider_id = SelectField(_l("Published by"), coerce=_optional_int, validate_choice=False)
    title = StringField(_l("Title"))
    topic = SelectField(_l("Topic"), validate_choice=False)
    language = StringField(_l("Language"), default="en")
    description = TextAreaField(_l("Description (optional)"))
    url = URLField(_l("Address (URL)"))


class PdfMaterialForm(PageForm):
    provider_id = SelectField(_l("Published by"), coerce=_optional_int, validate_choice=False)
    title = StringField(_l("Title"))
    topic = SelectField(_l("Topic"), validate_choice=False)
    language = StringField(_l("Language"), default="en")
    description = TextAreaField(_l("Description (optional)"))
    file = FileField(_l("PDF file"))


class MaterialEditForm(PageForm):
    """A material's own fields; ``url`` only for a link (the page leaves it out for a PDF)."""

    title = StringField(_l("Title"))
    topic = SelectField(_l("Topic"), validate_choice=False)
    language = StringField(_l("Language"))
    description = TextAreaField(_l("Description (optional)"))
    url = URLField(_l("Address (URL)"))


class MaterialVersionForm(PageForm):
    file = FileField(_l("New PDF file"))
