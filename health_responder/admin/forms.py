"""WTForms of the administrator's pages; the API's schemas judge the values (web.forms.attempt)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)

from health_responder.forms import PageForm

ROLE_CHOICES = [
    ("city", _l("City")),
    ("provider", _l("Provider")),
    ("coordinator", _l("Coordinator")),
    ("admin", _l("Administrator")),
]


KIND_CHOICES = [
    ("manufacturer", _l("Manufacturer")),
    ("distributor", _l("Distributor")),
    ("ngo", _l("NGO")),
    ("other", _l("Other")),
]


class UserCreateForm(PageForm):
    email = EmailField(_l("Email"))
    name = StringField(lazy_pgettext("person", "Name"))
    role = SelectField(_l("Role"), choices=[])
    city_id = SelectField(_l("City (for city users)"), choices=[])
    provider_id = SelectField(_l("Provider (for provider users)"), choices=[])
    locale = SelectField(_l("Language"), choices=[])
    password = PasswordField(_l("First password"))


class PasswordResetForm(PageForm):
    password = PasswordField(_l("New password"))


class NetworkForm(PageForm):
    code = StringField(_l("Code"))
    name = StringField(_l("Name"))


class TopicForm(PageForm):
    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    name_ko = StringField(_l("Name in Korean (optional)"))


class CityForm(PageForm):
    name = StringField(_l("Name"))
    country = StringField(_l("Country"))
    network_id = SelectField(_l("Network"), choices=[])
    timezone = StringField(_l("Time zone"))
    #: Choices are the configured languages (set by the page).
    language = SelectField(_l("Language of its documents and messages"), choices=[], validate_choice=False)
    delivery_address = TextAreaField(_l("Delivery address"))
    contact_name = StringField(_l("Contact"))
    contact_email = EmailField(_l("Email"))
    contact_phone = StringField(_l("Phone"))


class ItemForm(PageForm):
    code = StringField(_l("Code"))
    name = StringField(_l("Name"))
    name_ko = StringField(_l("Name in Korean (optional)"))
    category = StringField(_l("Category"))
    unit = StringField(_l("Unit"))
    requires_cold_chain = BooleanField(_l("Needs the cold chain"))
    requires_training = SelectField(_l("Training needed"), choices=[])
    gtin = StringField(_l("GTIN"))
    description = TextAreaField(_l("Description"))
    active = BooleanField(_l("In the catalogue"), default=True)


class ProviderForm(PageForm):
    name = StringField(_l("Name"))
    country = StringField(_l("Country"))
    kind = SelectField(_l("Kind"), choices=[])
    contact_name = StringField(_l("Contact"))
    contact_email = EmailField(_l("Email"))
    contact_phone = StringField(_l("Phone"))
    description = TextAreaField(_l("Description"))
    network_ids = SelectMultipleField(_l("Networks served first"), choices=[], coerce=int)


class LocationForm(PageForm):
    name = StringField(_l("Name"))
    address = TextAreaField(_l("Address"))
    country = StringField(_l("Country"))
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False)
    active = BooleanField(_l("In use"), default=True)
