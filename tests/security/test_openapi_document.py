"""Item 17 of the attack review: the served OpenAPI document is valid, so generated clients work."""

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError


def test_the_served_openapi_document_validates(client):
    document = client.get("/api/v1/openapi.json").json
    try:
        validate(document)
    except OpenAPIValidationError as error:  # name the offending path, not only "invalid"
        raise AssertionError(f"{error.message} at {list(error.absolute_path)}") from None
    pdf_answers = [
        answer
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict)
        for answer in operation.get("responses", {}).values()
        if "application/pdf" in answer.get("content", {})
    ]
    assert len(pdf_answers) >= 3 and all(answer.get("description") for answer in pdf_answers)
