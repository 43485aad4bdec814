"""Demo data: the five networks, 27 cities, eight providers, 48 items, stock, a year of requests, training,
the knowledge hub, publications, a fortnight of checks and alerts, and one login per role.

``build_demo()`` is what ``flask seed demo`` (and so ``make run``) calls: ``load_demo()`` in one
transaction, then ``seed_checks.run_checks()``, which runs the real checks through the scheduler's runner
in transactions of their own.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from health_responder import features
from health_responder.auth import services as auth
from health_responder.db import utc_today
from health_responder.extensions import db
from health_responder.providers.models import Provider, ProviderNetwork, StockLocation
from health_responder.reference.gtin import normalize_gtin
from health_responder.reference.models import City, Item, Network, TrainingTopic

NETWORKS = [
    ("CJK", "China-Japan-Korea Smart City Network"),
    ("NEASCN", "North-East Asia Smart City Network"),
    ("ASCN", "ASEAN Smart Cities Network"),
    ("AfSCN", "African Smart Cities Network"),
    ("LASCN", "Latin American Smart Cities Network"),
]

TOPICS = [
    ("oxygen_therapy", "Oxygen therapy"),
    ("ventilation", "Mechanical ventilation"),
    ("diagnostics", "Diagnostics and testing"),
    ("cold_chain", "Cold chain management"),
    ("infection_control", "Infection prevention and control"),
    ("biomedical_maintenance", "Biomedical equipment maintenance"),
]

#: The Korean names the demo's topics and some of its items carry (``name_ko``: Korean pages show them).
TOPIC_NAMES_KO = {
    "oxygen_therapy": "산소 치료",
    "ventilation": "기계 환기",
    "diagnostics": "진단 검사",
    "cold_chain": "콜드 체인 관리",
    "infection_control": "감염 예방 및 관리",
    "biomedical_maintenance": "의료 장비 유지 보수",
}
ITEM_NAMES_KO = {
    "OXY-CONC-10L": "산소 발생기 10 L/분",
    "OXY-CONC-5L": "산소 발생기 5 L/분",
    "OXY-CYL-D": "산소 실린더 D형",
    "VENT-ICU": "중환자실 인공호흡기",
    "PULSE-OXI": "맥박 산소 측정기",
    "MASK-N95": "N95 마스크",
    "MASK-SURG": "수술용 마스크",
    "GOWN-ISO": "격리 가운",
    "VAC-CARRIER": "백신 운반 상자",
    "FRIDGE-SOLAR": "태양광 백신 냉장고",
}

# name, country, network, timezone, address, contact
CITIES = [
    ("세종", "KR", "CJK", "Asia/Seoul", "세종특별자치시 한누리대로 2130", "김민준"),
    ("Busan", "KR", "CJK", "Asia/Seoul", "1001 Jungang-daero, Yeonje-gu, Busan", "Park Ji-woo"),
    ("横浜", "JP", "CJK", "Asia/Tokyo", "神奈川県横浜市中区本町6-50-10", "佐藤 花子"),
    ("深圳", "CN", "CJK", "Asia/Shanghai", "广东省深圳市福田区福中三路", "李伟"),
    ("Ульяновск", "RU", "NEASCN", "Europe/Ulyanovsk", "ул. Кузнецова, 7, Ульяновск", "Иван Петров"),
    ("Улан-Удэ", "RU", "NEASCN", "Asia/Irkutsk", "ул. Ленина, 54, Улан-Удэ", "Ольга Иванова"),
    ("Đà Nẵng", "VN", "ASCN", "Asia/Ho_Chi_Minh", "24 Trần Phú, Hải Châu, Đà Nẵng", "Nguyễn Văn An"),
    ("Cebu City", "PH", "ASCN", "Asia/Manila", "Osmeña Blvd, Cebu City", "Maria Santos"),
    ("Kigali", "RW", "AfSCN", "Africa/Kigali", "KN 3 Rd, Kigali", "Aline Uwase"),
    ("Nairobi", "KE", "AfSCN", "Africa/Nairobi", "City Hall Way, Nairobi", "John Mwangi"),
    ("Medellín", "CO", "LASCN", "America/Bogota", "Calle 44 #52-165, Medellín", "Camila Restrepo"),
    ("São Paulo", "BR", "LASCN", "America/Sao_Paulo", "Viaduto do Chá, 15, São Paulo", "Lucas Oliveira"),
    ("대구", "KR", "CJK", "Asia/Seoul", "대구광역시 중구 공평로 88", "이지은"),
    ("成都", "CN", "CJK", "Asia/Shanghai", "四川省成都市高新区锦城大道 366号", "王芳"),
    ("福岡", "JP", "CJK", "Asia/Tokyo", "福岡県福岡市中央区天神1-8-1", "田中 健"),
    ("Владивосток", "RU", "NEASCN", "Asia/Vladivostok", "ул. Светланская, 22, Владивосток", "Дмитрий Козлов"),
    ("Улаанбаатар", "MN", "NEASCN", "Asia/Ulaanbaatar", "Сүхбаатарын талбай, Улаанбаатар", "Батбаяр Дорж"),
    ("Hà Nội", "VN", "ASCN", "Asia/Ho_Chi_Minh", "79 Đinh Tiên Hoàng, Hoàn Kiếm, Hà Nội", "Trần Thị Hương"),
    ("กรุงเทพมหานคร", "TH", "ASCN", "Asia/Bangkok", "173 ถนนดินสอ เขตพระนคร กรุงเทพฯ", "สมชาย ใจดี"),
    ("Surabaya", "ID", "ASCN", "Asia/Jakarta", "Jl. Taman Surya No. 1, Surabaya", "Siti Rahayu"),
    ("الدار البيضاء", "MA", "AfSCN", "Africa/Casablanca", "ساحة محمد الخامس، الدار البيضاء", "يوسف العلوي"),
    ("القاهرة", "EG", "AfSCN", "Africa/Cairo", "شارع الجمهورية، القاهرة", "منى حسن"),
    ("አዲስ አበባ", "ET", "AfSCN", "Africa/Addis_Ababa", "Churchill Ave, Addis Ababa", "Selam Tesfaye"),
    ("Dakar", "SN", "AfSCN", "Africa/Dakar", "Place de l'Indépendance, Dakar", "Aïssatou Diop"),
    ("Bogotá", "CO", "LASCN", "America/Bogota", "Carrera 8 #10-65, Bogotá", "Andrés Gómez"),
    (
        "Ciudad de México",
        "MX",
        "LASCN",
        "America/Mexico_City",
        "Plaza de la Constitución s/n, CDMX",
        "Sofía Hernández",
    ),
    (
        "Córdoba",
        "AR",
        "LASCN",
        "America/Argentina/Cordoba",
        "Marcelo T. de Alvear 120, Córdoba",
        "Martín Fernández",
    ),
]

# name, country, kind, networks served, locations [(name, country, address)]
#: The time zone of a demo warehouse, by its country (its provider's users read times in it).
WAREHOUSE_ZONES = {
    "KR": "Asia/Seoul",
    "JP": "Asia/Tokyo",
    "CN": "Asia/Shanghai",
    "RU": "Europe/Moscow",
    "KE": "Africa/Nairobi",
    "RW": "Africa/Kigali",
    "CO": "America/Bogota",
    "MN": "Asia/Ulaanbaatar",
    "AR": "America/Argentina/Buenos_Aires",
    "BR": "America/Sao_Paulo",
    "EG": "Africa/Cairo",
    "ET": "Africa/Addis_Ababa",
    "ID": "Asia/Jakarta",
    "MA": "Africa/Casablanca",
    "MX": "America/Mexico_City",
    "PH": "Asia/Manila",
    "SG": "Asia/Singapore",
    "SN": "Africa/Dakar",
    "TH": "Asia/Bangkok",
    "VN": "Asia/Ho_Chi_Minh",
}

PROVIDERS = [
    (
        "MedAsia Supply",
        "KR",
        "distributor",
        ["CJK", "NEASCN"],
        [
            ("Incheon Hub", "KR", "Incheon Free Economic Zone, Songdo"),
            ("Busan Port Depot", "KR", "Busan New Port"),
        ],
    ),
    ("日本医療機器販売", "JP", "distributor", ["CJK"], [("大阪倉庫", "JP", "大阪府大阪市住之江区南港北")]),
    (
        "Sibir MedTech",
        "RU",
        "manufacturer",
        ["NEASCN"],
        [("Новосибирск склад", "RU", "Новосибирск, ул. Станционная")],
    ),
    ("ASEAN Health Logistics", "SG", "distributor", ["ASCN"], [("Singapore DC", "SG", "Tuas South Ave 1")]),
    ("Afya Relief", "KE", "ngo", ["AfSCN"], [("Nairobi Warehouse", "KE", "Mombasa Road, Nairobi")]),
    ("Andes Salud", "CO", "distributor", ["LASCN"], [("Bogotá Centro", "CO", "Zona Franca, Bogotá")]),
    (
        "Sahel Santé Distribution",
        "SN",
        "distributor",
        ["AfSCN"],
        [
            ("Entrepôt de Dakar", "SN", "Zone franche industrielle, Dakar"),
            ("مستودع الدار البيضاء", "MA", "المنطقة الحرة، الدار البيضاء"),
        ],
    ),
    (
        "Cono Sur Médica",
        "AR",
        "manufacturer",
        ["LASCN", "AfSCN"],
        [
            ("Depósito Córdoba", "AR", "Parque Industrial, Córdoba"),
            ("Centro de distribuição Campinas", "BR", "Aeroporto de Viracopos, Campinas"),
            ("Almacén Ciudad de México", "MX", "Vallejo, Azcapotzalco, CDMX"),
        ],
    ),
]

# code, name, category, unit, cold chain, training
ITEMS = [
    ("OXY-CONC-10L", "Oxygen concentrator 10 L/min", "respiratory", "each", False, "oxygen_therapy"),
    ("OXY-CONC-5L", "Oxygen concentrator 5 L/min", "respiratory", "each", False, "oxygen_therapy"),
    ("OXY-CYL-D", "Oxygen cylinder, size D", "respiratory", "each", False, "oxygen_therapy"),
    ("OXY-REG", "Oxygen flow regulator", "respiratory", "each", False, None),
    ("VENT-ICU", "ICU ventilator", "respiratory", "each", False, "ventilation"),
    ("VENT-TRANS", "Transport ventilator", "respiratory", "each", False, "ventilation"),
    ("CPAP-MASK", "CPAP mask, adult", "respiratory", "each", False, None),
    ("NASAL-CANN", "Nasal cannula, adult", "consumables", "box of 50", False, None),
    ("PULSE-OXI", "Fingertip pulse oximeter", "monitoring", "each", False, None),
    ("PAT-MON-5", "Patient monitor, 5 parameters", "monitoring", "each", False, "biomedical_maintenance"),
    ("THERMO-IR", "Infrared thermometer", "monitoring", "each", False, None),
    ("BP-AUTO", "Automatic blood pressure monitor", "monitoring", "each", False, None),
    ("ECG-12", "12-lead ECG machine", "diagnostics", "each", False, "diagnostics"),
    ("US-PORT", "Portable ultrasound", "imaging", "each", False, "diagnostics"),
    ("XRAY-DR", "Mobile digital X-ray", "imaging", "each", False, "biomedical_maintenance"),
    ("PCR-KIT-96", "PCR test kit, 96 tests", "diagnostics", "kit", True, "diagnostics"),
    ("RDT-MAL", "Malaria rapid diagnostic test", "diagnostics", "box of 25", False, None),
    ("RDT-COV", "Antigen rapid test", "diagnostics", "box of 25", False, None),
    ("GLUCO-MET", "Glucometer with strips", "diagnostics", "kit", False, None),
    ("MASK-N95", "N95 respirator", "ppe", "box of 20", False, "infection_control"),
    ("MASK-SURG", "Surgical mask", "ppe", "box of 50", False, None),
    ("GOWN-ISO", "Isolation gown", "ppe", "pack of 10", False, "infection_control"),
    ("GLOVE-NIT-M", "Nitrile gloves, medium", "ppe", "box of 100", False, None),
    ("FACE-SHIELD", "Face shield", "ppe", "pack of 10", False, None),
    ("VAC-CARRIER", "Vaccine carrier, 1.7 L", "cold_chain", "each", False, "cold_chain"),
    ("ICE-PACK", "Ice pack, 0.4 L", "cold_chain", "each", False, None),
    ("FRIDGE-SOLAR", "Solar direct-drive vaccine refrigerator", "cold_chain", "each", False, "cold_chain"),
    ("TEMP-LOG", "Temperature data logger", "cold_chain", "each", False, "cold_chain"),
    ("SYRINGE-5", "Syringe 5 ml, auto-disable", "consumables", "box of 100", False, None),
    ("IV-SET", "IV infusion set", "consumables", "box of 25", False, None),
    ("DEFIB-AED", "Automated external defibrillator", "emergency", "each", False, "biomedical_maintenance"),
    ("SUCTION-PORT", "Portable suction unit", "emergency", "each", False, None),
    ("VAC-MEASLES", "Measles-rubella vaccine, 10 doses", "vaccines", "vial", True, "cold_chain"),
    ("VAC-OPV", "Oral polio vaccine, 20 doses", "vaccines", "vial", True, "cold_chain"),
    ("INSULIN-R", "Human insulin, regular, 10 ml", "medicines", "vial", True, None),
    ("ORS-SACHET", "Oral rehydration salts", "medicines", "box of 100", False, None),
    ("AMOX-250", "Amoxicillin 250 mg dispersible", "medicines", "box of 100", False, None),
    ("PARA-500", "Paracetamol 500 mg", "medicines", "box of 1000", False, None),
    ("CHLOR-TAB", "Chlorine tablets for water treatment", "wash", "box of 200", False, None),
    ("HAND-RUB", "Alcohol hand rub, 500 ml", "ppe", "each", False, None),
    ("STRETCHER-F", "Folding stretcher", "emergency", "each", False, None),
    ("FIRST-AID", "First-aid kit, community", "emergency", "kit", False, None),
    ("TENT-MED", "Medical tent, 24 m²", "shelter", "each", False, None),
    ("GEN-5KVA", "Generator 5 kVA", "power", "each", False, "biomedical_maintenance"),
    ("SPO2-PROBE", "SpO2 probe, reusable", "monitoring", "each", False, None),
    ("HB-METER", "Haemoglobin meter", "diagnostics", "each", False, "diagnostics"),
    ("SHARPS-BOX", "Sharps container, 5 L", "consumables", "pack of 25", False, None),
    ("BODY-BAG", "Body bag, adult", "consumables", "pack of 10", False, None),
]

#: Items that carry a GS1 trade item number (GTIN-13 / GTIN-14 body; the check digit is computed).
GTIN_BODIES = {
    "OXY-CONC-10L": "880123400001",
    "OXY-CONC-5L": "880123400002",
    "PULSE-OXI": "880123400011",
    "MASK-N95": "450123400021",
    "MASK-SURG": "450123400022",
    "GLOVE-NIT-M": "690123400031",
    "SYRINGE-5": "690123400041",
    "RDT-MAL": "600123400051",
    "RDT-COV": "600123400052",
    "VAC-MEASLES": "890123400061",
    "VAC-OPV": "890123400062",
    "INSULIN-R": "779123400071",
    "ORS-SACHET": "600123400081",
    "AMOX-250": "779123400091",
    "PARA-500": "779123400092",
}


def gtin13(body: str) -> str:
    """The 12 digits and their GS1 check digit (weights 3, 1 from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


DEMO_PASSWORD = "demo-pass-2026"
SIZES = ("small", "large")


def build_demo(size: str = "small", *, if_empty: bool = False) -> list[tuple[str, str, str]] | None:
    """Load the whole demo world, committing as it goes; None (and nothing written) when ``if_empty`` and
    users exist already. Call it with no session open: the checks run in transactions of their own.
    """
    from health_responder import seed_checks
    from health_responder.auth.models import User

    with db.deferred_checkpoints():
        with db.write_session():
            if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
                return None
            logins = load_demo(size=size)
        seed_checks.run_checks()
    return logins


def load_demo(today: date | None = None, size: str = "small") -> list[tuple[str, str, str]]:
    """Insert the demo data in the current session; returns (role, email, password) for each login.

    ``size`` "small" (what ``make run`` loads) or "large" (ten times the history, for benchmarks and charts).
    """
    if size not in SIZES:
        raise ValueError(f"size: one of {', '.join(SIZES)}, not {size!r}")
    today = today or utc_today()
    networks = {}
    for code, name in NETWORKS:
        networks[code] = Network(code=code, name=name)
        db.session.add(networks[code])
    for code, name in TOPICS:
        db.session.add(TrainingTopic(code=code, name=name, name_ko=TOPIC_NAMES_KO.get(code)))
    db.session.flush()

    cities = []
    for name, country, network, tz, address, contact in CITIES:
        city = City(
            name=name,
            country=country,
            network_id=networks[network].id,
            timezone=tz,
            # Korean cities read their documents and messages in Korean, Russian ones in Russian.
            language={"KR": "ko", "RU": "ru"}.get(country, "en"),
            delivery_address=address,
            contact_name=contact,
            contact_email=f"health@{country.lower()}-city{len(cities) + 1}.example.org",
        )
        cities.append(city)
        db.session.add(city)

    providers, locations = [], []
    for name, country, kind, served, warehouses in PROVIDERS:
        provider = Provider(
            name=name,
            country=country,
            kind=kind,
            contact_name="Warehouse desk",
            contact_email=f"desk{len(providers) + 1}@provider.example.org",
        )
        db.session.add(provider)
        db.session.flush()
        providers.append(provider)
        for code in served:
            db.session.add(ProviderNetwork(provider_id=provider.id, network_id=networks[code].id))
        for loc_name, loc_country, address in warehouses:
            location = StockLocation(
                provider_id=provider.id,
                name=loc_name,
                country=loc_country,
                address=address,
                timezone=WAREHOUSE_ZONES.get(loc_country, "UTC"),
            )
            db.session.add(location)
            locations.append(location)

    items = []
    for code, name, category, unit, cold, training in ITEMS:
        item = Item(
            code=code,
            name=name,
            name_ko=ITEM_NAMES_KO.get(code),
            category=category,
            unit=unit,
            requires_cold_chain=cold,
            requires_training=training,
            gtin=normalize_gtin(gtin13(GTIN_BODIES[code])) if code in GTIN_BODIES else None,
        )
        items.append(item)
        db.session.add(item)
    db.session.flush()

    logins = [
        ("admin", "admin@responder.example.org", None, None, "Ada Admin"),
        ("coordinator", "coordinator@responder.example.org", None, None, "Chidi Coordinator"),
        ("city", "city@sejong.example.org", cities[0].id, None, "김서연"),
        ("city", "city@ulyanovsk.example.org", cities[4].id, None, "Анна Смирнова"),
        ("provider", "provider@medasia.example.org", None, providers[0].id, "Min-ho Lee"),
        ("provider", "provider@afya.example.org", None, providers[4].id, "Wanjiru Kamau"),
    ]
    users = {}
    for role, email, city_id, provider_id, name in logins:
        users[email] = auth.create_user(
            email=email,
            password=DEMO_PASSWORD,
            role=role,
            name=name,
            city_id=city_id,
            provider_id=provider_id,
            locale={"sejong.example.org": "ko", "ulyanovsk.example.org": "ru"}.get(email.split("@")[1], "en"),
        )

    context = {
        "today": today,
        "networks": networks,
        "cities": cities,
        "providers": providers,
        "locations": locations,
        "items": items,
        "users": users,
        "size": size,
    }
    # Features with demo data of their own (stock, requests, training …) add it here.
    for module in features.present(features.SEED):
        module.load_demo(context)
    db.session.flush()
    return [(role, email, DEMO_PASSWORD) for role, email, *_rest in logins]
