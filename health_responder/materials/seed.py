"""Demo knowledge hub: links and small real PDFs in English, Korean, Russian, Spanish and French.

Published through the materials services by the providers' logins and the coordinator (for providers
without a login of their own, or in the association's name), each at its own moment. The PDFs are
built here with reportlab, in the house fonts (Hangul and Cyrillic come out as text), and uploaded as
a browser would; one of them gets a revised second version a month later, so the hub shows a history.
"""

from __future__ import annotations

import io
from datetime import timedelta

from reportlab.lib.pagesizes import A4
from reportlab.platypus import Paragraph, Spacer

from health_responder.db import clock_at, utcnow
from health_responder.materials import services
from health_responder.reports.fonts import clean_text, get_fonts
from health_responder.reports.layout import render
from health_responder.reports.styles import STYLE_BODY, STYLE_SECTION, STYLE_TITLE

ASSOCIATION = None  # published in the association's name (no provider)

# title, topic, language, url, provider (index, or ASSOCIATION), description, days ago
LINKS = [
    (
        "WHO: Oxygen therapy for children",
        "oxygen_therapy",
        "en",
        "https://www.who.int/publications/i/item/9789241549554",
        ASSOCIATION,
        "A bedside manual for health workers: pulse oximetry, concentrators, cylinders and flow rates.",
        300,
    ),
    (
        "Standard precautions in health care",
        "infection_control",
        "en",
        "https://www.who.int/publications/m/item/standard-precautions-in-health-care",
        ASSOCIATION,
        "Hand hygiene, personal protective equipment and safe injection practices on two pages.",
        280,
    ),
    (
        "산소 농축기 사용 안내서",
        "oxygen_therapy",
        "ko",
        "https://training.medasia.example.org/docs/oxygen-ko",
        0,
        "설치, 유량 설정, 필터 청소와 알람 대응.",
        200,
    ),
    (
        "Vaccine cold chain handbook",
        "cold_chain",
        "en",
        "https://learn.afya.example.org/cold-chain/handbook",
        4,
        "Temperature monitoring, solar refrigerators and what to do after an excursion.",
        150,
    ),
    (
        "Руководство по обслуживанию аппаратов ИВЛ",
        "ventilation",
        "ru",
        "https://docs.sibirmedtech.example.org/ivl/obsluzhivanie",
        2,
        "Ежедневная проверка контура, замена фильтров, калибровка датчиков.",
        120,
    ),
    (
        "Guía de la cadena de frío para vacunas",
        "cold_chain",
        "es",
        "https://andessalud.example.org/guias/cadena-de-frio",
        5,
        "Registro de temperaturas, refrigeradores solares y transporte en cajas térmicas.",
        90,
    ),
    (
        "Prévention des infections : fiches pratiques",
        "infection_control",
        "fr",
        "https://sahelsante.example.org/fiches/prevention-infections",
        6,
        "Hygiène des mains, tri des patients et gestion des déchets dans les centres de santé.",
        60,
    ),
]

# title, topic, language, provider, file name, days ago, sections [(heading, text)]
PDFS = [
    (
        "Oxygen concentrator: daily checks",
        "oxygen_therapy",
        "en",
        0,
        "oxygen-concentrator-daily-checks.pdf",
        110,
        [
            (
                "Before switching on",
                "Place the unit 30 cm from walls and curtains. Check the inlet filter is clean and dry.",
            ),
            (
                "Every shift",
                "Confirm the flow with the flowmeter ball at the prescribed line. Listen for the alarm test at start-up.",
            ),
            (
                "Every week",
                "Wash the gross particle filter in warm soapy water, rinse, let it dry before refitting.",
            ),
        ],
    ),
    (
        "산소 농축기 일일 점검표",
        "oxygen_therapy",
        "ko",
        0,
        "oxygen-daily-checklist-ko.pdf",
        95,
        [
            (
                "전원을 켜기 전",
                "벽과 커튼에서 30 cm 떨어진 곳에 두십시오. 흡입 필터가 깨끗하고 건조한지 확인하십시오.",
            ),
            (
                "근무 교대마다",
                "유량계의 볼이 처방된 눈금에 있는지 확인하고, 시작할 때 알람 시험음을 들으십시오.",
            ),
            ("매주", "필터를 미지근한 비눗물로 씻어 헹군 뒤 완전히 말려서 다시 끼우십시오."),
        ],
    ),
    (
        "Холодовая цепь: памятка для медсестёр",
        "cold_chain",
        "ru",
        2,
        "kholodovaya-tsep-pamyatka.pdf",
        70,
        [
            ("Каждое утро и вечер", "Записывайте температуру холодильника: допустимо от +2 до +8 °C."),
            (
                "При отклонении",
                "Не используйте вакцины до решения ответственного лица; отметьте время и температуру.",
            ),
            ("Транспортировка", "Используйте термоконтейнер с кондиционированными хладоэлементами."),
        ],
    ),
    (
        "Lista de verificación: desfibrilador externo automático",
        "biomedical_maintenance",
        "es",
        7,
        "lista-verificacion-dea.pdf",
        45,
        [
            ("Cada día", "Compruebe el indicador de estado: verde significa listo para usar."),
            (
                "Cada mes",
                "Revise la fecha de caducidad de los parches y de la batería; sustituya lo caducado.",
            ),
            (
                "Después de cada uso",
                "Repare o sustituya los parches, descargue el registro del evento y limpie la carcasa.",
            ),
        ],
    ),
    (
        "Infection control poster for field clinics",
        "infection_control",
        "en",
        4,
        "ipc-field-clinic-poster.pdf",
        30,
        [
            (
                "Five moments",
                "Clean your hands before touching a patient, before a clean procedure, after body fluid exposure, after touching a patient and after touching their surroundings.",
            ),
            (
                "Triage",
                "Screen every arrival for fever and cough at the entrance; give a mask and a separate waiting area.",
            ),
        ],
    ),
]

#: The revised file of the first PDF, uploaded as its version 2 a month after the first.
REVISION = (
    "Revised: alarm checks",
    "Test the low-purity alarm monthly with the test button; a unit that fails goes to biomedical maintenance.",
)


def leaflet(title: str, sections: list[tuple[str, str]], *, edition: str) -> bytes:
    """A small real PDF: a title, headed sections of text and the edition line (any script, as text)."""
    fonts = get_fonts()
    story = [Paragraph(fonts.markup(clean_text(title), bold=True), STYLE_TITLE), Spacer(1, 8)]
    for heading, text in sections:
        story.append(Paragraph(fonts.markup(clean_text(heading), bold=True), STYLE_SECTION))
        story.append(Paragraph(fonts.markup(clean_text(text)), STYLE_BODY))
    story += [Spacer(1, 12), Paragraph(fonts.markup(edition), STYLE_BODY)]
    return render(
        story,
        fonts=fonts,
        pagesize=A4,
        title=title,
        author="Smart Health Responder demo",
        doc_date=None,
        band=None,
        footer_left=None,
    )


def load_demo(context: dict) -> None:
    """Publish the demo links and PDFs (one PDF with two versions) through the materials services."""
    now, users, providers = utcnow(), context["users"], context["providers"]
    coordinator = users["coordinator@responder.example.org"]
    logins = {0: users["provider@medasia.example.org"], 4: users["provider@afya.example.org"]}

    def publisher(provider: int | None):
        """(who publishes, provider_id to name): a provider's own login, else the coordinator for it."""
        if provider in logins:
            return logins[provider], None
        return coordinator, None if provider is ASSOCIATION else providers[provider].id

    for title, topic, language, url, provider, description, days in LINKS:
        by, provider_id = publisher(provider)
        with clock_at(now - timedelta(days=days)):
            services.create_link_material(
                by=by,
                title=title,
                topic=topic,
                language=language,
                url=url,
                description=description,
                provider_id=provider_id,
            )
    first = None
    for title, topic, language, provider, file_name, days, sections in PDFS:
        by, provider_id = publisher(provider)
        published = now - timedelta(days=days)
        with clock_at(published):
            material = services.create_pdf_material(
                by=by,
                title=title,
                topic=topic,
                stream=io.BytesIO(leaflet(title, sections, edition=f"Edition {published:%Y-%m}")),
                file_name=file_name,
                content_type="application/pdf",
                language=language,
                provider_id=provider_id,
            )
        first = first or (material, by, title, sections, published)
    material, by, title, sections, published = first
    revised = published + timedelta(days=30)
    with clock_at(revised):
        services.add_version(
            material=material,
            by=by,
            stream=io.BytesIO(leaflet(title, [*sections, REVISION], edition=f"Edition {revised:%Y-%m}")),
            file_name=material.file_name,
            content_type="application/pdf",
        )
