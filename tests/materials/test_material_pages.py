"""The pages of the knowledge hub's material, through the test client: the public list with its search
and filters, a material's page with its earlier versions, and the owner's tools (edit, new version,
delete) that only the owner and staff get."""

from __future__ import annotations

import re

import pytest

from tests.clients import PageClient, flashes, text
from tests.factories import CAST
from tests.materials.test_owners_and_versions import new_link_material, new_pdf_material, new_version, pdf


@pytest.fixture
def w(world, topics):
    # Each token's first use is a GET (see tests/training/conftest.py: the api fixture).
    for client in (world.api[key] for key in CAST):
        assert client.get("/api/v1/topics").status_code == 200
    return world


@pytest.fixture
def visitor(app):
    return PageClient(app, None)


def upload_page(page, material_id: int, content: bytes, name: str, content_type: str, token=True):
    """Submit the new-version form of a material's page, as a browser sends it."""
    boundary = "----material-page-boundary"
    fields = {"csrf_token": page.token(f"/hub/materials/{material_id}")} if token else {}
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return page.client.post(
        f"/hub/materials/{material_id}/versions",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


# --- what a visitor reads -------------------------------------------------------------------------------


def test_a_visitor_searches_and_filters_the_material(w, visitor):
    new_link_material(w.api["provider"], title="Guide to oxygen concentrators", description="Step by step.")
    new_pdf_material(w.coordinator, title="Rapid test handbook", topic="diagnostics", language="ko")
    everything = visitor.html("/hub/materials")
    assert "Guide to oxygen concentrators" in everything and "Rapid test handbook" in everything
    assert 'name="q"' in everything and 'name="topic"' in everything and 'name="language"' in everything
    assert "/hub/materials/links" not in everything and "Upload a PDF" not in everything  # no forms
    found = visitor.html("/hub/materials?q=oxygen+GUIDE")
    assert "Guide to oxygen concentrators" in found and "Rapid test handbook" not in found
    assert 'value="oxygen GUIDE"' in found  # what was typed comes back
    by_language = visitor.html("/hub/materials?language=ko")
    assert "Rapid test handbook" in by_language and "Guide to oxygen concentrators" not in by_language
    by_topic = visitor.html("/hub/materials?topic=diagnostics&q=handbook")
    assert "Rapid test handbook" in by_topic and "<h3>Diagnostics and testing</h3>" in by_topic
    assert "No material matches." in visitor.html("/hub/materials?q=malaria")
    too_long = visitor.html("/hub/materials?q=" + "x" * 201)
    assert re.search(r'id="q-errors">[^<]*200', too_long) and "Guide to oxygen concentrators" in too_long


def test_the_hub_front_page_leads_to_the_material(w, visitor):
    made = new_link_material(w.api["provider"], title="Guide to oxygen concentrators")
    hub = visitor.html("/hub/")
    assert 'href="/hub/materials"' in hub and f'href="/hub/materials/{made["id"]}"' in hub


def test_a_material_page_lists_the_earlier_versions_with_date_and_who(w, visitor):
    owner = w.api["provider"]
    made = new_pdf_material(
        owner, title="Concentrator guide", content=pdf("v1"), description="Print both sides."
    )
    assert new_version(owner, made["id"], pdf("v2"), name="guide-v2.pdf").status_code == 201
    assert new_version(w.coordinator, made["id"], pdf("v3"), name="guide-v3.pdf").status_code == 201
    page = visitor.html(f"/hub/materials/{made['id']}")
    assert "<h1>Concentrator guide</h1>" in page and "Print both sides." in page
    assert f'href="/hub/materials/{made["id"]}/file"' in page and "guide-v3.pdf" in page
    assert "Version 3, uploaded" in page and "by The association." in page
    earlier = page[page.index("<h2>Earlier versions</h2>") :]
    rows = re.findall(r"<tr><td>(\d+)</td>(.*?)</tr>", earlier, re.S)
    assert [number for number, _row in rows] == ["2", "1"]
    for number, row in rows:
        assert f'href="/hub/materials/{made["id"]}/versions/{number}/file"' in row
        assert f"guide-v{number}.pdf" in row and w.provider.name in row
        assert w.users["provider"].email not in row  # a visitor reads the organisation, not the person
    for number in ("1", "2", "3"):
        with visitor.get(f"/hub/materials/{made['id']}/versions/{number}/file") as downloaded:
            assert downloaded.status_code == 200 and downloaded.data == pdf(f"v{number}")
    member = w.page("city").html(f"/hub/materials/{made['id']}")
    who = w.users["provider"].name or w.users["provider"].email
    assert f"{who} ({w.provider.name})" in member
    assert "Change this material" not in page and "Change this material" not in member


def test_a_link_material_page_has_its_address_and_no_versions(w, visitor):
    made = new_link_material(w.api["provider"])
    page = visitor.html(f"/hub/materials/{made['id']}")
    assert 'href="https://who.example.org/o2"' in page and "Earlier versions" not in page
    assert visitor.get("/hub/materials/999999").status_code == 404


# --- who gets the owner's tools -------------------------------------------------------------------------

#: (who, sees the tools and may use them); None: a visitor
PAGE_ACTORS = [
    ("provider", True),
    ("other_provider", False),
    ("city", False),
    ("coordinator", True),
    (None, False),
]


@pytest.mark.parametrize(("who", "allowed"), PAGE_ACTORS)
def test_only_the_owner_and_staff_get_the_tools_on_the_pages(w, visitor, who, allowed):
    made = new_pdf_material(w.api["provider"])
    page = visitor if who is None else w.page(who)
    material = page.html(f"/hub/materials/{made['id']}")
    assert ("Change this material" in material) is allowed
    assert (f'action="/hub/materials/{made["id"]}/versions"' in material) is allowed
    edit = page.get(f"/hub/materials/{made['id']}/edit")
    if who is None:
        assert edit.status_code == 302 and "/login" in edit.headers["Location"]
        return
    assert edit.status_code == (200 if allowed else 403)
    version = upload_page(page, made["id"], pdf("v2"), "v2.pdf", "application/pdf")
    assert version.status_code == (302 if allowed else 403)
    changed = page.post(
        f"/hub/materials/{made['id']}/edit",
        {"title": "Taken over", "topic": "oxygen_therapy", "language": "en"},
        page=f"/hub/materials/{made['id']}",
    )
    assert changed.status_code == (302 if allowed else 403)
    deleted = page.post(f"/hub/materials/{made['id']}/delete", page=f"/hub/materials/{made['id']}")
    assert deleted.status_code == (302 if allowed else 403)
    after = w.api["city"].get(f"/api/v1/materials/{made['id']}")
    assert after.status_code == (404 if allowed else 200)
    if not allowed:
        assert (after.json["title"], after.json["version"]) == ("Concentrator guide", 1)


def test_the_owners_tools_refuse_a_post_without_the_csrf_token(w):
    made = new_pdf_material(w.api["provider"])
    owner = w.page("provider")
    for path in (f"/hub/materials/{made['id']}/edit", f"/hub/materials/{made['id']}/delete"):
        refused = owner.post(path, {"title": "Forged", "topic": "oxygen_therapy"}, token=False)
        assert refused.status_code == 400 and "CSRF" in text(refused), path
    assert (
        upload_page(owner, made["id"], pdf("v2"), "v2.pdf", "application/pdf", token=False).status_code == 400
    )
    assert w.api["city"].get(f"/api/v1/materials/{made['id']}").json == made


# --- the owner at work ----------------------------------------------------------------------------------


def test_the_owner_edits_a_link_and_errors_stand_next_to_their_fields(w):
    made = new_link_material(w.api["provider"])
    owner = w.page("provider")
    form = owner.html(f"/hub/materials/{made['id']}/edit")
    assert 'value="WHO oxygen guide"' in form and 'value="https://who.example.org/o2"' in form
    path, page = f"/hub/materials/{made['id']}/edit", f"/hub/materials/{made['id']}/edit"
    refused = owner.post(
        path,
        {"title": "", "topic": "oxygen_therapy", "language": "English", "url": "ftp://x.example.org/o2"},
        page=page,
    )
    assert refused.status_code == 422
    html = text(refused)
    assert re.search(r'id="title-errors">[^<]+</p>', html)
    assert 'id="language-errors">A language tag such as en, ko or pt-BR.</p>' in html
    assert 'id="url-errors">An http or https URL.</p>' in html
    assert 'aria-invalid="true"' in html and 'value="ftp://x.example.org/o2"' in html
    assert w.api["city"].get(f"/api/v1/materials/{made['id']}").json == made
    saved = owner.post(
        path,
        {
            "title": "Oxygen therapy for children",
            "topic": "ventilation",
            "language": "fr",
            "description": "Chapters 3 and 4.",
            "url": "https://who.example.org/o2-children",
        },
        page=page,
    )
    assert saved.status_code == 302 and saved.headers["Location"] == f"/hub/materials/{made['id']}"
    shown = owner.html(f"/hub/materials/{made['id']}")
    assert "Oxygen therapy for children is saved." in flashes(shown)
    assert "<h1>Oxygen therapy for children</h1>" in shown and "Chapters 3 and 4." in shown
    assert 'href="https://who.example.org/o2-children"' in shown and "Last changed" in shown


def test_the_owner_uploads_a_new_version_through_the_page(w):
    made = new_pdf_material(w.api["provider"], content=pdf("v1"))
    owner = w.page("provider")
    # A browser that labels the PDF as something else: the %PDF header decides.
    uploaded = upload_page(owner, made["id"], pdf("v2"), "guide-v2.pdf", "application/octet-stream")
    assert uploaded.status_code == 302 and uploaded.headers["Location"] == f"/hub/materials/{made['id']}"
    page = owner.html(f"/hub/materials/{made['id']}")
    assert "Version 2 of Concentrator guide is uploaded." in flashes(page)
    assert "Version 2, uploaded" in page and "guide-v2.pdf" in page
    assert f'href="/hub/materials/{made["id"]}/versions/1/file"' in page
    not_pdf = upload_page(owner, made["id"], b"Meeting notes, not a PDF", "notes.docx", "application/pdf")
    assert not_pdf.status_code == 422
    assert 'id="file-errors">notes.docx: Not a PDF document (no %PDF header).</p>' in text(not_pdf)
    assert "Earlier versions" in text(not_pdf)  # the material page again, with the error next to the field
    no_file = upload_page(owner, made["id"], b"", "", "application/octet-stream")
    assert no_file.status_code == 422 and "Choose a PDF file." in text(no_file)
    assert w.api["city"].get(f"/api/v1/materials/{made['id']}").json["version"] == 2


def test_the_owner_deletes_a_material_from_its_page(w):
    made = new_pdf_material(w.api["provider"])
    owner = w.page("provider")
    gone = owner.post(f"/hub/materials/{made['id']}/delete", page=f"/hub/materials/{made['id']}")
    assert gone.status_code == 302 and gone.headers["Location"] == "/hub/materials"
    assert "Concentrator guide is deleted from the knowledge hub." in flashes(owner.html("/hub/materials"))
    assert owner.get(f"/hub/materials/{made['id']}").status_code == 404


def test_the_material_pages_speak_korean(w):
    made = new_pdf_material(w.api["provider"])
    new_version(w.api["provider"], made["id"], pdf("v2"))
    owner = w.page("provider")
    assert owner.post("/language", {"locale": "ko", "next": "/hub/materials"}).status_code == 302
    page = owner.html(f"/hub/materials/{made['id']}")
    for words in (
        "<h2>이전 버전</h2>",
        "<h2>현재 파일</h2>",
        "이 자료 변경",
        "새 버전 올리기",
        "이 자료 삭제",
    ):
        assert words in page, words
    edit = owner.html(f"/hub/materials/{made['id']}/edit")
    assert "저장" in edit and "취소" in edit
    assert "역량 강화 자료" in owner.html("/hub/materials")
