"""The admin chooses a city's language on its form: its documents and its users' messages follow it."""

from __future__ import annotations

from tests.factories import text


def test_the_admin_sets_a_citys_language_on_its_form(world):
    admin = world.page("admin")
    form = {
        "name": world.city.name,
        "country": "KR",
        "network_id": str(world.network.id),
        "timezone": "Asia/Seoul",
        "language": "ko",
        "delivery_address": "",
        "contact_name": "",
        "contact_email": "",
        "contact_phone": "",
    }
    page = f"/admin/cities/{world.city.id}"
    assert "문서와 메시지의 언어" not in admin.html(page) and "Language of its documents" in admin.html(page)
    assert admin.post(page, form, page=page).status_code == 302
    assert world.admin.get(f"/api/v1/cities/{world.city.id}").json["language"] == "ko"
    assert 'value="ko" selected' in admin.html(page) or 'selected value="ko"' in admin.html(page)

    bad = admin.post(page, form | {"language": "fr"}, page=page)
    assert bad.status_code == 422 and 'id="language-errors"' in text(bad)
    assert world.admin.get(f"/api/v1/cities/{world.city.id}").json["language"] == "ko"
