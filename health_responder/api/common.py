"""Pieces every API feature shares: the one list shape, paging arguments, ordering whitelists."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates


class StrictSchema(Schema):
    """Base of every input schema: unknown fields are an error, named in ``errors``."""

    class Meta:
        unknown = RAISE


class ErrorSchema(Schema):
    """The one shape of every API error."""

    code = fields.Integer(required=True)
    status = fields.String(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(required=True, metadata={"description": "Messages per field."})


class PageArgsSchema(StrictSchema):
    """``page`` (from 1), ``page_size`` (1..100) and ``order_by`` (a whitelisted field, ``-`` for descending)."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    order_by = fields.String(load_default=None, validate=validate.Length(max=40))

    #: Fields a list may be ordered by; subclasses name theirs.
    ORDERABLE: tuple[str, ...] = ("id",)

    @validates("order_by")
    def _known_order(self, value: str | None, **_kwargs) -> None:
        if value is not None and value.lstrip("-") not in self.ORDERABLE:
            raise ValidationError(f"Order by one of: {', '.join(self.ORDERABLE)} (prefix '-' for descending).")


_page_schemas: dict[str, type[Schema]] = {}


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The list shape for ``item_schema``: ``{items, page, page_size, total, pages}``."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name not in _page_schemas:
        _page_schemas[name] = type(name, (Schema,), {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "page": fields.Integer(required=True),
            "page_size": fields.Integer(required=True),
            "total": fields.Integer(required=True),
            "pages": fields.Integer(required=True),
        })
    return _page_schemas[name]


def paginate(session, statement: sa.Select, args: dict, columns: dict[str, Any],
             default_order: tuple = ()) -> dict:
    """Run ``statement`` for one page. ``columns`` maps each orderable name to its column.

    The id is always the last sort key, so pages never overlap or skip rows.
    """
    page, size = args.get("page", 1), min(args.get("page_size", 20), current_app.config["MAX_PAGE_SIZE"])
    order = args.get("order_by")
    keys = []
    if order:
        column = columns[order.lstrip("-")]
        keys.append(column.desc() if order.startswith("-") else column.asc())
    keys.extend(default_order)
    id_column = columns.get("id")
    if id_column is not None:
        keys.append(id_column.desc() if order == "-id" else id_column.asc())
    total = session.scalar(sa.select(sa.func.count()).select_from(statement.order_by(None).subquery()))
    rows = session.scalars(statement.order_by(*keys).limit(size).offset((page - 1) * size)).all()
    return {"items": rows, "page": page, "page_size": size, "total": total,
            "pages": (total + size - 1) // size if total else 0}
