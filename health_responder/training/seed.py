"""Demo training: programs by the demo providers on several topics and languages (Korean among them),
enrolments from the demo cities, a full program with a waitlist, a past program with completions, and
a few knowledge-hub links.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from health_responder.extensions import db
from health_responder.materials import services as materials
from health_responder.training import services
from health_responder.training.models import Enrolment, EnrolmentStatus, ProgramStatus, TrainingProgram


def _at(day, hour: int) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def load_demo(context: dict) -> None:
    """Create the demo programs and enrolments through the same services the API uses."""
    today, users, providers, cities = (
        context["today"],
        context["users"],
        context["providers"],
        context["cities"],
    )
    medasia, afya = users["provider@medasia.example.org"], users["provider@afya.example.org"]
    sejong, ulyanovsk = users["city@sejong.example.org"], users["city@ulyanovsk.example.org"]
    coordinator = users["coordinator@responder.example.org"]

    oxygen = services.create_program(
        by=medasia,
        title="산소 치료 기초 과정 (Oxygen therapy basics)",
        topic="oxygen_therapy",
        language="ko",
        mode="onsite",
        venue="MedAsia 인천 교육센터, 송도",
        description="산소 농축기의 설치, 유량 설정, 소독과 점검.",
        starts_at=_at(today + timedelta(days=21), 0),
        ends_at=_at(today + timedelta(days=21), 8),
        enrolment_deadline=today + timedelta(days=14),
        capacity=12,
        networks=["CJK", "NEASCN"],
    )
    ventilation = services.create_program(
        by=medasia,
        title="Mechanical ventilation for ward teams",
        topic="ventilation",
        language="en",
        mode="online",
        link="https://training.medasia.example.org/ventilation",
        starts_at=_at(today + timedelta(days=30), 1),
        ends_at=_at(today + timedelta(days=30), 5),
        enrolment_deadline=today + timedelta(days=25),
        capacity=25,
    )
    ipc = services.create_program(
        by=afya,
        title="Infection prevention and control in field clinics",
        topic="infection_control",
        language="en",
        mode="onsite",
        venue="Afya Relief training hall, Mombasa Road, Nairobi",
        starts_at=_at(today + timedelta(days=10), 6),
        ends_at=_at(today + timedelta(days=11), 14),
        enrolment_deadline=today + timedelta(days=7),
        capacity=2,
    )
    services.create_program(
        by=afya,
        title="Chaîne du froid : vaccins et réfrigérateurs solaires",
        topic="cold_chain",
        language="fr",
        mode="online",
        link="https://learn.afya.example.org/cold-chain",
        starts_at=_at(today + timedelta(days=45), 8),
        ends_at=_at(today + timedelta(days=45), 12),
        enrolment_deadline=today + timedelta(days=40),
        capacity=40,
        published=False,
    )

    for program, by, people in (
        (
            oxygen,
            sejong,
            [("김서연", "seoyeon.kim@sejong.example.org"), ("이도윤", "doyun.lee@sejong.example.org")],
        ),
        (oxygen, ulyanovsk, [("Анна Смирнова", "anna.smirnova@ulyanovsk.example.org")]),
        (ventilation, sejong, [("박지훈", "jihoon.park@sejong.example.org")]),
        (
            ipc,
            ulyanovsk,
            [
                ("Иван Петров", "ivan.petrov@ulyanovsk.example.org"),
                ("Ольга Иванова", "olga.ivanova@ulyanovsk.example.org"),
                ("Дмитрий Соколов", "dmitry.sokolov@ulyanovsk.example.org"),
            ],
        ),  # the third waits
    ):
        for name, email in people:
            services.enrol(program=program, by=by, participant_name=name, participant_email=email)

    # A program that already took place: written directly (its deadline is past), with completions,
    # so the readiness view and the certificate have something to show.
    past_start = _at(today - timedelta(days=40), 0)
    past = TrainingProgram(
        provider_id=providers[0].id,
        title="초음파 진단 실습 (Point-of-care ultrasound)",
        topic="diagnostics",
        language="ko",
        mode="onsite",
        venue="MedAsia 부산 교육장",
        starts_at=past_start,
        ends_at=past_start + timedelta(hours=7),
        enrolment_deadline=(past_start - timedelta(days=7)).date(),
        capacity=10,
        seats_taken=2,
        status=ProgramStatus.PUBLISHED,
        published_at=past_start - timedelta(days=30),
        created_by_id=medasia.id,
    )
    db.session.add(past)
    db.session.flush()
    done = past.ends_at + timedelta(hours=1)
    db.session.add_all(
        [
            Enrolment(
                program_id=past.id,
                city_id=cities[0].id,
                participant_name="김서연",
                participant_email="seoyeon.kim@sejong.example.org",
                status=EnrolmentStatus.COMPLETED,
                enrolled_by_id=sejong.id,
                marked_at=done,
                completed_at=done,
            ),
            Enrolment(
                program_id=past.id,
                city_id=cities[0].id,
                participant_name="최민서",
                participant_email="minseo.choi@sejong.example.org",
                status=EnrolmentStatus.NO_SHOW,
                enrolled_by_id=sejong.id,
                marked_at=done,
            ),
        ]
    )

    for title, topic, language, url in (
        (
            "WHO: Oxygen therapy for children",
            "oxygen_therapy",
            "en",
            "https://www.who.int/publications/i/item/9789241549554",
        ),
        (
            "산소 농축기 사용 안내서",
            "oxygen_therapy",
            "ko",
            "https://training.medasia.example.org/docs/oxygen-ko",
        ),
        (
            "Standard precautions in health care",
            "infection_control",
            "en",
            "https://www.who.int/publications/m/item/standard-precautions-in-health-care",
        ),
        (
            "Vaccine cold chain handbook",
            "cold_chain",
            "en",
            "https://learn.afya.example.org/cold-chain/handbook",
        ),
    ):
        materials.create_link_material(by=coordinator, title=title, topic=topic, language=language, url=url)
    db.session.flush()
