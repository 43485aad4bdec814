"""Demo publications for the Data Portal: findings with partners and research, one of them a real PDF.

Published by the coordinator through the publications service, each on its own day (``db.clock_at``).
The monthly statistics report is not made here: the real monthly_statistics check publishes it when
the demo runs its checks (``health_responder.seed``).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

from health_responder.db import clock_at
from health_responder.materials.seed import leaflet
from health_responder.publications import services

# kind, title, summary, partners, networks, topics, days ago, url (None: a PDF built here)
PUBLICATIONS = [
    (
        "research",
        "Biomedical equipment downtime in municipal hospitals of Latin America",
        "Eighteen months of maintenance logs from eleven hospitals: a third of ventilator downtime came "
        "from missing spare parts, not from faults.",
        "PAHO; Universidad de Antioquia",
        ["LASCN"],
        ["biomedical_maintenance", "ventilation"],
        200,
        "https://andessalud.example.org/research/equipment-downtime",
    ),
    (
        "finding",
        "Oxygen readiness of CJK member cities",
        "Joint review of oxygen concentrators, cylinders and trained staff in nine cities, with the gaps "
        "the association's requests have since closed.",
        "WHO Western Pacific Regional Office; KOICA",
        ["CJK"],
        ["oxygen_therapy"],
        120,
        "https://www.who.int/westernpacific/health-topics/oxygen",
    ),
    (
        "research",
        "Solar refrigerators in the field: two years of temperature logs",
        "How often solar direct-drive refrigerators left the 2–8 °C range in eight health posts, and what "
        "the staff did about it.",
        "Afya Relief; University of Nairobi",
        ["AfSCN"],
        ["cold_chain"],
        60,
        None,
    ),
    (
        "finding",
        "Lessons from the flood response in Đà Nẵng and Cebu City",
        "What reached the field clinics in time, what did not, and why: lead times, back-orders and "
        "infection control after the floods.",
        "ASEAN Secretariat; Philippine Red Cross",
        ["ASCN"],
        ["infection_control"],
        30,
        "https://asean.example.org/reports/flood-response-health",
    ),
    (
        "finding",
        "Ventilator maintenance across NEASCN cities",
        "A survey of 64 ventilators in five cities: maintenance intervals, spare parts and staff trained.",
        "Sibir MedTech; Ulyanovsk Oblast Ministry of Health",
        ["NEASCN"],
        ["ventilation", "biomedical_maintenance"],
        15,
        "https://docs.sibirmedtech.example.org/survey/ventilators",
    ),
]


def load_demo(context: dict) -> None:
    """Publish the demo findings and research through the publications service."""
    today, coordinator = context["today"], context["users"]["coordinator@responder.example.org"]
    for kind, title, summary, partners, networks, topics, days, url in PUBLICATIONS:
        day = today - timedelta(days=days)
        upload = None
        if url is None:
            upload = io.BytesIO(
                leaflet(
                    title, [("Summary", summary), ("Partners", partners)], edition=f"Published {day:%Y-%m-%d}"
                )
            )
        with clock_at(datetime.combine(day, time(9), UTC)):
            services.create_publication(
                by=coordinator,
                title=title,
                kind=kind,
                published_on=day,
                summary=summary,
                partners=partners,
                url=url,
                topics=topics,
                networks=networks,
                upload=upload,
                file_name="solar-refrigerators-field-study.pdf" if upload else None,
            )
