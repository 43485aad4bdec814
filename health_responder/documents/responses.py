"""How every route answers a registered document: one PDF response, the same headers everywhere."""

from __future__ import annotations

from flask import Response

from health_responder.documents.models import Document


def pdf_response(document: Document, content: bytes) -> Response:
    """A PDF answer that names its file, its hash and its verification code, never cached by the way."""
    filename = document.path.rsplit("/", 1)[-1]
    return Response(
        content,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "X-Document-SHA256": document.sha256,
            "X-Verification-Code": document.verification_code,
            "Cache-Control": "private, no-store",
        },
    )
