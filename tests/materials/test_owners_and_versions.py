"""The knowledge hub through the API: anyone reads; the owner (the provider that published a material)
and staff edit, version and delete it, nobody else; a new file keeps the earlier ones; PDFs are judged
by their %PDF header, not by the content type the client sent."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import select

from health_responder.audit.models import AuditEvent
from health_responder.extensions import db
from health_responder.materials.models import Material, MaterialVersion
from tests.clients import ApiClient
from tests.factories import CAST
from tests.materials.test_api import _post_chunked
from tests.materials.test_api import multipart as multipart_body


def pdf(label: str) -> bytes:
    """A small PDF whose bytes differ by ``label`` (so each version is its own file)."""
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% "
        + label.encode()
        + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def multipart(client, path: str, fields: dict, file: tuple[bytes, str, str] | None):
    """POST a multipart/form-data body built in memory, as a browser or curl -F sends it."""
    boundary = "----materials-owner-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    if file is not None:
        content, filename, content_type = file
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return client._client.post(
        path,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=client._headers(None),
    )


@pytest.fixture
def w(world, topics):
    # Each token's first use is a GET (see tests/training/conftest.py: the api fixture).
    for client in (world.api[key] for key in CAST):
        assert client.get("/api/v1/topics").status_code == 200
    return world


def new_pdf_material(client, title="Concentrator guide", content=None, **fields) -> dict:
    made = multipart(
        client,
        "/api/v1/materials",
        {"title": title, "topic": "oxygen_therapy", "language": "en"} | fields,
        (content or pdf("v1"), "guide-v1.pdf", "application/pdf"),
    )
    assert made.status_code == 201, made.json
    return made.json


def new_link_material(client, **fields) -> dict:
    body = {"title": "WHO oxygen guide", "topic": "oxygen_therapy", "url": "https://who.example.org/o2"}
    made = client.post("/api/v1/materials", json=body | fields)
    assert made.status_code == 201, made.json
    return made.json


def new_version(client, material_id: int, content: bytes, name="guide.pdf", content_type="application/pdf"):
    return multipart(client, f"/api/v1/materials/{material_id}/versions", {}, (content, name, content_type))


# --- who may change a material -----------------------------------------------------------------------

#: (actor, may change the provider's material)
ACTORS = [
    ("provider", True),  # the owner: the provider that published it
    ("other_provider", False),
    ("city", False),
    ("coordinator", True),
    ("admin", True),
    (None, False),  # a visitor
]


def _client(w, anonymous, actor):
    return anonymous if actor is None else w.api[actor]


@pytest.mark.parametrize(("actor", "allowed"), ACTORS)
def test_only_the_owner_and_staff_edit_a_material(w, anonymous, actor, allowed):
    made = new_link_material(w.api["provider"])
    answer = _client(w, anonymous, actor).patch(
        f"/api/v1/materials/{made['id']}", json={"title": "Oxygen guide, 2nd edition"}
    )
    expected = 200 if allowed else (401 if actor is None else 403)
    assert answer.status_code == expected, answer.json
    title = anonymous.get(f"/api/v1/materials/{made['id']}").json["title"]
    assert title == ("Oxygen guide, 2nd edition" if allowed else "WHO oxygen guide")


@pytest.mark.parametrize(("actor", "allowed"), ACTORS)
def test_only_the_owner_and_staff_upload_a_new_version(w, anonymous, actor, allowed):
    made = new_pdf_material(w.api["provider"])
    answer = new_version(_client(w, anonymous, actor), made["id"], pdf("v2"))
    expected = 201 if allowed else (401 if actor is None else 403)
    assert answer.status_code == expected, answer.json
    versions = anonymous.get(f"/api/v1/materials/{made['id']}/versions").json
    assert [v["number"] for v in versions["items"]] == ([2, 1] if allowed else [1])


@pytest.mark.parametrize(("actor", "allowed"), ACTORS)
def test_only_the_owner_and_staff_delete_a_material(w, anonymous, actor, allowed):
    made = new_pdf_material(w.api["provider"])
    answer = _client(w, anonymous, actor).delete(f"/api/v1/materials/{made['id']}")
    expected = 204 if allowed else (401 if actor is None else 403)
    assert answer.status_code == expected, answer.json
    assert anonymous.get(f"/api/v1/materials/{made['id']}").status_code == (404 if allowed else 200)


def test_the_associations_material_is_staffs_alone(w):
    made = new_link_material(w.coordinator)
    assert made["provider_id"] is None
    for key in ("provider", "other_provider", "city"):
        assert w.api[key].patch(f"/api/v1/materials/{made['id']}", json={"title": "Mine"}).status_code == 403
        assert w.api[key].delete(f"/api/v1/materials/{made['id']}").status_code == 403
    assert w.admin.patch(f"/api/v1/materials/{made['id']}", json={"title": "Ours"}).status_code == 200


def test_a_material_staff_publish_for_a_provider_belongs_to_that_provider(w):
    made = new_link_material(w.coordinator, provider_id=w.provider.id)
    owner = w.api["provider"].patch(f"/api/v1/materials/{made['id']}", json={"language": "ko"})
    assert owner.status_code == 200 and owner.json["language"] == "ko"
    assert w.api["other_provider"].patch(f"/api/v1/materials/{made['id']}", json={}).status_code == 403


# --- editing -------------------------------------------------------------------------------------------


def test_the_owner_edits_a_link_and_the_change_is_audited(w, app):
    made = new_link_material(w.api["provider"])
    changed = w.api["provider"].patch(
        f"/api/v1/materials/{made['id']}",
        json={
            "title": "Oxygen therapy for children",
            "topic": "ventilation",
            "language": "fr",
            "description": "Chapters 3 and 4.",
            "url": "https://who.example.org/o2-children",
        },
    )
    assert changed.status_code == 200, changed.json
    body = changed.json
    assert (body["title"], body["topic"], body["language"], body["description"], body["url"]) == (
        "Oxygen therapy for children",
        "ventilation",
        "fr",
        "Chapters 3 and 4.",
        "https://who.example.org/o2-children",
    )
    assert body["updated_at"] is not None and body["kind"] == "link" and body["version"] is None
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "material.update"))
        assert event.subject_id == made["id"] and event.actor_id == w.users["provider"].id
        assert (event.before["title"], event.after["title"]) == (
            "WHO oxygen guide",
            "Oxygen therapy for children",
        )


def test_bad_edits_name_the_field_and_change_nothing(w, anonymous):
    link = new_link_material(w.api["provider"])
    document = new_pdf_material(w.api["provider"])
    owner = w.api["provider"]
    for material, body, field in [
        (link, {"topic": "astrology"}, "topic"),
        (link, {"title": ""}, "title"),
        (link, {"url": "ftp://files.example.org/o2"}, "url"),
        (link, {"language": "English please"}, "language"),
        (link, {"provider_id": w.other_provider.id}, "provider_id"),
        (link, {"kind": "pdf"}, "kind"),
        (document, {"url": "https://who.example.org/o2"}, "url"),
    ]:
        answer = owner.patch(f"/api/v1/materials/{material['id']}", json=body)
        assert answer.status_code == 422 and field in answer.json["errors"], (body, answer.json)
    assert anonymous.get(f"/api/v1/materials/{link['id']}").json == link
    assert anonymous.get(f"/api/v1/materials/{document['id']}").json == document
    assert owner.patch("/api/v1/materials/999999", json={"title": "x"}).status_code == 404


# --- versions ------------------------------------------------------------------------------------------


def test_a_new_file_keeps_the_history_and_every_version_downloads(w, anonymous, app):
    owner = w.api["provider"]
    made = new_pdf_material(owner, content=pdf("v1"))
    assert made["version"] == 1
    # The browser's label for the file does not matter: the %PDF header does.
    second = new_version(
        owner, made["id"], pdf("v2"), name="guide-v2.pdf", content_type="application/octet-stream"
    )
    assert second.status_code == 201, second.json
    assert (second.json["number"], second.json["file_name"], second.json["uploaded_by"]) == (
        2,
        "guide-v2.pdf",
        w.users["provider"].name or w.users["provider"].email,
    )
    third = new_version(w.coordinator, made["id"], pdf("v3"), name="guide-v3.pdf", content_type="text/plain")
    assert third.status_code == 201, third.json

    current = anonymous.get(f"/api/v1/materials/{made['id']}").json
    assert (current["version"], current["file_name"], current["size"]) == (3, "guide-v3.pdf", len(pdf("v3")))
    with anonymous.get(current["file_url"]) as downloaded:
        assert downloaded.status_code == 200 and downloaded.data == pdf("v3")

    listed = anonymous.get(f"/api/v1/materials/{made['id']}/versions").json
    assert listed["total"] == 3
    assert [(v["number"], v["file_name"], v["organisation"]) for v in listed["items"]] == [
        (3, "guide-v3.pdf", None),  # uploaded by the association's coordinator
        (2, "guide-v2.pdf", w.provider.name),
        (1, "guide-v1.pdf", w.provider.name),
    ]
    assert all(v["uploaded_by"] is None for v in listed["items"])  # a visitor reads no person's name
    for version, label in zip(listed["items"], ("v3", "v2", "v1"), strict=True):
        with anonymous.get(version["file_url"]) as downloaded:
            assert downloaded.status_code == 200 and downloaded.mimetype == "application/pdf"
            assert downloaded.data == pdf(label)
    members = w.api["city"].get(f"/api/v1/materials/{made['id']}/versions").json["items"]
    assert all(v["uploaded_by"] for v in members)
    oldest_first = anonymous.get(f"/api/v1/materials/{made['id']}/versions?order_by=number").json["items"]
    assert [v["number"] for v in oldest_first] == [1, 2, 3]
    assert anonymous.get(f"/api/v1/materials/{made['id']}/versions/4/file").status_code == 404
    with app.app_context():
        assert [
            e.after["version"]
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "material.version").order_by(AuditEvent.id)
            )
        ] == [2, 3]


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"PK\x03\x04 a zip archive", "slides.pptx", "slides.pptx: Not a PDF document (no %PDF header)."),
        (b"<html>guide</html>", "guide.pdf", "guide.pdf: Not a PDF document (no %PDF header)."),
        (b"", "blank.pdf", "blank.pdf: The file is empty."),
    ],
)
def test_a_new_version_that_is_not_a_pdf_is_refused_naming_the_file(w, anonymous, content, name, message):
    made = new_pdf_material(w.api["provider"])
    refused = new_version(w.api["provider"], made["id"], content, name=name, content_type="application/pdf")
    assert refused.status_code == 422 and refused.json["errors"]["file"] == [message], refused.json
    assert name in refused.json["message"]
    assert anonymous.get(f"/api/v1/materials/{made['id']}").json == made
    assert anonymous.get(f"/api/v1/materials/{made['id']}/versions").json["total"] == 1


@pytest.mark.parametrize("chunked", [False, True], ids=["with-length", "chunked"])
def test_a_new_version_may_be_larger_than_the_app_wide_body_limit(app, w, anonymous, chunked):
    made = new_pdf_material(w.api["provider"])
    content = pdf("big") + b"0" * (6 * 1024 * 1024)
    assert app.config["MAX_CONTENT_LENGTH"] < len(content)
    path = f"/api/v1/materials/{made['id']}/versions"
    if chunked:
        body, content_type = multipart_body({}, (content, "big.pdf", "application/pdf"))
        code, answer = _post_chunked(app, path, body, content_type, w.api["provider"].token)
    else:
        response = new_version(w.api["provider"], made["id"], content, name="big.pdf")
        code, answer = response.status_code, response.json
    assert code == 201, answer
    assert anonymous.get(f"/api/v1/materials/{made['id']}").json["size"] == len(content)


def test_a_version_needs_a_file_and_a_link_has_no_versions(w, anonymous):
    owner = w.api["provider"]
    made = new_pdf_material(owner)
    missing = multipart(owner, f"/api/v1/materials/{made['id']}/versions", {"note": "x"}, None)
    assert missing.status_code == 422 and "file" in missing.json["errors"]
    as_json = owner.post(f"/api/v1/materials/{made['id']}/versions", json={"file": "x"})
    assert as_json.status_code == 422 and "file" in as_json.json["errors"]
    link = new_link_material(owner)
    refused = new_version(owner, link["id"], pdf("v2"))
    assert refused.status_code == 409 and "is a link" in refused.json["message"]
    assert anonymous.get(f"/api/v1/materials/{link['id']}/versions").json["total"] == 0
    assert anonymous.get(f"/api/v1/materials/{link['id']}").json == link


def test_deleting_a_material_takes_its_versions_and_keeps_files_other_materials_share(w, anonymous, app):
    owner = w.api["provider"]
    made = new_pdf_material(owner, content=pdf("shared"))
    new_version(owner, made["id"], pdf("v2"))
    twin = new_pdf_material(w.coordinator, title="Same file, the association's copy", content=pdf("shared"))
    assert owner.delete(f"/api/v1/materials/{made['id']}").status_code == 204
    assert anonymous.get(f"/api/v1/materials/{made['id']}/versions").status_code == 404
    assert anonymous.get(f"/api/v1/materials/{made['id']}/versions/1/file").status_code == 404
    with anonymous.get(twin["file_url"]) as downloaded:
        assert downloaded.status_code == 200 and downloaded.data == pdf("shared")
    with app.app_context():
        assert db.session.scalars(select(MaterialVersion.material_id)).all() == [twin["id"]]
        assert db.session.scalars(select(Material.id)).all() == [twin["id"]]
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "material.delete"))
        assert event.subject_id == made["id"] and event.before["title"] == "Concentrator guide"


# --- reading and searching -----------------------------------------------------------------------------


def test_a_visitor_reads_and_searches_the_material_without_a_login(w, anonymous):
    new_link_material(
        w.api["provider"], title="Guide to oxygen concentrators", description="Maintenance, step by step."
    )
    new_pdf_material(w.coordinator, title="Rapid test handbook", topic="diagnostics", language="ko")
    new_link_material(
        w.coordinator, title="Hand hygiene", topic="infection_control", url="https://x.example.org"
    )

    def titles(**query):
        answer = anonymous.get("/api/v1/materials", query_string=query)
        assert answer.status_code == 200, answer.json
        return sorted(m["title"] for m in answer.json["items"])

    assert titles(q="OXYGEN guide") == ["Guide to oxygen concentrators"]  # any case, any order
    assert titles(q="step by step") == ["Guide to oxygen concentrators"]  # the description counts
    assert titles(q="handbook", language="ko") == ["Rapid test handbook"]
    assert titles(q="handbook", language="en") == []
    assert titles(topic="infection_control") == ["Hand hygiene"]
    assert titles(q="100%_") == []  # LIKE's wildcards are taken literally
    assert len(titles()) == 3
    assert anonymous.get("/api/v1/materials", query_string={"q": "x" * 201}).status_code == 422


@pytest.mark.both_databases
def test_simultaneous_new_versions_are_numbered_one_after_another(app, w, anonymous):
    made = new_pdf_material(w.api["provider"])
    token = w.api["provider"].token
    barrier = threading.Barrier(8)

    def upload(i):
        client = ApiClient(app, token)
        barrier.wait()
        return new_version(client, made["id"], pdf(f"race-{i}"), name=f"race-{i}.pdf").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = Counter(pool.map(upload, range(8)))
    assert codes == Counter({201: 8}), codes
    listed = anonymous.get(f"/api/v1/materials/{made['id']}/versions").json["items"]
    assert [v["number"] for v in listed] == list(range(9, 0, -1))
    assert len({v["sha256"] for v in listed}) == 9
    current = anonymous.get(f"/api/v1/materials/{made['id']}").json
    assert (current["version"], current["sha256"]) == (9, listed[0]["sha256"])
