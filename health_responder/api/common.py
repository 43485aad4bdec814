"""Pieces of the API frame every feature's ``api.py`` shares: the one error shape and the list shape.

The schema bases (``StrictSchema``, ``PageArgsSchema``) live in ``health_responder.schemas`` and
``paginate`` in ``health_responder.db``, so that features need not import the API frame.
"""

from __future__ import annotations

from marshmallow import Schema, fields


class ErrorSchema(Schema):
    """The one shape of every API error."""

    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(required=True, metadata={"description": "Messages per field."})


_page_schemas: dict[str, type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The list shape for ``item_schema``: ``{items, page, page_size, total, pages}``."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = type(
            name,
            (Schema,),
            {
                "items": fields.List(fields.Nested(item_schema), required=True),
                "page": fields.Integer(required=True),
                "page_size": fields.Integer(required=True),
                "total": fields.Integer(required=True),
                "pages": fields.Integer(required=True),
            },
        )
    return _page_schemas[name]
