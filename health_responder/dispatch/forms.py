"""Forms of the dispatch pages: prepare, ship, cancel, the receipt per line, and the summary's period."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from health_responder.forms import PageForm


class PrepareForm(PageForm):
    request_id = HiddenField()
    location_id = HiddenField()
    provider_id = HiddenField()


class ShipForm(PageForm):
    carrier = StringField(_l("Carrier"))
    tracking_number = StringField(_l("Tracking number"))
    packages = IntegerField(_l("Packages"), validators=[Optional()])


class CancelForm(PageForm):
    reason = TextAreaField(_l("Reason (optional)"))


class PickCheckForm(PageForm):
    #: A lot label's GS1 element string, as a scanner types it.
    scan = StringField(_l("Scan a lot label"))


class ReceiptLineForm(Form):
    line_id = HiddenField()
    #: "1" once a scan of the line's lot filled it (kept from post to post).
    scanned = HiddenField()
    accepted = IntegerField(_l("Accepted"), validators=[Optional()])
    rejected = IntegerField(_l("Rejected"), validators=[Optional()])
    reason = SelectField(_l("Reason for rejected units"), validate_choice=False)
    note = StringField(_l("Note"))


class ReceiptForm(PageForm):
    #: A lot label scanned to find and fill its line (read by the scan's own button, never by the receipt).
    scan = StringField(_l("Scan a lot label to fill its line"))
    lines = FieldList(FormField(ReceiptLineForm))
    received_by = StringField(_l("Received by"))
