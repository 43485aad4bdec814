"""Allocation schemas, by direction: AllocationCreateSchema loads, AllocationSchema and SuggestionSchema dump."""

from marshmallow import Schema, fields, validate

from health_responder.allocation.models import AllocationStatus
from health_responder.health_requests.schemas import MAX_QUANTITY
from health_responder.schemas import StrictSchema


class AllocationCreateSchema(StrictSchema):
    line_id = fields.Integer(required=True, strict=True)
    lot_id = fields.Integer(required=True, strict=True)
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    rationale = fields.String(
        validate=validate.Length(max=5000),
        metadata={"description": "Why this lot; a generated explanation when left out."},
    )


class AllocationSchema(Schema):
    id = fields.Integer()
    request_id = fields.Integer()
    line_id = fields.Integer()
    lot_id = fields.Integer()
    provider_id = fields.Integer()
    quantity = fields.Integer()
    status = fields.String(metadata={"description": ", ".join(AllocationStatus)})
    rationale = fields.String()
    created_by_id = fields.Integer(allow_none=True)
    job_run_id = fields.Integer(allow_none=True)
    dispatch_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    released_at = fields.DateTime(allow_none=True)


class AllocationListArgsSchema(StrictSchema):
    status = fields.String(validate=validate.OneOf(list(AllocationStatus)))


class SuggestionSchema(Schema):
    lot_id = fields.Integer()
    lot_code = fields.String()
    item_id = fields.Integer()
    provider_id = fields.Integer()
    provider_name = fields.String()
    location_id = fields.Integer()
    expires_on = fields.Date(allow_none=True)
    available = fields.Integer()
    serves_network = fields.Boolean()
    suggested_quantity = fields.Integer(metadata={"description": "min(available, still to allocate)."})
    rationale = fields.String()


class WhyNoneLotSchema(Schema):
    lot_id = fields.Integer()
    lot_code = fields.String()
    provider_id = fields.Integer()
    status = fields.String()
    expires_on = fields.Date(allow_none=True)
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()
    why = fields.String(
        metadata={"description": "reserved, expires_before_needed_by, quarantined or recalled."}
    )


class WhyNoneSchema(Schema):
    line_id = fields.Integer()
    item_id = fields.Integer()
    remainder = fields.Integer(metadata={"description": "Units still to allocate on the line."})
    usable_lots = fields.Integer(metadata={"description": "Lots the suggestions list (0: see reasons)."})
    reasons = fields.List(
        fields.String(),
        metadata={
            "description": "Why nothing is suggested: nothing_owed, no_stock, all_reserved, "
            "expires_before_needed_by, quarantined_or_recalled (empty when lots are usable)."
        },
    )
    messages = fields.List(
        fields.String(), metadata={"description": "The reasons in words, in the caller's language."}
    )
    lots = fields.List(
        fields.Nested(WhyNoneLotSchema), metadata={"description": "The lots behind the reasons."}
    )


class ReleaseSchema(StrictSchema):
    reason = fields.String(validate=validate.Length(max=5000))


class RedistributionLotSchema(Schema):
    id = fields.Integer()
    lot_code = fields.String()
    item_id = fields.Integer()
    item_code = fields.String()
    item_name = fields.String()
    provider_id = fields.Integer()
    provider_name = fields.String()
    status = fields.String()
    expires_on = fields.Date(allow_none=True)
    available = fields.Integer()


class RedistributionCandidateSchema(Schema):
    request_id = fields.Integer()
    reference = fields.String()
    city_id = fields.Integer()
    city = fields.String()
    network = fields.String(allow_none=True)
    priority = fields.String()
    needed_by = fields.Date()
    line_id = fields.Integer()
    still_needed = fields.Integer(metadata={"description": "Units the line still waits for."})
    suggested_quantity = fields.Integer(metadata={"description": "min(the lot's free units, still needed)."})
    serves_network = fields.Boolean(metadata={"description": "The lot's provider serves the city's network."})
    rationale = fields.String()


class RedistributionSchema(Schema):
    alert_id = fields.Integer()
    alert_status = fields.String()
    lot = fields.Nested(RedistributionLotSchema)
    total = fields.Integer(
        metadata={"description": "Open request lines anywhere the lot could serve before it expires."}
    )
    hidden = fields.Integer(
        metadata={"description": "Of those, lines of requests the caller may not see (a provider's view)."}
    )
    candidates = fields.List(
        fields.Nested(RedistributionCandidateSchema),
        metadata={"description": "Most urgent first: priority, needed-by, submission (at most 50)."},
    )


class RedistributeSchema(StrictSchema):
    line_id = fields.Integer(required=True, strict=True)
    quantity = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_QUANTITY),
        metadata={"description": "Default: what the lot can give of what the line still needs."},
    )
