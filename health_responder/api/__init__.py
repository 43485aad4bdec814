"""The JSON API frame: flask-smorest, its OpenAPI document, and the offline docs page.

flask-smorest would register its own HTTP error handler on the whole app (turning HTML pages'
errors into JSON); ours in errors.py serves both, so the Api's is switched off.
"""

from __future__ import annotations

from pathlib import Path

import marshmallow as ma
import swagger_ui_bundle
from flask import Blueprint, Flask, current_app, render_template, send_from_directory
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.routing import IntegerConverter


class ArgumentsParser(FlaskParser):
    """webargs' Flask parser, with one instance of each argument schema for all requests.

    Given a schema class, webargs builds an instance on every request, and marshmallow deep-copies
    every declared field for each one (a fifth of a millisecond for the request list). A schema
    instance keeps nothing between loads, so one per class serves every request and thread.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._instances: dict[type, ma.Schema] = {}

    def _get_schema(self, argmap, req) -> ma.Schema:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            found = self._instances.get(argmap)
            return found if found is not None else self._instances.setdefault(argmap, argmap())
        return super()._get_schema(argmap, req)


# Set before any feature declares its routes (they import this package first, and create_app imports
# the features after it): each route binds the parser when it is declared.
_Blueprint.ARGUMENTS_PARSER = ArgumentsParser()
# Unknown query parameters are an error like unknown body fields: a misspelt filter must not be
# silently ignored (the schemas' Meta.unknown = RAISE then applies to the query string too).
for _location in ("query", "querystring"):
    _Blueprint.ARGUMENTS_PARSER.DEFAULT_UNKNOWN_BY_LOCATION[_location] = None


class BoundedInt(IntegerConverter):
    """``<int:…>`` in URLs stops at the largest id a database column holds: beyond it is simply 404."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


class Api(_Api):
    """flask-smorest's Api without its app-wide error handler (errors.py has the one handler)."""

    def _register_error_handlers(self):
        pass


api = Api(
    spec_kwargs={
        "info": {
            "description": "Assistance desk of an international association of smart cities. "
            "Authenticate with `Authorization: Bearer <token>` from POST /api/v1/auth/tokens."
        },
    }
)

docs = Blueprint("api_docs", __name__, url_prefix="/api/v1", template_folder="templates")
_SWAGGER = Path(swagger_ui_bundle.swagger_ui_path)


@docs.get("/docs")
def docs_page():
    """Swagger UI, with every asset served by this application (works offline and under our CSP)."""
    return render_template(
        "api_docs.html", spec_url=current_app.config["OPENAPI_URL_PREFIX"] + "/openapi.json"
    )


@docs.get("/docs/assets/<path:filename>")
def docs_asset(filename: str):
    """swagger-ui-bundle's files, shipped in the Python package."""
    return send_from_directory(_SWAGGER, filename, max_age=86400)


def register_api(app: Flask) -> None:
    """Bind the Api and register each feature's blueprint under /api/v1."""
    from health_responder import features
    from health_responder.api import common  # noqa: F401  (schemas shared in the spec)
    from health_responder.extensions import csrf

    app.url_map.converters["int"] = BoundedInt
    api.init_app(app)
    api.register_converter(
        BoundedInt, lambda converter: {"type": "integer", "minimum": 0, "maximum": converter.max}
    )
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.schema("ApiError", schema=common.ErrorSchema)
    api.spec.components.response(
        "Error",
        {
            "description": "An error, in the one error shape.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}},
        },
    )
    for blueprint in (m.blp for m in features.present(features.API)):
        api.register_blueprint(blueprint, url_prefix="/api/v1" + (blueprint.url_prefix or ""))
        csrf.exempt(blueprint)  # the API authenticates by bearer token, never by cookie
    app.register_blueprint(docs)
