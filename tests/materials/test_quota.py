"""Issue 13 item 11: each provider's knowledge-hub uploads have a quota (MATERIALS_QUOTA_MB).

Every version counts; an upload or a new version that would pass the quota answers 413 with a message
that names it, keeps nothing (no row, no file, no ``.part``); deleting a material frees its share.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import CAST, text
from tests.materials.test_material_pages import upload_page
from tests.materials.test_owners_and_versions import multipart, new_version

KB = 1024


def pdf_of(size: int, label: str) -> bytes:
    """A PDF of exactly ``size`` bytes, its content told apart by ``label``."""
    head = b"%PDF-1.4\n% " + label.encode() + b"\n"
    tail = b"\n%%EOF\n"
    return head + b"x" * (size - len(head) - len(tail)) + tail


def publish(client, content: bytes, title: str = "Guide"):
    return multipart(
        client,
        "/api/v1/materials",
        {"title": title, "topic": "oxygen_therapy", "language": "en"},
        (content, f"{title}.pdf", "application/pdf"),
    )


def _stored(app) -> list[str]:
    folder = Path(app.config["REPORTS_DIR"]).parent / "materials"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def w(world, topics):
    """The world, each client's token first used by a GET (tests/training/conftest.py says why)."""
    for key in CAST:
        assert world.api[key].get("/api/v1/topics").status_code == 200
    return world


@pytest.fixture
def small_quota(app):
    """A quota of 20 KiB per provider."""
    app.config["MATERIALS_QUOTA_MB"] = 20 * KB / (1024 * 1024)


def test_an_upload_past_the_providers_quota_answers_413_and_keeps_nothing(app, w, small_quota):
    first = publish(w.provider_api, pdf_of(12 * KB, "one"), "one")
    assert first.status_code == 201, first.json
    before = _stored(app)

    refused = publish(w.provider_api, pdf_of(12 * KB, "two"), "two")

    assert refused.status_code == 413, refused.json
    assert refused.json["message"].startswith("two.pdf would take your provider past its storage quota")
    assert "12 KB of 20 KB are used, 8 KB left" in refused.json["message"]
    assert refused.json["errors"]["file"] == ["Over your provider's storage quota (8 KB left)."]
    assert _stored(app) == before  # nothing kept, no .part
    titles = [m["title"] for m in w.provider_api.get("/api/v1/materials").json["items"]]
    assert titles == ["one"]

    fits = publish(w.provider_api, pdf_of(6 * KB, "three"), "three")
    assert fits.status_code == 201, fits.json


def test_every_version_counts_and_deleting_a_material_frees_its_share(app, w, small_quota):
    made = publish(w.provider_api, pdf_of(9 * KB, "v1"), "kept")
    assert made.status_code == 201
    assert new_version(w.provider_api, made.json["id"], pdf_of(9 * KB, "v2")).status_code == 201

    over = new_version(w.provider_api, made.json["id"], pdf_of(4 * KB, "v3"))
    assert over.status_code == 413, over.json
    assert "storage quota" in over.json["message"]
    assert [
        v["number"] for v in w.provider_api.get(f"/api/v1/materials/{made.json['id']}/versions").json["items"]
    ] == [2, 1]

    assert w.provider_api.delete(f"/api/v1/materials/{made.json['id']}").status_code == 204
    assert publish(w.provider_api, pdf_of(18 * KB, "after"), "after").status_code == 201


def test_the_quota_is_each_providers_own_and_the_associations_uploads_have_none(app, w, small_quota):
    assert publish(w.provider_api, pdf_of(18 * KB, "mine"), "mine").status_code == 201
    assert publish(w.other_provider_api, pdf_of(18 * KB, "theirs"), "theirs").status_code == 201
    for n in range(2):
        assert publish(w.coordinator, pdf_of(18 * KB, f"staff{n}"), f"staff{n}").status_code == 201


def test_the_version_page_says_the_quota_is_reached_next_to_the_file(app, w, small_quota):
    made = publish(w.provider_api, pdf_of(15 * KB, "page-v1"), "paged")
    assert made.status_code == 201
    owner = w.page("provider")

    refused = upload_page(owner, made.json["id"], pdf_of(8 * KB, "page-v2"), "v2.pdf", "application/pdf")

    assert refused.status_code == 413
    assert 'id="file-errors">Over your provider&#39;s storage quota (5 KB left).</p>' in text(refused)
    assert w.provider_api.get(f"/api/v1/materials/{made.json['id']}").json["version"] == 1
