"""Report arguments."""

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, validates_schema

from health_responder.documents.schemas import language_field
from health_responder.schemas import StrictSchema


class SummaryArgsSchema(StrictSchema):
    period_from = fields.Date(
        required=True, data_key="from", metadata={"description": "First day, YYYY-MM-DD."}
    )
    period_to = fields.Date(required=True, data_key="to", metadata={"description": "Last day, YYYY-MM-DD."})

    @validates_schema
    def _order(self, data, **_kwargs):
        if "period_from" in data and "period_to" in data and data["period_to"] < data["period_from"]:
            raise ValidationError([_l("Must be on or after 'from'.")], "to")

    lang = language_field("the language of whoever asks")
