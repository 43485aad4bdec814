"""Completion certificates: the content of a completed participant's certificate and its registered PDF."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from health_responder import languages
from health_responder.auth.models import User
from health_responder.documents import services as documents
from health_responder.documents.models import Document
from health_responder.errors import Conflict, code_label
from health_responder.extensions import db
from health_responder.providers.models import Provider
from health_responder.reference.models import City, TrainingTopic
from health_responder.training import services
from health_responder.training.models import Enrolment, EnrolmentStatus, TrainingProgram
from health_responder.zones import local_date, zone_key


def certificate_data(
    *, enrolment: Enrolment, verification_code: str = "", verification_url: str = "", language: str = "en"
):
    """The certificate's content for a completed enrolment in ``language`` (a pure function of the stored rows).

    The day of completion is the participant's city's day, and the certificate names that zone.
    """
    from health_responder.reports.data import CertificateData

    program = db.session.get(TrainingProgram, enrolment.program_id)
    provider = db.session.get(Provider, program.provider_id)
    city = db.session.get(City, enrolment.city_id)
    topic = db.session.get(TrainingTopic, program.topic)
    hours = round((program.ends_at - program.starts_at).total_seconds() / 3600, 1)
    return CertificateData(
        association_name=current_app.config["ASSOCIATION_NAME"],
        participant_name=enrolment.participant_name,
        program_title=program.title,
        topic=(topic.name_ko or topic.name if language == "ko" else topic.name) if topic else program.topic,
        provider_name=provider.name,
        city_name=city.name,
        completed_on=local_date(at=_completed_at(enrolment, program), zone=city.timezone),
        verification_url=verification_url,
        verification_code=verification_code,
        duration_hours=hours,
        signatory_name=provider.contact_name or "",
        signatory_title=languages.render(_l("For %(provider)s", provider=provider.name), language),
        page_size=current_app.config.get("PDF_PAGE_SIZE", "A4"),
        time_zone=zone_key(city.timezone),
        language=language,
    )


def _completed_at(enrolment: Enrolment, program: TrainingProgram):
    """When the participant completed: the program's end, or the marking if it came before the end.

    Attendance is often marked days after a program ends; the certificate must not date the completion
    to the provider's paperwork.
    """
    marked = enrolment.completed_at
    return min(marked, program.ends_at) if marked is not None else program.ends_at


def certificate(*, enrolment: Enrolment, by: User, language: str | None = None) -> tuple[Document, bytes]:
    """The registered completion certificate of a completed participant, with its verification code.

    Written in the language of the participant's city unless ``language`` (``?lang=``) says another.
    Registered in the document registry, each language under its own key: asked again with unchanged
    data, the same file comes back (still "current"); a changed name or title supersedes it with a new
    one. The caller commits.
    """
    from health_responder.reports.builders import build_certificate

    program = db.session.get(TrainingProgram, enrolment.program_id)
    services.check_enrolment_actor(enrolment, by, program)
    if enrolment.status != EnrolmentStatus.COMPLETED:
        raise Conflict(
            _l(
                "Only a participant who completed the program has a certificate; this one is %(status)s.",
                status=code_label(enrolment.status),
            ),
            {"status": [_l("Is %(status)s, not completed.", status=code_label(enrolment.status))]},
        )
    language = languages.chosen(asked=language, default=languages.of_city(enrolment.city_id))
    data = certificate_data(enrolment=enrolment, language=language)
    return documents.issue(
        kind="certificate",
        subject_type="enrolment",
        subject_key=languages.keyed(str(enrolment.id), language),
        data=data,
        build=languages.in_language(build_certificate, language),
        event_date=data.completed_on,
        by=by,
        name=f"enrolment-{enrolment.id}",
    )
