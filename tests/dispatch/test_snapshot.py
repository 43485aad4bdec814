"""Issue 13 item 15: a shipped dispatch's documents say what left, whatever is corrected later.

Its lines keep the lot and item as they were at ship and the dispatch keeps its parties, so correcting
the lot code, renaming the item or changing the city's address changes nothing in the report, the pick
list or the label sheet (same bytes, same code, still "current"). A registered document whose file is
missing on this host is built again byte-identical under the same verification code.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pypdf
import pytest
from sqlmodel import select

from health_responder.documents.models import Document
from health_responder.extensions import db
from tests.factories import future

pytestmark = pytest.mark.both_databases

SHIP = {"carrier": "DHL", "tracking_number": "TR-15", "packages": 1}
DOCUMENTS = ("report.pdf", "pick-list.pdf")


def pdf_text(content: bytes) -> str:
    """The document's text without whitespace (a narrow cell wraps a long lot code)."""
    return "".join(
        "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages).split()
    )


@pytest.fixture
def lot(make, world):
    """A lot of the world's item with a GTIN (so its label sheet prints)."""
    assert (
        world.admin.patch(f"/api/v1/items/{world.item.id}", json={"gtin": "09506000134352"}).status_code
        == 200
    )
    return make.lot(40, expires_on=future(300), code="L-AS-SHIPPED")


def _prepared(make, world, lot) -> dict:
    request = make.approved_request((world.item, 5), needed_by=future(60))
    make.allocation(request, 0, lot.id, 5)
    answer = world.provider_api.post("/api/v1/dispatches", json={"request_id": request["id"]})
    assert answer.status_code == 201, answer.json
    return answer.json


def _shipped(make, world, lot) -> dict:
    dispatch = _prepared(make, world, lot)
    answer = world.provider_api.post(f"/api/v1/dispatches/{dispatch['id']}/ship", json=SHIP)
    assert answer.status_code == 200, answer.json
    return answer.json


def _stored(app, code: str) -> Path:
    """Where the registered document of ``code`` lies."""
    with app.app_context():
        path = db.session.scalar(select(Document.path).where(Document.verification_code == code))
    return Path(app.config["REPORTS_DIR"]) / path


def _get(world, dispatch: dict, name: str):
    answer = world.provider_api.get(f"/api/v1/dispatches/{dispatch['id']}/{name}")
    assert answer.status_code == 200, answer.data[:300]
    return answer


def test_correcting_the_lot_and_the_parties_after_ship_changes_nothing_in_its_documents(
    app, make, world, lot, database_url
):
    dispatch = _shipped(make, world, lot)
    before = {name: _get(world, dispatch, name) for name in (*DOCUMENTS, "labels.pdf")}
    assert "L-AS-SHIPPED" in pdf_text(before["report.pdf"].data)
    assert "L-AS-SHIPPED" in pdf_text(before["pick-list.pdf"].data)

    corrected = world.provider_api.patch(f"/api/v1/stock/lots/{lot.id}", json={"lot_code": "L-CORRECTED"})
    assert corrected.status_code == 200, corrected.json
    assert (
        world.admin.patch(f"/api/v1/items/{world.item.id}", json={"name": "Renamed item"}).status_code == 200
    )
    moved = world.admin.patch(f"/api/v1/cities/{world.city.id}", json={"delivery_address": "A new street 9"})
    assert moved.status_code == 200, moved.json

    for name, first in before.items():
        again = _get(world, dispatch, name)
        assert again.headers["X-Verification-Code"] == first.headers["X-Verification-Code"], name
        assert again.data == first.data, name
        verified = world.city_api.get(f"/api/v1/documents/verify/{first.headers['X-Verification-Code']}")
        assert verified.json["current"] is True, name
    text = pdf_text(_get(world, dispatch, "report.pdf").data)
    assert "L-AS-SHIPPED" in text and "L-CORRECTED" not in text and "Renameditem" not in text
    assert "Anewstreet9" not in text
    # A dispatch still being prepared prints the rows as they are now.
    prepared = _prepared(make, world, lot)
    assert "L-CORRECTED" in pdf_text(_get(world, prepared, "pick-list.pdf").data)


def test_a_document_missing_on_this_host_is_rebuilt_byte_identical_under_its_code(
    app, make, world, lot, database_url
):
    dispatch = _shipped(make, world, lot)
    for name in (*DOCUMENTS, "labels.pdf"):
        first = _get(world, dispatch, name)
        code = first.headers["X-Verification-Code"]
        stored = _stored(app, code)
        assert stored.read_bytes() == first.data
        stored.unlink()

        again = _get(world, dispatch, name)

        assert again.headers["X-Verification-Code"] == code, name
        assert hashlib.sha256(again.data).hexdigest() == first.headers["X-Document-SHA256"], name
        assert again.data == first.data and stored.read_bytes() == first.data, name
        assert not list(stored.parent.glob("*.part"))
        assert world.city_api.get(f"/api/v1/documents/verify/{code}").json["current"] is True
    with app.app_context():  # one registered version of each: nothing was issued anew
        kinds = db.session.scalars(
            select(Document.kind).where(Document.subject_key == str(dispatch["id"]))
        ).all()
    assert sorted(kinds) == ["dispatch_labels", "dispatch_report", "pick_list"]


def test_a_damaged_file_is_rebuilt_too(app, make, world, lot, database_url):
    dispatch = _shipped(make, world, lot)
    first = _get(world, dispatch, "report.pdf")
    stored = _stored(app, first.headers["X-Verification-Code"])
    stored.write_bytes(first.data[:100])

    again = _get(world, dispatch, "report.pdf")

    assert again.data == first.data and stored.read_bytes() == first.data
    assert again.headers["X-Verification-Code"] == first.headers["X-Verification-Code"]
