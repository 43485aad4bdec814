"""Demo training: programs past and upcoming across providers, networks and languages, through the services.

Every program is created, every participant enrolled, cancelled, promoted from the waitlist and marked by
the training services, each step at its own moment (``db.clock_at``): so seats never exceed capacity,
waitlist tickets run 1, 2, 3 … and the audit trail and notifications are the real ones. Past programs
(onsite, online and a webinar with its recording) have their attendance marked and a completion
certificate issued for each (registered PDFs, verifiable); upcoming ones include a full program with a waitlist
and a webinar starting within two days whose join link the enrolled cities see.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from health_responder.db import clock_at, utcnow
from health_responder.extensions import db
from health_responder.training import certificates, services
from health_responder.training.models import Enrolment, EnrolmentStatus

#: Who acts for a city: its demo login when it has one, else the coordinator (staff name the city).
CITY_LOGINS = {0: "city@sejong.example.org", 4: "city@ulyanovsk.example.org"}
PROVIDER_LOGINS = {0: "provider@medasia.example.org", 4: "provider@afya.example.org"}

# Each program: provider (index), its fields, when it starts (days from today, hour UTC), how long it
# lasts (hours), and its participants: (city index, name, e-mail, what happens to them). For a past
# program the outcome is what the provider marked (completed, attended, no_show); "cancel" is a place
# given up before the start (its seat goes to the first on the waitlist).
PROGRAMS = [
    {
        "provider": 0,
        "title": "초음파 진단 실습 (Point-of-care ultrasound)",
        "topic": "diagnostics",
        "language": "ko",
        "mode": "onsite",
        "venue": "MedAsia 부산 교육장, 부산 신항",
        "timezone": "Asia/Seoul",
        "day": -40,
        "hour": 0,
        "hours": 7,
        "capacity": 10,
        "networks": ["CJK"],
        "people": [
            (0, "김서연", "seoyeon.kim@sejong.example.org", "completed"),
            (0, "최민서", "minseo.choi@sejong.example.org", "no_show"),
            (12, "박하준", "hajun.park@daegu.example.org", "completed"),
            (1, "Jung Hae-in", "haein.jung@busan.example.org", "attended"),
        ],
    },
    {
        "provider": 2,
        "title": "Искусственная вентиляция лёгких: практикум",
        "topic": "ventilation",
        "language": "ru",
        "mode": "onsite",
        "venue": "Учебный центр Sibir MedTech, Новосибирск, ул. Станционная",
        "timezone": "Asia/Novosibirsk",
        "day": -150,
        "hour": 3,
        "hours": 8,
        "capacity": 8,
        "networks": ["NEASCN"],
        "people": [
            (4, "Иван Петров", "ivan.petrov@ulyanovsk.example.org", "completed"),
            (4, "Ольга Иванова", "olga.ivanova@ulyanovsk.example.org", "completed"),
            (5, "Сергей Бадмаев", "sergey.badmaev@ulan-ude.example.org", "completed"),
            (15, "Дмитрий Козлов", "dmitry.kozlov@vladivostok.example.org", "no_show"),
            (16, "Батбаяр Дорж", "batbayar.dorj@ulaanbaatar.example.org", "completed"),
        ],
    },
    {
        "provider": 5,
        "title": "Mantenimiento preventivo de equipos biomédicos",
        "topic": "biomedical_maintenance",
        "language": "es",
        "mode": "onsite",
        "venue": "Andes Salud, Zona Franca, Bogotá",
        "timezone": "America/Bogota",
        "day": -200,
        "hour": 13,
        "hours": 6,
        "capacity": 3,
        "networks": ["LASCN"],
        "people": [
            (10, "Camila Restrepo", "camila.restrepo@medellin.example.org", "completed"),
            (24, "Andrés Gómez", "andres.gomez@bogota.example.org", "cancel"),
            (25, "Sofía Hernández", "sofia.hernandez@cdmx.example.org", "completed"),
            (26, "Martín Fernández", "martin.fernandez@cordoba.example.org", "completed"),  # waitlisted first
        ],
    },
    {
        "provider": 7,
        "title": "Webinar: oxigenoterapia en el hogar y en el centro de salud",
        "topic": "oxygen_therapy",
        "language": "es",
        "mode": "webinar",
        "join_url": "https://webinar.conosurmedica.example.org/j/oxigeno-2026",
        "recording_url": "https://webinar.conosurmedica.example.org/recordings/oxigeno-2026",
        "timezone": "America/Argentina/Cordoba",
        "day": -75,
        "hour": 14,
        "hours": 1.5,
        "capacity": 200,
        "networks": ["LASCN", "AfSCN"],
        "people": [
            (11, "Lucas Oliveira", "lucas.oliveira@saopaulo.example.org", "completed"),
            (10, "Valentina Ruiz", "valentina.ruiz@medellin.example.org", "completed"),
            (8, "Aline Uwase", "aline.uwase@kigali.example.org", "attended"),
            (23, "Aïssatou Diop", "aissatou.diop@dakar.example.org", "completed"),
        ],
    },
    {
        "provider": 4,
        "title": "Oxygen therapy for district teams",
        "topic": "oxygen_therapy",
        "language": "en",
        "mode": "online",
        "link": "https://learn.afya.example.org/oxygen-district",
        "timezone": "Africa/Nairobi",
        "day": -120,
        "hour": 6,
        "hours": 4,
        "capacity": 20,
        "networks": ["AfSCN"],
        "people": [
            (8, "Eric Mugisha", "eric.mugisha@kigali.example.org", "completed"),
            (9, "John Mwangi", "john.mwangi@nairobi.example.org", "completed"),
            (22, "Selam Tesfaye", "selam.tesfaye@addis.example.org", "completed"),
            (21, "منى حسن", "mona.hassan@cairo.example.org", "no_show"),
        ],
    },
    # --- upcoming ---------------------------------------------------------------------------------
    {
        "provider": 0,
        "title": "산소 치료 기초 과정 (Oxygen therapy basics)",
        "topic": "oxygen_therapy",
        "language": "ko",
        "mode": "onsite",
        "venue": "MedAsia 인천 교육센터, 송도",
        "description": "산소 농축기의 설치, 유량 설정, 소독과 점검.",
        "timezone": "Asia/Seoul",
        "day": 21,
        "hour": 0,
        "hours": 8,
        "capacity": 12,
        "networks": ["CJK", "NEASCN"],
        "people": [
            (0, "김서연", "seoyeon.kim@sejong.example.org", None),
            (0, "이도윤", "doyun.lee@sejong.example.org", None),
            (4, "Анна Смирнова", "anna.smirnova@ulyanovsk.example.org", None),
        ],
    },
    {
        "provider": 0,
        "title": "Mechanical ventilation for ward teams",
        "topic": "ventilation",
        "language": "en",
        "mode": "online",
        "link": "https://training.medasia.example.org/ventilation",
        "day": 30,
        "hour": 1,
        "hours": 4,
        "capacity": 25,
        "people": [(0, "박지훈", "jihoon.park@sejong.example.org", None)],
    },
    {
        "provider": 4,
        "title": "Infection prevention and control in field clinics",
        "topic": "infection_control",
        "language": "en",
        "mode": "onsite",
        "venue": "Afya Relief training hall, Mombasa Road, Nairobi",
        "timezone": "Africa/Nairobi",
        "day": 10,
        "hour": 6,
        "hours": 32,
        "capacity": 2,
        "people": [
            (4, "Иван Петров", "ivan.petrov@ulyanovsk.example.org", None),
            (4, "Ольга Иванова", "olga.ivanova@ulyanovsk.example.org", None),
            (4, "Дмитрий Соколов", "dmitry.sokolov@ulyanovsk.example.org", None),  # waitlist ticket 1
            (9, "Grace Wanjiku", "grace.wanjiku@nairobi.example.org", None),  # waitlist ticket 2
        ],
    },
    {
        "provider": 4,
        "title": "Chaîne du froid : vaccins et réfrigérateurs solaires",
        "topic": "cold_chain",
        "language": "fr",
        "mode": "online",
        "link": "https://learn.afya.example.org/cold-chain",
        "day": 45,
        "hour": 8,
        "hours": 4,
        "capacity": 40,
        "published": False,
        "people": [],
    },
    {
        "provider": 4,
        "title": "Webinar: the vaccine cold chain in the hot season",
        "topic": "cold_chain",
        "language": "en",
        "mode": "webinar",
        "join_url": "https://meet.afya.example.org/j/cold-chain-hot-season",
        "timezone": "Africa/Nairobi",
        "hours_from_now": 30,  # within the reminders' 48 hours whenever the demo is loaded
        "hours": 1.5,
        "capacity": 100,
        "people": [
            (0, "이도윤", "doyun.lee@sejong.example.org", None),
            (8, "Aline Uwase", "aline.uwase@kigali.example.org", None),
            (9, "John Mwangi", "john.mwangi@nairobi.example.org", None),
            (6, "Nguyễn Văn An", "an.nguyen@danang.example.org", None),
        ],
    },
    {
        "provider": 3,
        "title": "Cold chain logistics for vaccination campaigns",
        "topic": "cold_chain",
        "language": "en",
        "mode": "onsite",
        "venue": "ASEAN Health Logistics, Tuas South Ave 1, Singapore",
        "timezone": "Asia/Singapore",
        "day": 40,
        "hour": 1,
        "hours": 7,
        "capacity": 15,
        "networks": ["ASCN"],
        "people": [
            (6, "Nguyễn Văn An", "an.nguyen@danang.example.org", None),
            (17, "Trần Thị Hương", "huong.tran@hanoi.example.org", None),
            (18, "สมชาย ใจดี", "somchai.j@bangkok.example.org", None),
        ],
    },
    {
        "provider": 1,
        "title": "人工呼吸器の保守点検 (Ventilator maintenance)",
        "topic": "biomedical_maintenance",
        "language": "ja",
        "mode": "onsite",
        "venue": "日本医療機器販売 大阪研修センター",
        "timezone": "Asia/Tokyo",
        "day": 25,
        "hour": 1,
        "hours": 6,
        "capacity": 6,
        "networks": ["CJK"],
        "people": [
            (2, "佐藤 花子", "hanako.sato@yokohama.example.org", None),
            (14, "田中 健", "ken.tanaka@fukuoka.example.org", None),
        ],
    },
]

#: The fields of a program spec that go to ``services.create_program`` as they are.
FIELDS = ("title", "topic", "language", "mode", "venue", "link", "join_url", "description", "timezone")


def _start(spec: dict, now: datetime, today) -> datetime:
    if "hours_from_now" in spec:
        return (now + timedelta(hours=spec["hours_from_now"])).replace(minute=0, second=0, microsecond=0)
    return datetime.combine(today + timedelta(days=spec["day"]), datetime.min.time(), UTC) + timedelta(
        hours=spec["hour"]
    )


def load_demo(context: dict) -> None:
    """Create the demo programs and play their enrolments, attendance and certificates through the services."""
    now, today, users, providers, cities = (
        utcnow(),
        context["today"],
        context["users"],
        context["providers"],
        context["cities"],
    )
    coordinator = users["coordinator@responder.example.org"]
    programs = []
    for spec in PROGRAMS:
        starts = _start(spec, now, today)
        ends = starts + timedelta(hours=spec["hours"])
        past = ends < now
        # Announced five weeks ahead; upcoming ones a fortnight ago (the imminent webinar a week ago).
        if past:
            created = starts - timedelta(days=35)
        else:
            created = now - timedelta(days=14 if starts - now > timedelta(days=7) else 7)
        deadline = (starts - timedelta(days=5 if past else 1)).date()
        by = users.get(PROVIDER_LOGINS.get(spec["provider"]), coordinator)
        with clock_at(created):
            program = services.create_program(
                by=by,
                provider_id=None if by is not coordinator else providers[spec["provider"]].id,
                published=spec.get("published", True),
                networks=spec.get("networks", ()),
                starts_at=starts,
                ends_at=ends,
                enrolment_deadline=deadline,
                capacity=spec["capacity"],
                **{name: spec[name] for name in FIELDS if name in spec},
            )
        programs.append(program)
        if not spec["people"]:
            continue
        # Enrolments arrive over the days after the announcement, before the deadline (and before now).
        last = min(datetime.combine(deadline, datetime.min.time(), UTC), now - timedelta(hours=2))
        step = (last - created) / (len(spec["people"]) + 1)
        places = []
        for index, (city, name, email, outcome) in enumerate(spec["people"], start=1):
            enroller = users.get(CITY_LOGINS.get(city), coordinator)
            with clock_at(created + step * index):
                enrolment = services.enrol(
                    program=program,
                    by=enroller,
                    participant_name=name,
                    participant_email=email,
                    city_id=None if enroller is not coordinator else cities[city].id,
                )
            places.append((enrolment, enroller, outcome))
        with clock_at(created + step * (len(spec["people"]) + 0.5)):
            for enrolment, enroller, outcome in places:
                if outcome == "cancel":
                    services.cancel_enrolment(enrolment=enrolment, by=enroller)
        if past:
            _attendance(program, by, places, spec)
    db.session.flush()
    context["programs"] = programs


def _attendance(program, by, places, spec: dict) -> None:
    """The provider marks everyone an hour after the end; completed participants' cities get certificates."""
    marked = program.ends_at + timedelta(hours=1)
    with clock_at(marked):
        for enrolment, _enroller, outcome in places:
            if outcome in (None, "cancel"):
                continue
            services.mark_attendance(enrolment=enrolment, by=by, status=outcome)
    if spec.get("recording_url"):
        with clock_at(marked + timedelta(hours=20)):
            services.update_program(program=program, by=by, recording_url=spec["recording_url"])
    completed = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.program_id == program.id, Enrolment.status == EnrolmentStatus.COMPLETED)
        .order_by(Enrolment.id)
    ).all()
    # The first completion of each program gets its certificate issued (each is a PDF: the rest are
    # issued, the same way, when someone asks for them).
    with clock_at(marked + timedelta(days=1)):
        for enrolment in completed[:1]:
            certificates.certificate(enrolment=enrolment, by=by)
