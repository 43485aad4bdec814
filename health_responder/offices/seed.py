"""Demo regional offices: one or two for each of the five networks, serving the demo cities."""

from __future__ import annotations

from health_responder.extensions import db
from health_responder.offices.models import OfficeCity, RegionalOffice

# network, name, country, address, contact, email, phone, languages, timezone
OFFICES = [
    (
        "CJK",
        "CJK Regional Office Seoul",
        "KR",
        "110 Sejong-daero, Jung-gu, Seoul",
        "Han Ji-min",
        "cjk.office@responder.example.org",
        "+82 2 0000 1100",
        "ko,en,ja,zh",
        "Asia/Seoul",
    ),
    (
        "NEASCN",
        "NEASCN Regional Office Vladivostok",
        "RU",
        "ул. Светланская, 22, Владивосток",
        "Елена Кузнецова",
        "neascn.office@responder.example.org",
        "+7 423 000 2200",
        "ru,en",
        "Asia/Vladivostok",
    ),
    (
        "ASCN",
        "ASCN Regional Office Singapore",
        "SG",
        "1 Raffles Place, Singapore",
        "Tan Wei Ling",
        "ascn.office@responder.example.org",
        "+65 6000 3300",
        "en",
        "Asia/Singapore",
    ),
    (
        "AfSCN",
        "AfSCN Regional Office Kigali",
        "RW",
        "KG 7 Ave, Kigali",
        "Eric Habimana",
        "afscn.office@responder.example.org",
        "+250 788 004 400",
        "en,fr",
        "Africa/Kigali",
    ),
    (
        "AfSCN",
        "AfSCN Liaison Desk Nairobi",
        "KE",
        "UN Avenue, Gigiri, Nairobi",
        "Grace Otieno",
        "afscn.nairobi@responder.example.org",
        "+254 20 000 4410",
        "en",
        "Africa/Nairobi",
    ),
    (
        "LASCN",
        "LASCN Oficina Regional Bogotá",
        "CO",
        "Carrera 7 #32-16, Bogotá",
        "Andrés Gómez",
        "lascn.office@responder.example.org",
        "+57 601 000 5500",
        "es,pt,en",
        "America/Bogota",
    ),
]


def load_demo(context: dict) -> None:
    """Create the demo offices; each serves its network's demo cities (Nairobi's desk: Nairobi only)."""
    networks, cities = context["networks"], context["cities"]
    for code, name, country, address, contact, email, phone, languages, timezone in OFFICES:
        office = RegionalOffice(
            network_id=networks[code].id,
            name=name,
            country=country,
            address=address,
            contact_name=contact,
            contact_email=email,
            contact_phone=phone,
            languages=languages,
            timezone=timezone,
        )
        db.session.add(office)
        db.session.flush()
        served = [c for c in cities if c.network_id == networks[code].id]
        if name.endswith("Nairobi"):
            served = [c for c in served if c.name == "Nairobi"]
        elif code == "AfSCN":
            served = [c for c in served if c.name != "Nairobi"]
        db.session.add_all(OfficeCity(office_id=office.id, city_id=c.id) for c in served)
