"""Pages of the knowledge hub: the hub by topic and language, adding a link, uploading a PDF."""

from __future__ import annotations

import io

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from tests.factories import CAST, program_body, text


def api_program(w, **overrides) -> dict:
    answer = w.api["provider"].post("/api/v1/training/programs", json=program_body(**overrides))
    assert answer.status_code == 201, answer.json
    return answer.json


def pdf_bytes(title: str = "Oxygen concentrator checklist") -> bytes:
    buffer = io.BytesIO()
    sheet = canvas.Canvas(buffer, pagesize=A4)
    sheet.drawString(72, 760, title)
    sheet.showPage()
    sheet.save()
    return buffer.getvalue()


def multipart(fields: dict, file: tuple[bytes, str, str]) -> tuple[bytes, str]:
    """A browser's multipart body, built in memory (werkzeug's test encoder spools big bodies to a
    temporary file it leaves open)."""
    boundary = "----program-pages-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    content, filename, content_type = file
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="pdf-file"; filename="{filename}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def upload(page, content: bytes, name="checklist.pdf", content_type="application/pdf", token=True, **fields):
    data = {
        "pdf-title": "Concentrator checklist",
        "pdf-topic": "oxygen_therapy",
        "pdf-language": "ko",
        "pdf-description": "One page, print it.",
    } | fields
    if token:
        data["csrf_token"] = page.token("/hub/materials")
    body, content_type_header = multipart(data, (content, name, content_type))
    return page.client.post("/hub/materials/pdfs", data=body, content_type=content_type_header)


@pytest.fixture
def w(world, topics):
    # Each token's first use is a GET (see tests/training/conftest.py: the api fixture).
    for client in (world.api[key] for key in CAST):
        assert client.get("/api/v1/topics").status_code == 200
    return world


# --- knowledge hub --------------------------------------------------------------------------------


def test_a_provider_adds_a_link_and_a_pdf_and_everyone_finds_them(w):
    provider = w.page("provider")
    hub = provider.html("/hub/materials")
    assert 'action="/hub/materials/links"' in hub and 'enctype="multipart/form-data"' in hub
    added = provider.post(
        "/hub/materials/links",
        {
            "link-title": "WHO ventilation guide",
            "link-topic": "ventilation",
            "link-language": "en",
            "link-url": "https://www.who.int/vent-guide",
        },
        page="/hub/materials",
    )
    assert added.status_code == 302 and added.headers["Location"].startswith("/hub/materials/")
    content = pdf_bytes()
    uploaded = upload(provider, content)
    assert uploaded.status_code == 302, text(uploaded)

    listed = w.api["city"].get("/api/v1/materials?order_by=id").json["items"]
    assert [(m["title"], m["kind"], m["provider_id"]) for m in listed] == [
        ("WHO ventilation guide", "link", w.provider.id),
        ("Concentrator checklist", "pdf", w.provider.id),
    ]
    pdf_id = listed[1]["id"]
    city = w.page("city")
    html = city.html("/hub/materials")
    assert "<h3>Mechanical ventilation</h3>" in html and "<h3>Oxygen therapy</h3>" in html
    assert 'href="https://www.who.int/vent-guide"' in html and f'href="/hub/materials/{pdf_id}/file"' in html
    assert "<td>Near Supply</td>" in html and "<td>한국어</td>" in html and "<td>English</td>" in html
    korean_only = city.html("/hub/materials?language=ko")
    assert "Concentrator checklist" in korean_only and "WHO ventilation guide" not in korean_only
    by_topic = city.html("/hub/materials?topic=ventilation")
    assert "WHO ventilation guide" in by_topic and "Concentrator checklist" not in by_topic
    with city.get(f"/hub/materials/{pdf_id}/file") as download:
        assert (
            download.status_code == 200
            and download.mimetype == "application/pdf"
            and download.data == content
        )
    program = api_program(w, topic="oxygen_therapy")
    assert f'href="/hub/materials/{pdf_id}/file"' in city.html(f"/training/{program['id']}")


def test_the_upload_shows_the_services_refusals_and_keeps_the_typed_fields(w):
    provider = w.page("provider")
    not_pdf = upload(provider, b"hello, this is text", name="notes.pdf", **{"pdf-title": "Night-shift notes"})
    assert not_pdf.status_code == 422
    assert (
        '<p class="error" id="pdf-file-errors">notes.pdf: Not a PDF document (no %PDF header).</p>'
        in text(not_pdf)
    )
    assert 'aria-describedby="pdf-file-hint pdf-file-errors"' in text(not_pdf)
    assert 'value="Night-shift notes"' in text(not_pdf) and "One page, print it.</textarea>" in text(not_pdf)
    no_file = upload(provider, b"", name="")
    assert no_file.status_code == 422 and "Choose a PDF file." in text(no_file)
    bad_url = provider.post(
        "/hub/materials/links",
        {"link-title": "Guide", "link-topic": "ventilation", "link-url": "ftp://example.org/guide"},
        page="/hub/materials",
    )
    assert bad_url.status_code == 422 and "An http or https URL." in text(bad_url)
    assert 'value="ftp://example.org/guide"' in text(bad_url)
    assert w.api["provider"].get("/api/v1/materials").json["total"] == 0


def test_a_pdf_larger_than_the_app_wide_body_limit_but_within_the_services_limit_is_accepted(app, w):
    provider = w.page("provider")
    assert app.config["MAX_CONTENT_LENGTH"] < 6 * 1024 * 1024
    big = pdf_bytes() + b"%" + b"0" * (6 * 1024 * 1024)
    assert upload(provider, big, name="big.pdf").status_code == 302
    too_big = upload(provider, pdf_bytes() + b"%" + b"0" * (10 * 1024 * 1024), name="huge.pdf")
    assert too_big.status_code == 422 and "huge.pdf: At most 10 MB." in text(too_big)
    assert [m["size"] for m in w.api["provider"].get("/api/v1/materials").json["items"]] == [len(big)]


def test_a_city_user_sees_no_hub_forms_and_is_refused(w):
    city = w.page("city")
    hub = city.html("/hub/materials")
    assert "/hub/materials/links" not in hub and "/hub/materials/pdfs" not in hub
    assert (
        city.post(
            "/hub/materials/links",
            {"link-title": "x", "link-topic": "ventilation", "link-url": "https://example.org"},
        ).status_code
        == 403
    )
    assert upload(city, pdf_bytes()).status_code == 403
    assert w.api["city"].get("/api/v1/materials").json["total"] == 0


def test_the_hub_forms_require_the_csrf_token(w):
    provider = w.page("provider")
    data = {"link-title": "Forged", "link-topic": "ventilation", "link-url": "https://example.org"}
    missing = provider.post("/hub/materials/links", data, token=False)
    assert missing.status_code == 400 and "CSRF" in text(missing)
    assert (
        provider.post("/hub/materials/links", data | {"csrf_token": "forged"}, token=False).status_code == 400
    )
    assert upload(provider, pdf_bytes(), token=False).status_code == 400
    assert upload(provider, pdf_bytes(), token=False, csrf_token="forged").status_code == 400
    assert w.api["provider"].get("/api/v1/materials").json["total"] == 0


def test_the_hub_speaks_korean(w):
    provider = w.page("provider")
    assert provider.post("/language", {"locale": "ko", "next": "/training"}).status_code == 302
    hub = provider.html("/hub/materials")
    for words in (
        "<h1>역량 강화 자료</h1>",
        "<h2>링크 추가</h2>",
        "<h2>PDF 올리기</h2>",
        "아직 교육 자료가 없습니다.",
        "PDF 파일",
    ):
        assert words in hub, words
