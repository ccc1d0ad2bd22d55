"""Certificates of participation (Teilnahmebescheinigungen): a training
series of four weekly sessions with a 75 % threshold, attendance recorded
through the check-in service, claims after the last session, staff issuing
and revoking, public verification by code, and the PDF."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from miado_events.checkin import certificates
from miado_events.checkin import services as checkin
from miado_events.errors import DomainError, PermissionDenied
from miado_events.models.accounts import Role
from miado_events.models.events import Registration

from .checkin_support import SESSION_END, decode_qr, english, minutes, seat
from .events_support import SESSION_START, assert_code

# The last session (31 March) is in summer time: 18:00–20:00 is 16:00–18:00 UTC.
AFTER = SESSION_END + timedelta(weeks=3, days=1)


@pytest.fixture
def series(make_event):
    return make_event(kind="series", sessions=4, capacity=10, certificate_threshold=75)


@pytest.fixture
def participant(db, series, make_member, org):
    """A member of an MSO with a seat in the series."""
    person = make_member(org, name="Ayşe Demir")
    seat(db, person, series, org=org)
    return person


def attend(db, staff, series, person, weeks):
    """``person`` is checked in at the sessions of the given weeks."""
    registration = db.session.scalar(select(Registration).where(
        Registration.event_id == series.id, Registration.user_id == person.id))
    for week in weeks:
        result = checkin.check_in(staff, series.sessions[week], registration, method="scan",
                                  now=SESSION_START + timedelta(weeks=week))
        assert result.ok
    db.session.commit()


def _other_char(code: str, index: int) -> str:
    replacement = "7" if code[index] != "7" else "8"
    return code[:index] + replacement + code[index + 1:]


# --- claiming ---------------------------------------------------------------------

def test_three_of_four_sessions_earn_the_certificate(db, staff, series, participant, org):
    attend(db, staff, series, participant, weeks=[0, 1, 3])
    certificate = certificates.claim(participant, series, now=AFTER)
    db.session.commit()
    assert certificate.holder_name == "Ayşe Demir"
    assert certificate.organisation_name == org.name
    assert (certificate.sessions_attended, certificate.sessions_total) == (3, 4)
    assert certificate.minutes_attended == 3 * 120
    assert certificate.issued_by_id is None
    assert certificate.is_valid


def test_two_of_four_sessions_are_below_the_threshold(db, staff, series, participant):
    attend(db, staff, series, participant, weeks=[0, 1])
    with pytest.raises(DomainError) as exc:
        certificates.claim(participant, series, now=AFTER)
    assert_code(exc, "below_threshold")
    assert certificates.certificates_of(participant) == []


def test_no_certificate_before_the_series_ends(db, staff, series, participant):
    attend(db, staff, series, participant, weeks=[0, 1, 2])
    assert series.last_end == SESSION_END + timedelta(weeks=3, hours=-1)
    with pytest.raises(DomainError) as exc:
        certificates.claim(participant, series, now=series.last_end - minutes(1))
    assert_code(exc, "series_not_finished")
    assert certificates.claim(participant, series, now=series.last_end).sessions_attended == 3


def test_claiming_twice_gives_the_same_certificate(db, staff, series, participant):
    attend(db, staff, series, participant, weeks=[0, 1, 2, 3])
    first = certificates.claim(participant, series, now=AFTER)
    db.session.commit()
    again = certificates.claim(participant, series, now=AFTER + timedelta(days=30))
    db.session.commit()
    assert (again.id, again.code) == (first.id, first.code)
    assert len(certificates.certificates_of(participant)) == 1


def test_standing_counts_the_sessions_attended(db, staff, series, participant):
    attend(db, staff, series, participant, weeks=[0, 2])
    standing = certificates.standing(series, participant)
    assert [s.id for s in standing.attended] == [series.sessions[0].id, series.sessions[2].id]
    assert (standing.total, standing.percent, standing.reaches_threshold) == (4, 50, False)
    attend(db, staff, series, participant, weeks=[3])
    assert certificates.standing(series, participant).reaches_threshold


# --- staff ------------------------------------------------------------------------------

def test_staff_issue_a_certificate_by_hand_below_the_threshold(db, staff, series, participant):
    attend(db, staff, series, participant, weeks=[0])
    certificate = certificates.issue_by_hand(staff, series, participant, now=AFTER)
    db.session.commit()
    assert certificate.issued_by_id == staff.id
    assert certificate.sessions_attended == 1
    assert certificates.claim(participant, series, now=AFTER).id == certificate.id


def test_revoking_needs_a_reason(db, staff, series, participant):
    attend(db, staff, series, participant, weeks=[0, 1, 2])
    certificate = certificates.claim(participant, series, now=AFTER)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        certificates.revoke(staff, certificate, "   ")
    assert_code(exc, "reason_required")
    assert certificate.is_valid


def test_revoked_certificate_no_longer_verifies(db, staff, series, participant):
    attend(db, staff, series, participant, weeks=[0, 1, 2])
    certificate = certificates.claim(participant, series, now=AFTER)
    db.session.commit()
    assert certificates.lookup(certificate.code).id == certificate.id
    certificates.revoke(staff, certificate, "Issued to the wrong person", now=AFTER)
    db.session.commit()
    assert certificates.lookup(certificate.code) is None
    assert certificate.revoke_reason == "Issued to the wrong person"
    assert certificates.certificates_of(participant) == []


def test_members_and_door_staff_cannot_issue_or_revoke(db, staff, series, participant, make_user):
    attend(db, staff, series, participant, weeks=[0, 1, 2])
    certificate = certificates.claim(participant, series, now=AFTER)
    db.session.commit()
    for actor in (participant, make_user(Role.DOOR), make_user()):
        with pytest.raises(PermissionDenied):
            certificates.issue_by_hand(actor, series, make_user(), now=AFTER)
        with pytest.raises(PermissionDenied):
            certificates.revoke(actor, certificate, "because", now=AFTER)
    assert certificates.lookup(certificate.code) is not None


# --- verification ------------------------------------------------------------------------------

def test_lookup_forgives_dashes_and_lowercase(db, staff, series, participant):
    attend(db, staff, series, participant, weeks=[0, 1, 2])
    certificate = certificates.claim(participant, series, now=AFTER)
    db.session.commit()
    assert certificate.code_display.count("-") == 2
    for typed in (certificate.code_display, certificate.code_display.lower(), f" {certificate.code.lower()} "):
        assert certificates.lookup(typed).id == certificate.id


def test_lookup_of_an_altered_code_finds_nothing(db, staff, series, participant):
    attend(db, staff, series, participant, weeks=[0, 1, 2])
    certificate = certificates.claim(participant, series, now=AFTER)
    db.session.commit()
    for index in (0, 5, 11):
        assert certificates.lookup(_other_char(certificate.code, index)) is None
    assert certificates.lookup(certificate.code[:-1]) is None
    assert certificates.lookup("") is None


# --- the PDF ---------------------------------------------------------------------------------------

def test_certificate_pdf_names_holder_series_and_code(db, staff, series, participant, org):
    attend(db, staff, series, participant, weeks=[0, 1, 2])
    certificate = certificates.claim(participant, series, now=AFTER)
    db.session.commit()
    with english():
        reader = PdfReader(io.BytesIO(certificates.certificate_pdf(certificate)))
        url = certificates.verify_url(certificate)
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("Certificate of participation", "Ayşe Demir", org.name, "Test series",
                     certificate.code_display):
        assert expected in text
    [image] = reader.pages[0].images
    assert decode_qr(image.data) == url
