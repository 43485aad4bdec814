"""The verify page shows what the paper shows, and an older version says so in amber with a link;
the dispatch report printed after receipt has the accepted and rejected units of each line."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.factories import shipped_dispatch, text

pytestmark = pytest.mark.both_databases


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def receive(w, dispatch, accepted, rejected):
    line = dispatch["lines"][0]
    answer = w.api["city"].post(
        f"/api/v1/dispatches/{dispatch['id']}/receipt",
        json={
            "lines": [
                {"line_id": line["id"], "accepted": accepted, "rejected": rejected, "reason": "damaged"}
            ],
            "received_by": "Dr. Kim",
        },
    )
    assert answer.status_code == 200, answer.json


def report(w, dispatch):
    response = w.api["city"].get(f"/api/v1/dispatches/{dispatch['id']}/report.pdf")
    assert response.status_code == 200
    return response


def test_the_report_after_receipt_shows_accepted_and_rejected_per_line_and_the_old_one_is_amber(
    world, client
):
    w = world
    _req, dispatch = shipped_dispatch(w, quantity=5)
    before = report(w, dispatch)
    assert "Accepted" not in pdf_text(before.data)
    receive(w, dispatch, 3, 2)
    after = report(w, dispatch)
    content = pdf_text(after.data)
    assert "Accepted" in content and "Rejected" in content
    assert re.search(r"\b5\s+3\s+2 \(Damaged\)", content), content
    assert "Received: 3 accepted, 2 rejected." in content
    assert report(w, dispatch).data == after.data  # a reprint of unchanged data is the same file

    old, new = before.headers["X-Verification-Code"], after.headers["X-Verification-Code"]
    page = client.get(f"/verify/{old}")
    html = text(page)
    assert page.status_code == 200
    assert 'class="flash superseded"' in html and "This is an older version." in html
    assert f'href="/verify/{new}"' in html and "Genuine." not in html
    html = text(client.get(f"/verify/{new}"))
    assert "Genuine." in html and "This is the current version." in html and "superseded" not in html
    for expected in (
        "Dispatch report",
        dispatch["reference"],
        "Near Supply",
        "Sejong Test",
        "<dt>Lines</dt><dd>1</dd>",
        "<dt>Units shipped</dt><dd>5</dd>",
        "<dt>Units accepted</dt><dd>3</dd>",
        "<dt>Units rejected</dt><dd>2</dd>",
    ):
        assert expected in html, expected


def test_the_verify_page_in_korean(world, client):
    w = world
    _req, dispatch = shipped_dispatch(w, quantity=4)
    before = report(w, dispatch)
    receive(w, dispatch, 4, 0)
    report(w, dispatch)
    html = text(
        client.get(f"/verify/{before.headers['X-Verification-Code']}", headers={"Accept-Language": "ko"})
    )
    assert "이전 버전입니다." in html and "발송 보고서" in html
    assert "This is an older version." not in html


def test_an_unknown_code_is_not_genuine(client):
    response = client.get("/verify/NOPE1234")
    assert response.status_code == 404 and "not genuine" in text(response)
