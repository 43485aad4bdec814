"""Forms of the stock pages: the lot filter, receiving, adjusting and the CSV import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from health_responder.forms import PageForm, optional_int


class FilterForm(PageForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = StringField(_l("Lot code"))
    item_id = SelectField(_l("Item"), coerce=optional_int, validate_choice=False)
    provider_id = SelectField(_l("Provider"), coerce=optional_int, validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)
    expiring = BooleanField(_l("Only lots expired or near expiry"))


class ReceiveForm(PageForm):
    #: A scanned GS1 barcode, in place of item, lot code and expiry date.
    gs1 = StringField(_l("Scan the GS1 barcode (or choose the item and type the lot below)"))
    item_id = SelectField(_l("Item"), coerce=optional_int, validate_choice=False)
    location_id = SelectField(_l("Location"), coerce=optional_int, validate_choice=False)
    lot_code = StringField(_l("Lot code"))
    expires_on = DateField(_l("Expires on (leave empty if it does not expire)"), validators=[Optional()])
    quantity = IntegerField(_l("Quantity"), validators=[Optional()])
    note = TextAreaField(_l("Note (optional)"))


class AdjustForm(PageForm):
    delta = IntegerField(_l("Change in units (negative removes)"), validators=[Optional()])
    reason = SelectField(_l("Reason"), validate_choice=False)
    note = TextAreaField(_l("Note (optional)"))


class ImportForm(PageForm):
    provider_id = SelectField(_l("Provider"), coerce=optional_int, validate_choice=False)
    file = FileField(_l("CSV file"))
    dry_run = BooleanField(_l("Check only (dry run): write nothing"), default=True)


class ImportConfirmForm(PageForm):
    """The "import these rows" button: the token of the file the dry run kept."""

    token = HiddenField()


class LotStatusForm(PageForm):
    #: The status to move to; only those the lot's current status allows are offered.
    status = SelectField(_l("Action"), validate_choice=False)
    note = TextAreaField(_l("Reason (kept in the audit trail)"))
