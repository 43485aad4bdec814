"""The catalogues are complete and current, and pages speak the chosen language.

A string added to a template or module without a translation fails here: the messages are extracted
from the sources with babel.cfg (as `make translations` does) and each must be in every catalogue,
translated, not fuzzy, with the same placeholders; the compiled .mo must match its .po.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale

from health_responder.config import CATALOGUES
from health_responder.db import utc_today
from health_responder.web.context import countdown
from tests.factories import api_request, flashes

pytestmark = pytest.mark.usefixtures("shelves")

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "health_responder" / "translations"
LANGUAGES = list(CATALOGUES)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=language)


def _source_messages() -> set:
    with open(ROOT / "babel.cfg") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = DEFAULT_KEYWORDS | {"_l": None, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    catalogue = _catalogue(language)
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
        source = message.id if isinstance(message.id, str) else message.id[0]
        if any(sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(s)) for s in strings):
            problems.append(("placeholders", message.id))
    assert problems == []
    assert len(catalogue) > 300


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_sources_is_in_the_catalogue(language):
    ids = {message.id if isinstance(message.id, str) else message.id[0] for message in _catalogue(language)}
    missing = sorted(_source_messages() - ids)
    assert missing == [], "run `make translations` and translate: " + repr(missing[:20])


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
    source = {_key(m.id): _key(m.string) for m in _catalogue(language) if m.id}
    assert compiled == source, "run `pybabel compile -d health_responder/translations`"


def test_switching_to_korean_shows_korean_labels_dates_and_numbers(world):
    w = world
    api_request(w, (w.item, 1200))
    page = w.page("city")
    response = page.post("/language", {"locale": "ko", "next": "/requests"})
    assert response.status_code == 302 and response.headers["Location"] == "/requests"
    html = page.html("/requests")
    assert '<html lang="ko">' in html and "언어를 한국어(으)로 바꿨습니다." in " ".join(flashes(html))
    assert "새 요청" in html and "우선순위" in html and "제출됨" in html and "60일 남음" in html
    assert re.search(r"\d{4}\. \d{1,2}\. \d{1,2}\.", html)  # a date in Korean medium format
    detail = page.html(f"/requests/{w.api['city'].get('/api/v1/requests').json['items'][0]['id']}")
    assert "1,200" in detail and "진행 상황" in detail
    page.post("/language", {"locale": "en", "next": "/requests"})
    assert "New request" in page.html("/requests")


def test_the_chosen_language_is_remembered_on_the_user(app, world):
    w = world
    w.page("coordinator").post("/language", {"locale": "ko"})
    from tests.factories import PageClient

    fresh = PageClient(app, w.users["coordinator"])
    assert "분류 대기열" in fresh.html("/dashboard")


def test_a_third_language_needs_only_its_catalogue_russian_pages_with_three_plural_forms(world):
    """Russian came as a catalogue alone: pages, labels, dates and plural forms (one, few, many) follow it."""
    w = world
    api_request(w, (w.item, 1200))
    page = w.page("city")
    response = page.post("/language", {"locale": "ru", "next": "/requests"})
    assert response.status_code == 302
    html = page.html("/requests")
    assert '<html lang="ru">' in html and "Язык изменён: Русский." in " ".join(flashes(html))
    assert "Новая заявка" in html and "Приоритет" in html and "New request" not in html
    with w.app.test_request_context("/"), force_locale("ru"):
        due = [countdown(utc_today() + timedelta(days=n)) for n in (1, 3, 5, 21)]
    assert due == ["Срок через 1 день", "Срок через 3 дня", "Срок через 5 дней", "Срок через 21 день"]
