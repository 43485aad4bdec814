"""WTForms of the profile page: name and language, password change, a new API token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from wtforms import PasswordField, SelectField, StringField

from health_responder.forms import PageForm


class ProfileForm(PageForm):
    name = StringField(lazy_pgettext("person", "Name"))
    locale = SelectField(_l("Language"), choices=[])
    #: Empty: the default zone of the user's city or provider.
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False)


class PasswordChangeForm(PageForm):
    old_password = PasswordField(_l("Current password"))
    new_password = PasswordField(_l("New password"))


class TokenForm(PageForm):
    name = StringField(_l("Token name"))
